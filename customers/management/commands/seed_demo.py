"""Demo data: regions, ~30 dealers in every state, ~200 customers with purchases, staff, and one
user per role. Idempotent: a second run changes nothing but the demo users' passwords."""

import datetime
import random
from decimal import Decimal

from django.contrib.auth import get_user_model
from django.core.files.base import ContentFile
from django.core.management.base import BaseCommand
from django.db import transaction
from faker import Faker

from customers import services
from customers.document_services import document_create
from customers.models import Birthday, Customer, Dealer, Document
from salesdesk.models import Region, Role
from salesdesk.services import region_create, roles_assign, staff_profile_ensure

User = get_user_model()

DEMO_USERS = [
    # username, role, name, title, duties
    ("leader", Role.LEADERSHIP, "赵建国", "副总经理", "分管农业市场销售"),
    ("manager", Role.MANAGER, "钱明华", "销售服务部经理", "审核经销商资料，审批查档申请和回访计划"),
    ("clerk", Role.CLERK, "孙丽", "销售服务专员", "档案录入归档，售后登记派单，物流跟踪，月度报表，客户关怀"),
    ("member", Role.MEMBER, "李强", "部门职员", "市场资料整理"),
    ("developer", Role.DEVELOPER, "周海涛", "区域经理", "华北区市场开发，经销商调研"),
    ("repair", Role.REPAIR, "吴师傅", "售后维修工程师", "公司直管区域的上门维修"),
]

# (name, code, parent code, after-sales by)
REGIONS = [
    ("河北省", "HB", None, "dealer"),
    ("石家庄市", "HBSJZ", "HB", "dealer"),
    ("保定市", "HBBD", "HB", "dealer"),
    ("山东省", "SD", None, "dealer"),
    ("济南市", "SDJN", "SD", "company"),
    ("潍坊市", "SDWF", "SD", "dealer"),
    ("河南省", "HN", None, "dealer"),
    ("周口市", "HNZK", "HN", "dealer"),
    ("黑龙江省", "HLJ", None, "company"),
    ("佳木斯市", "HLJJMS", "HLJ", "company"),
    ("新疆维吾尔自治区", "XJ", None, "company"),
    ("昌吉州", "XJCJ", "XJ", "company"),
]
LEAF_REGIONS = ["HBSJZ", "HBBD", "SDJN", "SDWF", "HNZK", "HLJJMS", "XJCJ"]

PRODUCTS = [
    ("LR-904 轮式拖拉机", Decimal("118000")),
    ("LR-1204 轮式拖拉机", Decimal("186000")),
    ("LR-4LZ-6 谷物联合收割机", Decimal("142000")),
    ("LR-4YZ-3 玉米收获机", Decimal("168000")),
    ("LR-2BYF-4 免耕播种机", Decimal("12800")),
    ("LR-3WP-600 植保喷雾机", Decimal("26500")),
    ("LR-1LF-435 翻转犁", Decimal("9800")),
]
CROPS = ["小麦、玉米", "水稻", "大豆、玉米", "棉花", "花生、小麦", "马铃薯", "玉米"]
SHOP_WORDS = ["丰收", "金穗", "沃野", "农丰", "田园", "鑫农", "惠农", "兴农", "绿野", "润田"]
STATES = (
    [Dealer.Status.DRAFT] * 4
    + [Dealer.Status.SUBMITTED] * 4
    + [Dealer.Status.RETURNED] * 3
    + [Dealer.Status.APPROVED] * 4
    + [Dealer.Status.FILED] * 5
    + [Dealer.Status.AUTHORIZED] * 10
)
DEMO_AGREEMENT = (
    b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[3 0 R]/Count 1>>endobj\n"
    b"3 0 obj<</Type/Page/Parent 2 0 R/MediaBox[0 0 595 842]>>endobj\ntrailer<</Root 1 0 R>>\n%%EOF\n"
)


