"""python manage.py import_archive KIND FILE [--dry-run] [--update] [--user NAME]
                                 [--map HEADER=FIELD ...] [--default FIELD=VALUE ...]

The clerk's import from the command line, for administrators and bulk loads: the same checks and
the same all-or-nothing write. Prints the per-row report; exits non-zero, writing nothing, when
any row fails. KIND is any registered importer (`registry.importer`), e.g. regions or staff.

The file's columns are matched as on the mapping step: the template's headers, the usual names
(手机, 区域…) and the choice remembered for the same headers; `--map 手机=phone` matches a column
by hand (`--map 备注=` leaves it out), `--default purchase_method=direct` (a code or a label)
stands in for a column the file lacks. Unless every column matched its template header, the
matching is printed first.
"""

import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from salesdesk import registry
from salesdesk.imports import TEMPLATE, choice_lookup, importer_for, lookup
from salesdesk.spreadsheets import SpreadsheetError


def pairs(values, option):
    """{left: right} of the NAME=VALUE arguments of a repeatable option."""
    given = {}
    for value in values or ():
        if "=" not in value:
            raise CommandError(f"{option} takes NAME=VALUE, not {value!r}.")
        left, right = value.split("=", 1)
        given[left.strip()] = right.strip()
    return given


class Command(BaseCommand):
    help = "Import one kind of record (any registered importer) from an .xlsx or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(registry.importers()))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--update", action="store_true", help="update records already on file (default: skip them)")
        parser.add_argument("--user", default=None,
                            help="whose name the audit trail records (required where the import goes through the services)")
        parser.add_argument("--map", action="append", dest="columns", metavar="HEADER=FIELD",
                            help="match the file's column HEADER to FIELD (FIELD empty: leave the column out); repeatable")
        parser.add_argument("--default", action="append", dest="defaults", metavar="FIELD=VALUE",
                            help="the value of FIELD where the file has no such column or the cell is empty; repeatable")

    def handle(self, *args, kind, file, dry_run, update, user, columns=None, defaults=None, **options):
        by = None
        if registry.importers()[kind].needs_user and not user:
            raise CommandError(f"Importing {kind} goes through the services, which record who changed what: give --user.")
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user {user!r}.")
        given = pairs(columns, "--map")
        importer = importer_for(kind, by=by, duplicates="update" if update else "skip", given=given,
                                defaults=self.defaults(kind, pairs(defaults, "--default")))
        fields = {column.name for column in importer.fields()}
        unknown = sorted(name for name in given.values() if name and name not in fields)
        if unknown:
            raise CommandError(f"{kind} has no field {', '.join(unknown)}; its fields: {', '.join(sorted(fields))}.")
        started = time.perf_counter()
        try:
            with open(file, "rb") as upload:
                report = importer.check(upload) if dry_run else importer.apply(upload)
        except FileNotFoundError:
            raise CommandError(f"No such file: {file}")
        except SpreadsheetError as exc:
            raise CommandError(exc.message)
        if any(how != TEMPLATE for _header, _name, how in report.columns):
            matched = ", ".join(f"{header} → {name or '(left out)'}" for header, name, _how in report.columns)
            self.stdout.write(f"Columns (headers on row {report.header_row}): {matched}")
        for line in report.error_lines():
            self.stdout.write(line)
        counts = ", ".join(f"{name} {count}" for name, count in report.counts.items())
        seconds = time.perf_counter() - started
        if not report.ok:
            self.stderr.write(f"{report.counts['error']} of {report.total} rows failed; nothing was written. ({counts})")
            sys.exit(1)
        verb = "checked (dry run, nothing written)" if dry_run else "imported"
        self.stdout.write(self.style.SUCCESS(f"{report.total} rows {verb} in {seconds:.1f} s: {counts}"))

    @staticmethod
    def defaults(kind, given):
        """{field: code} of --default FIELD=VALUE, VALUE a code or a label of the field's choices."""
        offered = {name: choices for name, _header, choices in registry.importers()[kind].default_fields()}
        defaults = {}
        for name, value in given.items():
            if name not in offered:
                raise CommandError(f"{kind} offers a default only for {', '.join(offered) or 'no field'}, not {name!r}.")
            try:
                defaults[name] = lookup(choice_lookup(offered[name]), value)
            except ValueError as exc:
                raise CommandError(str(exc))
        return defaults
