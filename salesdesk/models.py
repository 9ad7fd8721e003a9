from datetime import timedelta

from django.conf import settings
from django.contrib.contenttypes.models import ContentType
from django.core.serializers.json import DjangoJSONEncoder
from django.core.validators import RegexValidator
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from salesdesk import bounds, registry
from salesdesk.search import Searchable, SearchableQuerySet, find


class Role(models.TextChoices):
    """The department's roles; each is a Django group of the same name (created by a migration)."""

    LEADERSHIP = "leadership", _("Leadership")
    MANAGER = "manager", _("Department manager")
    CLERK = "clerk", _("Sales-service clerk")
    MEMBER = "member", _("Department member")
    DEVELOPER = "developer", _("Market developer")
    REPAIR = "repair", _("Repair staff")


class RegionQuerySet(models.QuerySet):
    def leaves(self):
        """The regions without sub-regions: the only ones a dealer or a customer is filed in (a city
        or a county, or a province not divided yet). A province with cities is the group they are
        listed under, never a record's region: a dealer "in 河北省" would be in no county's queue."""
        return self.exclude(models.Exists(Region.objects.filter(parent=models.OuterRef("pk"))))


class Region(models.Model):
    """A sales region; regions form a tree (province → prefecture → county). The archives' records
    are filed in its leaves (`Region.objects.leaves()`)."""

    class AftersalesBy(models.TextChoices):
        DEALER = "dealer", _("The local dealer")
        COMPANY = "company", _("The company's repair staff")

    name = models.CharField(_("name"), max_length=50)
    code = models.CharField(
        _("code"),
        max_length=12,
        unique=True,
        validators=[RegexValidator(r"^[A-Z0-9]{2,12}$", _("Use 2–12 capital letters or digits, e.g. HB or HB01."))],
        help_text=_("Used in dossier numbers, e.g. ZY-HB01-0001."),
    )
    parent = models.ForeignKey(
        "self", null=True, blank=True, on_delete=models.PROTECT, related_name="children", verbose_name=_("parent region")
    )
    path = models.CharField(_("tree path"), max_length=255, editable=False, db_index=True)  # "/1/4/9/": the ids from the root
    lead = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="led_regions",
        verbose_name=_("regional lead"),
    )
    developers = models.ManyToManyField(
        settings.AUTH_USER_MODEL, blank=True, related_name="developed_regions", verbose_name=_("market developers")
    )
    aftersales_by = models.CharField(
        _("after-sales handled by"), max_length=10, choices=AftersalesBy.choices, default=AftersalesBy.DEALER
    )

    objects = RegionQuerySet.as_manager()

    class Meta:
        ordering = ["path"]
        verbose_name = _("region")
        verbose_name_plural = _("regions")

    def __str__(self):
        return f"{self.name} ({self.code})"

    @property
    def depth(self):
        return max(0, self.path.count("/") - 2)

    @property
    def ancestor_ids(self):
        """The ids from the root down to this region's parent: "/1/4/9/" → [1, 4]."""
        return [int(part) for part in self.path.strip("/").split("/")[:-1] if part]


class StaffProfileQuerySet(SearchableQuerySet):
    def search(self, q):
        """By any fragment of the name, its pinyin or initials, or 4+ digits of the mobile: the
        staff list, its export and the quick search."""
        return find(self, q, text=["search"], phones=["mobile"])


class StaffProfile(Searchable):
    """Department staff archive (部门职员): one per user account."""

    search_sources = ("name",)

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="profile", verbose_name=_("user account")
    )
    name = models.CharField(pgettext_lazy("person", "name"), max_length=50)
    title = models.CharField(_("title"), max_length=50, blank=True)
    mobile = models.CharField(_("mobile"), max_length=20, blank=True)
    qq = models.CharField(_("QQ"), max_length=20, blank=True)
    wechat = models.CharField(_("WeChat"), max_length=50, blank=True)
    email = models.EmailField(_("e-mail"), blank=True)
    duties = bounds.TextField(_("main duties"), blank=True)
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)

    objects = StaffProfileQuerySet.as_manager()

    class Meta:
        ordering = ["name"]
        verbose_name = _("staff profile")
        verbose_name_plural = _("staff profiles")

    def __str__(self):
        return self.name


