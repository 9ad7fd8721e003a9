from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator, RegexValidator
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesdesk import bounds
from salesdesk.bounds import at_most, sane_date
from salesdesk.lunar import format_birthday
from salesdesk.models import Region
from salesdesk.pii import normalize_id_card, validate_id_card
from salesdesk.search import Searchable, SearchableQuerySet

User = settings.AUTH_USER_MODEL


class DealerQuerySet(SearchableQuerySet):
    def authorized(self):
        return self.filter(status=Dealer.Status.AUTHORIZED)

    def awaiting_review(self):
        return self.filter(status=Dealer.Status.SUBMITTED)

    def awaiting_filing(self):
        return self.filter(status=Dealer.Status.APPROVED)

    def for_list(self):
        return self.select_related("region", "developer").only(
            "company",
            "status",
            "grade",
            "resource_number",
            "card_number",
            "contact",
            "contact_phone",
            "submitted_at",
            "region__name",
            "region__code",
            "developer__username",
            "developer__first_name",
            "developer__last_name",
        )


class Dealer(Searchable):
    """A dealer from market-research intake (Annex 1) to authorized dealer (Annex 3, grade A–D)."""

    search_sources = ("company", "contact", "legal_rep", "principal")  # found by any of these names

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        SUBMITTED = "submitted", _("Submitted for review")
        RETURNED = "returned", _("Returned")
        APPROVED = "approved", _("Approved, awaiting filing")
        FILED = "filed", _("Filed (dealer resource)")
        AUTHORIZED = "authorized", _("Authorized dealer")

    class Grade(models.TextChoices):
        A = "A", _("Grade A")
        B = "B", _("Grade B")
        C = "C", _("Grade C")
        D = "D", _("Grade D")

    phone_validator = RegexValidator(r"^[0-9+\-() ]{5,20}$", _("Enter a phone number: digits, spaces, + - ( )."))

    status = models.CharField(_("status"), max_length=12, choices=Status.choices, default=Status.DRAFT, db_index=True)
    # Annex 1: the intake form.
    company = models.CharField(_("company name"), max_length=100)
    legal_rep = models.CharField(_("legal representative"), max_length=50, blank=True)
    legal_rep_phone = models.CharField(_("legal representative's phone"), max_length=20, blank=True, validators=[phone_validator])
    principal = models.CharField(_("principal"), max_length=50, blank=True)
    principal_phone = models.CharField(_("principal's phone"), max_length=20, blank=True, validators=[phone_validator])
    contact = models.CharField(_("main contact"), max_length=50)
    contact_phone = models.CharField(_("main contact's phone"), max_length=20, validators=[phone_validator])
    address = models.CharField(_("address"), max_length=200)
    region = models.ForeignKey(Region, on_delete=models.PROTECT, related_name="dealers", verbose_name=_("region"))
    business_scope = bounds.TextField(_("business scope"), blank=True)
    store_area = bounds.DecimalField(
        _("store area (m²)"), max_digits=10, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    annual_sales = bounds.DecimalField(
        _("annual sales (yuan)"), max_digits=14, decimal_places=2, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    brands = models.CharField(_("brands carried"), max_length=200, blank=True)
    survey_date = models.DateField(_("survey date"), null=True, blank=True, validators=[sane_date])
    opening_date = models.DateField(_("opening date"), null=True, blank=True, validators=[sane_date])
    notes = bounds.TextField(_("notes"), blank=True)
    submitted_by = models.ForeignKey(
        User, on_delete=models.PROTECT, related_name="submitted_dealers", verbose_name=_("submitted by")
    )
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    # The manager's signature.
    reviewed_by = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("reviewed by")
    )
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    review_comment = bounds.TextField(_("review comment"), blank=True)
    return_reason = bounds.TextField(_("reason for return"), blank=True)
    # Annex 2: filed as a dealer resource.
    resource_number = models.CharField(_("dossier number"), max_length=40, null=True, blank=True, unique=True)
    filed_by = models.ForeignKey(User, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by"))
    filed_at = models.DateTimeField(_("filed at"), null=True, blank=True)
    # Annex 3: authorized dealer.
    grade = models.CharField(_("grade"), max_length=1, choices=Grade.choices, blank=True)
    card_number = models.CharField(_("dossier card number"), max_length=40, null=True, blank=True, unique=True)
    authorized_at = models.DateTimeField(_("authorized at"), null=True, blank=True)
    agreement = models.FileField(_("cooperation agreement (scan)"), upload_to="agreements/%Y/", blank=True)
    agreement_signed_on = models.DateField(_("agreement signed on"), null=True, blank=True, validators=[sane_date])
    developer = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="developed_dealers", verbose_name=_("market developer")
    )
    regional_lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.PROTECT, related_name="led_dealers", verbose_name=_("regional lead")
    )
    version = models.PositiveIntegerField(default=1)

    objects = DealerQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("dealer")
        verbose_name_plural = _("dealers")
        indexes = [
            models.Index(fields=["region", "status"]),
            models.Index(fields=["grade", "status"]),
            models.Index(fields=["contact_phone"]),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["region", "company"], name="dealer_company_unique_in_region",
                violation_error_message=_("A dealer with this company name is already on file in this region."),
            ),
            models.CheckConstraint(
                condition=~Q(status__in=["filed", "authorized"]) | Q(resource_number__isnull=False),
                name="dealer_filed_has_number",
            ),
            models.CheckConstraint(
                condition=~Q(status="authorized")
                | (Q(grade__in=["A", "B", "C", "D"]) & Q(card_number__isnull=False)),
                name="dealer_authorized_has_grade_and_card",
            ),
            models.CheckConstraint(condition=Q(grade__in=["", "A", "B", "C", "D"]), name="dealer_grade_valid"),
            models.CheckConstraint(
                condition=~Q(status__in=["approved", "filed", "authorized"]) | Q(reviewed_by__isnull=False),
                name="dealer_approved_is_signed",
            ),
        ]

    def __str__(self):
        return self.company

    @property
    def number(self):
        return self.card_number or self.resource_number or ""


