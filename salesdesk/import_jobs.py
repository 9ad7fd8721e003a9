"""The clerk's import, as a job: upload → match the columns → check (preview) → confirm → import,
all or nothing.

    uploaded --read the header row--> mapping --the clerk's matching--> mapped --check--> checked
    checked --confirm--> confirmed --apply--> done;  checked --match again--> mapped;  any step --> failed

Small files are read, checked and imported in the request; larger ones in Celery tasks that report
their progress on the job row, so the clerk can leave the page and come back. Every step that a
worker runs claims the job with a conditional update, so a task delivered twice runs once.
"""

import io
import logging
import re
from datetime import timedelta

import openpyxl
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter
from openpyxl.worksheet.datavalidation import DataValidation
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk import audit, registry, tasks
from salesdesk.access import require
from salesdesk.errors import DomainError
from salesdesk.imports import importer_for, remember, remembered
from salesdesk.models import ImportJob
from salesdesk.pii import mask
from salesdesk.spreadsheets import SpreadsheetError, neutralise

log = logging.getLogger(__name__)
BACKGROUND_BYTES = 256 * 1024  # files above this size run in the worker
SAMPLE_ROWS = 3  # values of each column the mapping step shows
TEMPLATE_ROWS = 2000  # rows of a template that get the drop-downs
State = ImportJob.State


def in_background(job):
    return job.file.size > BACKGROUND_BYTES


@transaction.atomic
def import_upload(*, by, kind, upload, duplicates, defaults=None):
    """Keep the file; its header row is read next (`import_read_columns`), in the worker for a big
    file. `defaults` {field: code} fill a field the file has no column for, or an empty cell."""
    require(by, "archive.import")
    if kind not in registry.importers():
        raise DomainError(_("Choose what the file holds."))
    job = ImportJob(kind=kind, original_name=upload.name[:200], duplicates=duplicates, created_by=by,
                    mapping={"defaults": _offered(kind, defaults)})
    job.file.save(upload.name, upload, save=False)
    job.save()
    audit.record(job, "salesdesk.import.uploaded", by=by, data={"file": job.original_name, "kind": kind})
    if in_background(job):
        transaction.on_commit(lambda: tasks.import_columns_task.delay(job.pk))
    return job


def _offered(kind, defaults):
    """The defaults the importer of `kind` offers, without the empty ones."""
    offered = registry.importers()[kind].offered_defaults
    return {name: value for name, value in (defaults or {}).items() if name in offered and value}


def import_read_columns(*, job):
    """Find the file's header row, read a few values of each column and propose the field of each
    (the template's headers, synonyms, the choice remembered for the same headers, with its
    defaults unless the upload form gave some): uploaded →
    mapping. Reading writes nothing, so a duplicated delivery only reads twice; the first to finish
    moves the job on, and a file that cannot be read fails the job with the reason."""
    try:
        importer = importer_for(job.kind, by=job.created_by, defaults=job.mapping.get("defaults"))
        with job.file.open("rb") as upload:
            table = importer.read_table(upload)
            samples = table.samples(SAMPLE_ROWS)
        headers = table.headers
        fields, defaults = remembered(job.kind, headers)
        proposed = importer.propose(headers, remembered=fields)
    except (SpreadsheetError, DomainError) as exc:
        return _fail(job, exc.message, state=State.UPLOADED)
    except Exception:
        log.exception("import %s: reading the columns failed", job.pk)
        return _fail(job, _("The file cannot be read. Nothing was imported."), state=State.UPLOADED)
    mapping = {
        **job.mapping, "header_row": table.header_row, "headers": headers,
        "defaults": job.mapping.get("defaults") or _offered(job.kind, defaults),  # the upload form's, else last time's
        "samples": [[_sample(row[index] if index < len(row) else None) for row in samples] for index in range(len(headers))],
        "proposed": [list(match) for match in proposed], "fields": [name for name, _how in proposed],
    }
    ImportJob.objects.filter(pk=job.pk, state=State.UPLOADED).update(state=State.MAPPING, mapping=mapping, heartbeat_at=timezone.now())
    job.refresh_from_db()
    return job


