"""Channel backends deliver one outbox message and return the provider's reference.

The outbox decides when and whether to send; a backend only delivers. Configure per channel with
SALESDESK_CHANNEL_BACKENDS (dotted paths). A backend raises ChannelError for a failed delivery.

Every backend keeps two rules (salesdesk.outbox):
- it gives the provider the message's own id, derived from the outbox key and the same on every
  attempt: `message.out_id` (an SMS gateway's OutId / SessionContext, a fax gateway's reference),
  for e-mail the Message-ID `outbox.message_id(message.key)`;
- every call to the provider has a timeout: EMAIL_TIMEOUT for SMTP, SALESDESK_PROVIDER_TIMEOUT for
  the HTTP of SMS and fax gateways. The outbox makes a claim's lease outlast it.
A backend may have close(): the outbox calls it after the provider's answer is recorded.
"""

from django.conf import settings
from django.core.mail import EmailMessage, get_connection
from django.utils.module_loading import import_string


class ChannelError(Exception):
    pass


class LocalBackend:
    """Delivers nowhere: the message stays readable in the outbox (the embedded default)."""

    def send(self, message):
        return f"local-{message.out_id}"


class EmailBackend:
    """E-mail through Django's mail settings (EMAIL_HOST… from the environment), with the
    attachment (e.g. an Annex 8 PDF). The Message-ID comes from the outbox key; the SMTP
    connection is closed (QUIT) only after the outbox has recorded the server's acceptance."""

    connection = None

    def send(self, message):
        from salesdesk.outbox import message_id

        mid = message_id(message.key)
        self.connection = get_connection(fail_silently=False, timeout=settings.EMAIL_TIMEOUT)
        email = EmailMessage(
            subject=message.subject or message.body[:60],
            body=message.body,
            to=[message.recipient],
            headers={"Message-ID": mid, "X-Salesdesk-Key": message.key},
            connection=self.connection,
        )
        if message.attachment:
            message.attachment.open("rb")
            try:
                email.attach(message.attachment.name.rsplit("/", 1)[-1], message.attachment.read())
            finally:
                message.attachment.close()
        try:
            self.connection.open()  # kept open: send_messages then leaves the QUIT to close()
            email.send(fail_silently=False)
        except OSError as exc:  # refused, timed out, SMTP errors (smtplib.SMTPException is an OSError)
            raise ChannelError(str(exc) or exc.__class__.__name__) from exc
        self.accepted()
        return mid

    def accepted(self):
        """The server has accepted the message (a hook for the fault tests; nothing in production)."""

    def close(self):
        if self.connection is not None:
            try:
                self.connection.close()
            except Exception:  # the message is sent and recorded; a failed QUIT changes nothing
                pass
            self.connection = None


def backend_for(channel):
    return import_string(settings.SALESDESK_CHANNEL_BACKENDS[channel])()