class GradeChange(models.Model):
    """The history of an authorized dealer's grade and dossier-card number."""

    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="grade_changes")
    from_grade = models.CharField(_("from grade"), max_length=1, blank=True)
    to_grade = models.CharField(_("to grade"), max_length=1)
    from_card_number = models.CharField(_("previous card number"), max_length=40, blank=True)
    to_card_number = models.CharField(_("new card number"), max_length=40)
    reason = bounds.TextField(_("reason"), blank=True)
    by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("grade change")
        verbose_name_plural = _("grade history")


class CustomerQuerySet(SearchableQuerySet):
    def for_list(self):
        return self.select_related("region", "salesperson").only(
            "name",
            "phone",
            "id_card",
            "address",
            "acreage_mu",
            "created_at",
            "region__name",
            "region__code",
            "salesperson__username",
            "salesperson__first_name",
            "salesperson__last_name",
        )


class Customer(Searchable):
    """An end customer (终端购买客户, Annex 4) and their farming information."""

    search_sources = ("name",)
    search_pieces = "search_pieces"  # PostgreSQL: generated from `search`, GIN indexed (migration 0004)

    name = models.CharField(pgettext_lazy("person", "name"), max_length=50, db_index=True)
    id_card = models.CharField(_("ID-card number"), max_length=18, blank=True, validators=[validate_id_card])
    phone = models.CharField(_("phone"), max_length=20, db_index=True, validators=[Dealer.phone_validator])
    address = models.CharField(_("address"), max_length=200, blank=True)
    # region and salesperson: indexed by the composite (…, -id) indexes below, not on their own
    region = models.ForeignKey(
        Region, on_delete=models.PROTECT, related_name="customers", verbose_name=_("region"), db_index=False
    )
    regional_lead = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("regional lead")
    )
    developer = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("market developer")
    )
    salesperson = models.ForeignKey(
        User, null=True, blank=True, on_delete=models.SET_NULL, related_name="customers", verbose_name=_("salesperson"),
        db_index=False,
    )
    # Farming information (耕作信息).
    crops = models.CharField(_("crops"), max_length=100, blank=True)
    acreage_mu = bounds.DecimalField(
        _("acreage (mu)"), max_digits=10, decimal_places=1, null=True, blank=True, validators=[MinValueValidator(0)]
    )
    machinery = bounds.TextField(_("machinery owned"), blank=True)
    notes = bounds.TextField(_("notes"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(User, null=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("created by"))
    version = models.PositiveIntegerField(default=1)

    objects = CustomerQuerySet.as_manager()

    class Meta:
        ordering = ["-pk"]
        verbose_name = _("end customer")
        verbose_name_plural = _("end customers")
        indexes = [
            models.Index(fields=["region", "-id"]),
            models.Index(fields=["salesperson", "-id"]),
            models.Index(fields=["name", "-id"]),  # the list sorted by name
            models.Index(fields=["acreage_mu", "-id"]),  # the list sorted by acreage
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["id_card"], condition=~Q(id_card=""), name="customer_id_card_unique",
                violation_error_message=_("A customer with this ID-card number is already on file."),
            ),
            # stored as normalize_id_card writes it (a capital X), so the unique index above holds
            # one customer per number whatever case a form or a file gave the X in
            models.CheckConstraint(
                condition=Q(id_card=Upper("id_card")), name="customer_id_card_capital_x",
                violation_error_message=_("An ID-card number ends in a capital X."),
            ),
        ]

    def __str__(self):
        return self.name

    def clean(self):
        self.id_card = normalize_id_card(self.id_card)


class Purchase(models.Model):
    class Method(models.TextChoices):
        DEALER = "dealer", _("Through a dealer")
        DIRECT = "direct", _("Direct from the company")
        SUBSIDY = "subsidy", _("Subsidy programme")

    class Payment(models.TextChoices):
        CASH = "cash", _("Cash")
        TRANSFER = "transfer", _("Bank transfer")
        INSTALMENTS = "instalments", _("Instalments")
        SUBSIDY = "subsidy", _("Subsidy + own payment")

    customer = models.ForeignKey(Customer, on_delete=models.CASCADE, related_name="purchases", db_index=False)  # (customer, -date)
    date = models.DateField(_("purchase date"), validators=[sane_date])
    product_model = models.CharField(_("product model"), max_length=50)
    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1), at_most(bounds.QUANTITY_MAX)])
    unit_price = bounds.DecimalField(_("unit price (yuan)"), max_digits=12, decimal_places=2, validators=[MinValueValidator(0)])
    amount = bounds.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2, validators=[MinValueValidator(0)])
    purchase_method = models.CharField(_("purchase method"), max_length=10, choices=Method.choices)
    payment_method = models.CharField(_("payment method"), max_length=12, choices=Payment.choices)
    dealer = models.ForeignKey(
        Dealer, null=True, blank=True, on_delete=models.PROTECT, related_name="purchases", verbose_name=_("dealer")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-date", "-pk"]
        verbose_name = _("purchase")
        verbose_name_plural = _("purchases")
        indexes = [models.Index(fields=["customer", "-date"]), models.Index(fields=["date"])]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gte=1), name="purchase_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price__gte=0) & Q(amount__gte=0), name="purchase_money_not_negative"),
            models.CheckConstraint(
                condition=~Q(purchase_method="dealer") | Q(dealer__isnull=False), name="purchase_via_dealer_names_dealer"
            ),
        ]

    def __str__(self):
        return f"{self.date} {self.product_model} × {self.quantity}"

    @staticmethod
    def amount_for(quantity, unit_price):
        return (Decimal(quantity) * unit_price).quantize(Decimal("0.01"))

    @classmethod
    def computed_amount(cls, quantity, unit_price):
        """quantity × unit price, refused (ValidationError) when that is more than an amount can be:
        each is within its own bounds, their product need not be."""
        amount = cls.amount_for(quantity, unit_price)
        largest = cls._meta.get_field("amount").largest
        if amount > largest:
            raise ValidationError(
                _("Quantity × unit price is %(amount)s, more than an amount can be (at most %(limit)s). "
                  "Check the quantity and the unit price."),
                code="amount_too_large", params={"amount": f"¥{bounds.grouped(amount)}", "limit": f"¥{bounds.grouped(largest)}"},
            )
        return amount


