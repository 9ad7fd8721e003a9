from celery import shared_task

from salesdesk import outbox


@shared_task(ignore_result=True)
def outbox_deliver(message_id):
    return outbox.deliver(message_id)


@shared_task(ignore_result=True)
def outbox_sweep():
    released, enqueued = outbox.sweep()
    return {"released": released, "enqueued": enqueued}
