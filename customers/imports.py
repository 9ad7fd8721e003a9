"""Importing the archives (regions, dealers, end customers with purchases) from spreadsheets.

    report = importer_for("customers", by=clerk, duplicates="skip").check(upload)   # no writes
    report = importer_for("customers", by=clerk, duplicates="update").apply(upload) # all or nothing

Columns are matched by the Chinese headers of `customers.resources` (the download templates), the
English field names or the usual names clerks give them (`synonyms`: 手机, 区域, 单价…), as the
core's mapping step proposes and the clerk corrects (salesdesk.imports). Regions are found by name
or code. Every problem is reported with its row, its column and what is wrong. A record on file
(same ID-card number or phone for a customer, same company in the same region for a dealer, same
code for a region) keeps its details or is updated, as the clerk chooses; a customer on file still
gets a new purchase of the file, and duplicates within a customers file are decided row by row
(see `CustomerImporter`).

End customers take the bulk path: a first pass over the file checks every row, the customers on
file are looked up in batches, a second pass makes a `Decision` on every row, and a
`CustomerWriter` writes them with bulk inserts and updates (COPY on PostgreSQL) in one
transaction. Regions, dealers and staff are small files and go through the per-record services.
"""

from dataclasses import dataclass
from itertools import chain

from django.core.exceptions import ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext

from customers import services
from customers.models import Customer, Dealer, Purchase
from customers.resources import CustomerResource, DealerResource, PurchaseResource, RegionResource
from salesdesk import audit
from salesdesk import spreadsheets as cells
from salesdesk.bulk import Loader, reserved_ids
from salesdesk.imports import BATCH, Importer, RegionLookup, choice_lookup, lookup
from salesdesk.models import Region
from salesdesk.search import search_text
from salesdesk.services import region_create, region_update


CUSTOMER_FIELDS = ["name", "id_card", "phone", "address", "region", "crops", "acreage_mu", "machinery", "notes"]
PURCHASE_FIELDS = ["date", "product_model", "quantity", "unit_price", "amount", "purchase_method", "payment_method", "dealer"]
ATTRIBUTES = {"region": "region_id", "dealer": "dealer_id"}  # the foreign keys, written by id
ROW_BITS = 21  # an Excel row number (at most 1,048,576), in the low bits of an InFile entry
ROW_MASK = (1 << ROW_BITS) - 1


def _hash32(value):
    return hash(value) & 0xFFFFFFFF


@dataclass(slots=True)
class Decision:
    """What the import does with one row of a customers file: `read` makes it from the row (an
    error, or undecided), `decide` decides it, a `CustomerWriter` writes it."""

    row: int
    customer: tuple  # the cleaned values, in CUSTOMER_FIELDS order (name, id_card, phone, …)
    purchase: tuple | None  # the purchase to add, in PURCHASE_FIELDS order; None: none, or it is on file
    errors: list  # [(column, message)]
    values: list  # the row as read, for the download of the rows with errors
    status: str = ""  # new, updated, added, unchanged, repeated, skipped, error; "" until decided
    key: int | None = None  # its customer: the id of the one on file, else -(the first row of the new one)
    existing: Customer | None = None  # the customer on file
    changes: dict | None = None  # {field: [on file, in the file]} for the customer on file
    first: int | None = None  # the customer's first row in the file, for a further row (the row it repeats, if repeated)
    several: bool = False  # its customer has further rows in the file

    @property
    def name(self):
        return self.customer[0]


