"""Phone numbers checked and stored in one form (salesdesk.phones, phonenumbers)."""

import pytest
from django.utils import translation

from salesdesk.phones import PhoneField, normalize_phone, phone_digits


@pytest.mark.parametrize("typed, stored", [
    ("13800138000", "13800138000"),
    ("+86 138-0013-8000", "13800138000"),
    ("+86 188 0166 3289", "18801663289"),
    ("+86-18801663289", "18801663289"),
    ("0086 188 0166 3289", "18801663289"),
    ("138 0013 8000", "13800138000"),
    ("0312-5551234", "0312-5551234"),
    ("03125551234", "0312-5551234"),
    ("0312 555 1234", "0312-5551234"),
    ("(010) 8888 6666", "010-88886666"),
    ("400-810-8888", "400-8108888"),
    ("+1 650 253 0000", "+16502530000"),
    ("", ""),
    ("  ", ""),
])
def test_a_valid_number_is_stored_in_one_form(typed, stored):
    assert normalize_phone(typed) == stored


@pytest.mark.parametrize("typed, says", [
    ("12812345678", "不是手机号：没有以 128 开头的手机号"),
    ("8888666", "号码太短：座机号码要带区号"),
    ("1380013800", "既不是手机号（11 位），也不是带区号的座机号码"),
    ("无", "不是有效的电话号码"),
    ("138001380001234", "既不是手机号（11 位），也不是带区号的座机号码"),
])
def test_an_invalid_number_is_refused_saying_why(typed, says):
    with translation.override("zh-hans"), pytest.raises(ValueError) as refused:
        normalize_phone(typed)
    assert says in str(refused.value)


def test_the_form_field_stores_the_normalised_number_and_refuses_a_bad_one():
    field = PhoneField(required=False)
    assert field.clean("+86 138-0013-8000") == "13800138000"
    with pytest.raises(Exception):
        field.clean("12812345678")


@pytest.mark.parametrize("query, digits", [("+86 138-0013-8000", "13800138000"), ("8000", "8000"), ("0086-13800138000", "13800138000"), ("0312-555", "0312555")])
def test_a_search_keeps_the_digits_without_the_country_code(query, digits):
    assert phone_digits(query) == digits
