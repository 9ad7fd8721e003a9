"""Importing spreadsheets: check every row first, then write all or nothing.

    report = importer_for("staff", by=clerk, duplicates="skip").check(upload)   # no writes
    report = importer_for("staff", by=clerk, duplicates="update").apply(upload) # all or nothing

An app adds a kind of import by subclassing `Importer` (with `kind`, `label`, `resources`,
`cleaners()`, `plan()` and `write()`) and registering it from its AppConfig.ready():
`registry.importer(MyImporter)`. Columns are found by the Chinese headers of the importer's
resources (the download templates) or the English field names. Every problem is reported with its
row, its column and what is wrong.
"""

import re
from dataclasses import dataclass, field

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from salesdesk import audit, registry
from salesdesk import spreadsheets as cells
from salesdesk.models import StaffProfile
from salesdesk.resources import StaffResource
from salesdesk.services import staff_profile_ensure, staff_profile_update

BATCH = 2000
PREVIEW_ROWS = 50  # rows of each kind kept for the preview page
MAX_REPORTED_ERRORS = 5000


@dataclass
class Report:
    headers: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: {"new": 0, "updated": 0, "unchanged": 0, "skipped": 0, "error": 0})
    preview: list = field(default_factory=list)  # [(row, status, summary, errors)]
    failed: list = field(default_factory=list)  # [(row, original values, [(column, message)])]
    total: int = 0
    written: bool = False
    lines: list = field(default_factory=list)  # the error lines, worded in the language of the check

    @property
    def ok(self):
        return self.counts["error"] == 0

    def add(self, number, status, summary="", errors=(), values=None):
        self.counts[status] += 1
        self.total += 1
        if status == "error" and len(self.failed) < MAX_REPORTED_ERRORS:
            self.failed.append((number, list(values or ()), list(errors)))
            self.lines += [
                _("Row %(row)s, column “%(column)s”: %(message)s") % {"row": number, "column": column, "message": message}
                for column, message in errors
            ]
        if self.counts[status] <= PREVIEW_ROWS:  # the first rows of each status are shown
            self.preview.append((number, status, summary, [
                _("%(column)s: %(message)s") % {"column": column, "message": message} for column, message in errors
            ]))

    def error_lines(self):
        return list(self.lines)

    def as_json(self):
        return {"headers": self.headers, "counts": self.counts, "preview": sorted(self.preview), "failed": self.failed,
                "total": self.total, "written": self.written}


class Column:
    def __init__(self, name, header, clean, required=False):
        self.name, self.header, self.clean, self.required = name, header, clean, required


class Importer:
    """Reads, checks and writes one kind of archive record. A subclass gives `kind`, `resources`,
    `required`, `cleaners()`, `plan(rows, found, report)` and `write(plan, report)`."""

    resources = ()
    required = ()
    needs_user = True  # the rows go through services that record who changed what

    def __init__(self, *, by, duplicates="skip", progress=None):
        self.by = by
        self.update = duplicates == "update"
        self.progress = progress or (lambda done: None)

    # Columns -----------------------------------------------------------------------------

    def columns(self):
        cleaners = self.cleaners()
        columns = []
        for resource in self.resources:
            for resource_field in resource().get_import_fields():
                name = resource_field.attribute
                if name in cleaners and not resource_field.readonly:
                    columns.append(Column(name, resource_field.column_name, cleaners[name], name in self.required))
        return columns

    def cleaners(self):
        return {}

    def template_headers(self):
        return [column.header for column in self.columns()]

    def locate(self, headers):
        """{column name: index in the row}; refuses a file without the required columns."""
        by_header = {}
        for column in self.columns():
            header = cells.clean_header(column.header)  # the file's headers are cleaned the same way
            by_header[header] = column
            by_header[column.name] = column
            by_header[re.sub(r"\(.*\)$", "", header)] = column  # 门店面积（平方米） also as 门店面积
        found, unknown = {}, []
        for index, header in enumerate(headers):
            column = by_header.get(header)
            if column is None:
                unknown.append(header)
            else:
                found[column.name] = (index, column)
        missing = [column.header for column in self.columns() if column.required and column.name not in found]
        if missing:
            raise cells.SpreadsheetError(
                _("The file has no column %(columns)s. Download the template to see the columns.")
                % {"columns": "、".join(f"“{m}”" for m in missing)}
            )
        return found, unknown

    # Checking ----------------------------------------------------------------------------

    def clean_row(self, values, found):
        clean, errors = {}, []
        for name, (index, column) in found.items():
            raw = values[index] if index < len(values) else None
            try:
                clean[name] = column.clean(raw)
            except ValueError as exc:
                errors.append((column.header, str(exc)))
                continue
            if column.required and clean[name] in ("", None):
                errors.append((column.header, _("This column must be filled in.")))
        return clean, errors

    def check(self, upload):
        return self._run(upload, write=False)

    def apply(self, upload):
        """Check every row; if none fails, write them all in one transaction."""
        return self._run(upload, write=True)

    def _run(self, upload, write):
        table = cells.read_table(upload)
        found, _unknown = self.locate(table.headers)
        report = Report(headers=table.headers)
        plan = self.plan(table.rows(), found, report)
        if write and report.ok and report.total:
            with transaction.atomic():
                self.write(plan, report)
            report.written = True
        return report


class StaffImporter(Importer):
    """Updates the staff profiles of existing user accounts, found by their login name."""

    kind = "staff"
    label = gettext_lazy("Department staff")
    resources = (StaffResource,)
    required = ("name",)

    def columns(self):
        return [Column("username", "登录名", lambda v: cells.text(v), required=True), *super().columns()]

    def cleaners(self):
        return {"name": lambda v: cells.text(v, 50), "title": lambda v: cells.text(v, 50), "mobile": cells.phone,
                "qq": lambda v: cells.narrow(v) if v not in (None, "") else "", "wechat": lambda v: cells.text(v, 50),
                "email": lambda v: cells.text(v, 254), "duties": cells.text}

    def plan(self, rows, found, report):
        profiles = {p.user.username: p for p in StaffProfile.objects.select_related("user")}
        users = {u.username: u for u in get_user_model().objects.all()}
        plan = []
        for number, values in rows:
            clean, errors = self.clean_row(values, found)
            username = clean.pop("username", "")
            if username and username not in users:
                errors.append(("登录名", _("No user account has this login name.")))
            if errors:
                report.add(number, "error", clean.get("name", ""), errors, values)
                continue
            profile = profiles.get(username)
            status = "new" if profile is None else ("updated" if self.update else "skipped")
            plan.append((status, users[username], profile, clean))
            report.add(number, status, clean["name"])
        return plan

    def write(self, plan, report):
        for status, user, profile, clean in plan:
            if status == "new":
                staff_profile_ensure(user=user, by=self.by, **clean)
            elif status == "updated":
                staff_profile_update(profile=profile, by=self.by, data=clean, expected_version=profile.version)
        audit.record(None, "salesdesk.import.staff", by=self.by, data={**report.counts, "rows": report.total})


def importer_for(kind, **kwargs):
    return registry.importers()[kind](**kwargs)


def choice_lookup(choices):
    """{code, Chinese label, English label (lower-case): code} for one set of choices."""
    table = {}
    for code, label in choices:
        table[code.lower()] = code
        for language in ("zh-hans", "en"):
            with translation.override(language):
                table[str(label).lower()] = code
    return table


def lookup(table, value):
    if value in (None, ""):
        return ""
    raw = cells.narrow(value)
    code = table.get(raw.lower())
    if code is None:
        raise ValueError(_("“%(value)s” is not one of the allowed values.") % {"value": raw})
    return code
