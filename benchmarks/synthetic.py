"""A synthetic sales-service department of real size, reproducible from a seed.

At scale 1: ~300 regions, 2,000 dealers in every state and grade, 500,000 end customers (Chinese
names from Faker's zh_CN tables, valid ID-card numbers, mobiles, birthdays, 10 % lunar),
2,000,000 purchases over 24 months, 100,000 after-sales tickets, 50,000 shipments with events,
and an audit trail of 1,000,000 entries over the same two years (`audit_trail`).

Each row is generated as a dict keyed by field name (`Department.load` writes the columns in the
order of the first row's keys) and written by `Loader`: PostgreSQL COPY (secondary indexes dropped
first and built after), or executemany on SQLite. Primary keys are assigned here, so foreign keys
need no read-back; sequences and number series are set after the load.
"""

import datetime
import heapq
import json
import random
import time
from decimal import Decimal
from operator import itemgetter

from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.contrib.contenttypes.models import ContentType
from django.db import connection, transaction
from faker.providers.address.zh_CN import Provider as AddressData
from faker.providers.person.zh_CN import Provider as PersonData
from faker.providers.phone_number.zh_CN import Provider as PhoneData
from faker.providers.ssn.zh_CN import Provider as SsnData

from salesdesk import registry
from salesdesk.bulk import Loader
from salesdesk.models import NumberSeries, Role, StaffProfile
from salesdesk.numbering import series_key
from salesdesk.pii import id_card_check_digit, mask
from salesdesk.search import search_text

AT_SCALE_1 = {
    "regions": 300, "dealers": 2_000, "customers": 500_000, "purchases": 2_000_000,
    "tickets": 100_000, "shipments": 50_000, "audit_entries": 1_000_000, "access_requests": 3_000,
}
# Tables this command fills, children first (the order a reset empties them in).
TABLES = [
    "salesdesk.AuditEntry", "logistics.ShipmentEvent", "logistics.Shipment", "logistics.Carrier", "aftersales.Ticket",
    "customers.Purchase", "customers.Birthday", "customers.GradeChange", "customers.Customer",
    "customers.Dealer", "salesdesk.AccessRequest", "salesdesk.Region",
]
PRODUCTS = [
    ("LR-404 轮式拖拉机", 68_000), ("LR-904 轮式拖拉机", 118_000), ("LR-1204 轮式拖拉机", 186_000),
    ("LR-1604 轮式拖拉机", 265_000), ("LR-4LZ-6 谷物联合收割机", 142_000), ("LR-4LZ-8 谷物联合收割机", 198_000),
    ("LR-4YZ-3 玉米收获机", 168_000), ("LR-4YZ-4 玉米收获机", 215_000), ("LR-2BYF-4 免耕播种机", 12_800),
    ("LR-2BMG-6 小麦播种机", 9_600), ("LR-3WP-600 植保喷雾机", 26_500), ("LR-1LF-435 翻转犁", 9_800),
    ("LR-1GQN-230 旋耕机", 7_200), ("LR-9YG-2.2 圆捆打捆机", 56_000),
]
CROPS = ["小麦、玉米", "水稻", "大豆、玉米", "棉花", "花生、小麦", "马铃薯", "玉米", "油菜", "甘蔗", "小麦"]
SHOP_WORDS = ["丰收", "金穗", "沃野", "农丰", "田园", "鑫农", "惠农", "兴农", "绿野", "润田", "嘉禾", "金田", "农友", "华农"]
CARRIERS = ["顺丰速运", "德邦物流", "中通快运", "安能物流", "百世快运", "京东物流", "壹米滴答", "跨越速运",
            "天地华宇", "佳吉快运", "新邦物流", "远成物流"]
PROBLEMS = ["发动机启动困难", "液压系统漏油", "割台传动异响", "仪表盘报警", "播种量不均匀", "轮胎异常磨损",
            "变速箱换挡困难", "空调不制冷", "电瓶亏电", "喷雾压力不足"]
# What the audit trail holds, per 1,000 entries (dealer steps and access requests come on top, from
# the dealers' states and the requests written): the clerks' daily work on the archives.
AUDIT_MIX = {
    "customer_updated": 300, "customer_imported": 60, "customer_created": 60, "purchase_added": 150,
    "purchase_removed": 5, "pii_customer_form": 170, "pii_dealer_form": 60, "pii_reveal": 50,
    "dealer_updated": 90, "agreement_downloaded": 15, "export": 30, "import": 10,
}
NOTES = ["客户要求上门回访", "已电话确认地址", "补贴资料已交", "更换联系人", "春耕前检修", "老客户介绍"]
REASONS = ["核对客户回访记录", "季度经销商考核", "补贴申报核对", "售后投诉调查", "年度档案检查"]

INVALID_MOBILE_PREFIXES = {"149"}


def scaled(scale):
    counts = {name: max(1, round(n * scale)) for name, n in AT_SCALE_1.items()}
    counts["regions"] = max(8, counts["regions"])
    counts["dealers"] = max(12, counts["dealers"])
    counts["customers"] = max(50, counts["customers"])
    return counts


