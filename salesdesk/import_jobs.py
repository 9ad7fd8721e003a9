"""The clerk's import, as a job: upload → check (preview) → confirm → import, all or nothing.

Small files are checked and imported in the request; larger ones in a Celery task that reports
its progress on the job row, so the clerk can leave the page and come back.
"""

import io
import logging
from datetime import timedelta

import openpyxl
from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from salesdesk import audit, registry, tasks
from salesdesk.access import require
from salesdesk.errors import DomainError
from salesdesk.imports import importer_for
from salesdesk.models import ImportJob
from salesdesk.spreadsheets import SpreadsheetError, neutralise

log = logging.getLogger(__name__)
BACKGROUND_BYTES = 256 * 1024  # files above this size run in the worker
State = ImportJob.State


def in_background(job):
    return job.file.size > BACKGROUND_BYTES


@transaction.atomic
def import_upload(*, by, kind, upload, duplicates):
    require(by, "archive.import")
    if kind not in registry.importers():
        raise DomainError(_("Choose what the file holds."))
    job = ImportJob(kind=kind, original_name=upload.name[:200], duplicates=duplicates, created_by=by)
    job.file.save(upload.name, upload, save=False)
    job.save()
    audit.record(job, "salesdesk.import.uploaded", by=by, data={"file": job.original_name, "kind": kind})
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
        importer = importer_for(job.kind, by=job.created_by, duplicates=job.duplicates, progress=_progress(job))
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

    outcome = _run(job, waiting=State.UPLOADED, running=State.CHECKING, step=check,
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
        task = tasks.import_check_task if job.state == State.UPLOADED else tasks.import_apply_task
        task.delay(job.pk)
        requeued += 1
    return failed, requeued


def import_errors_open(*, job, by):
    """The error workbook of a checked import, opened for download; the download is logged."""
    require(by, "archive.import")
    audit.record(job, "salesdesk.import.errors_downloaded", by=by)
    return job.error_file.open("rb")


def _fail(job, message):
    ImportJob.objects.filter(pk=job.pk).update(state=State.FAILED, message=message, finished_at=timezone.now())
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
    """An empty workbook with the Chinese headers of one kind, to fill in."""
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet(str(registry.importers()[kind].label))
    sheet.append(importer_for(kind, by=None).template_headers())
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
