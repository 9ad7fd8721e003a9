"""Channel backends deliver one outbox message and return the provider's reference.

The outbox decides when and whether to send; a backend only delivers. Configure per channel with
SALESDESK_CHANNEL_BACKENDS (dotted paths). A backend raises ChannelError for a failed delivery.
"""

from django.conf import settings
from django.core.mail import EmailMessage
from django.utils.module_loading import import_string


class ChannelError(Exception):
    pass


class LocalBackend:
    """Delivers nowhere: the message stays readable in the outbox (the embedded default)."""

    def send(self, message):
        return f"local-{message.pk}"


class EmailBackend:
    """E-mail through Django's mail settings, with the attachment (e.g. an Annex 8 PDF)."""

    def send(self, message):
        email = EmailMessage(
            subject=message.subject or message.body[:60],
            body=message.body,
            to=[message.recipient],
            headers={"X-Salesdesk-Key": message.key},
        )
        if message.attachment:
            message.attachment.open("rb")
            try:
                email.attach(message.attachment.name.rsplit("/", 1)[-1], message.attachment.read())
            finally:
                message.attachment.close()
        try:
            email.send(fail_silently=False)
        except OSError as exc:
            raise ChannelError(str(exc)) from exc
        return f"email-{message.pk}"


def backend_for(channel):
    return import_string(settings.SALESDESK_CHANNEL_BACKENDS[channel])()
