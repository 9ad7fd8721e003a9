from celery import shared_task

from customers import import_jobs
from customers.models import ImportJob


@shared_task(ignore_result=True)
def import_check_task(job_id):
    import_jobs.import_check(job=ImportJob.objects.get(pk=job_id))


@shared_task(ignore_result=True)
def import_apply_task(job_id):
    import_jobs.import_apply(job=ImportJob.objects.get(pk=job_id))