class Birthday(models.Model):
    """A person's birthday for customer care, kept in the calendar they celebrate it by."""

    class Person(models.TextChoices):
        LEGAL_REP = "legal_rep", _("Legal representative")
        PRINCIPAL = "principal", _("Principal")
        CONTACT = "contact", _("Main contact")
        CUSTOMER = "customer", _("End customer")

    class Calendar(models.TextChoices):
        SOLAR = "solar", _("Solar (Gregorian)")
        LUNAR = "lunar", _("Lunar")

    dealer = models.ForeignKey(Dealer, null=True, blank=True, on_delete=models.CASCADE, related_name="birthdays")
    customer = models.ForeignKey(Customer, null=True, blank=True, on_delete=models.CASCADE, related_name="birthdays")
    person = models.CharField(_("person"), max_length=10, choices=Person.choices)
    calendar = models.CharField(_("calendar"), max_length=5, choices=Calendar.choices, default=Calendar.SOLAR)
    year = models.PositiveSmallIntegerField(_("year"), null=True, blank=True)
    month = models.PositiveSmallIntegerField(_("month"))
    day = models.PositiveSmallIntegerField(_("day"))
    is_leap_month = models.BooleanField(_("leap month"), default=False)

    class Meta:
        verbose_name = _("birthday")
        verbose_name_plural = _("birthdays")
        indexes = [models.Index(fields=["calendar", "month", "day"])]
        constraints = [
            models.CheckConstraint(
                condition=(Q(dealer__isnull=False) & Q(customer__isnull=True) & ~Q(person="customer"))
                | (Q(dealer__isnull=True) & Q(customer__isnull=False) & Q(person="customer")),
                name="birthday_has_one_owner",
            ),
            models.CheckConstraint(condition=Q(month__gte=1, month__lte=12, day__gte=1, day__lte=31), name="birthday_month_day_range"),
            models.CheckConstraint(condition=Q(calendar="lunar") | Q(is_leap_month=False), name="birthday_leap_only_lunar"),
            models.CheckConstraint(condition=Q(calendar="solar") | Q(day__lte=30), name="birthday_lunar_day_max_30"),
            models.UniqueConstraint(fields=["dealer", "person"], name="birthday_one_per_dealer_person"),
            models.UniqueConstraint(fields=["customer"], name="birthday_one_per_customer"),
        ]

    def __str__(self):
        return format_birthday(self)


