"""python manage.py import_archive KIND FILE [--dry-run] [--update] [--user NAME]

The clerk's import from the command line, for administrators and bulk loads: the same checks and
the same all-or-nothing write. Prints the per-row report; exits non-zero, writing nothing, when
any row fails. KIND is any registered importer (`registry.importer`), e.g. regions or staff.
"""

import sys
import time

from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError

from salesdesk import registry
from salesdesk.imports import importer_for
from salesdesk.spreadsheets import SpreadsheetError


class Command(BaseCommand):
    help = "Import one kind of record (any registered importer) from an .xlsx or .csv file."

    def add_arguments(self, parser):
        parser.add_argument("kind", choices=sorted(registry.importers()))
        parser.add_argument("file")
        parser.add_argument("--dry-run", action="store_true", help="check every row, write nothing")
        parser.add_argument("--update", action="store_true", help="update records already on file (default: skip them)")
        parser.add_argument("--user", default=None,
                            help="whose name the audit trail records (required where the import goes through the services)")

    def handle(self, *args, kind, file, dry_run, update, user, **options):
        by = None
        if registry.importers()[kind].needs_user and not user:
            raise CommandError(f"Importing {kind} goes through the services, which record who changed what: give --user.")
        if user:
            by = get_user_model().objects.filter(username=user).first()
            if by is None:
                raise CommandError(f"No user {user!r}.")
        importer = importer_for(kind, by=by, duplicates="update" if update else "skip")
        started = time.perf_counter()
        try:
            with open(file, "rb") as upload:
                report = importer.check(upload) if dry_run else importer.apply(upload)
        except FileNotFoundError:
            raise CommandError(f"No such file: {file}")
        except SpreadsheetError as exc:
            raise CommandError(exc.message)
        for line in report.error_lines():
            self.stdout.write(line)
        counts = ", ".join(f"{name} {count}" for name, count in report.counts.items())
        seconds = time.perf_counter() - started
        if not report.ok:
            self.stderr.write(f"{report.counts['error']} of {report.total} rows failed; nothing was written. ({counts})")
            sys.exit(1)
        verb = "checked (dry run, nothing written)" if dry_run else "imported"
        self.stdout.write(self.style.SUCCESS(f"{report.total} rows {verb} in {seconds:.1f} s: {counts}"))
