"""The archives' exports: the dealer and end-customer lists (the machinery is `salesdesk.exports`)."""

from customers.resources import CustomerResource, DealerResource
from salesdesk.exports import Export

DEALERS = Export("dealers", "经销商", DealerResource, "customers.dealers.exported")
CUSTOMERS = Export("customers", "终端客户", CustomerResource, "customers.customers.exported")
