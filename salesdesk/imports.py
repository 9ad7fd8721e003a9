"""Importing spreadsheets: check every row first, then write all or nothing.

    report = importer_for("staff", by=clerk, duplicates="skip").check(upload)   # no writes
    report = importer_for("staff", by=clerk, duplicates="update").apply(upload) # all or nothing
    importer_for("staff", by=clerk, given={"手机": "mobile"})
    importer_for("staff", by=clerk, mapping={"header_row": 2, "fields": ["username", "", "mobile", …]})

An app adds a kind of import by subclassing `Importer` (with `kind`, `label`, `resources`,
`cleaners()`, `plan()` and `write()`, and `synonyms` for the headers clerks give its fields) and
registering it from its AppConfig.ready(): `registry.importer(MyImporter)`.

The file's columns are matched to the importer's fields by their headers (`Importer.propose`):
what the clerk chose (the mapping step, `import_archive --map`), else what was chosen last time
for a file with the same headers (`ColumnMapping`), else the template's Chinese header or the
English field name, else one of the field's synonyms (手机 for 电话); a trailing unit in brackets
counts only when it is the template's (单价 and 单价（元） are the same column, 单价（万元） is not).
The header row is found among the first rows of the sheet (`salesdesk.spreadsheets.Table`). Every
problem is reported with its row (Excel's number), the file's column and what is wrong.
"""

import hashlib
import re
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import NamedTuple

from django.contrib.auth import get_user_model
from django.db import transaction
from django.utils import translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy

from salesdesk import audit, bounds, registry
from salesdesk import spreadsheets as cells
from salesdesk.models import ColumnMapping, Region, StaffProfile
from salesdesk.resources import StaffResource
from salesdesk.services import staff_profile_ensure, staff_profile_update

BATCH = 2000
PREVIEW_ROWS = 50  # rows of each kind kept for the preview page
MAX_REPORTED_ERRORS = 5000
WITHIN_KEPT = 4096  # values of a column remembered as within its bounds, so a repeated one is not checked again
# What a row comes to. The first five are always counted; "added" (a record on file given the
# row's new details, e.g. a purchase) and "repeated" (the same row again in the file, counted
# once) only where they occur.
STATUSES = ("new", "updated", "added", "unchanged", "repeated", "skipped", "error")
COUNTED = ("new", "updated", "unchanged", "skipped", "error")


@dataclass
class Report:
    headers: list = field(default_factory=list)
    counts: dict = field(default_factory=lambda: dict.fromkeys(COUNTED, 0))
    preview: list = field(default_factory=list)  # [(row, status, summary, errors)]
    failed: list = field(default_factory=list)  # [(row, original values, [(column, message)])]
    total: int = 0
    written: bool = False
    lines: list = field(default_factory=list)  # the error lines, worded in the language of the check
    header_row: int = 1  # Excel's number of the header row
    columns: list = field(default_factory=list)  # [(the file's header, field or "", how it was matched)]
    notes: list = field(default_factory=list)  # what the clerk should know about the file as a whole

    @property
    def ok(self):
        return self.counts["error"] == 0

    def add(self, number, status, summary="", errors=(), values=None):
        self.counts[status] = self.counts.get(status, 0) + 1
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
                "total": self.total, "written": self.written, "header_row": self.header_row, "columns": self.columns,
                "notes": self.notes}


@dataclass(eq=False)
class Column:
    """One field an importer reads: its name, the template's header, its cleaner; the other headers
    a file may give it (`synonyms`); for a field of fixed values its `choices` [(code, label)],
    which the template lists with a drop-down, and for which the upload form offers a default
    (`offer_default`: used where the file has no such column or the cell is empty)."""

    name: str
    header: str
    clean: object
    required: bool = False
    synonyms: tuple = ()
    choices: list | None = None
    offer_default: bool = False
    bounds: object = None  # the upper bounds of the model field it is written to (salesdesk.bounds), if any
    clean_checked: object = None  # the cleaner for a cell that passed `clean` before (its `checked`, else itself)
    within: set = field(default_factory=set)  # values found within the bounds (dates, prices repeat), up to WITHIN_KEPT


