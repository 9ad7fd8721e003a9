"""An import job never answers 500 and never stays running: every failure marks it failed with a
message the clerk can read, a job whose worker died is failed by the sweep, and a check or an
apply delivered twice runs once (salesdesk.import_jobs). The check waits for the clerk's matching
of the columns, which is claimed like every step."""

import datetime
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from customers.models import Customer
from salesdesk import import_jobs, tasks
from salesdesk.errors import DomainError
from salesdesk.models import ImportJob
from tests.customers import spreadsheet_files as files
from tests.helpers import chinese, match_columns

State = ImportJob.State


def upload(clerk, content, name="customers.xlsx"):
    return import_jobs.import_upload(by=clerk, kind="customers", upload=files.upload(content, name), duplicates="skip")


def mapped(clerk, content):
    """A job uploaded and its columns matched as proposed: waiting for its check."""
    job = import_jobs.import_read_columns(job=upload(clerk, content))
    return import_jobs.import_map(job=job, by=clerk, fields=job.mapping["fields"])


def test_an_xlsx_with_real_date_cells_and_a_bad_row_is_checked_not_a_500(login, clerk, region):
    """Found: `Object of type date is not JSON serializable` at job.save(), the job left "checking"."""
    content = files.workbook([
        files.customer("赵大山", **files.purchase(date=datetime.date(2026, 3, 5))),
        files.customer("钱二妹", phone="无", **files.purchase(date=datetime.datetime(2026, 3, 6, 0, 0))),
    ])
    client = login(clerk)
    client.post(reverse("import_list"), {"kind": "customers", "file": files.upload(content), "duplicates": "skip"})
    response = match_columns(client, ImportJob.objects.get())
    job = ImportJob.objects.get()
    assert (response.status_code, response.url) == (302, reverse("import_detail", args=[job.pk]))
    assert (job.state, job.counts["new"], job.counts["error"]) == (State.CHECKED, 1, 1)
    assert "2026-03-06" in str(job.report["failed"])  # the bad row's date cell kept for the error file
    assert login(clerk).get(response.url).status_code == 200


def test_anything_that_breaks_after_the_check_marks_the_job_failed_with_a_message(clerk, region, monkeypatch):
    job = mapped(clerk, files.workbook([files.customer("钱二妹", phone="无")]))

    def broken(report):
        raise OSError("disk full")

    monkeypatch.setattr(import_jobs, "error_workbook", broken)
    import_jobs.import_check(job=job)
    job.refresh_from_db()
    assert job.state == State.FAILED
    assert job.message == "无法读取该文件。未导入任何数据。"
    assert job.finished_at is not None


def test_a_check_delivered_twice_runs_once(clerk, region, monkeypatch):
    job = mapped(clerk, files.workbook([files.customer("赵大山")]))
    runs = []
    real = import_jobs.importer_for
    monkeypatch.setattr(import_jobs, "importer_for", lambda *a, **k: runs.append(1) or real(*a, **k))
    import_jobs.import_check(job=job)
    import_jobs.import_check(job=job)
    assert len(runs) == 1
    job.refresh_from_db()
    assert job.state == State.CHECKED


def test_a_check_waits_for_the_columns_to_be_matched(clerk, region):
    job = import_jobs.import_read_columns(job=upload(clerk, files.workbook([files.customer("赵大山")])))

    import_jobs.import_check(job=job)  # a check task delivered before the clerk matched the columns

    job.refresh_from_db()
    assert (job.state, job.counts) == (State.MAPPING, {})


