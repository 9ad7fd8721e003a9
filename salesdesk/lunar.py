"""Birthdays in the solar or the lunar calendar, behind one small adapter over lunar-python."""

import datetime

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from lunar_python import Lunar, LunarMonth


def validate_birthday(calendar, year, month, day, is_leap_month):
    """Raise ValidationError if the date does not exist in its calendar."""
    if year is not None and not 1900 <= year <= datetime.date.today().year:
        raise ValidationError(_("Give a year between 1900 and this year, or leave the year out."))
    if calendar == "solar":
        if is_leap_month:
            raise ValidationError(_("Only a lunar date can be in a leap month."))
        try:
            datetime.date(year or 2000, month, day)  # 2000 is a leap year: 29 February is allowed without a year
        except ValueError:
            raise ValidationError(_("This date does not exist in the solar calendar."))
        if year and datetime.date(year, month, day) > datetime.date.today():
            raise ValidationError(_("A birthday cannot be in the future."))
        return
    if not 1 <= month <= 12 or not 1 <= day <= 30:
        raise ValidationError(_("A lunar date has a month from 1 to 12 and a day from 1 to 30."))
    if year:
        lunar_month = LunarMonth.fromYm(year, -month if is_leap_month else month)
        if lunar_month is None:
            raise ValidationError(_("Lunar year %(year)s has no leap month %(month)s.") % {"year": year, "month": month})
        if day > lunar_month.getDayCount():
            raise ValidationError(
                _("Lunar month %(month)s of %(year)s has only %(days)s days.")
                % {"month": month, "year": year, "days": lunar_month.getDayCount()}
            )


def format_birthday(birthday):
    if birthday.calendar == "solar":
        if birthday.year:
            return f"{birthday.year}-{birthday.month:02d}-{birthday.day:02d}"
        return f"{birthday.month:02d}-{birthday.day:02d}"
    lunar = Lunar.fromYmd(birthday.year or 2000, birthday.month, min(birthday.day, 29))
    month = ("闰" if birthday.is_leap_month else "") + lunar.getMonthInChinese() + "月"
    day = Lunar.fromYmd(2000, 1, birthday.day).getDayInChinese() if birthday.day <= 29 else "三十"
    year = f"{birthday.year}年" if birthday.year else ""
    return f"农历{year}{month}{day}"
