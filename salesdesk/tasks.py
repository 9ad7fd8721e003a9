from celery import shared_task

from salesdesk import import_jobs, outbox
from salesdesk.models import ImportJob


@shared_task(ignore_result=True)
def outbox_deliver(message_id):
    return outbox.deliver(message_id)


@shared_task(ignore_result=True)
def outbox_sweep():
    released, enqueued = outbox.sweep()
    return {"released": released, "enqueued": enqueued}


@shared_task(ignore_result=True)
def import_columns_task(job_id):
    import_jobs.import_read_columns(job=ImportJob.objects.get(pk=job_id))


@shared_task(ignore_result=True)
def import_check_task(job_id):
    import_jobs.import_check(job=ImportJob.objects.get(pk=job_id))


@shared_task(ignore_result=True)
def import_apply_task(job_id):
    import_jobs.import_apply(job=ImportJob.objects.get(pk=job_id))


@shared_task(ignore_result=True)
def import_sweep():
    failed, requeued = import_jobs.import_sweep()
    return {"failed": failed, "requeued": requeued}