class InFile:
    """Who the rows of a customers file are, as pass 1 finds them: a row with an ID-card number is
    its holder, a row without one is known by the phone (and by the name on it). No row is kept:
    for each person one int per key, holding the person's first row and 32-bit hashes of the name
    (and phone) to tell another person by, so 100,000 people cost ~20 MB where tuples took ~45;
    `several` holds the first rows of the people with more than one row, the only ones pass 2
    follows from row to row.

    Two rows with one ID-card number and another name or phone, or one phone and another name
    (neither with an ID-card number), are a conflict the clerk must settle."""

    def __init__(self):
        self.by_id = {}  # ID-card number -> first row | (hash of phone | hash of name << 32) << ROW_BITS
        self.by_phone = {}  # phone -> first row | (has an ID-card number | hash of name << 1) << ROW_BITS
        self.several = set()
        self.failed = set()  # the rows with errors, which pass 2 leaves out

    @staticmethod
    def person(name, phone):
        """What tells a holder of an ID-card number from another (the bits above the row)."""
        return _hash32(phone) | _hash32(name) << 32

    def place(self, number, name, id_card, phone):
        """(the person's first row, or the row it conflicts with; whether it conflicts)."""
        if id_card:
            entry = self.by_id.get(id_card)
            if entry is not None:
                return self.met(entry & ROW_MASK, entry >> ROW_BITS != self.person(name, phone))
            holder = self.by_phone.get(phone)
            if holder is not None and not holder >> ROW_BITS & 1 and holder >> ROW_BITS + 1 == _hash32(name):
                number = self.met(holder & ROW_MASK, False)[0]  # the same name and phone came first, without the number
            self.by_id[id_card] = number | self.person(name, phone) << ROW_BITS
            self.by_phone.setdefault(phone, number | (1 | _hash32(name) << 1) << ROW_BITS)
            return number, False
        holder = self.by_phone.get(phone)
        if holder is None:
            self.by_phone[phone] = number | _hash32(name) << ROW_BITS + 1
            return number, False
        return self.met(holder & ROW_MASK, holder >> ROW_BITS + 1 != _hash32(name))

    def met(self, first, conflict):
        """A further row of the person whose first row is `first` (unless it conflicts)."""
        if not conflict:
            self.several.add(first)
        return first, conflict

    def first_row(self, name, id_card, phone):
        """The person's first row (after pass 1), or None for a row in conflict."""
        if id_card:
            entry = self.by_id[id_card]
            return entry & ROW_MASK if entry >> ROW_BITS == self.person(name, phone) else None
        entry = self.by_phone[phone]
        return entry & ROW_MASK if entry >> ROW_BITS + 1 == _hash32(name) else None

    def holders(self):
        """(ID-card number, first row, hash of the name) of every holder of an ID-card number."""
        for id_card, entry in self.by_id.items():
            yield id_card, entry & ROW_MASK, entry >> ROW_BITS + 32

    def known_by_phone(self):
        """(phone, first row, hash of the name) of every person without an ID-card number."""
        for phone, entry in self.by_phone.items():
            if not entry >> ROW_BITS & 1:
                yield phone, entry & ROW_MASK, entry >> ROW_BITS + 1


