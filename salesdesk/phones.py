"""Phone numbers as the department writes them, checked with `phonenumbers` (Google's libphonenumber).

    normalize_phone("+86 138-0013-8000")  -> "13800138000"     a mobile: its 11 digits
    normalize_phone("0086 188 0166 3289") -> "18801663289"
    normalize_phone("0312 5551234")       -> "0312-5551234"    a landline: area code, a dash, the number
    normalize_phone("400-810-8888")       -> "400-8108888"     a service number
    normalize_phone("+1 650 253 0000")    -> "+16502530000"    abroad: international form
    normalize_phone("12812345678")        -> ValueError("… no mobile number starts with 128 …")

Every form and every import stores what this returns, so the same number is one string and a
search for its last four digits finds it whatever the clerk typed.
"""

import re

import phonenumbers
from django.forms import CharField, ValidationError
from django.utils.translation import gettext as _
from phonenumbers import PhoneNumberFormat, PhoneNumberType

MOBILE = {PhoneNumberType.MOBILE}
LANDLINE = {
    PhoneNumberType.FIXED_LINE, PhoneNumberType.FIXED_LINE_OR_MOBILE, PhoneNumberType.TOLL_FREE,
    PhoneNumberType.SHARED_COST, PhoneNumberType.UAN, PhoneNumberType.VOIP,
}


def normalize_phone(value):
    """The stored form of a phone number, or ValueError saying in the clerk's words why not."""
    raw = (value or "").strip()
    if not raw:
        return ""
    digits = re.sub(r"\D", "", raw)
    try:
        number = phonenumbers.parse(raw, "CN")
    except phonenumbers.NumberParseException:
        raise ValueError(_("“%(value)s” is not a phone number.") % {"value": raw})
    if number.country_code != 86:
        if phonenumbers.is_valid_number(number):
            return phonenumbers.format_number(number, PhoneNumberFormat.E164)
        raise ValueError(_("“%(value)s” is not a phone number.") % {"value": raw})
    national = str(number.national_number)
    if phonenumbers.is_valid_number(number):
        kind = phonenumbers.number_type(number)
        if kind in MOBILE:
            return national
        if kind in LANDLINE:
            area, _space, rest = phonenumbers.format_number(number, PhoneNumberFormat.NATIONAL).partition(" ")
            return f"{area}-{rest.replace(' ', '')}"
    if len(national) == 11 and national.startswith("1"):
        raise ValueError(
            _("“%(value)s” is not a mobile number: no mobile number starts with %(prefix)s.")
            % {"value": raw, "prefix": national[:3]}
        )
    if len(digits) <= 8 and not digits.startswith("0"):
        raise ValueError(
            _("“%(value)s” is too short: a landline needs its area code, e.g. 0312-5551234.") % {"value": raw}
        )
    raise ValueError(
        _("“%(value)s” is neither a mobile number (11 digits) nor a landline with its area code.") % {"value": raw}
    )


class PhoneField(CharField):
    """A form field that stores the number as `normalize_phone` writes it."""

    def __init__(self, **kwargs):
        kwargs.setdefault("max_length", 20)
        super().__init__(**kwargs)

    def to_python(self, value):
        value = super().to_python(value)
        try:
            return normalize_phone(value)
        except ValueError as exc:
            raise ValidationError(str(exc), code="phone")


def phone_digits(query):
    """The digits of a phone-number search ("+86 138-0013-8000", "8000"), without the country code."""
    digits = re.sub(r"\D", "", query or "")
    for prefix in ("0086", "86"):
        if digits.startswith(prefix) and len(digits) - len(prefix) == 11:
            return digits[len(prefix):]
    return digits
