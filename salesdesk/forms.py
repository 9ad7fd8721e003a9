from django import forms
from django.db.models import Q
from django.forms.models import ModelChoiceIterator
from django.contrib.auth import forms as auth_forms
from django.conf import settings
from django.utils.text import format_lazy
from django.utils.translation import gettext_lazy as _

from salesdesk import bounds
from salesdesk.models import AccessRequest, Region, StaffProfile
from salesdesk.phones import PhoneField
from salesdesk.widgets import quicken


FORM_EMPTY_LABEL = _("Please choose")  # a drop-down of a form says 请选择 until a choice is made
FILTER_EMPTY_LABEL = _("All")  # a filter's drop-down left empty filters nothing: 全部


def style_fields(fields, empty_label=FORM_EMPTY_LABEL):
    """Bootstrap classes on every widget, so templates render any form the same way; long
    option lists render through the quick selects; the empty choice of a drop-down says what it
    means (`empty_label`) instead of Django's "---------"."""
    for field in fields.values():
        label_empty_choice(field, empty_label)
    quicken(fields)
    for field in fields.values():
        widget = field.widget
        if isinstance(widget, (forms.CheckboxInput, forms.CheckboxSelectMultiple, forms.RadioSelect)):
            css = "form-check-input"
        elif isinstance(widget, (forms.Select, forms.SelectMultiple)):
            css = "form-select"
        else:
            css = "form-control"
        if css not in widget.attrs.get("class", ""):
            widget.attrs["class"] = f"{widget.attrs.get('class', '')} {css}".strip()
        if isinstance(widget, forms.Textarea) and str(widget.attrs.get("rows")) == "10":
            widget.attrs["rows"] = 3  # Django's default of 10 rows is a wall on a form a clerk fills all day


def label_empty_choice(field, label):
    if getattr(field, "empty_label", None) is not None:  # model choices, and django-filter's choices
        field.empty_label = label
        field.widget.choices = field.choices  # the widget's copy was bound before the label changed
    elif isinstance(field, forms.ChoiceField) and not isinstance(field, forms.MultipleChoiceField):
        choices = list(field.choices)
        if choices and choices[0][0] in ("", None) and choices[0][1] == "---------":
            field.choices = [(choices[0][0], label), *choices[1:]]
    if hasattr(field.widget, "empty_label"):
        field.widget.empty_label = label


class UserChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class UserMultipleChoiceField(forms.ModelMultipleChoiceField):
    def label_from_instance(self, user):
        return user.get_full_name() or user.username


class RegionTreeChoices(ModelChoiceIterator):
    """The regions of the field's queryset as the tree reads. Where a top-level region is offered
    itself, its sub-regions follow it indented (河北省 (HB), 　保定市 (HBBD)…); where it is not (only
    its leaves are), they are a group named after it, each labelled by its path below it
    (保定市 · 清苑区 (HBBDQY)). Validation is the field's own; only what is shown is arranged."""

    INDENT = "\u3000"  # an ideographic space: <option> keeps it

    def __iter__(self):
        if self.field.empty_label is not None:
            yield ("", self.field.empty_label)
        offered = list(self.queryset.order_by("path"))
        offered_ids = {region.pk for region in offered}
        names = dict(Region.objects.values_list("pk", "name"))
        entries, groups = [], {}  # groups: top-level id -> its options (a list in `entries`)
        for region in offered:
            ancestors = region.ancestor_ids
            if not ancestors or ancestors[0] in offered_ids:
                value, label = self.choice(region)
                entries.append((value, self.INDENT * len(ancestors) + label))
                continue
            if ancestors[0] not in groups:
                groups[ancestors[0]] = []
                entries.append((names.get(ancestors[0], ""), groups[ancestors[0]]))
            below_top = [names.get(pk, "") for pk in ancestors[1:]] + [region.name]
            groups[ancestors[0]].append((self.field.prepare_value(region), f"{' · '.join(below_top)} ({region.code})"))
        yield from entries

    def __len__(self):
        return self.queryset.count() + (1 if self.field.empty_label is not None else 0)


class RegionChoiceField(forms.ModelChoiceField):
    """A region picked from the tree (province → city → county), not from one flat list."""

    iterator = RegionTreeChoices

    def __init__(self, queryset=None, **kwargs):
        super().__init__(queryset if queryset is not None else Region.objects.all(), **kwargs)

    def for_records(self, keep=None):
        """Offer (and accept) only the regions a dealer or a customer is filed in, the leaves, and
        `keep`: the region the record is in already, so that editing it never forces a move."""
        self.queryset = Region.objects.filter(Q(pk__in=Region.objects.leaves().values("pk")) | Q(pk=keep))
        return self

    def label_from_instance(self, region):
        return str(region)


class StyledFormMixin:
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        style_fields(self.fields)


class VersionedFormMixin(forms.Form):
    """Carries the version the record had when the form was opened (optimistic locking);
    required when editing a record, so no save can skip the lock."""

    version = forms.IntegerField(widget=forms.HiddenInput, required=False)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        instance = getattr(self, "instance", None)
        if instance is not None and instance.pk:
            self.fields["version"].required = True
            self.fields["version"].initial = instance.version
            self.fields["version"].error_messages["required"] = _(
                "This form is missing its version; reload the page and make your changes again."
            )


class AccessRequestForm(StyledFormMixin, forms.ModelForm):
    days = forms.IntegerField(
        label=_("Period (days)"), min_value=1, max_value=settings.SALESDESK_ACCESS_GRANT_MAX_DAYS, initial=7,
        help_text=format_lazy(_("At most {days} days."), days=settings.SALESDESK_ACCESS_GRANT_MAX_DAYS),
    )

    class Meta:
        model = AccessRequest
        fields = ["scope", "category", "region", "reason", "days"]
        field_classes = {"region": RegionChoiceField}  # any region of the tree: a grant covers its sub-regions

    def clean(self):
        data = super().clean()
        scope = data.get("scope")
        if scope == AccessRequest.Scope.CATEGORY and not data.get("category"):
            self.add_error("category", _("Choose the category you need."))
        if scope == AccessRequest.Scope.REGION and not data.get("region"):
            self.add_error("region", _("Choose the region you need."))
        if scope != AccessRequest.Scope.CATEGORY:
            data["category"] = ""
        if scope != AccessRequest.Scope.REGION:
            data["region"] = None
        return data


class DecisionForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", _("Approve")), ("reject", _("Reject"))], widget=forms.HiddenInput)
    comment = bounds.text_field(_("Comment"), required=False)


class StaffProfileForm(StyledFormMixin, VersionedFormMixin, forms.ModelForm):
    class Meta:
        model = StaffProfile
        fields = ["name", "title", "mobile", "qq", "wechat", "email", "duties"]
        field_classes = {"mobile": PhoneField}


class CommentForm(StyledFormMixin, forms.Form):
    comment = bounds.text_field(_("Comment"), required=False)


class ConfirmForm(forms.Form):
    """A step that asks for nothing but the click (submitting an intake, filing it)."""


class PasswordChangeForm(StyledFormMixin, auth_forms.PasswordChangeForm):
    """Django's own form (old password, new one twice, the password validators), styled."""


class UnlockForm(forms.Form):
    """Which lockout the manager lifts: a user name or an address (salesdesk.lockouts)."""

    kind = forms.ChoiceField(choices=[("username", _("User name")), ("ip_address", _("IP address"))])
    value = forms.CharField(max_length=255)