class DocumentQuerySet(models.QuerySet):
    def for_list(self):
        return self.select_related("created_by").only(
            "title", "category", "document_date", "author", "keywords", "current_version", "created_at",
            "created_by__username", "created_by__first_name", "created_by__last_name",
        )

    def search(self, text):
        """Title, keywords or author containing `text`."""
        return self.filter(Q(title__icontains=text) | Q(keywords__icontains=text) | Q(author__icontains=text))


class Document(models.Model):
    """A department document (文件制度管理), filed by category; every version uploaded is kept."""

    class Category(models.TextChoices):
        DECISION = "decision", _("Leadership decisions")
        RULE = "rule", _("Department rules")
        WORK_PAPER = "work_paper", _("Daily work papers")
        ASSESSMENT = "assessment", _("Assessment records")
        MINUTES = "minutes", _("Meeting minutes")

    title = models.CharField(pgettext_lazy("document", "title"), max_length=200)  # not a person's title (职务)
    category = models.CharField(pgettext_lazy("document", "category"), max_length=12, choices=Category.choices)
    document_date = models.DateField(_("document date"), validators=[sane_date])
    author = models.CharField(_("author"), max_length=50, help_text=_("Who wrote or issued it."))
    keywords = models.CharField(_("keywords"), max_length=200, blank=True, help_text=_("Words to find it by, separated by spaces."))
    notes = bounds.TextField(_("notes"), blank=True)
    current_version = models.PositiveIntegerField(_("current version"), default=1)
    created_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("filed by"))
    created_at = models.DateTimeField(_("filed at"), auto_now_add=True)

    objects = DocumentQuerySet.as_manager()

    class Meta:
        ordering = ["-document_date", "-pk"]
        verbose_name = _("department document")
        verbose_name_plural = _("department documents")
        indexes = [models.Index(fields=["category", "-document_date"]), models.Index(fields=["-document_date", "-id"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(category__in=["decision", "rule", "work_paper", "assessment", "minutes"]), name="document_category_valid"
            ),
            models.CheckConstraint(condition=Q(current_version__gte=1), name="document_has_a_version"),
        ]

    def __str__(self):
        return self.title


def document_upload_to(version, filename):
    """documents/<document id>/v<number>.<ext>: the original name is kept on the row, not in the path."""
    extension = filename.rsplit(".", 1)[-1].lower() if "." in filename else "bin"
    return f"documents/{version.document_id}/v{version.number}.{extension}"


class DocumentVersion(models.Model):
    """One uploaded file of a document; a new version never replaces the old ones."""

    document = models.ForeignKey(Document, on_delete=models.PROTECT, related_name="versions", verbose_name=_("document"))
    number = models.PositiveIntegerField(_("version"))
    file = models.FileField(_("file"), upload_to=document_upload_to, max_length=200)
    original_name = models.CharField(_("file name"), max_length=200)
    size = models.PositiveBigIntegerField(_("size (bytes)"))
    content_type = models.CharField(_("content type"), max_length=100)
    change_note = bounds.TextField(_("change note"), blank=True)
    uploaded_by = models.ForeignKey(User, on_delete=models.PROTECT, related_name="+", verbose_name=_("uploaded by"))
    uploaded_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)

    class Meta:
        ordering = ["-number"]
        verbose_name = _("document version")
        verbose_name_plural = _("document versions")
        constraints = [
            models.UniqueConstraint(fields=["document", "number"], name="document_version_number_unique"),
            models.CheckConstraint(condition=Q(number__gte=1), name="document_version_number_positive"),
        ]

    def __str__(self):
        return f"{self.document} · v{self.number}"
