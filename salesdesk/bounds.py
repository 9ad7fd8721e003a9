"""The bounds of what Salesdesk takes: every number within its column, every text within what a
person writes, every date within a sane range. One place, used by the models (so forms and services
get them) and by the imports (`check_import_value`), so a typo is refused with a message and never
stored beyond a column's precision — where PostgreSQL would answer the insert with an error and
SQLite would keep a value no page could read back.

    quantity = models.PositiveIntegerField(_("quantity"), validators=[MinValueValidator(1), at_most(QUANTITY_MAX)])
    amount = bounds.DecimalField(_("amount (yuan)"), max_digits=14, decimal_places=2)  # at most 999,999,999,999.99
    notes = bounds.TextField(_("notes"), blank=True)  # at most TEXT_MAX_LENGTH characters
    opening_date = models.DateField(_("opening date"), null=True, validators=[sane_date])
"""

import datetime
import decimal
import functools

from django import forms
from django.core.exceptions import FieldDoesNotExist, ValidationError
from django.core.validators import DecimalValidator, MaxLengthValidator, MaxValueValidator
from django.db import models
from django.utils import timezone
from django.utils.deconstruct import deconstructible
from django.utils.translation import gettext_lazy as _

TEXT_MAX_LENGTH = 2000  # notes, reasons, comments, duties: what a person writes in a box, with room to spare
QUANTITY_MAX = 100_000  # pieces of machinery on one purchase
EARLIEST_YEAR = 1900  # no dossier date (opening, survey, purchase, agreement, document) is older
READ_PRECISION = 60  # digits a stored decimal may have and still be read back (SQLite keeps any)


def grouped(number):
    """A limit as the messages show it: 100000 → 100,000; Decimal("999999999999.99") → 999,999,999,999.99."""
    if isinstance(number, int):
        return f"{number:,}"
    return f"{number:,.{max(0, -number.as_tuple().exponent)}f}"


def column_max(max_digits, decimal_places):
    """The largest value a decimal(max_digits, decimal_places) column holds: (14, 2) → 999999999999.99."""
    return decimal.Decimal(10) ** (max_digits - decimal_places) - decimal.Decimal(1).scaleb(-decimal_places)


@deconstructible
class AtMost(MaxValueValidator):
    """A largest value, named in the message with its thousands separators: 不能超过 100,000。"""

    message = _("At most %(limit)s.")
    code = "max_value"

    def __call__(self, value):
        if value is not None and self.compare(value, self.limit_value):
            raise ValidationError(self.message, code=self.code, params={"limit": grouped(self.limit_value), "value": value})


def at_most(limit):
    return AtMost(limit)


@deconstructible
class SaneDate:
    """A date from EARLIEST_YEAR to the end of next year: 0001-01-01 or 2925-03-05 is a typo."""

    message = _("Enter a date from %(earliest)s to %(latest)s.")
    code = "date_range"

    def __call__(self, value):
        if value is None:
            return
        if isinstance(value, datetime.datetime):
            value = value.date()
        if not earliest_date() <= value <= latest_date():
            raise ValidationError(
                self.message, code=self.code,
                params={"earliest": earliest_date().isoformat(), "latest": latest_date().isoformat()},
            )

    def __eq__(self, other):
        return isinstance(other, SaneDate)

    def __hash__(self):
        return hash(SaneDate)


sane_date = SaneDate()


def earliest_date():
    return datetime.date(EARLIEST_YEAR, 1, 1)


def latest_date():
    return datetime.date(timezone.localdate().year + 1, 12, 31)


class DecimalField(models.DecimalField):
    """A DecimalField bounded by its column: at most `column_max(max_digits, decimal_places)`, said in
    one message (Django's own says "no more than 14 digits in total", and a second one besides).

    It also reads back any value a row holds: SQLite stores a decimal beyond the column's precision,
    and Django's reading of it (quantized in a context of `max_digits` digits) raised
    InvalidOperation on every page that showed the row, so a typo made once broke the customer's
    page for good. Read with room to spare, the value shows (and can be corrected)."""

    @property
    def largest(self):
        return column_max(self.max_digits, self.decimal_places)

    @property
    def validators(self):
        return bounded_decimal(super().validators, self.decimal_places, self.largest)

    @property
    def context(self):  # what reading a row quantizes in (django.db.backends.sqlite3 get_decimalfield_converter)
        return decimal.Context(prec=max(self.max_digits, READ_PRECISION))

    def to_python(self, value):
        if isinstance(value, float):  # a float is rounded to the column's digits, as Django does
            value = decimal.Context(prec=self.max_digits).create_decimal_from_float(value)
        return super().to_python(value)

    def formfield(self, **kwargs):
        field = super().formfield(**kwargs)
        field.validators = bounded_decimal(field.validators, self.decimal_places, self.largest)
        return field


def bounded_decimal(validators, decimal_places, largest):
    """`validators` with the count of digits left to the largest value (the decimals still counted)."""
    kept = [v for v in validators if not isinstance(v, (DecimalValidator, AtMost))]
    return [*kept, DecimalValidator(None, decimal_places), at_most(largest)]


class TextField(models.TextField):
    """A TextField with a length: at most TEXT_MAX_LENGTH characters unless said, checked by the model
    (and so by its forms and services) as a CharField's is, and shown as the textarea's maxlength."""

    def __init__(self, *args, max_length=TEXT_MAX_LENGTH, **kwargs):
        super().__init__(*args, max_length=max_length, **kwargs)
        self.validators.append(MaxLengthValidator(self.max_length))


def text_field(label, **kwargs):
    """A form's free-text box, bounded like the model's: forms.CharField with a textarea."""
    return forms.CharField(label=label, max_length=TEXT_MAX_LENGTH, widget=forms.Textarea, **kwargs)


BOUND_VALIDATORS = (MaxValueValidator, MaxLengthValidator, SaneDate)


@functools.cache
def import_field(resources, name):
    """The model field an importer's column `name` is written to: that of the first of its
    django-import-export `resources` that imports `name`; None for a relation or anything else."""
    for resource in resources:
        if any(field.attribute == name for field in resource().get_import_fields()):
            try:
                model_field = resource._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                return None
            return None if model_field.is_relation else model_field
    return None


def check_import_value(model_field, value):
    """Raise ValueError (an import's row error) if `value`, as an importer cleaned it, breaks one of
    the upper bounds of `model_field`: a largest value, a longest text, a date range. The lower bounds
    (not negative, at least one) the importers word themselves."""
    if model_field is None or value in (None, ""):
        return
    for validator in model_field.validators:
        if isinstance(validator, BOUND_VALIDATORS):
            try:
                validator(value)
            except ValidationError as exc:
                raise ValueError(exc.messages[0]) from exc
