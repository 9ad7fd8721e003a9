"""The core names no app: the apps plug into it (salesdesk.registry), never the other way round."""

import re
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db.migrations.loader import MigrationLoader

from salesdesk import import_jobs, registry
from salesdesk.errors import DomainError
from salesdesk.models import ImportJob

CORE = Path(__file__).resolve().parents[2] / "salesdesk"
DEPARTMENT_APPS = settings.DEPARTMENT_APPS


def core_files():
    return [path for path in CORE.rglob("*") if path.suffix in {".py", ".html", ".js", ".css"} and path.is_file()]


def test_no_file_of_the_core_says_customers():
    named = [str(path.relative_to(CORE)) for path in core_files() if "customers" in path.read_text(encoding="utf-8")]
    assert named == []


@pytest.mark.parametrize("app", DEPARTMENT_APPS)
def test_no_file_of_the_core_refers_to_a_department_app(app):
    """No import, model label, URL namespace or template path of an app (`logistics.`, `logistics:`,
    `logistics/`, "logistics")."""
    pattern = re.compile(rf"""(\bfrom {app}\b|\bimport {app}\b|\b{app}[.:/]\w|["']{app}["'])""")
    named = [str(path.relative_to(CORE)) for path in core_files() if pattern.search(path.read_text(encoding="utf-8"))]
    assert named == []


def test_the_core_migrations_depend_on_no_department_app():
    loader = MigrationLoader(None, ignore_no_migrations=True)
    for (app, name), migration in loader.disk_migrations.items():
        if app == "salesdesk":
            assert not {dependency[0] for dependency in migration.dependencies} & set(DEPARTMENT_APPS), name


def test_the_apps_registered_their_parts():
    assert {"regions", "dealers", "customers", "staff"} <= set(registry.importers())
    assert {"dealers", "customers", "staff"} <= set(registry.exports())
    assert set(registry.categories()) == {"dealers", "customers", "staff", "documents"}
    assert registry.region_path("customers") == "region__path" and registry.region_path("staff") == ""
    assert registry.is_revealable("customers.customer") and not registry.is_revealable("auth.user")
    assert registry.action_label("customers.dealer.approved") != "customers.dealer.approved"
    assert registry.action_label("no.such.action") == "no.such.action"


@pytest.mark.django_db
def test_an_import_of_an_unregistered_kind_is_refused_and_nothing_is_stored(clerk):
    upload = SimpleUploadedFile("orders.csv", "订单号\n1\n".encode(), content_type="text/csv")
    with pytest.raises(DomainError):
        import_jobs.import_upload(by=clerk, kind="orders", upload=upload, duplicates="skip")
    assert ImportJob.objects.count() == 0
