import re

from django import forms
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from customers.models import Birthday, Customer, Dealer, Purchase
from salesdesk import bounds, uploads
from salesdesk.access import users_with
from salesdesk.errors import DomainError
from salesdesk.forms import (
    RegionChoiceField, StyledFormMixin, UserChoiceField, UserMultipleChoiceField, VersionedFormMixin, style_fields,
)
from salesdesk.lunar import validate_birthday
from salesdesk.models import Region, Role
from salesdesk.phones import PhoneField
from salesdesk.pii import normalize_id_card

User = get_user_model()
DATE_INPUT = forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")


class BirthdayFieldsMixin:
    """Adds, for each person in `birthday_people`, a birthday in the solar or lunar calendar.

    Written as YYYY-MM-DD or MM-DD (the year is optional); lunar dates may be in a leap month.
    """

    birthday_people = ()
    BIRTHDAY_RE = re.compile(r"^(?:(\d{4})[-/.年])?(\d{1,2})[-/.月](\d{1,2})日?$")

    def add_birthday_fields(self, owner=None):
        existing = {b.person: b for b in owner.birthdays.all()} if owner is not None and owner.pk else {}
        for person, label in self.birthday_people:
            current = existing.get(person)
            self.fields[f"{person}_birthday"] = forms.CharField(
                label=_("%(person)s's birthday") % {"person": label}, required=False,
                help_text=_("YYYY-MM-DD or MM-DD"),
                initial=(f"{current.year}-" if current and current.year else "") + (f"{current.month:02d}-{current.day:02d}" if current else ""),
                widget=forms.TextInput(attrs={"placeholder": "1975-08-15"}),
            )
            self.fields[f"{person}_birthday_calendar"] = forms.ChoiceField(
                label=_("Calendar"), choices=Birthday.Calendar.choices, required=False,
                initial=current.calendar if current else Birthday.Calendar.SOLAR,
            )
            self.fields[f"{person}_birthday_leap"] = forms.BooleanField(
                label=_("Leap month"), required=False, initial=current.is_leap_month if current else False
            )

    def clean_birthdays(self):
        birthdays = {}
        for person, _label in self.birthday_people:
            text = (self.cleaned_data.get(f"{person}_birthday") or "").strip()
            if not text:
                birthdays[person] = None
                continue
            match = self.BIRTHDAY_RE.match(text)
            if not match:
                self.add_error(f"{person}_birthday", _("Write the date as YYYY-MM-DD or MM-DD."))
                continue
            year = int(match.group(1)) if match.group(1) else None
            month, day = int(match.group(2)), int(match.group(3))
            calendar = self.cleaned_data.get(f"{person}_birthday_calendar") or Birthday.Calendar.SOLAR
            leap = bool(self.cleaned_data.get(f"{person}_birthday_leap"))
            try:
                validate_birthday(calendar, year, month, day, leap)
            except ValidationError as exc:
                self.add_error(f"{person}_birthday", exc)
                continue
            birthdays[person] = {"calendar": calendar, "year": year, "month": month, "day": day, "is_leap_month": leap}
        return birthdays

    def birthday_field_groups(self):
        return [
            (self[f"{person}_birthday"], self[f"{person}_birthday_calendar"], self[f"{person}_birthday_leap"])
            for person, _label in self.birthday_people
        ]


class RegionForm(StyledFormMixin, forms.ModelForm):
    lead = UserChoiceField(queryset=users_with(Role.DEVELOPER, Role.MANAGER), required=False, label=_("Regional lead"))
    developers = UserMultipleChoiceField(
        queryset=users_with(Role.DEVELOPER), required=False, label=_("Market developers"),
        widget=forms.SelectMultiple(attrs={"size": 4}),
    )

    class Meta:
        model = Region
        fields = ["name", "code", "parent", "lead", "developers", "aftersales_by"]
        field_classes = {"parent": RegionChoiceField}

    def clean_code(self):
        return (self.cleaned_data.get("code") or "").strip().upper()


DEALER_INTAKE_FIELDS = [
    "company", "region", "legal_rep", "legal_rep_phone", "principal", "principal_phone", "contact", "contact_phone",
    "address", "business_scope", "store_area", "annual_sales", "brands", "survey_date", "opening_date", "notes",
]


class DealerForm(StyledFormMixin, VersionedFormMixin, BirthdayFieldsMixin, forms.ModelForm):
    """Annex 1: the dealer intake form (also used by the clerk to keep the dossier current)."""

    birthday_people = [
        (Birthday.Person.LEGAL_REP, _("Legal representative")),
        (Birthday.Person.PRINCIPAL, _("Principal")),
        (Birthday.Person.CONTACT, _("Main contact")),
    ]

    class Meta:
        model = Dealer
        fields = DEALER_INTAKE_FIELDS
        field_classes = {
            "region": RegionChoiceField, "legal_rep_phone": PhoneField, "principal_phone": PhoneField, "contact_phone": PhoneField,
        }
        widgets = {"survey_date": DATE_INPUT, "opening_date": DATE_INPUT}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].for_records(keep=self.instance.region_id)
        self.add_birthday_fields(self.instance)
        style_fields(self.fields)  # the birthday fields came after the mixin styled the rest

    def clean(self):
        data = super().clean()
        data["birthdays"] = self.clean_birthdays()
        return data

    def validate_unique(self):
        """Not here: the service checks duplicates and answers in words a clerk understands."""

    def dealer_data(self):
        return {name: self.cleaned_data[name] for name in DEALER_INTAKE_FIELDS}