def _upper_bounds(model_field):
    """What `bounds.check_import_value` reads of a model field, read once per import (a
    bounds.DecimalField makes its validators anew on each access); None if it has no upper bound."""
    kept = [v for v in model_field.validators if isinstance(v, bounds.BOUND_VALIDATORS)] if model_field else []
    return SimpleNamespace(validators=kept) if kept else None


class Located(NamedTuple):
    """Where a field is in the file: its column's index and header, and the importer's Column."""

    index: int
    column: Column
    header: str


# how a column was matched to its field, as the mapping step shows it
GIVEN, REMEMBERED, TEMPLATE, SYNONYM = "given", "remembered", "template", "synonym"
UNIT = re.compile(r"\(([^()]*)\)$")  # a trailing unit in brackets: 单价(元) (full-width brackets are NFKC'd)


def header_key(header):
    """A header as headers are compared: cleaned (full-width folded, trailing * gone), without
    spaces, in lower case."""
    return re.sub(r"\s+", "", cells.clean_header(header)).lower()


class Importer:
    """Reads, checks and writes one kind of archive record. A subclass gives `kind`, `resources`,
    `required`, `cleaners()`, `plan(rows, found, report)` and `write(plan, report)`; `synonyms`
    {field: (header, …)}, `choices` {field: [(code, label)]} and `offered_defaults` (fields whose
    default the upload form offers) if it has them.

    `mapping` is what the clerk chose in the mapping step: {"header_row": Excel row number,
    "fields": [the field of each column of the file, "" to ignore it]}; without it the columns are
    matched by `propose`, with `given` {file header: field} first (`import_archive --map`).
    `defaults` {field: code} fill a field the file has no column for, or an empty cell."""

    resources = ()
    required = ()
    synonyms = {}
    choices = {}
    offered_defaults = ()
    status_labels = {}  # {status: label} where a kind words a status its own way
    needs_user = True  # the rows go through services that record who changed what

    def __init__(self, *, by, duplicates="skip", progress=None, mapping=None, given=None, defaults=None):
        self.by = by
        self.update = duplicates == "update"
        self.progress = progress or (lambda done: None)
        self.mapping = mapping
        self.given = given or {}
        self.defaults = {name: value for name, value in (defaults or {}).items() if value not in (None, "")}
        self.found = {}
        self.matches = []
        self._columns = None
        self._names = None

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

    @classmethod
    def default_fields(cls):
        """[(field, the template's header, choices)] of the fields whose default the upload form
        offers; from the class, so a form needs no importer (nor its queries)."""
        headers = {f.attribute: f.column_name for resource in cls.resources for f in resource().get_import_fields()}
        return [(name, headers.get(name, name), list(cls.choices.get(name, ()))) for name in cls.offered_defaults]

    def fields(self):
        """The importer's Columns (cached), with their synonyms, choices and offered defaults."""
        if self._columns is None:
            self._columns = []
            for column in self.columns():
                column.synonyms = column.synonyms or tuple(self.synonyms.get(column.name, ()))
                column.choices = column.choices or self.choices.get(column.name)
                column.offer_default = column.offer_default or column.name in self.offered_defaults
                column.bounds = _upper_bounds(bounds.import_field(self.resources, column.name))
                column.clean_checked = getattr(column.clean, "checked", column.clean)
                self._columns.append(column)
        return self._columns

    def column(self, name):
        return next(column for column in self.fields() if column.name == name)

    def cleaners(self):
        return {}

    def template_headers(self):
        return [column.header for column in self.fields()]

    def example(self):
        """{field: value} of the template's example row."""
        return {}

    def allowed_values(self):
        """{field: [(the value to type, what it means)]}: the template's sheet of allowed values and
        its drop-downs. By default the labels of each field's choices."""
        return {column.name: [(str(label), "") for _code, label in column.choices] for column in self.fields() if column.choices}

    def header_of(self, name):
        """The header that names field `name` in the file being read (else the template's)."""
        located = self.found.get(name)
        return located.header if located else self.column(name).header

    # Matching the file's columns to the fields ---------------------------------------------

    def names(self):
        """{header key: (field, how)}: the template's header, the field name, the synonyms; each
        also without its unit, and a synonym also with the template's unit."""
        if self._names is None:
            self._names = {}
            for how in (TEMPLATE, SYNONYM):
                for column in self.fields():
                    unit = UNIT.search(cells.clean_header(column.header))
                    given = [column.header, column.name] if how == TEMPLATE else list(column.synonyms)
                    for header in given:
                        bare = UNIT.sub("", cells.clean_header(header)) or header
                        variants = [header, bare] + ([f"{bare}({unit.group(1)})"] if unit else [])
                        for variant in variants:
                            self._names.setdefault(header_key(variant), (column.name, how))
        return self._names

    def known(self, header):
        """Whether a header names one of the fields (finds the header row)."""
        return header_key(header) in self.names()

    def propose(self, headers, *, remembered=None, given=None):
        """[(field or "", how)] for each of the file's headers; each field at most once, the
        first column that names it best taking it."""
        fields = self.fields_by_name()
        given = {header_key(header): name for header, name in (given if given is not None else self.given).items()}
        proposal = [("", "")] * len(headers)
        taken = set()

        def assign(position, name, how):
            if name and name not in taken and name in fields and not proposal[position][1]:
                proposal[position] = (name, how)
                taken.add(name)
            elif name == "" and not proposal[position][1]:
                proposal[position] = ("", how)  # ignored on purpose

        for position, header in enumerate(headers):
            if header_key(header) in given:
                assign(position, given[header_key(header)], GIVEN)
        for position, name in enumerate(remembered or ()):
            if position < len(headers):
                assign(position, name, REMEMBERED)
        names = self.names()
        for wanted in (TEMPLATE, SYNONYM):
            for position, header in enumerate(headers):
                name, how = names.get(header_key(header), ("", ""))
                if how == wanted:
                    assign(position, name, how)
        return proposal

    def fields_by_name(self):
        return {column.name: column for column in self.fields()}

    def mapping_errors(self, headers, fields):
        """What is wrong with matching `headers` to `fields` ("" ignores a column): [message]."""
        errors = []
        chosen = {}
        for header, name in zip(headers, fields):
            if name:
                chosen.setdefault(name, []).append(header)
        for name, named_by in chosen.items():
            if len(named_by) > 1:
                errors.append(_("“%(field)s” is chosen for more than one column: %(columns)s. Choose it for one only.")
                              % {"field": self.column(name).header, "columns": "、".join(f"“{h}”" for h in named_by)})
        missing = [column.header for column in self.fields()
                   if column.required and column.name not in chosen and column.name not in self.defaults]
        if missing:
            errors.append(_("No column is matched to %(fields)s, which every row needs.")
                          % {"fields": "、".join(f"“{m}”" for m in missing)})
        return errors

    def read_table(self, upload):
        """The file's Table, its header row found as the mapping says or among the first rows."""
        header_row = self.mapping.get("header_row") if self.mapping else None
        return cells.read_table(upload, known=self.known, header_row=header_row)

    def matched(self, headers):
        """[(header, field or "", how)] of the file: as the clerk chose, else as proposed."""
        if self.mapping and len(self.mapping.get("fields", ())) == len(headers):
            return [(header, name, GIVEN) for header, name in zip(headers, self.mapping["fields"])]
        proposal = self.propose(headers, remembered=remembered(self.kind, headers)[0])
        return [(header, name, how) for header, (name, how) in zip(headers, proposal)]

    def locate(self, headers):
        """({field: Located}, [headers of the columns left out]); refuses a file without the
        required columns (a field with a default needs none)."""
        columns = self.fields_by_name()
        found, unknown = {}, []
        self.matches = self.matched(headers)
        for index, (header, name, _how) in enumerate(self.matches):
            if name in columns and name not in found:
                found[name] = Located(index, columns[name], header)
            else:
                unknown.append(header)
        missing = [column.header for column in self.fields()
                   if column.required and column.name not in found and column.name not in self.defaults]
        if missing:
            raise cells.SpreadsheetError(
                _("The file has no column %(columns)s. Download the template to see the columns.")
                % {"columns": "、".join(f"“{m}”" for m in missing)}
            )
        self.found = found
        return found, unknown

    # Checking ----------------------------------------------------------------------------

    def clean_row(self, values, found, checked=False):
        """({field: cleaned value}, [(header, message)]) of a row. `checked`: the row passed this
        once already (a second pass over the file), so the cheaper cleaners serve and the bounds
        are not checked again."""
        clean, errors = {}, []
        for name, (index, column, header) in found.items():
            raw = values[index] if index < len(values) else None
            if checked:
                clean[name] = column.clean_checked(raw)
                if clean[name] in ("", None) and name in self.defaults:
                    clean[name] = self.defaults[name]
                continue
            try:
                clean[name] = column.clean(raw)
                if column.bounds is not None and clean[name] not in column.within:
                    bounds.check_import_value(column.bounds, clean[name])  # within the column
                    if len(column.within) < WITHIN_KEPT:
                        column.within.add(clean[name])
            except ValueError as exc:
                errors.append((header, str(exc)))
                continue
            if clean[name] in ("", None) and name in self.defaults:
                clean[name] = self.defaults[name]
            elif column.required and clean[name] in ("", None):
                errors.append((header, _("This column must be filled in.")))
        for name, value in self.defaults.items():
            clean.setdefault(name, value)  # the file has no such column
        return clean, errors

    def check(self, upload):
        return self._run(upload, write=False)

    def apply(self, upload):
        """Check every row; if none fails, write them all in one transaction."""
        return self._run(upload, write=True)

    def start(self, upload):
        """Read the file and match its columns: (table, found, an empty Report)."""
        table = self.read_table(upload)
        found, _unknown = self.locate(table.headers)
        report = Report(headers=table.headers, header_row=table.header_row,
                        columns=[list(match) for match in self.matches])
        return table, found, report

    def data_rows(self, table, report=None):
        """The table's rows, without a copy of the template's example row (noted in `report`)."""
        example = {located.index: _plain(self.example().get(name)) for name, located in self.found.items()}
        for number, values in table.rows():
            if example and all(_plain(values[index] if index < len(values) else None) == value
                               for index, value in example.items()):
                if report is not None:
                    report.notes.append(_("Row %(row)s is the template's example row; it was left out.") % {"row": number})
                continue
            yield number, values

    def _run(self, upload, write):
        table, found, report = self.start(upload)
        plan = self.plan(self.data_rows(table, report), found, report)
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

    synonyms = {"username": ("用户名", "账号", "帐号"), "name": ("职员姓名", "名字"), "title": ("职称", "岗位"),
                "mobile": ("手机号", "手机号码", "电话", "联系电话"), "qq": ("QQ号",), "wechat": ("微信号",),
                "email": ("邮箱", "电子邮件", "Email"), "duties": ("职责", "工作职责")}

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


