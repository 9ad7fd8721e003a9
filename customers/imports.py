"""Importing the archives (regions, dealers, end customers with purchases) from spreadsheets.

    report = importer_for("customers", by=clerk, duplicates="skip").check(upload)   # no writes
    report = importer_for("customers", by=clerk, duplicates="update").apply(upload) # all or nothing

Columns are found by the Chinese headers of `customers.resources` (the download templates) or the
English field names. Every problem is reported with its row, its column and what is wrong. A
duplicate (same ID-card number or phone for a customer, same company in the same region for a
dealer, same code for a region) is skipped or updated, as the clerk chooses.

End customers take the bulk path: a first pass over the file checks every row, the customers on
file are looked up in batches, a second pass makes a `Decision` on every row, and a
`CustomerWriter` writes them with bulk inserts and updates (COPY on PostgreSQL) in one
transaction. Regions, dealers and staff are small files and go through the per-record services.
"""

from dataclasses import dataclass
from itertools import chain

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import services
from customers.models import Customer, Dealer, Purchase
from customers.resources import CustomerResource, DealerResource, PurchaseResource, RegionResource
from salesdesk import audit
from salesdesk import spreadsheets as cells
from salesdesk.bulk import Loader, reserved_ids
from salesdesk.imports import BATCH, Importer, Report, choice_lookup, lookup
from salesdesk.models import Region
from salesdesk.services import region_create, region_update


CUSTOMER_FIELDS = ["name", "id_card", "phone", "address", "region", "crops", "acreage_mu", "machinery", "notes"]
PURCHASE_FIELDS = ["date", "product_model", "quantity", "unit_price", "amount", "purchase_method", "payment_method", "dealer"]
ATTRIBUTES = {"region": "region_id", "dealer": "dealer_id"}  # the foreign keys, written by id


@dataclass(slots=True)
class Decision:
    """What the import does with one row of a customers file: `read` makes it from the row (an
    error, or undecided), `decide` decides it, a `CustomerWriter` writes it."""

    row: int
    customer: tuple  # the cleaned values, in CUSTOMER_FIELDS order (name, id_card, phone, …)
    purchase: tuple | None  # the purchase to add, in PURCHASE_FIELDS order; None: none, or it is on file
    errors: list  # [(column, message)]
    values: list  # the row as read, for the download of the rows with errors
    status: str = ""  # new, updated, unchanged, skipped, error; "" until decided
    key: int | str | None = None  # its customer: the id of the one on file, else the first alias of a new one
    existing: Customer | None = None  # the customer on file
    changes: dict | None = None  # {field: [on file, in the file]} for the customer on file

    @property
    def name(self):
        return self.customer[0]

    @property
    def aliases(self):
        """How rows name their customer: "id:…" by ID-card number, and "phone:…"."""
        _name, id_card, phone = self.customer[:3]
        return [f"id:{id_card}", f"phone:{phone}"] if id_card else [f"phone:{phone}"]


