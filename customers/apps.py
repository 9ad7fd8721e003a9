from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CustomersConfig(AppConfig):
    name = "customers"
    verbose_name = _("Archives")
    url_prefix = "archives/"  # the project's urls mount `customers.urls` here

    def ready(self):
        from customers import exports, imports, selectors
        from salesdesk import registry

        registry.archive_category(
            "dealers", _("Dealers"), models=["customers.dealer"], region_path="region__path"
        )
        registry.archive_category(
            "customers", _("End customers"), models=["customers.customer", "customers.purchase"], region_path="region__path"
        )
        registry.archive_category(
            "documents", _("Department documents"), models=["customers.document", "customers.documentversion"]
        )
        for importer in (imports.RegionImporter, imports.DealerImporter, imports.CustomerImporter):
            registry.importer(importer)
        registry.export(exports.DEALERS)
        registry.export(exports.CUSTOMERS)
        registry.revealable("customers.customer", "customers.dealer")
        registry.dashboard_panel("customers/panels/queues.html", selectors.queues_panel, order=10)
        registry.dashboard_panel("customers/panels/dealer_figures.html", selectors.figures_panel, order=20)
        registry.action_labels({
            "customers.dealer.intake_created": _("Dealer intake created"),
            "customers.dealer.updated": _("Dealer dossier changed"),
            "customers.dealer.submitted": _("Intake submitted for review"),
            "customers.dealer.approved": _("Intake approved and signed"),
            "customers.dealer.returned": _("Intake returned"),
            "customers.dealer.filed": _("Filed as dealer resource"),
            "customers.dealer.authorized": _("Dealer authorized"),
            "customers.dealer.grade_changed": _("Dealer grade changed"),
            "customers.dealer.agreement_downloaded": _("Agreement scan downloaded"),
            "customers.customer.created": _("Customer created"),
            "customers.customer.updated": _("Customer changed"),
            "customers.purchase.added": _("Purchase added"),
            "customers.purchase.removed": _("Purchase removed"),
            "customers.dealers.exported": _("Dealer list exported"),
            "customers.customers.exported": _("End-customer list exported"),
            "customers.document.uploaded": _("Document filed"),
            "customers.document.version_added": _("New version of the document uploaded"),
            "customers.document.downloaded": _("Document downloaded"),
            "customers.import.customers": _("End customers imported"),
            "customers.import.regions": _("Regions imported"),
            "customers.import.dealers": _("Dealers imported"),
        })
        registry.status_colors({
            "draft": "secondary", "submitted": "warning", "returned": "danger", "approved": "info", "filed": "primary",
            "authorized": "success",
        })
        registry.search_provider(_("End customers"), selectors.customer_hits, list_url="customers:customer_list", order=10)
        registry.search_provider(_("Dealers"), selectors.dealer_hits, list_url="customers:dealer_list", order=20)
        registry.navigation(_("Dealers"), "customers:dealer_list", "archive.query", "dealers", icon="shop", order=10)
        registry.navigation(_("End customers"), "customers:customer_list", "archive.query", "customers", icon="people", order=20)
        registry.navigation(_("Regions"), "customers:region_list", "region.query", icon="map", order=30)
        registry.navigation(_("Documents"), "customers:document_list", "documents.query", icon="folder2-open", order=60)