class Command(BaseCommand):
    help = "Load idempotent demo data and one user per role (leader, manager, clerk, member, developer, repair)."

    def add_arguments(self, parser):
        parser.add_argument("--password", default="salesdesk", help="password of the demo users (default: salesdesk)")
        parser.add_argument("--seed", type=int, default=2026)

    def handle(self, *args, password, seed, **options):
        self.fake = Faker("zh_CN")
        self.fake.seed_instance(seed)
        self.random = random.Random(seed)
        with transaction.atomic():
            users = self.ensure_users(password)
            regions = self.ensure_regions(users)
            if not Dealer.objects.exists():
                self.create_dealers(users, regions)
            if not Customer.objects.exists():
                self.create_customers(users, regions)
            if not Document.objects.exists():
                self.create_documents(users)
        self.stdout.write(self.style.SUCCESS(
            f"Demo data ready: {Region.objects.count()} regions, {Dealer.objects.count()} dealers, "
            f"{Customer.objects.count()} customers; users {', '.join(u[0] for u in DEMO_USERS)} (password: {password})"
        ))

    def ensure_users(self, password):
        users = {}
        for username, role, name, title, duties in DEMO_USERS:
            user, _ = User.objects.get_or_create(username=username, defaults={"first_name": name})
            user.set_password(password)
            user.save()
            roles_assign(user=user, roles=[role], by=None)  # logged when it changes anything
            staff_profile_ensure(
                user=user, name=name, title=title, duties=duties, mobile=f"1390311{len(users):04d}",
                email=f"{username}@example.com",
            )
            users[username] = user
        return users

    def ensure_regions(self, users):
        clerk = users["clerk"]
        regions = {}
        for name, code, parent, aftersales in REGIONS:
            region = Region.objects.filter(code=code).first()
            if region is None:
                region = region_create(
                    by=clerk,
                    data={"name": name, "code": code, "parent": regions.get(parent), "aftersales_by": aftersales,
                          "lead": users["developer"] if parent is None else None},
                    developers=[users["developer"]],
                )
            regions[code] = region
        return regions

    def address(self, region):
        province = region.parent.name if region.parent else ""
        return f"{province}{region.name}{self.fake.district()}区{self.fake.street_name()}{self.random.randint(1, 300)}号"

    def birthday(self, calendar_lunar_share=0.1):
        born = self.fake.date_of_birth(minimum_age=28, maximum_age=65)
        if self.random.random() < calendar_lunar_share:
            return {"calendar": "lunar", "year": born.year, "month": born.month, "day": min(born.day, 29), "is_leap_month": False}
        return {"calendar": "solar", "year": born.year, "month": born.month, "day": born.day, "is_leap_month": False}

    def create_dealers(self, users, regions):
        developer, manager, clerk = users["developer"], users["manager"], users["clerk"]
        for index, state in enumerate(STATES):
            region = regions[LEAF_REGIONS[index % len(LEAF_REGIONS)]]
            data = {  # (region, word) pairs are unique for the first 70 dealers: 7 regions × 10 words
                "company": f"{region.name.rstrip('市州')}{SHOP_WORDS[index % len(SHOP_WORDS)]}农机销售有限公司",
                "region": region,
                "legal_rep": self.fake.name(),
                "legal_rep_phone": self.fake.phone_number(),
                "principal": self.fake.name(),
                "principal_phone": self.fake.phone_number(),
                "contact": self.fake.name(),
                "contact_phone": self.fake.phone_number(),
                "address": self.address(region),
                "business_scope": "农业机械及配件销售、维修服务",
                "store_area": Decimal(self.random.randrange(120, 2400)),
                "annual_sales": Decimal(self.random.randrange(80, 3000) * 10000),
                "brands": self.random.choice(["东方红、雷沃", "约翰迪尔、久保田", "雷沃、沃得", "常发、五征"]),
                "survey_date": datetime.date(2026, 1, 1) + datetime.timedelta(days=index * 9),
                "opening_date": datetime.date(2005 + index % 18, 1 + index % 12, 1 + index % 27),
                "notes": "",
            }
            birthdays = {
                Birthday.Person.LEGAL_REP: self.birthday(),
                Birthday.Person.PRINCIPAL: self.birthday(),
                Birthday.Person.CONTACT: self.birthday(),
            }
            dealer = services.dealer_intake_create(by=developer, data=data, birthdays=birthdays)
            if state == Dealer.Status.DRAFT:
                continue
            dealer = services.dealer_intake_submit(dealer=dealer, by=developer)
            if state == Dealer.Status.SUBMITTED:
                continue
            if state == Dealer.Status.RETURNED:
                services.dealer_intake_return(dealer=dealer, by=manager, reason="门店面积和年销售额请补充证明材料。")
                continue
            dealer = services.dealer_intake_approve(dealer=dealer, by=manager, comment="资料属实，同意建档。")
            if state == Dealer.Status.APPROVED:
                continue
            dealer = services.dealer_file(dealer=dealer, by=clerk)
            if state == Dealer.Status.FILED:
                continue
            services.dealer_authorize(
                dealer=dealer, by=clerk, grade="ABCD"[index % 4],
                agreement=ContentFile(DEMO_AGREEMENT, name=f"agreement-{dealer.pk}.pdf"),
                agreement_signed_on=datetime.date(2026, 3, 1) + datetime.timedelta(days=index),
                developer=developer, regional_lead=developer,
            )

    def create_documents(self, users):
        for title, category, day, author, keywords in [
            ("关于2026年农机补贴政策的决定", Document.Category.DECISION, datetime.date(2026, 2, 20), "赵建国", "补贴 政策"),
            ("售后服务质量跟踪规范", Document.Category.RULE, datetime.date(2026, 1, 6), "钱明华", "售后 规范 2小时 24小时"),
            ("十月部门例会纪要", Document.Category.MINUTES, datetime.date(2026, 10, 28), "孙丽", "例会 回访"),
        ]:
            document_create(
                by=users["clerk"],
                data={"title": title, "category": category, "document_date": day, "author": author, "keywords": keywords, "notes": ""},
                file=ContentFile(DEMO_AGREEMENT, name=f"{title}.pdf"),
            )

    def create_customers(self, users, regions):
        clerk, developer = users["clerk"], users["developer"]
        dealers = list(Dealer.objects.authorized())
        seen_ids = set()
        for index in range(200):
            id_card = self.fake.ssn()
            while id_card in seen_ids:
                id_card = self.fake.ssn()
            seen_ids.add(id_card)
            region = regions[LEAF_REGIONS[index % len(LEAF_REGIONS)]]
            born = datetime.date(int(id_card[6:10]), int(id_card[10:12]), int(id_card[12:14]))
            lunar = self.random.random() < 0.1
            birthday = {"calendar": "lunar" if lunar else "solar", "year": born.year, "month": born.month,
                        "day": min(born.day, 29) if lunar else born.day, "is_leap_month": False}
            customer = services.customer_create(
                by=clerk,
                data={
                    "name": self.fake.name(), "id_card": id_card, "phone": self.fake.phone_number(),
                    "address": self.address(region), "region": region, "regional_lead": developer,
                    "developer": developer, "salesperson": developer if index % 3 else clerk,
                    "crops": self.random.choice(CROPS), "acreage_mu": Decimal(self.random.randrange(20, 3000)),
                    "machinery": self.random.choice(["", "小四轮拖拉机一台", "旋耕机、播种机各一台"]), "notes": "",
                },
                birthday=birthday,
            )
            for _n in range(self.random.randint(1, 3)):
                product, price = self.random.choice(PRODUCTS)
                quantity = self.random.choice([1, 1, 1, 2])
                method = self.random.choice(["dealer", "dealer", "direct", "subsidy"])
                services.purchase_add(
                    customer=customer, by=clerk,
                    data={
                        "date": datetime.date(2025, 1, 1) + datetime.timedelta(days=self.random.randrange(0, 680)),
                        "product_model": product, "quantity": quantity, "unit_price": price,
                        "amount": None, "purchase_method": method,
                        "payment_method": "subsidy" if method == "subsidy" else self.random.choice(["cash", "transfer", "instalments"]),
                        "dealer": self.random.choice(dealers) if method == "dealer" and dealers else None,
                    },
                )