def _sample(value):
    """A cell as the mapping step shows it: short text; what looks like a phone or an ID-card
    number masked (the clerk only needs to see which column it is)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        value = int(value)
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    if sum(ch.isdigit() for ch in text) >= 11 and re.fullmatch(r"[\d\s+()\-xX]+", text):
        text = mask("id_card" if len(text) >= 15 else "phone", text)
    return text if len(text) <= 40 else text[:39] + "…"


@transaction.atomic
def import_map(*, job, by, fields, defaults=None):
    """The clerk's matching of the file's columns to fields ("" leaves a column out) and the
    defaults: mapping (or checked, to match again) → mapped, remembered for the next file with the
    same headers; then the check, in the worker for a big file. A matching that leaves a required
    field without a column, or gives a field two, is refused with the reason."""
    require(by, "archive.import")
    headers = job.mapping.get("headers", [])
    defaults = _offered(job.kind, defaults)
    fields = [name or "" for name in fields]
    importer = importer_for(job.kind, by=by, defaults=defaults)
    if len(fields) != len(headers):
        raise DomainError(_("The file's columns have changed; upload it again."))
    errors = importer.mapping_errors(headers, fields)
    if errors:
        raise DomainError(" ".join(errors))
    choices = {name: dict(choices) for name, _header, choices in importer.default_fields()}
    mapping = {
        **job.mapping, "fields": fields, "defaults": defaults,
        "labels": [importer.column(name).header if name else "" for name in fields],  # as the preview names them
        "default_labels": [[importer.column(name).header, str(choices[name].get(code, code))] for name, code in defaults.items()],
    }
    won = ImportJob.objects.filter(pk=job.pk, state__in=[State.MAPPING, State.CHECKED]).update(
        state=State.MAPPED, mapping=mapping, counts={}, report={}, total_rows=0, processed_rows=0, error_file="",
        message="", heartbeat_at=timezone.now(),
    )
    if not won:
        raise DomainError(_("This import is not waiting for its columns to be matched."))
    remember(kind=job.kind, headers=headers, fields=fields, defaults=defaults, by=by)
    audit.record(job, "salesdesk.import.mapped", by=by, data={
        "columns": {header: name for header, name in zip(headers, fields)}, "defaults": defaults,
    })
    job.refresh_from_db()
    if in_background(job):
        transaction.on_commit(lambda: tasks.import_check_task.delay(job.pk))
    return job


def _progress(job):
    def report(done):
        ImportJob.objects.filter(pk=job.pk).update(processed_rows=done, heartbeat_at=timezone.now())

    return report


def _claim(job, *, waiting, running):
    """Take the job from `waiting` to `running` with a conditional update: exactly one caller wins
    (a task delivered twice, a sweep and a worker); the losers do nothing."""
    won = ImportJob.objects.filter(pk=job.pk, state=waiting).update(
        state=running, processed_rows=0, heartbeat_at=timezone.now()
    )
    return won == 1


def _run(job, *, waiting, running, step, failure):
    """Claim the job, run `step(importer, upload)` on its file and keep what it returns; whatever
    goes wrong, the job ends failed with a message the clerk can read (`failure` for the unforeseen),
    never left running with the page polling for ever."""
    if not _claim(job, waiting=waiting, running=running):
        return ImportJob.objects.get(pk=job.pk)  # a duplicated delivery: the first one does the work
    try:
        job.refresh_from_db(fields=["mapping"])  # as the clerk matched the columns
        importer = importer_for(job.kind, by=job.created_by, duplicates=job.duplicates, progress=_progress(job),
                                mapping=job.mapping, defaults=job.mapping.get("defaults"))
        with job.file.open("rb") as upload:
            report = step(importer, upload)  # refreshes the job (the progress moved on) and fills it in
        job.counts = report.counts
        job.report = report.as_json()
        return report
    except (SpreadsheetError, DomainError) as exc:
        return _fail(job, exc.message)
    except Exception:
        log.exception("import %s: %s failed", job.pk, running)
        return _fail(job, failure)


def import_check(*, job):
    """Read and check every row; keep the preview and the error workbook. Writes no archive record."""

    def check(importer, upload):
        report = importer.check(upload)
        job.refresh_from_db()
        job.state = State.CHECKED
        job.total_rows = job.processed_rows = report.total
        job.message = ""
        if report.failed:
            job.error_file.save(f"errors-{job.pk}.xlsx", ContentFile(error_workbook(report)), save=False)
        return report

    outcome = _run(job, waiting=State.MAPPED, running=State.CHECKING, step=check,
                   failure=_("The file cannot be read. Nothing was imported."))
    return _saved(job, outcome)


@transaction.atomic
def import_confirm(*, job, by):
    require(by, "archive.import")
    job = ImportJob.objects.select_for_update().get(pk=job.pk)
    if job.state != State.CHECKED:
        raise DomainError(_("This import is not waiting for confirmation."))
    if job.counts.get("error"):
        raise DomainError(_("Rows have errors: fix them in the file and upload it again. Nothing was imported."))
    job.state = State.CONFIRMED
    job.processed_rows = 0
    job.save(update_fields=["state", "processed_rows"])
    audit.record(job, "salesdesk.import.confirmed", by=by, data={"rows": job.total_rows})
    if in_background(job):
        transaction.on_commit(lambda: tasks.import_apply_task.delay(job.pk))
    return job


def import_apply(*, job):
    """Check again (the archives may have changed since the preview) and write all rows or none."""

    def apply(importer, upload):
        report = importer.apply(upload)
        job.refresh_from_db()
        job.finished_at = timezone.now()
        if report.written:
            job.state = State.DONE
            job.processed_rows = report.total
        else:
            job.state = State.FAILED
            job.message = _("Rows failed the check this time (the archives changed since the preview). Nothing was imported.")
        return report

    outcome = _run(job, waiting=State.CONFIRMED, running=State.IMPORTING, step=apply,
                   failure=_("The import failed and nothing was imported. Tell the administrator."))
    return _saved(job, outcome)


def _saved(job, outcome):
    """Save the job a step has filled in; a job the step already failed (or another worker holds)
    is returned as it is."""
    if isinstance(outcome, ImportJob):
        return outcome
    try:
        job.save()
    except Exception:
        log.exception("import %s: the result could not be saved", job.pk)
        return _fail(job, _("The file cannot be read. Nothing was imported."))
    return job


def import_sweep(now=None):
    """On beat: a job whose worker went silent past the lease is marked failed (an import writes
    all rows or none, so nothing half-done is left); a job still waiting for a worker past the
    lease (its task was lost with a killed worker) is queued again. Returns (failed, requeued)."""
    now = now or timezone.now()
    silent_since = now - timedelta(seconds=settings.SALESDESK_IMPORT_LEASE_SECONDS)
    failed = ImportJob.objects.running().filter(heartbeat_at__lt=silent_since).update(
        state=State.FAILED, finished_at=now,
        message=_("The worker stopped before this import was finished. Nothing was imported: upload the file again."),
    )
    requeued = 0
    stale = ImportJob.objects.waiting().filter(Q(heartbeat_at__lt=silent_since) | Q(heartbeat_at__isnull=True, created_at__lt=silent_since))
    for job in stale.only("pk", "state", "file")[:100]:
        if not in_background(job):
            continue  # a small file is checked in the request; nothing waits for a worker
        ImportJob.objects.filter(pk=job.pk, state=job.state).update(heartbeat_at=now)
        task = {State.UPLOADED: tasks.import_columns_task, State.MAPPED: tasks.import_check_task}.get(job.state, tasks.import_apply_task)
        task.delay(job.pk)
        requeued += 1
    return failed, requeued


def import_errors_open(*, job, by):
    """The error workbook of a checked import, opened for download; the download is logged."""
    require(by, "archive.import")
    audit.record(job, "salesdesk.import.errors_downloaded", by=by)
    return job.error_file.open("rb")


def _fail(job, message, state=None):
    """Mark the job failed with `message` (only if it is still in `state`, when given)."""
    jobs = ImportJob.objects.filter(pk=job.pk) if state is None else ImportJob.objects.filter(pk=job.pk, state=state)
    jobs.update(state=State.FAILED, message=message, finished_at=timezone.now())
    job.refresh_from_db()
    return job


def error_workbook(report):
    """The failed rows as the clerk sent them, with an error column, to fix and upload again."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(_("Rows with errors"))
    sheet.append([_("Row"), *report.headers, _("Errors")])
    for number, values, errors in report.failed:
        cells = [_sheet_value(value) for value in values][: len(report.headers)]
        cells += [None] * (len(report.headers) - len(cells))
        sheet.append([number, *cells, "；".join(f"{column}：{message}" for column, message in errors)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _sheet_value(value):
    return neutralise(value)


def template_workbook(kind):
    """The workbook to fill in for one kind: the Chinese headers (bold) and an example row; and a
    second sheet listing the allowed values of the fields that have them (regions with their
    codes, methods, …), which the columns of the first sheet offer as drop-downs."""
    importer = importer_for(kind, by=None)
    columns = importer.fields()
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    sheet.title = str(registry.importers()[kind].label)[:31]
    sheet.append([column.header for column in columns])
    example = importer.example()
    sheet.append([example.get(column.name) for column in columns])
    for position, column in enumerate(columns, start=1):
        sheet.cell(1, position).font = Font(bold=True)
        sheet.cell(2, position).font = Font(italic=True, color="808080")
        sheet.column_dimensions[get_column_letter(position)].width = max(10, 2.2 * len(column.header) + 2)
    sheet.freeze_panes = "A2"
    allowed = importer.allowed_values()
    if allowed:
        _allowed_values_sheet(workbook, sheet, columns, allowed)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _allowed_values_sheet(workbook, sheet, columns, allowed):
    """The sheet of allowed values, a column (and a column of what each means, where it says) per
    field; a drop-down on the field's column of `sheet` lists them."""
    values = workbook.create_sheet(_("Allowed values"))
    position = 1
    for index, column in enumerate(columns, start=1):
        entries = allowed.get(column.name)
        if not entries:
            continue
        letter = get_column_letter(position)
        values.cell(1, position, column.header).font = Font(bold=True)
        explained = any(note for _value, note in entries)
        if explained:
            values.cell(1, position + 1, _("Meaning")).font = Font(bold=True)
        for row, (value, note) in enumerate(entries, start=2):
            values.cell(row, position, value)
            if explained:
                values.cell(row, position + 1, note)
        values.column_dimensions[letter].width = max(12, 2.2 * len(column.header) + 2)
        if explained:
            values.column_dimensions[get_column_letter(position + 1)].width = 24
        drop_down = DataValidation(
            type="list", formula1=f"'{values.title}'!${letter}$2:${letter}${len(entries) + 1}", allow_blank=True,
            showErrorMessage=True, errorStyle="warning", errorTitle=column.header,
            error=_("Choose one of the values on the sheet “%(sheet)s”.") % {"sheet": values.title},
        )
        drop_down.add(f"{get_column_letter(index)}2:{get_column_letter(index)}{TEMPLATE_ROWS + 1}")
        sheet.add_data_validation(drop_down)
        position += 2 if explained else 1