class CustomerImporter(Importer):
    """Two passes over the sheet (it is in memory) with one row in hand at a time: the first reads
    and checks every row and keeps only the ID-card numbers and phones; then the customers on file
    with them are looked up; the second pass decides each row and, when writing, hands it to a
    `CustomerWriter`. 100,000 rows fit in well under 300 MB."""

    kind = "customers"
    label = gettext_lazy("End customers and purchases")
    needs_user = False  # the bulk path writes its own audit entries
    resources = (CustomerResource, PurchaseResource)
    required = ("name", "phone", "region")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        regions = list(Region.objects.only("code", "name"))
        self.regions = {region.code: region.pk for region in regions}
        self.region_names = {region.pk: str(region) for region in regions}  # as the audit trail shows them
        self.dealers = {}
        for pk, company in Dealer.objects.values_list("pk", "company"):
            self.dealers.setdefault(company, pk)
        self.methods = choice_lookup(Purchase.Method.choices)
        self.payments = choice_lookup(Purchase.Payment.choices)

    def cleaners(self):
        def region(value):
            code = cells.narrow(value).upper() if value not in (None, "") else ""
            if code and code not in self.regions:
                raise ValueError(_("No region has the code “%(code)s”.") % {"code": code})
            return self.regions.get(code)

        def dealer(value):
            name = cells.text(value)
            if name and name not in self.dealers:
                raise ValueError(_("No dealer is called “%(name)s”.") % {"name": name})
            return self.dealers.get(name)

        return {
            "name": lambda v: cells.text(v, 50), "id_card": cells.id_card, "phone": cells.phone,
            "address": lambda v: cells.text(v, 200), "region": region, "crops": lambda v: cells.text(v, 100),
            "acreage_mu": lambda v: cells.decimal(v, 1), "machinery": cells.text, "notes": cells.text,
            "date": cells.date, "product_model": lambda v: cells.text(v, 50), "quantity": cells.integer,
            "unit_price": cells.decimal, "amount": cells.decimal,
            "purchase_method": lambda v: lookup(self.methods, v), "payment_method": lambda v: lookup(self.payments, v),
            "dealer": dealer,
        }

    def purchase_of(self, clean):
        values = {name: clean.get(name) for name in PURCHASE_FIELDS}
        if all(value in (None, "") for value in values.values()):
            return None, []
        errors = []
        for name in ("date", "product_model", "quantity", "unit_price", "purchase_method", "payment_method"):
            if values[name] in (None, ""):
                errors.append((self.header_of(name), _("A purchase needs this column.")))
        if values.get("purchase_method") == Purchase.Method.DEALER and not values.get("dealer"):
            errors.append((self.header_of("dealer"), _("A purchase through a dealer names the dealer.")))
        if values.get("quantity") is not None and values["quantity"] < 1:
            errors.append((self.header_of("quantity"), _("The quantity is at least 1.")))
        if not errors and values["amount"] is None:
            values["amount"] = Purchase.amount_for(values["quantity"], values["unit_price"])
        return values, errors

    def header_of(self, name):
        return next(column.header for column in self.columns() if column.name == name)

    def _run(self, upload, write):
        table = cells.read_table(upload)
        found, _unknown = self.locate(table.headers)
        report = Report(headers=table.headers)
        ids, phones, good = self.check_rows(table.rows(), found, report)  # pass 1
        on_file = OnFile(ids, phones)
        decisions = self.decide(table.rows(), found, on_file)  # pass 2, a row at a time
        if write and report.ok and good:
            with transaction.atomic():
                self.write(decisions, report)
            report.written = True
        else:
            for decision in decisions:
                report.add(decision.row, decision.status, decision.name)
        return report

    def read(self, rows, found):
        """The rows as undecided Decisions (or errors), with their cleaned values."""
        for number, values in rows:
            clean, errors = self.clean_row(values, found)
            purchase, purchase_errors = self.purchase_of(clean)
            failed = {column for column, _message in errors}  # a column that failed to read is not also "missing"
            errors += [(column, message) for column, message in purchase_errors if column not in failed]
            customer = tuple(clean.get(name) if name in ("region", "acreage_mu") else (clean.get(name) or "")
                             for name in CUSTOMER_FIELDS)
            purchase = tuple(purchase[name] for name in PURCHASE_FIELDS) if purchase else None
            yield Decision(number, customer, purchase, errors, values, status="error" if errors else "")

    def check_rows(self, rows, found, report):
        """Pass 1: report every row with errors (with its values as read); the ID-card numbers and
        phones of the others, and how many they are."""
        ids, phones, good = set(), set(), 0
        for count, decision in enumerate(self.read(rows, found), start=1):
            if decision.errors:
                report.add(decision.row, "error", decision.name, decision.errors, decision.values)
            else:
                good += 1
                _name, id_card, phone = decision.customer[:3]
                if id_card:
                    ids.add(id_card)
                phones.add(phone)
            if count % 1000 == 0:
                self.progress(count)
        return sorted(ids), sorted(phones), good

    def decide(self, rows, found, on_file):
        """Pass 2: the decision on every row without errors (pass 1 reported those). Further rows of
        a customer met earlier in the file add their purchases to that customer."""
        met = {}  # alias -> (status, key, customer on file) of every customer met in the file
        for decision in self.read(rows, found):
            if decision.errors:
                continue
            earlier = next((met[alias] for alias in decision.aliases if alias in met), None)
            if earlier is None:
                self.decide_first(decision, on_file)
                for alias in decision.aliases:
                    met[alias] = (decision.status, decision.key, decision.existing)
            else:  # a further row of a customer met earlier
                status, key, existing = earlier
                decision.key, decision.existing = key, existing
                decision.status = "skipped" if status == "skipped" else "unchanged"
                if status == "skipped" or on_file.has_purchase(existing, decision.purchase):
                    decision.purchase = None
            yield decision

    def decide_first(self, decision, on_file):
        """The first row of a customer: new, or on file and skipped, updated or unchanged."""
        _name, id_card, phone = decision.customer[:3]
        existing = decision.existing = on_file.customer(id_card, phone)
        if on_file.has_purchase(existing, decision.purchase):
            decision.purchase = None  # importing the file again adds nothing
        if existing is None:
            decision.status, decision.key = "new", decision.aliases[0]
            return
        decision.key = existing.pk
        if not self.update:
            decision.status, decision.purchase = "skipped", None
            return
        decision.changes = {
            name: [getattr(existing, ATTRIBUTES.get(name, name)), value]
            for name, value in zip(CUSTOMER_FIELDS, decision.customer)
            if getattr(existing, ATTRIBUTES.get(name, name)) != value and not (name == "id_card" and not value)
        }
        decision.status = "updated" if decision.changes or decision.purchase else "unchanged"

    def write(self, decisions, report):
        writer = customer_writer(by=self.by, region_names=self.region_names)
        for count, decision in enumerate(decisions, start=1):
            report.add(decision.row, decision.status, decision.name)
            writer.write(decision)
            if count % 1000 == 0:
                self.progress(count)
        writer.finish(report)