def test_the_columns_are_matched_once_and_not_while_the_check_runs(clerk, region):
    job = import_jobs.import_read_columns(job=upload(clerk, files.workbook([files.customer("赵大山")])))
    import_jobs.import_map(job=job, by=clerk, fields=job.mapping["fields"])

    with pytest.raises(DomainError) as refused:
        import_jobs.import_map(job=job, by=clerk, fields=job.mapping["fields"])  # a second post of the same form
    assert refused.value.message == chinese("This import is not waiting for its columns to be matched.")
    ImportJob.objects.filter(pk=job.pk).update(state=State.CHECKING)
    with pytest.raises(DomainError):
        import_jobs.import_map(job=job, by=clerk, fields=job.mapping["fields"])
    job.refresh_from_db()
    assert job.state == State.CHECKING


def test_a_file_that_cannot_be_read_fails_its_job_when_its_columns_are_read(clerk, region):
    job = import_jobs.import_read_columns(job=upload(clerk, files.old_excel(), "客户.xls"))

    assert (job.state, job.message) == (
        State.FAILED, chinese("This is an old Excel 97–2003 file (.xls). Save it as .xlsx in Excel and upload that."))


def test_an_apply_delivered_twice_writes_once(clerk, region):
    job = mapped(clerk, files.workbook([files.customer("赵大山", **files.purchase())]))
    import_jobs.import_check(job=job)
    import_jobs.import_confirm(job=job, by=clerk)
    first = import_jobs.import_apply(job=job)
    second = import_jobs.import_apply(job=job)
    assert (first.state, second.state) == (State.DONE, State.DONE)
    assert Customer.objects.count() == 1


def test_the_sweep_fails_a_job_whose_worker_went_silent_and_leaves_a_live_one(clerk, region, settings):
    settings.SALESDESK_IMPORT_LEASE_SECONDS = 600
    now = timezone.now()
    dead = upload(clerk, files.workbook([files.customer("赵大山")]))
    alive = upload(clerk, files.workbook([files.customer("钱二妹")]))
    ImportJob.objects.filter(pk=dead.pk).update(state=State.IMPORTING, heartbeat_at=now - timedelta(minutes=11))
    ImportJob.objects.filter(pk=alive.pk).update(state=State.CHECKING, heartbeat_at=now - timedelta(minutes=2))

    assert import_jobs.import_sweep(now) == (1, 0)
    dead.refresh_from_db()
    alive.refresh_from_db()
    assert dead.state == State.FAILED and dead.message.startswith("后台任务在导入完成前中断了")
    assert alive.state == State.CHECKING
    assert import_jobs.import_sweep(now) == (0, 0)  # a second sweep finds nothing more


@pytest.mark.parametrize("step", ["columns", "check"])
def test_the_sweep_queues_again_a_big_job_whose_task_was_lost_once(clerk, region, settings, monkeypatch, step):
    settings.SALESDESK_IMPORT_LEASE_SECONDS = 600
    monkeypatch.setattr(import_jobs, "BACKGROUND_BYTES", 10)  # every file is "big"
    queued = []
    for task in (tasks.import_columns_task, tasks.import_check_task):
        monkeypatch.setattr(task, "delay", lambda pk, task=task: queued.append((task.name.rsplit(".", 1)[-1], pk)))
    job = upload(clerk, files.workbook([files.customer("赵大山")]))
    if step == "check":  # the worker read the columns and the clerk matched them; the check task is lost
        import_jobs.import_read_columns(job=job)
        import_jobs.import_map(job=job, by=clerk, fields=job.mapping["fields"])
    queued.clear()
    later = timezone.now() + timedelta(minutes=11)

    assert import_jobs.import_sweep(later) == (0, 1)
    assert import_jobs.import_sweep(later) == (0, 0)  # not again within the lease
    assert queued == [(f"import_{step}_task", job.pk)]


def test_the_sweep_leaves_a_job_waiting_for_the_clerks_matching(clerk, region, settings):
    settings.SALESDESK_IMPORT_LEASE_SECONDS = 600
    import_jobs.import_read_columns(job=upload(clerk, files.workbook([files.customer("赵大山")])))

    assert import_jobs.import_sweep(timezone.now() + timedelta(days=1)) == (0, 0)
