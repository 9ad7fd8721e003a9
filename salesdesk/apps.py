from django.apps import AppConfig
from django.db.models.signals import post_migrate
from django.utils.translation import gettext_lazy as _


def ensure_roles(**kwargs):
    """The six role groups exist after every migrate (and every test flush)."""
    from django.contrib.auth.models import Group

    from salesdesk.models import Role

    for role in Role:
        Group.objects.get_or_create(name=role.value)


class SalesdeskConfig(AppConfig):
    name = "salesdesk"
    verbose_name = _("Salesdesk core")

    def ready(self):
        from salesdesk import exports, imports, panels, quick_search, registry, signals

        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="salesdesk.ensure_roles")
        signals.connect()

        registry.archive_category("staff", _("Department staff"), models=["salesdesk.staffprofile"])
        registry.importer(imports.StaffImporter)
        registry.export(exports.STAFF)
        registry.revealable("salesdesk.staffprofile")
        registry.dashboard_panel("salesdesk/panels/pending_requests.html", panels.pending_requests, order=40)
        registry.dashboard_panel("salesdesk/panels/my_grants.html", panels.my_grants, order=50)
        registry.dashboard_panel("salesdesk/panels/failed_messages.html", panels.failed_messages, order=60)
        registry.action_labels({
            "salesdesk.region.created": _("Region created"),
            "salesdesk.region.updated": _("Region changed"),
            "salesdesk.import.uploaded": _("Spreadsheet uploaded for import"),
            "salesdesk.import.confirmed": _("Import confirmed"),
            "salesdesk.import.errors_downloaded": _("Import error rows downloaded"),
            "salesdesk.import.staff": _("Staff profiles imported"),
            "salesdesk.access_request.created": _("Access requested"),
            "salesdesk.access_request.approved": _("Access request approved"),
            "salesdesk.access_request.rejected": _("Access request rejected"),
            "salesdesk.staff_profile.created": _("Staff profile created"),
            "salesdesk.staff_profile.updated": _("Staff profile changed"),
            "salesdesk.staff.exported": _("Staff list exported"),
            "salesdesk.pii.viewed": _("Personal data viewed unmasked"),
            "salesdesk.outbox.retried": _("Message sent again"),
            "salesdesk.outbox.cancelled": _("Message cancelled"),
            "salesdesk.user.roles_changed": _("Roles changed"),
            "salesdesk.user.password_changed": _("Password changed"),
            "salesdesk.login.unlocked": _("Login unlocked"),
        })
        registry.status_colors({
            "pending": "warning", "approved": "info", "rejected": "danger", "queued": "secondary", "sending": "info",
            "sent": "success", "failed": "danger", "cancelled": "secondary", "uploaded": "secondary",
            "checking": "info", "checked": "warning", "confirmed": "info", "importing": "info", "done": "success",
        })
        registry.search_provider(_("Department staff"), quick_search.staff_hits, list_url="staff_list", order=30)
        registry.navigation(_("Overview"), "dashboard", "dashboard", icon="speedometer2", order=0)
        registry.navigation(_("Staff"), "staff_list", "archive.query", "staff", icon="person-badge", order=40)
        registry.navigation(_("Import"), "import_list", "archive.import", icon="upload", order=50)
        registry.navigation(_("Access requests"), "access_list", "access.request", icon="key", order=70)
        registry.navigation(_("Access requests"), "access_list", "access.review", icon="key", order=71)
        registry.navigation(_("Login lockouts"), "lockout_list", "access.unlock", icon="unlock", order=72)
        registry.navigation(_("Outbox"), "outbox_list", "outbox.view", icon="envelope", order=80)
        registry.navigation(_("Audit trail"), "audit_list", "audit.view", icon="journal-text", order=90)
