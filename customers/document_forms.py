"""Forms and the list filter of the department documents."""

import django_filters
from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from customers.document_services import inspect_document_file
from customers.forms import DATE_INPUT
from customers.models import Document
from salesdesk import bounds
from salesdesk.errors import DomainError
from salesdesk.filters import StyledFilterSet
from salesdesk.forms import StyledFormMixin

ACCEPT = ".pdf,.doc,.docx,.xls,.xlsx,.jpg,.jpeg,.png"


def validate_document_file(upload):
    """The service's own check (type by content and name, size), shown next to the file field."""
    try:
        inspect_document_file(upload)
    except DomainError as exc:
        raise ValidationError(exc.message) from exc


def document_file_field():
    return forms.FileField(
        label=_("File"), validators=[validate_document_file], widget=forms.ClearableFileInput(attrs={"accept": ACCEPT}),
        help_text=_("PDF, Word (.doc, .docx), Excel (.xls, .xlsx), JPEG or PNG."),
    )


class DocumentForm(StyledFormMixin, forms.ModelForm):
    """A new document with its first version."""

    file = document_file_field()

    class Meta:
        model = Document
        fields = ["title", "category", "document_date", "author", "keywords", "notes"]
        widgets = {"document_date": DATE_INPUT}

    def document_data(self):
        return {name: self.cleaned_data[name] for name in self.Meta.fields}


class DocumentVersionForm(StyledFormMixin, forms.Form):
    file = document_file_field()
    change_note = forms.CharField(
        label=_("What changed"), widget=forms.Textarea(attrs={"rows": 3}), max_length=bounds.TEXT_MAX_LENGTH,
        help_text=_("Kept with the version, e.g. “Revised after the March meeting”."),
    )


def document_years():
    return [(str(date.year), str(date.year)) for date in Document.objects.dates("document_date", "year", order="DESC")]


class DocumentFilter(StyledFilterSet):
    q = django_filters.CharFilter(method="search", label=_("Title, keyword or author"))
    category = django_filters.ChoiceFilter(choices=Document.Category.choices, label=pgettext_lazy("document", "Category"))
    year = django_filters.ChoiceFilter(field_name="document_date", lookup_expr="year", choices=document_years, label=_("Year"))

    class Meta:
        model = Document
        fields = []

    def search(self, queryset, name, value):
        value = value.strip()
        return queryset.search(value) if value else queryset
