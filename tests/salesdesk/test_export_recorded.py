"""An export's audit entry is written by one service, `export_recorded`, which asks the policy."""

import pytest
from django.core.exceptions import PermissionDenied

from salesdesk import exports, services
from salesdesk.models import AuditEntry


def test_an_export_leaves_one_entry_with_rows_format_and_filters(clerk):
    entry = services.export_recorded(
        export=exports.STAFF, by=clerk, count=12, fmt="csv", filters={"q": "张"}, unmasked=True
    )

    assert list(AuditEntry.objects.all()) == [entry]
    assert (entry.action, entry.actor, entry.object_id) == (exports.STAFF.action, clerk, "")
    assert entry.data == {"rows": 12, "format": "csv", "filters": {"q": "张"}, "unmasked": True}


@pytest.mark.parametrize("role", ["member", "developer", "repair"])
def test_a_role_that_may_not_export_leaves_no_entry(people, role):
    with pytest.raises(PermissionDenied):
        services.export_recorded(export=exports.STAFF, by=people[role], count=1, fmt="xlsx", filters={}, unmasked=False)

    assert not AuditEntry.objects.exists()


def test_the_export_page_records_through_the_service(login, leader):
    response = login(leader).get("/staff/export/?format=csv&q=张")
    b"".join(response.streaming_content)

    entry = AuditEntry.objects.get(action=exports.STAFF.action)
    assert entry.actor == leader
    assert entry.data == {"rows": 0, "format": "csv", "filters": {"q": "张"}, "unmasked": True}
