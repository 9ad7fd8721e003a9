"""Channel backends for tests: one that records what it sends, one that fails, one whose worker dies.

Point a channel at them with settings.SALESDESK_CHANNEL_BACKENDS = {"sms": "tests.salesdesk.backends.RecordingBackend"}.
"""

from salesdesk.channels import ChannelError

sent = []  # (message pk, recipient, body) of every successful send, in order
attempts = []  # message pk of every call to a failing or dying backend


class RecordingBackend:
    def send(self, message):
        sent.append((message.pk, message.recipient, message.body))
        return f"recorded-{message.pk}-{len(sent)}"


class FailingBackend:
    """The gateway answers with an error every time."""

    def send(self, message):
        attempts.append(message.pk)
        raise ChannelError("gateway answered 503")


class WorkerKilled(BaseException):
    """Stands for the worker process dying mid-send (not an Exception: nothing catches it)."""


class DyingBackend:
    def send(self, message):
        attempts.append(message.pk)
        raise WorkerKilled()


def reset():
    sent.clear()
    attempts.clear()


class PausingEmailBackend:
    """The real e-mail backend, whose worker stops right after the SMTP server accepted the message
    and before the outbox records it: it touches SALESDESK_TEST_ACCEPTED_FILE and sleeps, so a
    test can kill the worker in exactly that window (tests/salesdesk/test_outbox_faults.py)."""

    def __new__(cls):
        import os
        import pathlib
        import time

        from salesdesk.channels import EmailBackend

        class Pausing(EmailBackend):
            def accepted(self):
                pathlib.Path(os.environ["SALESDESK_TEST_ACCEPTED_FILE"]).touch()
                time.sleep(600)

        return Pausing()