def _plain(value):
    """A cell as text, to compare a row with the example row."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return value.isoformat() if hasattr(value, "isoformat") else cells.narrow(value)


class ChoiceTable(dict):
    """{code, Chinese label, English label (lower-case): code} for one set of choices, which
    knows its labels to name them in an error."""

    def __init__(self, choices):
        super().__init__()
        self.choices = list(choices)
        for code, label in self.choices:
            self[code.lower()] = code
            for language in ("zh-hans", "en"):
                with translation.override(language):
                    self[str(label).lower()] = code

    def labels(self):
        return [str(label) for _code, label in self.choices]


def choice_lookup(choices):
    return ChoiceTable(choices)


def lookup(table, value):
    if value in (None, ""):
        return ""
    raw = cells.narrow(value)
    code = table.get(raw.lower())
    if code is None:
        if isinstance(table, ChoiceTable):
            raise ValueError(_("“%(value)s” is not one of the allowed values: %(allowed)s.")
                             % {"value": raw, "allowed": "、".join(table.labels())})
        raise ValueError(_("“%(value)s” is not one of the allowed values.") % {"value": raw})
    return code


# Regions as files name them ---------------------------------------------------------------------

ADMINISTRATIVE_SUFFIXES = ("特别行政区", "自治区", "自治州", "自治县", "地区", "省", "市", "区", "县", "盟", "旗")
NAMED_WITH_CODE = re.compile(r"^(.*?)\s*\(\s*([A-Za-z0-9]+)\s*\)$")  # 保定市 (HBBD), as the pages show a region
COUNT_WORDS = {n: pgettext_lazy("how many regions", word) for n, word in ((2, "two"), (3, "three"), (4, "four"), (5, "five"))}


def short_name(name):
    """A region's name without its 省/市/区/县…, if something of two characters or more is left."""
    for suffix in ADMINISTRATIVE_SUFFIXES:
        if name.endswith(suffix) and len(name) - len(suffix) >= 2:
            return name[: -len(suffix)]
    return name