class OnFile:
    """The customers on file with the file's ID-card numbers or phones, and their purchases: on
    PostgreSQL one `= ANY(array)` query each (100,000 keys in ~0.5 s), elsewhere IN-lists in batches."""

    def __init__(self, ids, phones):
        self.by_id = {customer.id_card: customer for customer in self.matching("id_card", ids)}
        self.by_phone = {}
        for customer in self.matching("phone", phones):
            self.by_phone.setdefault(customer.phone, customer)
        self.purchases = self.purchases_of(sorted({c.pk for c in [*self.by_id.values(), *self.by_phone.values()]}))

    def customer(self, id_card, phone):
        return (self.by_id.get(id_card) if id_card else None) or self.by_phone.get(phone)

    def has_purchase(self, customer, purchase):
        """Whether the customer on file has this purchase (same date, model, quantity and amount)."""
        if customer is None or purchase is None:
            return False
        date, product_model, quantity, _unit_price, amount = purchase[:5]
        return (customer.pk, date, product_model, quantity, amount) in self.purchases

    @staticmethod
    def matching(column, keys):
        if not keys:
            return []
        if connection.vendor == "postgresql":
            return Customer.objects.raw(f'SELECT * FROM "{Customer._meta.db_table}" WHERE "{column}" = ANY(%s)', [keys])
        found = []
        for start in range(0, len(keys), BATCH):
            found += Customer.objects.filter(**{f"{column}__in": keys[start:start + BATCH]}).only("pk", "version", *CUSTOMER_FIELDS)
        return found

    @staticmethod
    def purchases_of(customer_ids):
        keys = set()
        for start in range(0, len(customer_ids), BATCH):
            keys.update(Purchase.objects.filter(customer_id__in=customer_ids[start:start + BATCH]).values_list(
                "customer_id", "date", "product_model", "quantity", "amount"))
        return keys


def customer_writer(**kwargs):
    """The writer for this database: COPY on PostgreSQL, bulk_create elsewhere."""
    return (CopyWriter if connection.vendor == "postgresql" else CustomerWriter)(**kwargs)