class Department:
    """Generates the department at a scale; `build()` writes it and returns the row counts."""

    def __init__(self, scale=1.0, seed=2026, today=None, log=print):
        self.counts = scaled(scale)
        self.random = random.Random(seed)
        self.today = today or datetime.date(2026, 11, 1)
        self.log = log
        self.loader = Loader()
        self.surnames = list(PersonData.last_names)
        self.surname_weights = list(PersonData.last_names.values())
        self.given = list(PersonData.first_names)
        self.area_codes = [code for code in SsnData.area_codes if not code.endswith("00")]
        # Faker's prefixes, less those libphonenumber does not take for a mobile (149: data cards),
        # so every synthetic number passes the archives' phone check
        self.mobile_prefixes = [str(p) for p in PhoneData.phonenumber_prefixes if str(p) not in INVALID_MOBILE_PREFIXES]

    # People ------------------------------------------------------------------------------

    def names(self, n):
        surnames = self.random.choices(self.surnames, weights=self.surname_weights, k=n)
        given, pick = self.given, self.random.random
        out = []
        for surname in surnames:
            first = given[int(pick() * len(given))]
            out.append(surname + first + (given[int(pick() * len(given))] if pick() < 0.7 else ""))
        return out

    def id_card(self, born, seen):
        while True:
            first17 = f"{self.random.choice(self.area_codes)}{born:%Y%m%d}{self.random.randrange(1000):03d}"
            number = first17 + id_card_check_digit(first17)
            if number not in seen:
                seen.add(number)
                return number

    def mobile(self, seen):
        while True:
            number = self.random.choice(self.mobile_prefixes) + f"{self.random.randrange(10**8):08d}"
            if number not in seen:
                seen.add(number)
                return number

    def staff(self):
        """The six demo roles plus market developers and salespeople to own regions and customers."""
        User = get_user_model()
        users = {}
        for username, role, name in [
            ("leader", Role.LEADERSHIP, "赵建国"), ("manager", Role.MANAGER, "钱明华"), ("clerk", Role.CLERK, "孙丽"),
            ("member", Role.MEMBER, "李强"), ("developer", Role.DEVELOPER, "周海涛"), ("repair", Role.REPAIR, "吴师傅"),
        ]:
            users[username] = self._user(User, username, name, role)
        n_developers = max(3, self.counts["regions"] // 10)
        names = self.names(n_developers)
        developers = [users["developer"]] + [
            self._user(User, f"dev{i:03d}", names[i], Role.DEVELOPER) for i in range(1, n_developers)
        ]
        return users, developers

    @staticmethod
    def _user(User, username, name, role):
        user, created = User.objects.get_or_create(username=username, defaults={"first_name": name})
        if created:
            user.set_password("salesdesk")
            user.save(update_fields=["password"])
        user.groups.add(Group.objects.get(name=role))
        StaffProfile.objects.get_or_create(user=user, defaults={"name": user.first_name or username})
        return user

    # The build ---------------------------------------------------------------------------

    def build(self):
        started = time.perf_counter()
        users, developers = self.staff()
        self.users, self.developers = users, developers
        big = ["customers.Customer", "customers.Purchase", "customers.Birthday", "aftersales.Ticket",
               "logistics.Shipment", "logistics.ShipmentEvent", "salesdesk.AuditEntry"]
        written = {}
        with transaction.atomic():  # on PostgreSQL the DDL too: a failed build leaves the indexes as they were
            if self.loader.postgres:
                with connection.cursor() as cursor:  # check foreign keys as rows arrive, so indexes can be built
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
            indexes = self.loader.drop_secondary_indexes(big)
            for step in (self.regions, self.dealers, self.customers, self.purchases, self.tickets, self.shipments,
                         self.audit_trail):
                t0 = time.perf_counter()
                counts = step()
                written.update(counts)
                self.log(f"  {step.__name__:10} {', '.join(f'{k} {v:,}' for k, v in counts.items())} "
                         f"in {time.perf_counter() - t0:.1f} s")
            t0 = time.perf_counter()
            self.loader.create_indexes(indexes)
            self.number_series()
            self.log(f"  indexes    {len(indexes)} built in {time.perf_counter() - t0:.1f} s")
        t0 = time.perf_counter()
        self.loader.finish(TABLES)
        if self.loader.postgres and not connection.in_atomic_block:
            # Fresh statistics and visibility maps (autovacuum may be off on the server): the pages
            # read ids from their indexes alone only on pages marked all-visible. (Not possible
            # inside a transaction, as in the tests; their tables are small.)
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")
        self.log(f"  analyze    in {time.perf_counter() - t0:.1f} s")
        written["seconds"] = round(time.perf_counter() - started, 1)
        return written

    def load(self, label, rows):
        """Write `rows`, dicts keyed by field name, to the model's table. The first row's keys are
        the one list of fields: the loader writes the columns in that order, and every row must
        have exactly those keys."""
        rows = iter(rows)
        first = next(rows, None)
        if first is None:
            return 0
        fields = list(first)
        values, width = itemgetter(*fields), len(fields)

        def in_order():
            yield values(first)
            for row in rows:
                if len(row) != width:  # a missing key raises KeyError in values(); this catches an extra one
                    raise ValueError(f"{label}: a row has the fields {list(row)}, not {fields}")
                yield values(row)

        return self.loader.load(label, fields, in_order())

    def regions(self):
        provinces = [p for p in AddressData.provinces if p not in ("香港特别行政区", "澳门特别行政区", "台湾省")]
        n = self.counts["regions"]
        n_provinces = min(len(provinces), max(2, n // 10))
        rows, self.leaf_regions, self.region_code = [], [], {}
        pk = 0
        per_province = max(1, (n - n_provinces) // n_provinces)
        cities = list(AddressData.cities)
        for p in range(n_provinces):
            pk += 1
            province_pk, code = pk, f"P{p + 1:02d}"
            lead = self.developers[p % len(self.developers)].pk
            rows.append({
                "id": province_pk, "name": provinces[p], "code": code, "parent": None, "path": f"/{province_pk}/",
                "lead": lead, "aftersales_by": "dealer",
            })
            self.region_code[province_pk] = code
            for c in range(per_province):
                if pk >= n:
                    break
                pk += 1
                child_code = f"{code}C{c + 1:02d}"
                rows.append({
                    "id": pk, "name": f"{cities[(p * per_province + c) % len(cities)]}片区", "code": child_code,
                    "parent": province_pk, "path": f"/{province_pk}/{pk}/", "lead": lead,
                    "aftersales_by": "company" if self.random.random() < 0.2 else "dealer",
                })
                self.region_code[pk] = child_code
                self.leaf_regions.append(pk)
        if not self.leaf_regions:
            self.leaf_regions = [row["id"] for row in rows]
        self.aftersales_by = {row["id"]: row["aftersales_by"] for row in rows}
        return {"regions": self.load("salesdesk.Region", rows)}

    def dealers(self):
        n = self.counts["dealers"]
        states = (["authorized"] * 50 + ["filed"] * 20 + ["approved"] * 8 + ["submitted"] * 10
                  + ["returned"] * 5 + ["draft"] * 7)
        manager, clerk = self.users["manager"].pk, self.users["clerk"].pk
        ts = self.loader.timestamp
        seen_phones = set()
        rows, birthdays = [], []
        self.authorized_by_region = {}
        self.authorized = []
        self.resource_seq, self.card_seq = {}, {}
        names = self.names(n * 3)
        now = datetime.datetime.combine(self.today, datetime.time(9, 0))
        for i in range(n):
            pk = i + 1
            region = self.leaf_regions[i % len(self.leaf_regions)]
            code = self.region_code[region]
            state = states[i % len(states)] if i >= 6 else ["draft", "submitted", "returned", "approved", "filed", "authorized"][i]
            developer = self.developers[i % len(self.developers)].pk
            grade = "ABCD"[i % 4] if state == "authorized" else ""
            resource = card = None
            if state in ("filed", "authorized"):
                self.resource_seq[code] = self.resource_seq.get(code, 0) + 1
                resource = f"ZY-{code}-{self.resource_seq[code]:04d}"
            if state == "authorized":
                key = (grade, code)
                self.card_seq[key] = self.card_seq.get(key, 0) + 1
                card = f"SQ-{grade}-{code}-{self.card_seq[key]:04d}"
                self.authorized_by_region.setdefault(region, []).append(pk)
                self.authorized.append(pk)
            reviewed = state in ("approved", "filed", "authorized")
            submitted_at = now - datetime.timedelta(days=30 + i % 700)
            reviewed_at = submitted_at + datetime.timedelta(days=2)
            filed_at = submitted_at + datetime.timedelta(days=3)
            authorized_at = submitted_at + datetime.timedelta(days=20)
            company = f"{code}{SHOP_WORDS[i % len(SHOP_WORDS)]}农机{i + 1}号销售有限公司"
            rows.append({
                "id": pk,
                "status": state,
                "company": company,
                "search": search_text(company, names[3 * i + 2], names[3 * i], names[3 * i + 1]),  # contact, legal rep, principal
                "legal_rep": names[3 * i],
                "legal_rep_phone": self.mobile(seen_phones),
                "principal": names[3 * i + 1],
                "principal_phone": self.mobile(seen_phones),
                "contact": names[3 * i + 2],
                "contact_phone": self.mobile(seen_phones),
                "address": f"{code}片区农机市场{i % 97 + 1}号",
                "region": region,
                "business_scope": "农业机械及配件销售、维修服务",
                "store_area": Decimal(120 + i % 2000),
                "annual_sales": Decimal((80 + i % 3000) * 10000),
                "brands": "东方红、雷沃",
                "survey_date": submitted_at.date(),
                "opening_date": datetime.date(2000 + i % 25, 1 + i % 12, 1 + i % 28),
                "notes": "",
                "submitted_by": developer,
                "created_at": ts(submitted_at),
                "submitted_at": ts(submitted_at) if state != "draft" else None,
                "reviewed_by": manager if reviewed else None,
                "reviewed_at": ts(reviewed_at) if reviewed else None,
                "review_comment": "",
                "return_reason": "门店面积请补充证明。" if state == "returned" else "",
                "resource_number": resource,
                "filed_by": clerk if resource else None,
                "filed_at": ts(filed_at) if resource else None,
                "grade": grade,
                "card_number": card,
                "authorized_at": ts(authorized_at) if card else None,
                "agreement": "",
                "agreement_signed_on": authorized_at.date() if card else None,
                "developer": developer,
                "regional_lead": self.developers[0].pk if card else None,
                "version": 1,
            })
            for person in ("legal_rep", "principal", "contact"):
                birthdays.append(self.birthday_row(len(birthdays) + 1, pk, None, person))
        count = self.load("customers.Dealer", rows)
        self.dealer_birthdays = birthdays
        if not self.authorized:
            self.authorized = [1]
        return {"dealers": count}

    def birthday_row(self, pk, dealer, customer, person, born=None):
        born = born or datetime.date(1950, 1, 1) + datetime.timedelta(days=self.random.randrange(365 * 48))
        lunar = self.random.random() < 0.1  # one in ten keeps the lunar birthday
        return {
            "id": pk, "dealer": dealer, "customer": customer, "person": person,
            "calendar": "lunar" if lunar else "solar", "year": born.year, "month": born.month,
            "day": min(born.day, 29) if lunar else born.day, "is_leap_month": False,
        }

    def customers(self):
        n = self.counts["customers"]
        seen_ids, seen_phones = set(), set()
        names = self.names(n)
        clerk = self.users["clerk"].pk
        created = datetime.datetime.combine(self.today, datetime.time(8, 0)) - datetime.timedelta(days=730)
        birthdays = list(self.dealer_birthdays)
        self.customer_region = [0]  # by customer id
        rand = self.random.random

        def rows():  # generated as the loader writes them; each customer's birthday is kept for after
            for i in range(n):
                pk = i + 1
                region = self.leaf_regions[int(rand() * len(self.leaf_regions))]
                born = datetime.date(1950, 1, 1) + datetime.timedelta(days=int(rand() * 365 * 50))
                developer = self.developers[region % len(self.developers)].pk
                row = {
                    "id": pk,
                    "name": names[i],
                    "search": search_text(names[i]),  # pinyin once a name: names repeat (salesdesk.search caches them)
                    "id_card": self.id_card(born, seen_ids),
                    "phone": self.mobile(seen_phones),
                    "address": f"{self.region_code[region]}片区{int(rand() * 300) + 1}村",
                    "region": region,
                    "regional_lead": developer,
                    "developer": developer,
                    "salesperson": developer if rand() < 0.8 else clerk,
                    "crops": CROPS[i % len(CROPS)],
                    "acreage_mu": Decimal(int(rand() * 3000) + 5),
                    "machinery": "",
                    "notes": "",
                    "created_at": self.loader.timestamp(created + datetime.timedelta(minutes=i)),
                    "created_by": clerk,
                    "version": 1,
                }
                self.customer_region.append(region)
                birthdays.append(self.birthday_row(len(birthdays) + 1, None, pk, "customer", born))
                yield row

        count = self.load("customers.Customer", rows())
        return {"customers": count, "birthdays": self.load("customers.Birthday", birthdays)}

    def purchases(self):
        n, customers = self.counts["purchases"], self.counts["customers"]
        start = self.today - datetime.timedelta(days=730)
        created = self.loader.timestamp(datetime.datetime.combine(start, datetime.time(10)))
        rand = self.random.random
        authorized_by_region, authorized = self.authorized_by_region, self.authorized

        def rows():
            for i in range(n):
                customer = int(rand() * customers) + 1
                product, price = PRODUCTS[int(rand() * len(PRODUCTS))]
                quantity = 1 if rand() < 0.85 else 2
                method = "dealer" if rand() < 0.7 else ("subsidy" if rand() < 0.5 else "direct")
                dealers = authorized_by_region.get(self.customer_region[customer]) or authorized
                dealer = dealers[int(rand() * len(dealers))] if method == "dealer" else None
                payment = "subsidy" if method == "subsidy" else ("cash", "transfer", "instalments")[int(rand() * 3)]
                yield {
                    "id": i + 1,
                    "customer": customer,
                    "date": start + datetime.timedelta(days=int(rand() * 730)),
                    "product_model": product,
                    "quantity": quantity,
                    "unit_price": Decimal(price),
                    "amount": Decimal(price * quantity),
                    "purchase_method": method,
                    "payment_method": payment,
                    "dealer": dealer,
                    "created_at": created,
                }

        return {"purchases": self.load("customers.Purchase", rows())}

    def tickets(self):
        n, customers = self.counts["tickets"], self.counts["customers"]
        start = datetime.datetime.combine(self.today, datetime.time(8)) - datetime.timedelta(days=730)
        rand = self.random.random
        moments = sorted(start + datetime.timedelta(minutes=int(rand() * 730 * 24 * 60)) for _ in range(n))
        self.ticket_seq = {}
        repair, clerk = self.users["repair"].pk, self.users["clerk"].pk
        names = self.names(n)
        ts = self.loader.timestamp

        def rows():
            for i, received in enumerate(moments):
                month = f"{received:%Y%m}"
                self.ticket_seq[month] = self.ticket_seq.get(month, 0) + 1
                customer = int(rand() * customers) + 1
                region = self.customer_region[customer]
                by_dealer = self.aftersales_by.get(region) == "dealer" and region in self.authorized_by_region
                dealers = self.authorized_by_region.get(region, [])
                age = (datetime.datetime.combine(self.today, datetime.time(8)) - received).days
                status = "archived" if age > 30 else ("closed", "repaired", "in_progress", "dispatched", "registered")[i % 5]
                closed = status in ("closed", "archived")
                yield {
                    "id": i + 1,
                    "number": f"SH-{month}-{self.ticket_seq[month]:04d}",
                    "received_at": ts(received),
                    "caller_name": names[i],
                    "caller_phone": self.mobile(set()),
                    "customer": customer,
                    "region": region,
                    "product_model": PRODUCTS[i % len(PRODUCTS)][0],
                    "serial_number": f"LR{received:%y}{i:07d}",
                    "purchase_date": None,
                    "kind": ("repair", "complaint", "question")[i % 3],
                    "problem": PROBLEMS[i % len(PROBLEMS)],
                    "is_major": i % 97 == 0,
                    "status": status,
                    "handled_by": "dealer" if by_dealer else "company",
                    "dealer": dealers[i % len(dealers)] if by_dealer else None,
                    "assignee": None if by_dealer else repair,
                    "first_contact_at": ts(received + datetime.timedelta(minutes=int(rand() * 180))),
                    "escalated_at": None,
                    "closed_at": ts(received + datetime.timedelta(days=1 + int(rand() * 5))) if closed else None,
                    "satisfaction": 1 + int(rand() * 5) if closed else None,
                    "created_by": clerk,
                }

        return {"tickets": self.load("aftersales.Ticket", rows())}

    def shipments(self):
        n, customers = self.counts["shipments"], self.counts["customers"]
        carriers = [
            {"id": i + 1, "name": name, "contact": "", "phone": "", "is_preferred": i < 4,
             "rating": Decimal("4.5") - Decimal(i) / 10}
            for i, name in enumerate(CARRIERS)
        ]
        self.load("logistics.Carrier", carriers)
        start = self.today - datetime.timedelta(days=730)
        rand = self.random.random
        events = []

        def rows():  # generated as the loader writes them; the events are kept for after
            for i in range(n):
                pk = i + 1
                shipped = start + datetime.timedelta(days=int(rand() * 730))
                to_dealer = rand() < 0.6
                customer = int(rand() * customers) + 1
                age = (self.today - shipped).days
                status = "accepted" if age > 10 else ("in_transit", "delivered", "registered")[i % 3]
                delivered = shipped + datetime.timedelta(days=2 + int(rand() * 5)) if status in ("delivered", "accepted") else None
                steps = {"registered": 1, "in_transit": 2, "delivered": 3, "accepted": 4}[status]
                for k, step in enumerate(("registered", "in_transit", "delivered", "accepted")[:steps]):
                    moment = datetime.datetime.combine(shipped, datetime.time(9)) + datetime.timedelta(days=k * 2)
                    events.append({
                        "id": len(events) + 1, "shipment": pk, "at": self.loader.timestamp(moment), "status": step,
                        "location": "", "note": "",
                    })
                yield {
                    "id": pk,
                    "carrier": 1 + i % len(CARRIERS),
                    "waybill_number": f"WB{shipped:%y%m%d}{i:07d}",
                    "shipped_on": shipped,
                    "dealer": self.authorized[i % len(self.authorized)] if to_dealer else None,
                    "customer": None if to_dealer else customer,
                    "region": self.customer_region[customer],
                    "goods": PRODUCTS[i % len(PRODUCTS)][0],
                    "quantity": 1 + i % 3,
                    "promised_on": shipped + datetime.timedelta(days=5),
                    "delivered_on": delivered,
                    "status": status,
                }

        count = self.load("logistics.Shipment", rows())
        return {"carriers": len(carriers), "shipments": count, "shipment_events": self.load("logistics.ShipmentEvent", events)}

    def audit_trail(self):
        """Two years of the department's audit trail: customer and dealer changes, purchases, views
        of personal data through the edit forms, imports, exports, the dealers' steps and the
        access requests (written here too, so each entry names a real record). Values are masked
        as `audit.snapshot` masks them; datetimes inside `changes` are UTC strings, as it writes
        them; `at` runs with the id, within office hours."""

        Customer, Dealer = apps.get_model("customers.Customer"), apps.get_model("customers.Dealer")
        AccessRequest, AuditEntry = apps.get_model("salesdesk.AccessRequest"), apps.get_model("salesdesk.AuditEntry")
        n = self.counts["audit_entries"]
        rand, users, developers = self.random.random, self.users, self.developers
        ct = {label: ContentType.objects.get_for_model(apps.get_model(label)).pk
              for label in ("customers.Customer", "customers.Dealer", "salesdesk.AccessRequest")}
        customers = list(Customer.objects.order_by("pk").values_list("pk", "name", "phone", "id_card", "region_id"))
        dealers = list(Dealer.objects.order_by("pk").values_list(
            "pk", "company", "status", "contact", "contact_phone", "developer__username", "grade"))
        region_names = {pk: f"{name} ({code})" for pk, name, code in apps.get_model("salesdesk.Region").objects.values_list(
            "pk", "name", "code")}
        n_purchases = self.counts["purchases"]
        start = datetime.datetime.combine(self.today, datetime.time(0)) - datetime.timedelta(days=730)
        first_id = (AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
        dumps = json.dumps

        def office_second():  # a weekday mostly, 8:00 to 18:00 local time
            day = int(rand() * 730)
            while (start + datetime.timedelta(days=day)).weekday() >= 5 and rand() < 0.85:
                day = int(rand() * 730)
            return day * 86400 + 8 * 3600 + int(rand() * 10 * 3600)

        def utc_text(moment):  # how audit.snapshot keeps a datetime: str() of an aware UTC datetime
            utc = moment.replace(tzinfo=datetime.timezone(datetime.timedelta(hours=8))).astimezone(datetime.timezone.utc)
            return f"{utc:%Y-%m-%d %H:%M:%S}.{utc.minute * 16661 % 1_000_000:06d}+00:00"

        def worker():  # who changes the archives: the clerk, or a market developer
            return users["clerk"] if rand() < 0.5 else developers[int(rand() * len(developers))]

        def viewer():
            r = rand()
            return users["clerk"] if r < 0.55 else users["manager"] if r < 0.85 else users["leader"] if r < 0.95 else users["member"]

        def customer_change(customer):
            pk, name, phone, id_card, region = customer
            fields = {}
            for _ in range(1 + (rand() < 0.4)):
                pick = int(rand() * 7)
                if pick == 0:
                    fields["phone"] = [mask("phone", phone), mask("phone", self.mobile(set()))]
                elif pick == 1:
                    code = self.region_code[region]
                    fields["address"] = [f"{code}片区{int(rand() * 300) + 1}村", f"{code}片区{int(rand() * 300) + 1}村"]
                elif pick == 2:
                    fields["crops"] = [CROPS[int(rand() * len(CROPS))], CROPS[int(rand() * len(CROPS))]]
                elif pick == 3:
                    fields["acreage_mu"] = [f"{int(rand() * 3000) + 5}.0", f"{int(rand() * 3000) + 5}.0"]
                elif pick == 4:
                    fields["salesperson"] = [developers[region % len(developers)].username, users["clerk"].username]
                elif pick == 5:
                    fields["notes"] = ["", NOTES[int(rand() * len(NOTES))]]
                else:
                    fields["machinery"] = ["", PRODUCTS[int(rand() * len(PRODUCTS))][0]]
            return fields

        def customer_created(customer, moment, by):
            pk, name, phone, id_card, region = customer
            developer = developers[region % len(developers)].username
            return {
                "acreage_mu": [None, f"{int(rand() * 3000) + 5}.0"], "address": [None, f"{self.region_code[region]}片区村"],
                "created_at": [None, utc_text(moment)], "created_by": [None, by.username], "crops": [None, CROPS[pk % len(CROPS)]],
                "developer": [None, developer], "id_card": [None, mask("id_card", id_card)], "machinery": [None, ""],
                "name": [None, name], "notes": [None, ""], "phone": [None, mask("phone", phone)],
                "region": [None, region_names[region]], "regional_lead": [None, developer], "salesperson": [None, developer],
            }

        def entry(pk, moment, by, action, content_type=None, object_id="", repr_="", changes=None, data=None):
            return {
                "id": pk, "at": self.loader.timestamp(moment), "actor": by.pk, "action": action,
                "content_type": content_type, "object_id": str(object_id) if object_id else "", "object_repr": repr_,
                "changes": dumps(changes or {}, ensure_ascii=False), "data": dumps(data or {}, ensure_ascii=False),
            }

        def planned():
            """Dealer steps and access requests: (second, order, kind, details), in time order."""
            events = []
            now = datetime.datetime.combine(self.today, datetime.time(9, 0))
            steps = {"submitted": ["submitted"], "returned": ["submitted", "returned"], "approved": ["submitted", "approved"],
                     "filed": ["submitted", "approved", "filed"], "authorized": ["submitted", "approved", "filed", "authorized"]}
            offsets = {"intake_created": -1, "submitted": 0, "returned": 2, "approved": 2, "filed": 3, "authorized": 20}
            for i, dealer in enumerate(dealers):
                submitted = now - datetime.timedelta(days=30 + i % 700)  # as in dealers()
                for step in ["intake_created", *steps.get(dealer[2], [])]:
                    moment = submitted + datetime.timedelta(days=offsets[step], minutes=int(rand() * 400))
                    events.append(((moment - start).total_seconds(), len(events), "dealer_" + step, dealer))
            self.access_rows = []
            first_request = (AccessRequest.objects.order_by("-pk").values_list("pk", flat=True).first() or 0) + 1
            requesters = [users["member"], users["repair"], *developers[:10]]
            categories = [(code, str(category.label)) for code, category in registry.categories().items()]
            for k in range(self.counts["access_requests"]):
                pk = first_request + k
                created = start + datetime.timedelta(seconds=office_second())
                requester = requesters[int(rand() * len(requesters))]
                scope, category, region, label = "all", "", None, str(AccessRequest.Scope.ALL.label)
                r = rand()
                if r < 0.3 and categories:
                    scope, (category, label) = "category", categories[int(rand() * len(categories))]
                elif r < 0.5:
                    scope, region = "region", self.leaf_regions[int(rand() * len(self.leaf_regions))]
                    label = region_names[region]
                days = 1 + int(rand() * 30)
                age = (datetime.datetime.combine(self.today, datetime.time(9)) - created).days
                status = "pending" if age < 3 and rand() < 0.6 else ("approved" if rand() < 0.8 else "rejected")
                decided = created + datetime.timedelta(hours=1 + int(rand() * 30)) if status != "pending" else None
                row = {
                    "id": pk, "requester": requester.pk, "scope": scope, "category": category, "region": region,
                    "reason": REASONS[k % len(REASONS)], "days": days, "status": status,
                    "created_at": self.loader.timestamp(created),
                    "decided_by": users["manager"].pk if decided else None,
                    "decided_at": self.loader.timestamp(decided) if decided else None,
                    "decision_comment": "" if status == "approved" else ("资料不足" if decided else ""),
                    "valid_from": self.loader.timestamp(decided) if status == "approved" else None,
                    "valid_until": self.loader.timestamp(decided + datetime.timedelta(days=days)) if status == "approved" else None,
                }
                self.access_rows.append(row)
                request = (pk, f"{requester.username} · {label}", requester, row, created, decided)
                events.append(((created - start).total_seconds(), len(events), "request_created", request))
                if decided:
                    events.append(((decided - start).total_seconds(), len(events), f"request_{status}", request))
            events.sort()
            return events

        def rows():
            kinds = [kind for kind, weight in AUDIT_MIX.items() for _ in range(weight)]
            events = planned()
            moments = sorted(office_second() for _ in range(max(0, n - len(events))))
            timeline = heapq.merge(((second, -1, None, None) for second in moments), events)
            dealer_ct, customer_ct, request_ct = ct["customers.Dealer"], ct["customers.Customer"], ct["salesdesk.AccessRequest"]
            for offset, (second, _, event, details) in enumerate(timeline):
                pk = first_id + offset
                moment = start + datetime.timedelta(seconds=second)
                if event is not None and event.startswith("dealer_"):
                    step, dealer = event[len("dealer_"):], details
                    before, after = {"intake_created": (None, "draft"), "submitted": ("draft", "submitted"),
                                     "returned": ("submitted", "returned"), "approved": ("submitted", "approved"),
                                     "filed": ("approved", "filed"), "authorized": ("filed", "authorized")}[step]
                    by = (users["manager"] if step in ("approved", "returned") else users["clerk"] if step in ("filed", "authorized")
                          else next(d for d in developers if d.username == dealer[5]) if dealer[5] else users["developer"])
                    changes = {"status": [before, after]}
                    if step == "intake_created":
                        changes.update({"company": [None, dealer[1]], "contact": [None, dealer[3]], "notes": [None, ""],
                                        "contact_phone": [None, mask("contact_phone", dealer[4])], "grade": [None, ""]})
                    elif step == "authorized":
                        changes["grade"] = ["", dealer[6]]
                    elif step in ("approved", "returned"):
                        changes["reviewed_by"] = [None, by.username]
                        changes["reviewed_at"] = [None, utc_text(moment)]
                    yield entry(pk, moment, by, f"customers.dealer.{step}", dealer_ct, dealer[0], dealer[1], changes)
                    continue
                if event is not None:  # an access request
                    request_pk, label, requester, row, created, decided = details
                    if event == "request_created":
                        changes = {"requester": [None, requester.username], "scope": [None, row["scope"]],
                                   "category": [None, row["category"]], "reason": [None, row["reason"]], "days": [None, row["days"]],
                                   "status": [None, "pending"], "created_at": [None, utc_text(created)],
                                   "decision_comment": [None, ""]}
                        if row["region"]:
                            changes["region"] = [None, region_names[row["region"]]]
                        yield entry(pk, moment, requester, "salesdesk.access_request.created", request_ct, request_pk, label, changes)
                    else:
                        status = event[len("request_"):]
                        changes = {"status": ["pending", status], "decided_by": [None, users["manager"].username],
                                   "decided_at": [None, utc_text(decided)]}
                        if status == "approved":
                            changes["valid_from"] = [None, utc_text(decided)]
                            changes["valid_until"] = [None, utc_text(decided + datetime.timedelta(days=row["days"]))]
                        else:
                            changes["decision_comment"] = ["", row["decision_comment"]]
                        yield entry(pk, moment, users["manager"], f"salesdesk.access_request.{status}", request_ct, request_pk,
                                    label, changes)
                    continue
                kind = kinds[int(rand() * len(kinds))]
                customer = customers[int(rand() * len(customers))]
                dealer = dealers[int(rand() * len(dealers))]
                if kind == "customer_updated":
                    yield entry(pk, moment, worker(), "customers.customer.updated", customer_ct, customer[0], customer[1],
                                customer_change(customer))
                elif kind == "customer_imported":
                    yield entry(pk, moment, users["clerk"], "customers.customer.updated", customer_ct, customer[0], customer[1],
                                customer_change(customer), {"via": "import"})
                elif kind == "customer_created":
                    by = worker()
                    yield entry(pk, moment, by, "customers.customer.created", customer_ct, customer[0], customer[1],
                                customer_created(customer, moment, by))
                elif kind in ("purchase_added", "purchase_removed"):
                    product, price = PRODUCTS[int(rand() * len(PRODUCTS))]
                    quantity = 1 if rand() < 0.85 else 2
                    text = f"{moment.date() - datetime.timedelta(days=int(rand() * 30))} {product} × {quantity}"
                    added = kind == "purchase_added"
                    yield entry(pk, moment, worker(), f"customers.purchase.{'added' if added else 'removed'}", customer_ct,
                                customer[0], customer[1], {"purchase": [None, text] if added else [text, None]},
                                {"purchase_id": 1 + int(rand() * n_purchases), "amount": f"{price * quantity}.00"})
                elif kind == "pii_customer_form":
                    yield entry(pk, moment, worker(), "salesdesk.pii.viewed", customer_ct, customer[0], customer[1],
                                data={"field": "id_card,phone", "via": "customers.customer_edit"})
                elif kind == "pii_dealer_form":
                    yield entry(pk, moment, worker(), "salesdesk.pii.viewed", dealer_ct, dealer[0], dealer[1],
                                data={"field": "legal_rep_phone,principal_phone,contact_phone", "via": "customers.dealer_edit"})
                elif kind == "pii_reveal":
                    yield entry(pk, moment, viewer(), "salesdesk.pii.viewed", customer_ct, customer[0], customer[1],
                                data={"field": "phone" if rand() < 0.7 else "id_card"})
                elif kind == "dealer_updated":
                    pick = int(rand() * 4)
                    changes = ({"contact_phone": [mask("contact_phone", dealer[4]), mask("contact_phone", self.mobile(set()))]}
                               if pick == 0 else {"store_area": [f"{120 + int(rand() * 2000)}", f"{120 + int(rand() * 2000)}"]}
                               if pick == 1 else {"annual_sales": [f"{int(rand() * 3000) * 10000}", f"{int(rand() * 3000) * 10000}"]}
                               if pick == 2 else {"brands": ["东方红、雷沃", "东方红、雷沃、约翰迪尔"]})
                    yield entry(pk, moment, worker(), "customers.dealer.updated", dealer_ct, dealer[0], dealer[1], changes)
                elif kind == "agreement_downloaded":
                    yield entry(pk, moment, viewer(), "customers.dealer.agreement_downloaded", dealer_ct, dealer[0], dealer[1])
                elif kind == "export":
                    r = rand()
                    action, rows_, filters = (
                        ("customers.customers.exported", int(rand() * 20000) + 1,
                         {"region": str(self.leaf_regions[int(rand() * len(self.leaf_regions))])} if rand() < 0.6 else {})
                        if r < 0.7 else ("customers.dealers.exported", int(rand() * 500) + 1, {"status": "authorized"})
                        if r < 0.95 else ("salesdesk.staff.exported", 40, {}))
                    yield entry(pk, moment, viewer(), action, data={"rows": rows_, "format": "xlsx" if rand() < 0.8 else "csv",
                                                                    "filters": filters, "unmasked": False})
                else:
                    total = int(rand() * 3000) + 10
                    new = int(total * rand())
                    yield entry(pk, moment, users["clerk"], "customers.import.customers", data={
                        "new": new, "updated": total - new, "unchanged": 0, "skipped": 0, "error": 0, "rows": total,
                        "purchases": total})

        written = self.load("salesdesk.AuditEntry", rows())
        return {"access_requests": self.load("salesdesk.AccessRequest", self.access_rows), "audit_entries": written}

    def number_series(self):
        """The numbering service continues each series after the synthetic numbers, gaplessly."""
        series = [NumberSeries(key=series_key("dealer_resource", region=code), last_value=n)
                  for code, n in self.resource_seq.items()]
        series += [NumberSeries(key=series_key("authorized_dealer", grade=grade, region=code), last_value=n)
                   for (grade, code), n in self.card_seq.items()]
        series += [NumberSeries(key=series_key("ticket", yyyymm=month), last_value=n) for month, n in self.ticket_seq.items()]
        NumberSeries.objects.bulk_create(series, batch_size=1000)


def reset():
    """Empty every table the synthetic department fills (and the number series)."""
    labels = TABLES + ["salesdesk.NumberSeries", "salesdesk.OutboxMessage"]
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            tables = ", ".join(f'"{apps.get_model(label)._meta.db_table}"' for label in labels)
            cursor.execute(f"TRUNCATE {tables} RESTART IDENTITY CASCADE")
        else:
            for label in labels:
                cursor.execute(f'DELETE FROM "{apps.get_model(label)._meta.db_table}"')
