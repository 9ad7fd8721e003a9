from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class SalesdeskConfig(AppConfig):
    name = "salesdesk"
    verbose_name = _("Salesdesk core")