class CustomerImporter(Importer):
    """Two passes over the sheet (it is in memory) with one row in hand at a time: the first reads
    and checks every row and finds who each row is (`InFile`); then the customers on file with the
    file's ID-card numbers and phones are looked up; the second pass decides each row and, when
    writing, hands it to a `CustomerWriter`. 100,000 rows fit in well under 300 MB.

    Duplicates are decided in the open, row by row: a row repeated in the file is "repeated" and
    counted once; a further row of a customer (in the file or on file) adds its purchase to them
    ("added"), unless that purchase (date, model, quantity, amount) is on file or came earlier in
    the file ("unchanged"); the same ID-card number with another name or phone, or the same phone
    with another name, is an error naming the rows, or the customer on file."""

    kind = "customers"
    label = gettext_lazy("End customers and purchases")
    needs_user = False  # the bulk path writes its own audit entries
    resources = (CustomerResource, PurchaseResource)
    required = ("name", "phone", "region")
    synonyms = {
        "name": ("客户姓名", "名字", "客户名称", "客户", "用户姓名", "购机人", "购买人"),
        "id_card": ("身份证", "身份证号码", "身份证件号码", "证件号码", "证件号"),
        "phone": ("手机", "手机号", "手机号码", "联系电话", "电话号码", "联系方式", "移动电话"),
        "address": ("住址", "家庭住址", "详细地址", "联系地址", "通讯地址"),
        "region": ("区域", "地区", "所属区域", "所属地区", "区域名称", "销售区域"),
        "crops": ("作物", "种植品种"),
        "acreage_mu": ("耕地面积", "面积", "亩数", "种植面积", "耕地亩数"),
        "machinery": ("农机", "已有农机", "现有机具"),
        "notes": ("说明", "备注信息"),
        "date": ("购机日期", "日期", "购买时间", "购机时间"),
        "product_model": ("型号", "机型", "产品", "规格型号"),
        "quantity": ("台数", "购买数量"),
        "unit_price": ("单价",),
        "amount": ("金额", "总金额", "总价", "合计金额"),
        "purchase_method": ("购机方式",),
        "payment_method": ("支付方式", "结算方式"),
        "dealer": ("经销商名称", "购买经销商", "销售经销商"),
    }
    choices = {"purchase_method": Purchase.Method.choices, "payment_method": Purchase.Payment.choices}
    offered_defaults = ("purchase_method", "payment_method")
    status_labels = {"added": gettext_lazy("Customer on file, purchase added")}

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.regions = RegionLookup(leaves_only=True)
        self.region_names = self.regions.shown  # as the audit trail shows them
        self.dealers = {}
        for pk, company in Dealer.objects.values_list("pk", "company"):
            self.dealers.setdefault(company, pk)
        self.methods = choice_lookup(Purchase.Method.choices)
        self.payments = choice_lookup(Purchase.Payment.choices)

    def cleaners(self):
        def dealer(value):
            name = cells.text(value)
            if name and name not in self.dealers:
                raise ValueError(_("No dealer is called “%(name)s”.") % {"name": name})
            return self.dealers.get(name)

        return {
            "name": lambda v: cells.text(v, 50), "id_card": cells.id_card, "phone": cells.phone,
            "address": lambda v: cells.text(v, 200), "region": self.regions, "crops": lambda v: cells.text(v, 100),
            "acreage_mu": lambda v: cells.decimal(v, 1), "machinery": cells.text, "notes": cells.text,
            "date": cells.date, "product_model": lambda v: cells.text(v, 50), "quantity": cells.integer,
            "unit_price": cells.decimal, "amount": cells.decimal,
            "purchase_method": lambda v: lookup(self.methods, v), "payment_method": lambda v: lookup(self.payments, v),
            "dealer": dealer,
        }

    def allowed_values(self):
        return {**super().allowed_values(), "region": self.regions.allowed()}

    def example(self):
        region = next(iter(self.regions.allowed()), ("HB01", ""))[0]
        return {
            "name": "张三", "id_card": "11010519491231002X", "phone": "13800138000", "address": "河北省保定市清苑区东闾乡",
            "region": region, "crops": "小麦、玉米", "acreage_mu": 50, "machinery": "拖拉机 1 台", "date": "2026-03-05",
            "product_model": "4LZ-6 谷物联合收割机", "quantity": 1, "unit_price": 128000, "amount": 128000,
            "purchase_method": str(Purchase.Method.DIRECT.label), "payment_method": str(Purchase.Payment.CASH.label),
        }

    def purchase_of(self, clean):
        values = {name: clean.get(name) for name in PURCHASE_FIELDS}
        if all(values[name] in (None, "") for name in PURCHASE_FIELDS if name not in self.defaults):
            return None, []  # a default alone makes no purchase
        errors = []
        for name in ("date", "product_model", "quantity", "unit_price", "purchase_method", "payment_method"):
            if values[name] in (None, ""):
                errors.append((self.header_of(name), _("A purchase needs this column.") if name in self.found else
                               _("A purchase needs this column; the file has none (a default for it can be chosen with the columns).")))
        if values.get("purchase_method") == Purchase.Method.DEALER and not values.get("dealer"):
            errors.append((self.header_of("dealer"), _("A purchase through a dealer names the dealer.")))
        if values.get("quantity") is not None and values["quantity"] < 1:
            errors.append((self.header_of("quantity"), _("The quantity is at least 1.")))
        if not errors and values["amount"] is None:
            try:
                values["amount"] = Purchase.computed_amount(values["quantity"], values["unit_price"])
            except ValidationError as exc:
                errors.append((self.header_of("amount"), exc.messages[0]))
        return values, errors

    def _run(self, upload, write):
        table, found, report = self.start(upload)
        in_file, good = self.check_rows(self.data_rows(table, report), found, report)  # pass 1
        on_file = OnFile(sorted(in_file.by_id), sorted(in_file.by_phone))
        conflicts = self.conflicts(in_file, on_file)
        decisions = self.decide(self.data_rows(table), found, in_file, on_file, conflicts)  # pass 2, a row at a time
        if write and report.ok and good and not conflicts:
            with transaction.atomic():
                self.write(decisions, report)
            report.written = True
        else:
            for decision in decisions:
                report.add(decision.row, decision.status, self.summary(decision), decision.errors, decision.values)
        return report

    def read(self, rows, found, failed_rows=None):
        """The rows as undecided Decisions (or errors), with their cleaned values. `failed_rows`:
        pass 1 is over; its rows with errors are left out, and the others cleaned as checked."""
        checked = failed_rows is not None
        for number, values in rows:
            if checked and number in failed_rows:
                continue
            clean, errors = self.clean_row(values, found, checked=checked)
            purchase, purchase_errors = self.purchase_of(clean)
            failed = {column for column, _message in errors}  # a column that failed to read is not also "missing"
            errors += [(column, message) for column, message in purchase_errors if column not in failed]
            customer = tuple(clean.get(name) if name in ("region", "acreage_mu") else (clean.get(name) or "")
                             for name in CUSTOMER_FIELDS)
            purchase = tuple(purchase[name] for name in PURCHASE_FIELDS) if purchase else None
            yield Decision(number, customer, purchase, errors, values, status="error" if errors else "")

    def check_rows(self, rows, found, report):
        """Pass 1: report every row with errors (with its values as read), a row in conflict with an
        earlier one among them; who the others are (`InFile`), and how many they are."""
        in_file, good = InFile(), 0
        for count, decision in enumerate(self.read(rows, found), start=1):
            if not decision.errors:
                name, id_card, phone = decision.customer[:3]
                earlier, conflict = in_file.place(decision.row, name, id_card, phone)
                if conflict:
                    decision.errors.append(self.conflict_in_file(earlier, decision.row, id_card))
            if decision.errors:
                report.add(decision.row, "error", decision.name, decision.errors, decision.values)
                in_file.failed.add(decision.row)
            else:
                good += 1
            if count % 1000 == 0:
                self.progress(count)
        return in_file, good

    def conflict_in_file(self, earlier, row, id_card):
        if id_card:
            return (self.header_of("id_card"), _(
                "Rows %(earlier)s and %(row)s have the same ID-card number with another name or phone. "
                "One ID-card number is one person: correct one of the two rows.") % {"earlier": earlier, "row": row})
        return (self.header_of("phone"), _(
            "Rows %(earlier)s and %(row)s have the same phone with another name and no ID-card number. "
            "Give each person's ID-card number, or correct the name.") % {"earlier": earlier, "row": row})

    def conflicts(self, in_file, on_file):
        """{first row of a person in the file: the error} where the customer on file with the
        person's ID-card number (or, without one, phone) has another name."""
        conflicts = {}
        for id_card, first, name_hash in in_file.holders():
            customer = on_file.by_id.get(id_card)
            if customer is not None and _hash32(customer.name) != name_hash:
                conflicts[first] = (self.header_of("name"), _(
                    "The customer on file with this ID-card number is called “%(name)s”. Correct the name, "
                    "or change it on the customer's page first.") % {"name": customer.name})
        for phone, first, name_hash in in_file.known_by_phone():
            customer = on_file.by_phone.get(phone)
            if customer is not None and _hash32(customer.name) != name_hash:
                conflicts[first] = (self.header_of("name"), _(
                    "This phone is on file for the customer “%(name)s”. Correct the name, or give this person's "
                    "ID-card number.") % {"name": customer.name})
        return conflicts

    def decide(self, rows, found, in_file, on_file, conflicts):
        """Pass 2: the decision on every row without errors (pass 1 reported those). The rows of a
        person with several rows are followed: which rows repeat an earlier one, which purchases
        an earlier row added."""
        met = {}  # first row of a customer with several rows -> (key, customer on file)
        seen = {}  # hash of (customer, values of a row) -> its row, for them: rows repeated in the file
        bought = set()  # hashes of (customer, purchase) of the purchases the file adds them
        for decision in self.read(rows, found, failed_rows=in_file.failed):
            name, id_card, phone = decision.customer[:3]
            first = in_file.first_row(name, id_card, phone)
            if first in conflicts:
                decision.status, decision.errors = "error", [conflicts[first]]
                yield decision
                continue
            several = decision.several = first in in_file.several
            if several:
                signature = hash((first, decision.customer, decision.purchase))
                if signature in seen:
                    decision.status, decision.first, decision.purchase = "repeated", seen[signature], None
                    decision.key, decision.existing = met[first]
                    yield decision
                    continue
                seen[signature] = decision.row
            if first == decision.row:
                self.decide_first(decision, on_file)
                if several:
                    met[first] = (decision.key, decision.existing)
            else:
                decision.key, decision.existing = met[first]
                decision.first = first
            purchase = self.new_purchase(decision, first, on_file, bought if several else None)
            decision.status = self.with_purchase(decision.status, purchase, decision.purchase is not None)
            decision.purchase = purchase
            yield decision

    @staticmethod
    def with_purchase(status, purchase, had_purchase):
        """The status of a row once its purchase is decided: a new or updated customer stays so; a
        customer on file, or met on an earlier row (status ""), given a purchase is "added"; the
        row of a skipped customer whose purchase is on file is "unchanged"."""
        if status in ("new", "updated"):
            return status
        if purchase:
            return "added"
        if status == "skipped" and not had_purchase:
            return "skipped"
        return "unchanged"

    @staticmethod
    def new_purchase(decision, first, on_file, bought):
        """The row's purchase, unless its customer has it on file or got it from an earlier row
        (`bought`, None for a customer of one row)."""
        if decision.purchase is None or on_file.has_purchase(decision.existing, decision.purchase):
            return None
        if bought is not None:
            date, product_model, quantity, _unit_price, amount = decision.purchase[:5]
            key = hash((first, date, product_model, quantity, amount))
            if key in bought:
                return None
            bought.add(key)
        return decision.purchase

    def decide_first(self, decision, on_file):
        """The first row of a customer: new, or on file and skipped (details left as they are),
        updated or unchanged; its purchase is decided after."""
        name, id_card, phone = decision.customer[:3]
        existing = decision.existing = on_file.customer(id_card, phone, name)
        if existing is None:
            decision.status, decision.key = "new", -decision.row
            return
        decision.key = existing.pk
        if not self.update:
            decision.status = "skipped"
            return
        decision.changes = {
            name: [getattr(existing, ATTRIBUTES.get(name, name)), value]
            for name, value in zip(CUSTOMER_FIELDS, decision.customer)
            if getattr(existing, ATTRIBUTES.get(name, name)) != value and not (name == "id_card" and not value)
        }
        decision.status = "updated" if decision.changes else "unchanged"

    def summary(self, decision):
        """The preview's words on a decided row."""
        if decision.status == "repeated":
            return _("%(name)s · the same as row %(row)s, counted once") % {"name": decision.name, "row": decision.first}
        if decision.status == "added" and decision.purchase:
            date, product_model = decision.purchase[:2]
            if decision.first:
                return _("%(name)s · %(date)s %(model)s, the customer of row %(row)s") % {
                    "name": decision.name, "date": date, "model": product_model, "row": decision.first}
            return f"{decision.name} · {date} {product_model}"
        if decision.status == "updated" and decision.changes:
            labels = pgettext("list separator", ", ").join(str(Customer._meta.get_field(name).verbose_name) for name in decision.changes)
            return _("%(name)s · changed: %(fields)s") % {"name": decision.name, "fields": labels}
        return decision.name

    def write(self, decisions, report):
        writer = customer_writer(by=self.by, region_names=self.region_names)
        for count, decision in enumerate(decisions, start=1):
            report.add(decision.row, decision.status, self.summary(decision))
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

    def customer(self, id_card, phone, name):
        """The customer on file a row names: by its ID-card number; a row without one by its phone;
        a row whose ID-card number is not on file by its phone only if the customer with that
        phone has no ID-card number and the same name (else it is another person sharing a phone)."""
        if not id_card:
            return self.by_phone.get(phone)
        customer = self.by_id.get(id_card)
        if customer is None:
            customer = self.by_phone.get(phone)
            if customer is not None and (customer.id_card or customer.name != name):
                return None
        return customer

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
        self.ids = {}  # the key of each new customer waiting to be written -> its id
        self.ids_kept = {}  # the same, kept after the write, of the new customers with further rows
        self.several = set()  # the keys of those
        self.new = {}  # key -> values of the new customers waiting to be written
        self.purchases = []  # (customer key, values) waiting to be written
        self.updated = []  # (customer on file holding the file's values, changes) waiting to be written
        self.entries = []  # the import's own audit entry, once it is finished
        self.purchase_count = 0

    def write(self, decision):
        if decision.status == "new":
            self.add_customer(decision.key, decision.customer)
            if decision.several:
                self.several.add(decision.key)
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

    def customer_id(self, key):
        """The id of the customer a purchase names by `key`: the key a new one was added under, or
        the id of one on file."""
        return self.ids.get(key) or self.ids_kept.get(key, key)

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
        self.ids_kept.update((key, pk) for key, pk in self.ids.items() if key in self.several)
        self.ids = {}  # 100,000 new customers would hold ~10 MB
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
            [Purchase(customer_id=self.customer_id(key), **_attributes(PURCHASE_FIELDS, values)) for key, values in self.purchases]
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
        self.loader.load("customers.Customer", ["id", *CUSTOMER_FIELDS, "search", "created_at", "created_by", "version"],
                         [(pk, *values, search_text(values[0]), self.now, by, 1) for pk, values in created])
        self.new = {}
        return created

    def insert_purchases(self):
        self.loader.load("customers.Purchase", ["customer", *PURCHASE_FIELDS, "created_at"],
                         [(self.customer_id(key), *values, self.now) for key, values in self.purchases])
        self.purchases = []