ALLOWED_AGREEMENT_TYPES = uploads.SCANS  # PDF, JPEG or PNG
AGREEMENT_WRONG_TYPE = _("Upload the agreement as a PDF, JPEG or PNG scan.")
AGREEMENT_NAME_MISMATCH = _("The file's name does not match its content; upload the original scan.")


def validate_scan(upload):
    """A scan must be a PDF, JPEG or PNG by its content (not only its name), and not too large."""
    try:
        uploads.inspect_upload(
            upload, allowed=ALLOWED_AGREEMENT_TYPES, wrong_type=AGREEMENT_WRONG_TYPE, mismatch=AGREEMENT_NAME_MISMATCH
        )
    except DomainError as exc:
        raise ValidationError(exc.message) from exc
    return upload


GRADE_CHOICES = [("", "---------"), *Dealer.Grade.choices]  # no grade until one is chosen: an accidental A is easy


class AuthorizeForm(StyledFormMixin, forms.Form):
    grade = forms.ChoiceField(label=_("Grade"), choices=GRADE_CHOICES)
    agreement = forms.FileField(label=_("Signed cooperation agreement (PDF, JPEG or PNG)"), validators=[validate_scan])
    agreement_signed_on = forms.DateField(label=_("Agreement signed on"), widget=DATE_INPUT, validators=[bounds.sane_date])
    developer = UserChoiceField(queryset=users_with(Role.DEVELOPER), required=False, label=_("Market developer"))
    regional_lead = UserChoiceField(queryset=users_with(Role.DEVELOPER, Role.MANAGER), required=False, label=_("Regional lead"))


class GradeForm(StyledFormMixin, forms.Form):
    grade = forms.ChoiceField(label=_("New grade"), choices=GRADE_CHOICES)
    reason = bounds.text_field(_("Reason"))


class ReasonForm(StyledFormMixin, forms.Form):
    reason = bounds.text_field(_("Reason for return"))


CUSTOMER_FIELDS = [
    "name", "id_card", "phone", "address", "region", "regional_lead", "developer", "salesperson",
    "crops", "acreage_mu", "machinery", "notes",
]


def region_developer(region):
    """The market developer of `region` when it has exactly one (of several, none is guessed)."""
    developers = list(region.developers.all()[:2])
    return developers[0] if len(developers) == 1 else None


class CustomerForm(StyledFormMixin, VersionedFormMixin, BirthdayFieldsMixin, forms.ModelForm):
    birthday_people = [(Birthday.Person.CUSTOMER, _("Customer"))]
    regional_lead = UserChoiceField(queryset=users_with(Role.DEVELOPER, Role.MANAGER), required=False, label=_("Regional lead"))
    developer = UserChoiceField(queryset=users_with(Role.DEVELOPER), required=False, label=_("Market developer"))
    salesperson = UserChoiceField(queryset=users_with(), required=False, label=_("Salesperson"))

    class Meta:
        model = Customer
        fields = CUSTOMER_FIELDS
        field_classes = {"region": RegionChoiceField, "phone": PhoneField}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["region"].for_records(keep=self.instance.region_id)
        self.fields["regional_lead"].help_text = _("If left empty: the region's lead.")
        self.fields["developer"].help_text = _("If left empty: the region's market developer, if it has one.")
        self.add_birthday_fields(self.instance)
        style_fields(self.fields)

    def clean_id_card(self):
        return normalize_id_card(self.cleaned_data.get("id_card"))

    def clean(self):
        data = super().clean()
        data["birthday"] = self.clean_birthdays().get(Birthday.Person.CUSTOMER)
        region = data.get("region")
        if region is not None:  # the people of the customer's region, where the clerk named nobody
            data["regional_lead"] = data.get("regional_lead") or region.lead
            data["developer"] = data.get("developer") or region_developer(region)
        return data

    def validate_unique(self):
        """Not here: the service checks duplicates."""

    def customer_data(self):
        return {name: self.cleaned_data[name] for name in CUSTOMER_FIELDS}


class PurchaseForm(StyledFormMixin, forms.ModelForm):
    """Every number within its column (the model's bounds), and quantity × unit price within what an
    amount can be when the amount is left to be computed."""

    class Meta:
        model = Purchase
        fields = ["date", "product_model", "quantity", "unit_price", "amount", "purchase_method", "payment_method", "dealer"]
        widgets = {"date": DATE_INPUT}
        help_texts = {"amount": _("If left empty: quantity × unit price.")}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["dealer"].queryset = Dealer.objects.authorized().only("company").order_by("company")
        self.fields["amount"].required = False
        quantity = self.fields["quantity"]
        quantity.validators.append(bounds.at_most(bounds.QUANTITY_MAX))  # here, so a huge one is not also multiplied
        quantity.widget.attrs.update(min=1, max=bounds.QUANTITY_MAX)

    def clean(self):
        data = super().clean()
        if data.get("purchase_method") == Purchase.Method.DEALER and not data.get("dealer"):
            self.add_error("dealer", _("Name the dealer the customer bought through."))
        quantity, unit_price = data.get("quantity"), data.get("unit_price")
        if data.get("amount") is None and quantity is not None and unit_price is not None:
            try:
                Purchase.computed_amount(quantity, unit_price)
            except ValidationError as exc:
                self.add_error("amount", exc)
        return data

    def purchase_data(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields}
