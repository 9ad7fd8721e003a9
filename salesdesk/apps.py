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
        post_migrate.connect(ensure_roles, sender=self, dispatch_uid="salesdesk.ensure_roles")
