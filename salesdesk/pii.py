"""Personal information (PIPL): ID-card numbers and phones are shown masked unless needed."""

import datetime
import re

from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

SENSITIVE_FIELDS = {
    "id_card",
    "phone",
    "mobile",
    "legal_rep_phone",
    "principal_phone",
    "contact_phone",
    "caller_phone",  # an after-sales ticket's caller
}

_ID_WEIGHTS = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
_ID_CHECK = "10X98765432"
_ID_RE = re.compile(r"^\d{17}[\dX]$")


def id_card_check_digit(first17):
    return _ID_CHECK[sum(int(d) * w for d, w in zip(first17, _ID_WEIGHTS)) % 11]


def normalize_id_card(value):
    return (value or "").strip().upper().replace(" ", "")


def validate_id_card(value):
    """GB 11643: 18 characters, a valid birth date, and the ISO 7064 MOD 11-2 check character."""
    value = normalize_id_card(value)
    if not _ID_RE.match(value):
        raise ValidationError(_("An ID-card number has 18 characters: 17 digits and a digit or X."), code="format")
    try:
        datetime.date(int(value[6:10]), int(value[10:12]), int(value[12:14]))
    except ValueError:
        raise ValidationError(_("The birth date inside this ID-card number does not exist."), code="birthdate")
    if id_card_check_digit(value[:17]) != value[17]:
        raise ValidationError(
            _("This ID-card number fails its check digit: a character was probably mistyped."), code="checksum"
        )


def mask(field, value):
    value = str(value or "")
    if not value:
        return ""
    if field == "id_card" and len(value) >= 8:
        return value[:4] + "*" * (len(value) - 8) + value[-4:]
    if len(value) >= 7:
        return value[:3] + "*" * (len(value) - 7) + value[-4:]
    return "*" * len(value)
