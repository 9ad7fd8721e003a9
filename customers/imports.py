"""Importing the archives (regions, dealers, end customers with purchases) from spreadsheets.

    report = importer_for("customers", by=clerk, duplicates="skip").check(upload)   # no writes
    report = importer_for("customers", by=clerk, duplicates="update").apply(upload) # all or nothing

Columns are found by the Chinese headers of `customers.resources` (the download templates) or the
English field names. Every problem is reported with its row, its column and what is wrong. A
duplicate (same ID-card number or phone for a customer, same company in the same region for a
dealer, same code for a region) is skipped or updated, as the clerk chooses.

End customers take the bulk path: one pass over the file keeps the cleaned rows as tuples, the
duplicates are looked up in batches, and the writes are bulk inserts and updates in one
transaction. Regions, dealers and staff are small files and go through the per-record services.
"""

from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from customers import services
from customers.models import Customer, Dealer, Purchase
from customers.resources import CustomerResource, DealerResource, PurchaseResource, RegionResource
from salesdesk import audit
from salesdesk import spreadsheets as cells
from salesdesk.bulk import Loader, copy_line, reserve_ids
from salesdesk.imports import BATCH, Importer, Report, _content_type, _masked, _plain, choice_lookup, lookup
from salesdesk.models import AuditEntry, Region
from salesdesk.services import region_create, region_update