class CustomerWriter:
    """Writes the decisions of a customers import in bulk, inside its transaction: new customers,
    the file's values on customers on file, purchases, an audit entry for every customer created or
    updated and one for the import. What waits is written every BATCH records, so memory stays flat;
    the audit entries are built as they are written (thousands of them held would keep the garbage
    collector busy walking the sheet).

    This one is portable (bulk_create, which gives the new customers' ids as they are written);
    `CopyWriter` is PostgreSQL's."""

    def __init__(self, *, by, region_names):
        self.by = by
        self.region_names = region_names  # region id -> the region as the trail shows it
        self.ids = {}  # the key of each new customer -> its id
        self.new = {}  # key -> values of the new customers waiting to be written
        self.purchases = []  # (customer key, values) waiting to be written
        self.updated = []  # (customer on file holding the file's values, changes) waiting to be written
        self.entries = []  # the import's own audit entry, once it is finished
        self.purchase_count = 0

    def write(self, decision):
        if decision.status == "new":
            self.add_customer(decision.key, decision.customer)
        elif decision.changes:
            self.update_customer(decision.existing, decision.customer, decision.changes)
        if decision.purchase:
            self.add_purchase(decision.key, decision.purchase)
        if max(len(self.new), len(self.updated), len(self.purchases)) >= BATCH:
            self.flush()

    def add_customer(self, key, values):
        self.new[key] = values

    def update_customer(self, customer, values, changes):
        for name, value in zip(CUSTOMER_FIELDS, values):
            if value or name != "id_card":  # a blank ID-card number in the file keeps the one on file
                setattr(customer, ATTRIBUTES.get(name, name), value)
        customer.version += 1
        self.updated.append((customer, changes))

    def add_purchase(self, key, values):
        """`key`: the id of a customer on file, or the key a new one was added under."""
        self.purchases.append((key, values))
        self.purchase_count += 1

    def finish(self, report):
        self.entries.append(audit.entry(None, "customers.import.customers", by=self.by,
                                        data={**report.counts, "rows": report.total, "purchases": self.purchase_count}))
        self.flush()

    def flush(self):
        """Writes what waits: new customers first (purchases name them), purchases, updates, entries."""
        created = self.insert_customers()
        self.insert_purchases()
        Customer.objects.bulk_update([customer for customer, _changes in self.updated],
                                     ["version", *[ATTRIBUTES.get(name, name) for name in CUSTOMER_FIELDS]])
        audit.record_many(chain(
            (self.customer_entry("customers.customer.created", pk, values[0], audit.diff({}, dict(zip(CUSTOMER_FIELDS, values))))
             for pk, values in created),
            (self.customer_entry("customers.customer.updated", customer.pk, customer.name, changes)
             for customer, changes in self.updated),
            self.entries,
        ))
        self.updated, self.entries = [], []

    def insert_customers(self):
        """Writes the new customers waiting; [(id, values)] of them."""
        made = Customer.objects.bulk_create(
            [Customer(**_attributes(CUSTOMER_FIELDS, values), created_by=self.by) for values in self.new.values()]
        )
        created = [(customer.pk, values) for customer, values in zip(made, self.new.values())]
        self.ids.update(zip(self.new, (pk for pk, _values in created)))
        self.new = {}
        return created

    def insert_purchases(self):
        Purchase.objects.bulk_create(
            [Purchase(customer_id=self.ids.get(key, key), **_attributes(PURCHASE_FIELDS, values)) for key, values in self.purchases]
        )
        self.purchases = []

    def customer_entry(self, action, pk, name, changes):
        """An audit entry about one customer, its region named as the pages show it."""
        if "region" in changes:
            changes = {**changes, "region": [self.region_names.get(region) for region in changes["region"]]}
        return audit.entry(Customer, action, by=self.by, changes=changes, data={"via": "import"}, object_id=pk, object_repr=name)


class CopyWriter(CustomerWriter):
    """PostgreSQL: new customers and purchases COPY'd. The new customers' ids are reserved from the
    sequence in blocks, so their purchases and audit entries name them before they are written."""

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.loader = Loader()
        self.now = self.loader.timestamp(timezone.localtime().replace(tzinfo=None))
        self.reserved = reserved_ids(Customer)

    def add_customer(self, key, values):
        self.ids[key] = next(self.reserved)
        self.new[key] = values

    def insert_customers(self):
        created = [(self.ids[key], values) for key, values in self.new.items()]
        by = self.by.pk if self.by else None
        self.loader.load("customers.Customer", ["id", *CUSTOMER_FIELDS, "created_at", "created_by", "version"],
                         [(pk, *values, self.now, by, 1) for pk, values in created])
        self.new = {}
        return created

    def insert_purchases(self):
        self.loader.load("customers.Purchase", ["customer", *PURCHASE_FIELDS, "created_at"],
                         [(self.ids.get(key, key), *values, self.now) for key, values in self.purchases])
        self.purchases = []


def _attributes(names, values):
    return {ATTRIBUTES.get(name, name): value for name, value in zip(names, values)}