def _attributes(names, values):
    return {ATTRIBUTES.get(name, name): value for name, value in zip(names, values)}


class RegionImporter(Importer):
    """Regions by code: a code on file is skipped or updated. A parent is named by its code or its
    name, on file or on an earlier row; a code must pass the model's own rule (Region.code)."""

    kind = "regions"
    label = gettext_lazy("Regions")
    resources = (RegionResource,)
    required = ("name", "code")
    synonyms = {
        "name": ("名称", "区域", "地区", "地区名称"), "code": ("编码", "代码", "区域代码", "地区编码"),
        "parent": ("上级区域", "上级编码", "上级", "所属区域", "上级区域名称"), "aftersales_by": ("售后", "售后负责", "售后服务归属"),
    }
    choices = {"aftersales_by": Region.AftersalesBy.choices}

    def cleaners(self):
        choices = choice_lookup(Region.AftersalesBy.choices)
        return {
            "name": lambda v: cells.text(v, 50), "code": lambda v: cells.narrow(v).upper() if v not in (None, "") else "",
            "parent": lambda v: cells.narrow(v) if v not in (None, "") else "",
            "aftersales_by": lambda v: lookup(choices, v) or Region.AftersalesBy.DEALER,
        }

    def example(self):
        return {"name": "保定市", "code": "HBBD", "parent": "HB", "aftersales_by": str(Region.AftersalesBy.DEALER.label)}

    def plan(self, rows, found, report):
        existing = {region.code: region for region in Region.objects.all()}
        lookup_on_file = RegionLookup()
        code_field = Region._meta.get_field("code")
        in_file = {}  # code and name of the regions of earlier rows -> code
        plan = []
        for number, values in rows:
            clean, errors = self.clean_row(values, found)
            code = clean.get("code", "")
            if code and not any(header == self.header_of("code") for header, _message in errors):
                try:
                    code_field.run_validators(code)
                except ValidationError as exc:
                    errors.append((self.header_of("code"), " ".join(exc.messages)))
            parent = clean.get("parent")
            if parent:
                clean["parent"], problem = self.parent_code(parent, in_file, lookup_on_file)
                if problem:
                    errors.append((self.header_of("parent"), problem))
            if errors:
                report.add(number, "error", clean.get("name", ""), errors, values)
                continue
            in_file[code] = in_file[clean["name"]] = code
            if code in existing:
                status = "updated" if self.update else "skipped"
            else:
                status = "new"
            plan.append((status, clean))
            report.add(number, status, f"{clean['name']} ({code})")
        return plan

    @staticmethod
    def parent_code(parent, in_file, on_file):
        """(the code of the parent a row names by code or name, what is wrong with it)."""
        for key in (parent.upper(), parent):
            if key in in_file:
                return in_file[key], None
        try:
            pk = on_file(parent)
        except ValueError as exc:
            if parent.upper() == parent and parent.isascii():
                return parent, _("No region has the code “%(code)s” (a parent must come before its sub-regions).") % {"code": parent}
            return parent, str(exc)
        return Region.objects.values_list("code", flat=True).get(pk=pk), None

    def write(self, plan, report):
        for status, clean in plan:
            data = {"name": clean["name"], "code": clean["code"]}
            if "parent" in clean:
                data["parent"] = Region.objects.get(code=clean["parent"]) if clean["parent"] else None
            if "aftersales_by" in clean:
                data["aftersales_by"] = clean["aftersales_by"]
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
    synonyms = {
        "company": ("公司", "经销商", "经销商名称", "单位名称", "企业名称"), "region": ("区域", "地区", "所属区域", "区域名称"),
        "legal_rep": ("法人", "法定代表人"), "legal_rep_phone": ("法人电话", "法定代表人电话"),
        "principal": ("负责人",), "principal_phone": ("负责人电话",), "contact": ("联系人",),
        "contact_phone": ("联系电话", "联系人电话", "电话", "手机"), "address": ("地址", "经营地址", "详细地址"),
        "store_area": ("门店面积", "面积"), "annual_sales": ("年销售额",), "brands": ("品牌",),
    }

    def __init__(self, **kwargs):
        super().__init__(**kwargs)
        self.regions = RegionLookup(leaves_only=True)

    def allowed_values(self):
        return {**super().allowed_values(), "region": self.regions.allowed()}

    def example(self):
        region = next(iter(self.regions.allowed()), ("HB01", ""))[0]
        return {"company": "保定丰收农机销售有限公司", "region": region, "legal_rep": "张伟", "legal_rep_phone": "13903120002",
                "contact": "王佳", "contact_phone": "13903120001", "address": "保定市莲池区东风路1号",
                "business_scope": "农机销售、维修", "store_area": 300, "brands": "雷沃、东方红", "survey_date": "2026-03-05"}

    def cleaners(self):
        return {
            "company": lambda v: cells.text(v, 100), "region": self.regions, "legal_rep": lambda v: cells.text(v, 50),
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
                errors.append((self.header_of("company"), _("This company appears twice in the file for the same region.")))
            if errors:
                report.add(number, "error", clean.get("company", ""), errors, values)
                continue
            current = existing.get(key)
            if current is not None and self.update and "edit" not in services.dealer_allowed_steps(self.by, current):
                report.add(number, "error", clean["company"], [(
                    self.header_of("company"),
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