class CustomerImporter(Importer):
    kind = "customers"
    label = gettext_lazy("End customers and purchases")
    needs_user = False  # the bulk path writes its own audit entries
    resources = (CustomerResource, PurchaseResource)
    required = ("name", "phone", "region")

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.regions = dict(Region.objects.values_list("code", "pk"))
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

    CUSTOMER_FIELDS = ["name", "id_card", "phone", "address", "region", "crops", "acreage_mu", "machinery", "notes"]
    PURCHASE_FIELDS = ["date", "product_model", "quantity", "unit_price", "amount", "purchase_method", "payment_method", "dealer"]

    def purchase_of(self, clean):
        values = {name: clean.get(name) for name in self.PURCHASE_FIELDS}
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
        """Two passes over the sheet (it is in memory): the first checks every row and keeps only
        the keys; the second decides each row and, when writing, streams it to the database. The
        cleaned rows are never all held at once: 100,000 rows fit in well under 300 MB."""
        table = cells.read_table(upload)
        found, _unknown = self.locate(table.headers)
        report = Report(headers=table.headers)
        ids, phones, good = self.check_rows(table.rows(), found, report)
        by_id, by_phone = self.existing(ids, phones)
        on_file = self.purchases_on_file({c.pk for c in [*by_id.values(), *by_phone.values()]})
        decisions = self.decide(table.rows(), found, report, by_id, by_phone, on_file)
        if write and report.ok and good:
            with transaction.atomic():
                if connection.vendor == "postgresql":
                    self.stream(decisions, report)
                else:
                    self.write(self.collect(decisions), report)
            report.written = True
        else:
            for _decision in decisions:  # the preview's statuses
                pass
        return report

    def cleaned(self, values, found):
        """(customer tuple, purchase tuple or None, errors) of one row, in CUSTOMER_FIELDS /
        PURCHASE_FIELDS order."""
        clean, errors = self.clean_row(values, found)
        purchase, purchase_errors = self.purchase_of(clean)
        failed = {column for column, _message in errors}  # a column that failed to read is not also "missing"
        purchase_errors = [(column, message) for column, message in purchase_errors if column not in failed]
        customer = tuple(clean.get(name) if name in ("region", "acreage_mu") else (clean.get(name) or "")
                         for name in self.CUSTOMER_FIELDS)
        return customer, tuple(purchase[n] for n in self.PURCHASE_FIELDS) if purchase else None, errors + purchase_errors

    def check_rows(self, rows, found, report):
        """Pass 1: report every failing row (with its original values); keep the keys of the rest."""
        ids, phones, good = set(), set(), 0
        id_at, phone_at = self.CUSTOMER_FIELDS.index("id_card"), self.CUSTOMER_FIELDS.index("phone")
        for count, (number, values) in enumerate(rows, start=1):
            customer, _purchase, errors = self.cleaned(values, found)
            if errors:
                report.add(number, "error", customer[0], errors, values)
            else:
                good += 1
                if customer[id_at]:
                    ids.add(customer[id_at])
                phones.add(customer[phone_at])
            if count % 1000 == 0:
                self.progress(count)
        return sorted(ids), sorted(phones), good

    def decide(self, rows, found, report, by_id, by_phone, on_file):
        """Pass 2: yields (key, status, customer row, purchase row, existing customer, changes)."""
        seen = {}  # "id:…" and "phone:…" of every customer met in the file -> (key, status, customer on file)
        for number, values in rows:
            row, purchase_row, errors = self.cleaned(values, found)
            if errors:
                continue  # reported in pass 1
            customer = dict(zip(self.CUSTOMER_FIELDS, row))
            purchase = dict(zip(self.PURCHASE_FIELDS, purchase_row)) if purchase_row else None
            aliases = [f"id:{customer['id_card']}"] * bool(customer["id_card"]) + [f"phone:{customer['phone']}"]
            earlier = next((seen[alias] for alias in aliases if alias in seen), None)
            if earlier:  # another purchase of a customer met earlier in the file
                key, status, existing = earlier
                report.add(number, "unchanged" if status != "skipped" else "skipped", customer["name"])
                if existing is not None and purchase and self.purchase_key(existing.pk, purchase) in on_file:
                    continue  # already on file
                if status != "skipped" and purchase:
                    yield key, "purchase", None, purchase_row, None, None
                continue
            key = aliases[0]
            existing = by_id.get(customer["id_card"]) if customer["id_card"] else None
            existing = existing or by_phone.get(customer["phone"])
            if existing is not None and purchase and self.purchase_key(existing.pk, purchase) in on_file:
                purchase_row = None  # this purchase is already on file: importing the file again adds nothing
            changes = None
            if existing is None:
                status = "new"
            elif not self.update:
                status = "skipped"
            else:
                changes = {name: [_plain(getattr(existing, name + ("_id" if name == "region" else ""))), _plain(value)]
                           for name, value in customer.items()
                           if _plain(getattr(existing, name + ("_id" if name == "region" else ""))) != _plain(value)
                           and not (name == "id_card" and not value)}
                status = "updated" if changes or purchase_row else "unchanged"
            met = (key, status, existing)  # one record, under each of the customer's aliases
            for alias in aliases:
                seen[alias] = met
            report.add(number, status, customer["name"])
            if status != "skipped":
                yield key, status, row, purchase_row, existing, changes

    def collect(self, decisions):
        """The decisions as one plan in memory (SQLite: small files, written by bulk_create)."""
        plan = {"create": {}, "update": {}, "purchases": []}
        for key, status, row, purchase_row, existing, changes in decisions:
            if status == "new":
                plan["create"][key] = row
            elif status in ("updated", "unchanged"):
                plan["update"][key] = (existing, row, changes)
            if purchase_row:
                plan["purchases"].append((key, purchase_row))
        return plan

    def stream(self, decisions, report):
        """PostgreSQL: new customers COPY'd as they are decided (ids reserved from the sequence in
        blocks), then the updates, then the purchases COPY'd."""
        loader, pks, updates, purchases = Loader(), {}, {}, []
        now = loader.timestamp(timezone.localtime().replace(tzinfo=None))
        by = self.by.pk if self.by else None
        pool = self.id_pool()

        def new_customers():
            for count, (key, status, row, purchase_row, existing, changes) in enumerate(decisions, start=1):
                if status == "new":
                    pks[key] = next(pool)
                    yield (pks[key], *row, now, by, 1)
                elif status in ("updated", "unchanged"):
                    pks[key] = existing.pk
                    updates[key] = (existing, row, changes)
                if purchase_row:  # held as its COPY line: ~170 bytes instead of ~450 for the tuple of objects
                    purchases.append(copy_line((pks[key], *purchase_row, now)))
                if count % 1000 == 0:
                    self.progress(count)

        loader.load("customers.Customer", ["id", *self.CUSTOMER_FIELDS, "created_at", "created_by", "version"], new_customers())
        self.write_updates({"update": updates}, pks)
        loader.load_lines("customers.Purchase", ["customer", *self.PURCHASE_FIELDS, "created_at"], purchases)
        audit.record(None, "customers.import.customers", by=self.by,
                     data={**report.counts, "rows": report.total, "purchases": len(purchases)})

    @staticmethod
    def id_pool(block=5000):
        while True:
            yield from reserve_ids(Customer, block)

    @staticmethod
    def purchase_key(customer_id, purchase):
        return (customer_id, purchase["date"], purchase["product_model"], purchase["quantity"], purchase["amount"])

    def purchases_on_file(self, customer_ids):
        ids, keys = sorted(customer_ids), set()
        for start in range(0, len(ids), BATCH):
            rows = Purchase.objects.filter(customer_id__in=ids[start:start + BATCH]).values_list(
                "customer_id", "date", "product_model", "quantity", "amount")
            keys.update(rows)
        return keys

    def existing(self, ids, phones):
        """The customers on file with the file's ID-card numbers or phones: on PostgreSQL one
        `= ANY(array)` query each (100,000 keys in ~0.5 s), elsewhere IN-lists in batches."""
        fields = ["pk", "version", *self.CUSTOMER_FIELDS]
        by_id, by_phone = {}, {}
        for customer in self.matching("id_card", ids, fields):
            by_id[customer.id_card] = customer
        for customer in self.matching("phone", phones, fields):
            by_phone.setdefault(customer.phone, customer)
        return by_id, by_phone

    @staticmethod
    def matching(column, keys, fields):
        if not keys:
            return []
        if connection.vendor == "postgresql":
            table = Customer._meta.db_table
            return Customer.objects.raw(
                f'SELECT * FROM "{table}" WHERE "{column}" = ANY(%s)', [keys]
            )
        found = []
        for start in range(0, len(keys), BATCH):
            found += Customer.objects.filter(**{f"{column}__in": keys[start:start + BATCH]}).only(*fields)
        return found

    def write(self, plan, report):
        """Elsewhere than PostgreSQL: bulk_create (which returns the new primary keys)."""
        pks = self.insert_new(plan)
        self.write_updates(plan, pks)
        purchases = plan["purchases"]
        Purchase.objects.bulk_create(
            [Purchase(customer_id=pks[key], **{("dealer_id" if k == "dealer" else k): v for k, v in zip(self.PURCHASE_FIELDS, row)})
             for key, row in purchases], batch_size=BATCH)
        audit.record(None, "customers.import.customers", by=self.by,
                     data={**report.counts, "rows": report.total, "purchases": len(purchases)})

    def insert_new(self, plan):
        pks = {}
        keys = list(plan["create"])
        for start in range(0, len(keys), BATCH):
            chunk = keys[start:start + BATCH]
            made = Customer.objects.bulk_create(
                [Customer(**{("region_id" if k == "region" else k): v for k, v in zip(self.CUSTOMER_FIELDS, plan["create"][key])},
                          created_by=self.by)
                 for key in chunk]
            )
            pks.update(zip(chunk, (customer.pk for customer in made)))
            self.progress(start + len(chunk))
        return pks

    def write_updates(self, plan, pks):
        updated, entries = [], []
        for key, (existing, row, changes) in plan["update"].items():
            customer = dict(zip(self.CUSTOMER_FIELDS, row))
            pks[key] = existing.pk
            if changes:
                for name, value in customer.items():
                    if name == "id_card" and not value:
                        continue
                    setattr(existing, "region_id" if name == "region" else name, value)
                existing.version += 1
                updated.append(existing)
                entries.append(AuditEntry(actor=self.by, action="customers.customer.updated", object_repr=existing.name,
                                          object_id=str(existing.pk), content_type=_content_type(Customer),
                                          changes=_masked(changes), data={"via": "import"}))
        for start in range(0, len(updated), BATCH):
            Customer.objects.bulk_update(updated[start:start + BATCH], ["version", *[
                "region_id" if name == "region" else name for name in self.CUSTOMER_FIELDS]])
        AuditEntry.objects.bulk_create(entries, batch_size=BATCH)


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
        self.region_objects = {}

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
            if current is not None and self.update and not services.can_edit_dealer(self.by, current):
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
