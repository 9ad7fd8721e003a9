"""Helpers the test modules share: what a page says, a valid ID-card number, a member's grant.

Fixtures live in tests/conftest.py; these are plain functions a test calls."""

import io
import zipfile

from django.utils import translation
from django.utils.functional import Promise
from django.utils.html import escape
from django.utils.translation import gettext

from salesdesk import services
from salesdesk.models import AccessRequest
from salesdesk.pii import id_card_check_digit


def translated(msgid, language=None, **params):
    """`msgid` (or a lazy message, such as a DomainError's) in `language` (default: the active one),
    filled in with `params`: the words a person is shown."""
    with translation.override(language or translation.get_language()):
        text = str(msgid) if isinstance(msgid, Promise) else gettext(msgid)
    return text % params if params else text


def chinese(msgid, **params):
    """`msgid` as the clerk's (Chinese) pages show it."""
    return translated(msgid, "zh-hans", **params)


def says(response, msgid, **params):
    """The page shows `msgid` in the language it was rendered in."""
    text = translated(msgid, response.headers["Content-Language"], **params)
    return escape(text) in response.content.decode()


def id_card(first17):
    """A valid ID-card number (GB 11643) from its first 17 digits."""
    return first17 + id_card_check_digit(first17)


def grant(member, manager, *, scope=AccessRequest.Scope.ALL, days=7, reason="月度客户回访统计", **where):
    """`member` asks for access to the archives (`scope`, with its `category` or `region`) for `days`
    days and `manager` approves, both through the services; returns the approved request."""
    request = services.access_request_create(by=member, scope=scope, reason=reason, days=days, **where)
    return services.access_request_approve(request=request, by=manager)


def match_columns(client, job, defaults=None, **changes):
    """The clerk's mapping step on the page of `job` (uploaded, its columns read): each column's
    proposed field, `changes` {file header: field, "" to leave it out} over it, and `defaults`
    {field: code}, posted; the response (a redirect once the check has run)."""
    from django.urls import reverse

    job.refresh_from_db()
    fields = [changes.get(header, field) for header, field in zip(job.mapping["headers"], job.mapping["fields"])]
    data = {f"column_{position}": field for position, field in enumerate(fields)}
    data.update({f"default_{name}": code for name, code in (defaults or {}).items()})
    return client.post(reverse("import_columns", args=[job.pk]), data)


def checked(job, by, **options):
    """`job` (just uploaded) through the services to its preview, its columns as proposed."""
    from salesdesk import import_jobs

    job = import_jobs.import_read_columns(job=job)
    job = import_jobs.import_map(job=job, by=by, fields=job.mapping["fields"], **options)
    return import_jobs.import_check(job=job)


def ooxml(part):
    """A minimal Office Open XML package holding `part` (word/document.xml or xl/workbook.xml)."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as package:
        package.writestr("[Content_Types].xml", "<Types/>")
        package.writestr(part, "<x/>")
    return buffer.getvalue()