class RegionImporter(Importer):
    kind = "regions"
    label = gettext_lazy("Regions")
    resources = (RegionResource,)
    required = ("name", "code")

    def cleaners(self):
        choices = choice_lookup(Region.AftersalesBy.choices)
        return {
            "name": lambda v: cells.text(v, 50), "code": lambda v: cells.narrow(v).upper() if v not in (None, "") else "",
            "parent": lambda v: cells.narrow(v).upper() if v not in (None, "") else "",
            "aftersales_by": lambda v: lookup(choices, v) or Region.AftersalesBy.DEALER,
        }

    def plan(self, rows, found, report):
        existing = {region.code: region for region in Region.objects.all()}
        in_file = set()
        plan = []
        for number, values in rows:
            clean, errors = self.clean_row(values, found)
            code = clean.get("code", "")
            if code and not (2 <= len(code) <= 12 and code.isalnum()):
                errors.append((RegionResource.fields["code"].column_name, _("Use 2–12 capital letters or digits.")))
            parent = clean.get("parent")
            if parent and parent not in existing and parent not in in_file:
                errors.append((RegionResource.fields["parent"].column_name,
                               _("No region has the code “%(code)s” (a parent must come before its sub-regions).") % {"code": parent}))
            if errors:
                report.add(number, "error", clean.get("name", ""), errors, values)
                continue
            in_file.add(code)
            if code in existing:
                status = "updated" if self.update else "skipped"
            else:
                status = "new"
            plan.append((status, clean))
            report.add(number, status, f"{clean['name']} ({code})")
        return plan

    def write(self, plan, report):
        for status, clean in plan:
            parent = Region.objects.get(code=clean["parent"]) if clean["parent"] else None
            data = {"name": clean["name"], "code": clean["code"], "parent": parent, "aftersales_by": clean["aftersales_by"]}
            if status == "new":
                region_create(by=self.by, data=data)
            elif status == "updated":
                region_update(region=Region.objects.get(code=clean["code"]), by=self.by, data=data)
        audit.record(None, "customers.import.regions", by=self.by, data={**report.counts, "rows": report.total})


class DealerImporter(Importer):
    kind = "dealers"
    label = gettext_lazy("Dealers")
    resources = (DealerResource,)
    required = ("company", "region", "contact", "contact_phone", "address")

    def cleaners(self):
        regions = dict(Region.objects.values_list("code", "pk"))

        def region(value):
            code = cells.narrow(value).upper() if value not in (None, "") else ""
            if code and code not in regions:
                raise ValueError(_("No region has the code “%(code)s”.") % {"code": code})
            return regions.get(code)

        return {
            "company": lambda v: cells.text(v, 100), "region": region, "legal_rep": lambda v: cells.text(v, 50),
            "legal_rep_phone": cells.phone, "principal": lambda v: cells.text(v, 50), "principal_phone": cells.phone,
            "contact": lambda v: cells.text(v, 50), "contact_phone": cells.phone, "address": lambda v: cells.text(v, 200),
            "business_scope": cells.text, "store_area": lambda v: cells.decimal(v, 1), "annual_sales": cells.decimal,
            "brands": lambda v: cells.text(v, 200), "survey_date": cells.date, "opening_date": cells.date, "notes": cells.text,
        }

    def plan(self, rows, found, report):
        existing = {(d.region_id, d.company): d for d in Dealer.objects.all()}
        seen, plan = set(), []
        for number, values in rows:
            clean, errors = self.clean_row(values, found)
            key = (clean.get("region"), clean.get("company"))
            if not errors and key in seen:
                errors.append((DealerResource.fields["company"].column_name, _("This company appears twice in the file for the same region.")))
            if errors:
                report.add(number, "error", clean.get("company", ""), errors, values)
                continue
            current = existing.get(key)
            if current is not None and self.update and "edit" not in services.dealer_allowed_steps(self.by, current):
                report.add(number, "error", clean["company"], [(
                    DealerResource.fields["company"].column_name,
                    _("This dealer is “%(status)s” and cannot be changed by an import now.") % {"status": current.get_status_display()},
                )], values)
                continue
            seen.add(key)
            status = "new" if current is None else ("updated" if self.update else "skipped")
            plan.append((status, current, clean))
            report.add(number, status, clean["company"])
        return plan

    def write(self, plan, report):
        for status, current, clean in plan:
            data = {("region" if k == "region" else k): v for k, v in clean.items()}
            data["region"] = Region.objects.get(pk=clean["region"])
            if status == "new":
                services.dealer_intake_create(by=self.by, data=data)
            elif status == "updated":
                data = {k: v for k, v in data.items() if v not in (None, "") or k == "notes"}
                services.dealer_update(dealer=current, by=self.by, data=data, expected_version=current.version)
        audit.record(None, "customers.import.dealers", by=self.by, data={**report.counts, "rows": report.total})