class AccessRequestQuerySet(models.QuerySet):
    def active(self, now=None):
        """Approved grants whose period has not ended: expiry needs no job, only this filter."""
        now = now or timezone.now()
        return self.filter(status=AccessRequest.Status.APPROVED, valid_from__lte=now, valid_until__gt=now)

    def pending(self):
        return self.filter(status=AccessRequest.Status.PENDING)

    def visible_to(self, user):
        """The requests `user` sees: all of them for a reviewer, their own for a requester, none otherwise."""
        from salesdesk.access import can  # salesdesk.access imports this module (AccessRequest, Role)

        if can(user, "access.review"):
            return self.all()
        if can(user, "access.request"):
            return self.filter(requester=user)
        return self.none()


class AccessRequest(models.Model):
    """A department member asks for read access to the archives for a limited period."""

    class Scope(models.TextChoices):
        ALL = "all", _("All archives")
        CATEGORY = "category", _("One category")
        REGION = "region", _("One region")

    class Status(models.TextChoices):
        PENDING = "pending", _("Pending")
        APPROVED = "approved", _("Approved")
        REJECTED = "rejected", _("Rejected")

    requester = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="access_requests", verbose_name=_("requester")
    )
    scope = models.CharField(_("scope"), max_length=10, choices=Scope.choices, default=Scope.ALL)
    category = models.CharField(_("category"), max_length=20, choices=registry.category_choices, blank=True)
    region = models.ForeignKey(
        Region, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("region")
    )
    reason = bounds.TextField(_("reason"))
    days = models.PositiveSmallIntegerField(_("period (days)"))
    status = models.CharField(_("status"), max_length=10, choices=Status.choices, default=Status.PENDING)
    created_at = models.DateTimeField(_("requested at"), auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_comment = bounds.TextField(_("comment"), blank=True)
    valid_from = models.DateTimeField(_("valid from"), null=True, blank=True)
    valid_until = models.DateTimeField(_("valid until"), null=True, blank=True)

    objects = AccessRequestQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at"]
        verbose_name = _("access request")
        verbose_name_plural = _("access requests")
        indexes = [models.Index(fields=["requester", "status", "valid_until"])]
        constraints = [
            models.CheckConstraint(
                condition=Q(days__gte=1, days__lte=settings.SALESDESK_ACCESS_GRANT_MAX_DAYS),
                name="access_request_days_1_to_max",
            ),
            models.CheckConstraint(
                condition=(Q(scope="all") & Q(category="") & Q(region__isnull=True))
                | (Q(scope="category") & ~Q(category="") & Q(region__isnull=True))
                | (Q(scope="region") & Q(category="") & Q(region__isnull=False)),
                name="access_request_scope_consistent",
            ),
            models.CheckConstraint(
                condition=~Q(status="approved") | (Q(valid_from__isnull=False) & Q(valid_until__gt=F("valid_from"))),
                name="access_request_approved_has_period",
            ),
        ]

    def __str__(self):
        return f"{self.requester} · {self.scope_label}"

    @property
    def scope_label(self):
        if self.scope == self.Scope.CATEGORY:
            return self.get_category_display()
        if self.scope == self.Scope.REGION:
            return str(self.region)
        return self.get_scope_display()

    def is_active(self, now=None):
        now = now or timezone.now()
        return self.status == self.Status.APPROVED and self.valid_from <= now < self.valid_until


class AuditEntryQuerySet(models.QuerySet):
    def for_object(self, obj):
        """The changes made to one record, newest first (views of its personal data left out)."""
        return (
            self.filter(content_type=ContentType.objects.get_for_model(obj), object_id=str(obj.pk))
            .exclude(action="salesdesk.pii.viewed")
            .select_related("actor")
        )


class AuditEntry(models.Model):
    """Who did what, when, to which record; field-level before/after in `changes`."""

    at = models.DateTimeField(_("time"), default=timezone.now, db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, verbose_name=_("by")
    )
    action = models.CharField(_("action"), max_length=100, db_index=True)
    content_type = models.ForeignKey(ContentType, null=True, blank=True, on_delete=models.PROTECT)
    object_id = models.CharField(max_length=64, blank=True)
    object_repr = models.CharField(_("record"), max_length=200, blank=True)
    changes = models.JSONField(_("changes"), default=dict, blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AuditEntryQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-pk"]
        verbose_name = _("audit entry")
        verbose_name_plural = _("audit trail")
        # Each filter of the audit page meets an index that starts with its column and ends with the
        # page's order (-at, -pk), so the page's ids are read from the index alone, however deep the
        # page; the record-name search has a trigram index on PostgreSQL (migration 0002).
        indexes = [
            models.Index(fields=["content_type", "object_id", "-at"]),
            models.Index(fields=["actor", "-at", "-id"], name="audit_actor_at_id"),
            models.Index(fields=["action", "-at", "-id"], name="audit_action_at_id"),
            models.Index(fields=["-at", "-id"], name="audit_at_id"),
        ]

    def __str__(self):
        return f"{self.at:%Y-%m-%d %H:%M} {self.actor} {self.action} {self.object_repr}"


class NumberSeries(models.Model):
    """The counter behind one series of numbers, e.g. dealer resources of region BJ."""

    key = models.CharField(max_length=100, unique=True)
    last_value = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("number series")
        verbose_name_plural = _("number series")

    def __str__(self):
        return f"{self.key} = {self.last_value}"


class OutboxQuerySet(models.QuerySet):
    def due(self, now=None):
        now = now or timezone.now()
        return self.filter(state=OutboxMessage.State.QUEUED, next_attempt_at__lte=now)

    def stale(self, now=None):
        """Claimed by a worker that did not finish within its lease (killed, lost its message)."""
        now = now or timezone.now()
        return self.filter(state=OutboxMessage.State.SENDING, lease_until__lt=now)

    def needs_attention(self):
        return self.filter(state=OutboxMessage.State.FAILED)


class OutboxMessage(models.Model):
    """Every outbound message (SMS, fax, e-mail) is a row here first; the row is the truth."""

    class Channel(models.TextChoices):
        SMS = "sms", _("SMS")
        FAX = "fax", _("Fax")
        EMAIL = "email", _("E-mail")

    class State(models.TextChoices):
        QUEUED = "queued", _("Queued")
        SENDING = "sending", _("Sending")
        SENT = "sent", _("Sent")
        FAILED = "failed", _("Failed")
        CANCELLED = "cancelled", _("Cancelled")

    key = models.CharField(_("key"), max_length=200, unique=True)
    channel = models.CharField(_("channel"), max_length=10, choices=Channel.choices)
    recipient = models.CharField(_("recipient"), max_length=200)
    recipient_name = models.CharField(_("recipient name"), max_length=100, blank=True)
    subject = models.CharField(_("subject"), max_length=200, blank=True)
    body = models.TextField(_("content"))
    attachment = models.FileField(_("attachment"), upload_to="outbox/%Y/%m/", blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.QUEUED)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    next_attempt_at = models.DateTimeField(_("next attempt"), default=timezone.now)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a deliver task for the row was last handed to the broker (None: the broker refused it).
    # The sweep re-enqueues a row only once no task for it is expected any more (outbox.sweep).
    enqueued_at = models.DateTimeField(null=True, blank=True, editable=False)
    sent_at = models.DateTimeField(_("sent at"), null=True, blank=True)
    provider_ref = models.CharField(_("provider reference"), max_length=200, blank=True)
    last_error = models.TextField(_("last error"), blank=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )

    objects = OutboxQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("outbound message")
        verbose_name_plural = _("outbox")
        indexes = [models.Index(fields=["state", "next_attempt_at"])]
        constraints = [
            models.CheckConstraint(
                condition=~Q(state="sent") | Q(sent_at__isnull=False), name="outbox_sent_has_time"
            ),
            models.CheckConstraint(
                condition=~Q(state="sending") | Q(lease_until__isnull=False), name="outbox_sending_has_lease"
            ),
        ]

    def __str__(self):
        return f"{self.get_channel_display()} → {self.recipient}"

    @property
    def out_id(self):
        """The message's own id at the provider, derived from its key: the same on every attempt, so
        a second copy a crash lets out is recognisable as the same message (outbox.out_id)."""
        from salesdesk.outbox import out_id

        return out_id(self.key)

    def backoff(self):
        """Delay before the next attempt: 1, 2, 4, 8... minutes, at most an hour."""
        return timedelta(minutes=min(60, 2 ** max(0, self.attempts - 1)))


class ImportJobQuerySet(models.QuerySet):
    def running(self):
        return self.filter(state__in=[ImportJob.State.CHECKING, ImportJob.State.IMPORTING])

    def waiting(self):
        """Jobs waiting for a worker (not for the clerk)."""
        return self.filter(state__in=[ImportJob.State.UPLOADED, ImportJob.State.MAPPED, ImportJob.State.CONFIRMED])


class ImportJob(models.Model):
    """One spreadsheet the clerk imports: uploaded → its columns matched to fields by the clerk →
    checked (the preview) → confirmed → imported (all rows or none)."""

    class State(models.TextChoices):
        UPLOADED = "uploaded", _("Uploaded")
        MAPPING = "mapping", _("Waiting for the columns to be matched")
        MAPPED = "mapped", _("Columns matched, waiting for the check")
        CHECKING = "checking", _("Checking")
        CHECKED = "checked", _("Checked, waiting for confirmation")
        CONFIRMED = "confirmed", _("Confirmed, waiting to import")
        IMPORTING = "importing", _("Importing")
        DONE = "done", _("Imported")
        FAILED = "failed", _("Failed")

    class Duplicates(models.TextChoices):
        SKIP = "skip", _("Keep the records on file as they are; add only what is new")
        UPDATE = "update", _("Update the records on file")

    kind = models.CharField(_("what"), max_length=20, choices=registry.import_kind_choices)  # a registered importer
    file = models.FileField(_("file"), upload_to="imports/%Y/%m/")
    original_name = models.CharField(_("file name"), max_length=200)
    duplicates = models.CharField(_("duplicates"), max_length=6, choices=Duplicates.choices, default=Duplicates.SKIP)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.UPLOADED)
    total_rows = models.PositiveIntegerField(_("rows"), default=0)
    processed_rows = models.PositiveIntegerField(_("rows done"), default=0)
    counts = models.JSONField(_("counts"), default=dict, blank=True)
    report = models.JSONField(_("report"), default=dict, blank=True, encoder=DjangoJSONEncoder)  # cells may be dates
    # The file's columns and how they are matched (salesdesk.import_jobs): {"header_row", "headers",
    # "samples", "proposed": [[field, how]], "fields": [field or ""], "defaults": {field: code}}
    mapping = models.JSONField(_("columns"), default=dict, blank=True, encoder=DjangoJSONEncoder)
    message = models.TextField(_("message"), blank=True)
    error_file = models.FileField(_("error file"), upload_to="imports/%Y/%m/", blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("uploaded at"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)
    # The last sign of life of whoever checks or imports it; a job silent past its lease is one
    # whose worker died, and the sweep marks it failed (salesdesk.import_jobs.import_sweep).
    heartbeat_at = models.DateTimeField(null=True, blank=True, editable=False)

    objects = ImportJobQuerySet.as_manager()

    class Meta:
        ordering = ["-created_at", "-pk"]
        verbose_name = _("import")
        verbose_name_plural = _("imports")

    def __str__(self):
        return f"{self.get_kind_display()} · {self.original_name}"

    @property
    def progress(self):
        return round(100 * self.processed_rows / self.total_rows) if self.total_rows else 0


class ColumnMapping(models.Model):
    """How the clerk matched the columns of a file to an importer's fields, remembered for the next
    file of the same kind with the same headers (salesdesk.imports.remembered_fields)."""

    kind = models.CharField(_("what"), max_length=20)
    digest = models.CharField(max_length=64, editable=False)  # of the headers as they are compared
    headers = models.JSONField(_("headers"), default=list)
    fields = models.JSONField(_("fields"), default=list)  # the field of each header, "" for one left out
    defaults = models.JSONField(_("defaults"), default=dict, blank=True)  # {field: code}
    chosen_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+",
                                  verbose_name=_("by"))
    updated_at = models.DateTimeField(_("changed at"), auto_now=True)

    class Meta:
        verbose_name = _("column mapping")
        verbose_name_plural = _("column mappings")
        constraints = [models.UniqueConstraint(fields=["kind", "digest"], name="column_mapping_unique_headers")]

    def __str__(self):
        return f"{self.kind}: {'、'.join(self.headers)}"