class RegionLookup:
    """A region cell → the region's id. A file may give the region's code (HBBD, hbbd), its name
    (保定市), its name with its code as the pages show it (保定市 (HBBD)), its name after its
    parent's (河北省保定市), or its name without 省/市/区/县 (保定). A name that several regions share
    is an error that names them and asks for the code. Results are kept per value: a big file has
    few distinct regions."""

    def __init__(self, *, leaves_only=False):
        regions = list(Region.objects.only("pk", "code", "name", "parent_id"))
        names = {region.pk: region.name for region in regions}
        # A dealer or a customer is filed in a region without sub-regions (Region.objects.leaves),
        # as the forms offer; a parent region is looked up as a region's parent.
        self.divided = {region.parent_id for region in regions} if leaves_only else set()
        self.labels = {region.pk: f"{names.get(region.parent_id, '')}{region.name} ({region.code})" for region in regions}
        self.shown = {region.pk: str(region) for region in regions}  # as the pages and the audit trail show a region
        self.codes = {region.code: region.pk for region in regions}
        self.tables = [{}, {}, {}]  # name, parent's name + name, short name -> [ids]
        for region in regions:
            for table, key in zip(self.tables, (region.name, names.get(region.parent_id, "") + region.name, short_name(region.name))):
                table.setdefault(key, []).append(region.pk)
        self.cache = {}

    def __call__(self, value):
        if value in (None, ""):
            return None
        raw = cells.narrow(value)
        if raw not in self.cache:
            self.cache[raw] = self.find(raw)
        found = self.cache[raw]
        if isinstance(found, str):
            raise ValueError(found)
        if found in self.divided:
            raise ValueError(_("“%(value)s” is divided into sub-regions: give the city or county it is in.") % {"value": raw})
        return found

    def find(self, raw):
        """The region's id, or the message of why there is none."""
        if raw.upper() in self.codes:
            return self.codes[raw.upper()]
        named = NAMED_WITH_CODE.match(raw)
        if named and named.group(2).upper() in self.codes:
            return self.codes[named.group(2).upper()]
        compact = re.sub(r"\s+", "", raw)
        for table, key in zip(self.tables, (compact, compact, short_name(compact))):
            matches = table.get(key, [])
            if len(matches) == 1:
                return matches[0]
            if matches:
                return _("“%(value)s” is the name of %(count)s regions: %(regions)s. Write the region code instead.") % {
                    "value": raw, "count": COUNT_WORDS.get(len(matches), len(matches)),
                    "regions": "、".join(sorted(self.labels[pk] for pk in matches)),
                }
        return _("No region has the code or name “%(value)s”.") % {"value": raw}

    def allowed(self):
        """[(code, the region as the pages name it)] of every region, for a template."""
        return sorted(((code, self.labels[pk].rsplit(" (", 1)[0]) for code, pk in self.codes.items()))


# Remembered mappings ------------------------------------------------------------------------------


def headers_digest(headers):
    """The key of a header list: its headers as they are compared, in order."""
    return hashlib.sha256("\x1f".join(header_key(header) for header in headers).encode()).hexdigest()


def remembered(kind, headers):
    """(the fields, the defaults) chosen last time for a file of `kind` with these headers, or
    (None, {})."""
    mapping = ColumnMapping.objects.filter(kind=kind, digest=headers_digest(headers)).only("fields", "defaults").first()
    if mapping is None or len(mapping.fields) != len(headers):
        return None, {}
    return mapping.fields, mapping.defaults


def remember(*, kind, headers, fields, defaults, by):
    """Keep the clerk's choice for the next file of `kind` with the same headers."""
    ColumnMapping.objects.update_or_create(kind=kind, digest=headers_digest(headers), defaults={
        "headers": list(headers), "fields": list(fields), "defaults": dict(defaults), "chosen_by": by,
    })
