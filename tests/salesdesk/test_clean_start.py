"""A clean start (issue 10, findings 8 and 9): a checkout that never ran collectstatic serves its
pages, the manifest is used only where collected, the secret key is private, the checkout stays
clean after `pip install -e`, and the demo data names the files the storage saved."""

import os
import re
import stat
import subprocess

import pytest
from django.core.files.storage import default_storage
from django.core.management import call_command
from django.test import Client
from django.urls import reverse

from customers import services as archive
from customers.models import Dealer
from salesdesk import settings as project_settings
from salesdesk.models import AuditEntry
from tests.servers import ROOT, Browser, Server, manage


def assets(page):
    return re.findall(r'<link rel="stylesheet" href="([^"]+)"', page) + re.findall(r'<script src="([^"]+)"', page)


def test_runserver_serves_pages_on_a_checkout_that_never_collected(tmp_path):
    server = Server(tmp_path)  # an empty var folder: no database yet, no staticfiles, no manifest
    try:
        browser = Browser()
        status, _headers, page = browser.request(f"{server.url}{reverse('login')}")
        assert status == 200, server.output()
        found = assets(page)
        assert any("bootstrap.min.css" in url for url in found) and any("salesdesk.css" in url for url in found)
        for url in found:
            status, headers, _body = browser.request(server.url + url)
            assert status == 200, url
        assert browser.request(f"{server.url}/static/vendor/bootstrap-icons/fonts/bootstrap-icons.woff2")[0] == 200
        assert "Traceback" not in server.output()
    finally:
        server.stop()
    assert not (tmp_path / "staticfiles" / "staticfiles.json").exists()


def test_once_collected_the_pages_use_the_manifest(tmp_path):
    manage(tmp_path, "collectstatic", "--noinput", "-v0")
    assert (tmp_path / "staticfiles" / "staticfiles.json").exists()
    server = Server(tmp_path)
    try:
        browser = Browser()
        status, _headers, page = browser.request(f"{server.url}{reverse('login')}")
        assert status == 200, server.output()
        stylesheet = next(url for url in assets(page) if "bootstrap.min" in url and url.endswith(".css"))
        assert re.search(r"bootstrap\.min\.[0-9a-f]{12}\.css$", stylesheet)  # the hashed name
        status, headers, _body = browser.request(server.url + stylesheet)
        assert status == 200 and "immutable" in headers.get("Cache-Control", "")
    finally:
        server.stop()


def test_the_secret_key_is_readable_by_its_owner_only(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(project_settings, "VAR_DIR", tmp_path)
    key = project_settings._secret_key()
    key_file = tmp_path / "secret_key"
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    assert key_file.read_text() == key and len(key) > 50
    assert project_settings._secret_key() == key  # generated once
    assert [path.name for path in tmp_path.iterdir()] == ["secret_key"]  # no temporary file left


def test_a_key_left_readable_by_an_earlier_release_is_made_private(tmp_path, monkeypatch):
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setattr(project_settings, "VAR_DIR", tmp_path)
    (tmp_path / "secret_key").write_text("an-old-key-" + "x" * 50)
    os.chmod(tmp_path / "secret_key", 0o644)
    assert project_settings._secret_key() == "an-old-key-" + "x" * 50
    assert stat.S_IMODE((tmp_path / "secret_key").stat().st_mode) == 0o600


def git(*args):
    return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True)


@pytest.mark.skipif(git("rev-parse", "--git-dir").returncode != 0, reason="not a git checkout")
def test_what_pip_install_writes_is_not_part_of_the_repository():
    assert git("ls-files", "salesdesk.egg-info").stdout == ""
    assert git("check-ignore", "-q", "salesdesk.egg-info/PKG-INFO").returncode == 0


@pytest.mark.django_db
def test_seed_demo_records_the_agreement_file_the_storage_saved(monkeypatch):
    """A database made anew next to the files of an earlier one: the storage saves agreement-NN.pdf
    under another name, and the dealer and its audit entry name the file that is there."""
    authorize = archive.dealer_authorize

    def after_an_earlier_database(*, dealer, agreement, **kwargs):
        leftover = Dealer._meta.get_field("agreement").generate_filename(dealer, agreement.name)
        default_storage.save(leftover, agreement)
        return authorize(dealer=dealer, agreement=agreement, **kwargs)

    monkeypatch.setattr(archive, "dealer_authorize", after_an_earlier_database)
    call_command("seed_demo", password="pw-demo-seed", stdout=open(os.devnull, "w"))

    dealers = list(Dealer.objects.authorized())
    assert len(dealers) == 10
    for dealer in dealers:
        assert default_storage.exists(dealer.agreement.name)
        assert not dealer.agreement.name.endswith(f"/agreement-{dealer.pk}.pdf")  # the storage chose another name
        with dealer.agreement.open("rb") as scan:
            assert scan.read().startswith(b"%PDF")
        entry = AuditEntry.objects.get(action="customers.dealer.authorized", object_id=str(dealer.pk))
        assert entry.changes["agreement"][1] == dealer.agreement.name


@pytest.mark.django_db
def test_seed_demo_gives_the_roles_through_the_service_and_keeps_the_known_password():
    call_command("seed_demo", password="pw-demo-seed", stdout=open(os.devnull, "w"))
    given = AuditEntry.objects.filter(action="salesdesk.user.roles_changed")
    assert sorted(entry.changes["groups"][1][0] for entry in given) == sorted(
        ["leadership", "manager", "clerk", "member", "developer", "repair"]
    )
    call_command("seed_demo", password="pw-demo-seed", stdout=open(os.devnull, "w"))
    assert given.count() == 6  # a second run changes no role
    for username in ("leader", "manager", "clerk", "member", "developer", "repair"):
        assert Client().post(reverse("login"), {"username": username, "password": "pw-demo-seed"}).status_code == 302
