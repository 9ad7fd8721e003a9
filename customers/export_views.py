"""Exports of the dealer and end-customer lists: the rows of the list page with the same query."""

from customers import exports
from customers.views import CustomerListView, DealerListView
from salesdesk.export_views import ExportView


class DealerExportView(ExportView):
    export = exports.DEALERS
    list_view = DealerListView


class CustomerExportView(ExportView):
    export = exports.CUSTOMERS
    list_view = CustomerListView
