"""django-import-export resources of the archives: the columns of every spreadsheet the clerk
imports or exports, with the Chinese headers the download templates use.

The importers (`customers.imports`) read files by these columns (Chinese headers or the English
field names); the exports (`customers.exports`) write them. The library's own default import
of the same resources is the benchmark's baseline.
"""

from import_export import fields, resources, widgets

from customers.models import Customer, Dealer, Purchase
from salesdesk.models import Region
from salesdesk.resources import text


class RegionResource(resources.ModelResource):
    name = text("name", "区域名称")
    code = text("code", "区域编码")
    parent = fields.Field("parent", column_name="上级区域编码", widget=widgets.ForeignKeyWidget(Region, "code"))
    aftersales_by = text("aftersales_by", "售后归属")

    class Meta:
        model = Region
        import_id_fields = ["code"]
        fields = ["name", "code", "parent", "aftersales_by"]


class DealerResource(resources.ModelResource):
    company = text("company", "公司名称")
    region = fields.Field("region", column_name="区域编码", widget=widgets.ForeignKeyWidget(Region, "code"))
    legal_rep = text("legal_rep", "法人代表")
    legal_rep_phone = text("legal_rep_phone", "法人代表电话")
    principal = text("principal", "主要负责人")
    principal_phone = text("principal_phone", "主要负责人电话")
    contact = text("contact", "主要联系人")
    contact_phone = text("contact_phone", "主要联系人电话")
    address = text("address", "地址")
    business_scope = text("business_scope", "经营范围")
    store_area = fields.Field("store_area", column_name="门店面积（平方米）", widget=widgets.DecimalWidget())
    annual_sales = fields.Field("annual_sales", column_name="年销售额（元）", widget=widgets.DecimalWidget())
    brands = text("brands", "经营品牌")
    survey_date = fields.Field("survey_date", column_name="调研日期", widget=widgets.DateWidget())
    opening_date = fields.Field("opening_date", column_name="开业日期", widget=widgets.DateWidget())
    notes = text("notes", "备注")
    status = text("status", "状态", readonly=True)
    grade = text("grade", "级别", readonly=True)
    resource_number = text("resource_number", "档案编号", readonly=True)
    card_number = text("card_number", "档案卡编号", readonly=True)

    class Meta:
        model = Dealer
        import_id_fields = ["region", "company"]
        fields = [
            "company", "region", "legal_rep", "legal_rep_phone", "principal", "principal_phone", "contact",
            "contact_phone", "address", "business_scope", "store_area", "annual_sales", "brands", "survey_date",
            "opening_date", "notes", "status", "grade", "resource_number", "card_number",
        ]


class CustomerResource(resources.ModelResource):
    """One row per customer; the import file may add the purchase columns of PurchaseColumns."""

    name = text("name", "姓名")
    id_card = text("id_card", "身份证号")
    phone = text("phone", "电话")
    address = text("address", "地址")
    region = fields.Field("region", column_name="区域编码", widget=widgets.ForeignKeyWidget(Region, "code"))
    crops = text("crops", "种植作物")
    acreage_mu = fields.Field("acreage_mu", column_name="耕地面积（亩）", widget=widgets.DecimalWidget())
    machinery = text("machinery", "现有农机")
    notes = text("notes", "备注")

    class Meta:
        model = Customer
        import_id_fields = ["id_card"]
        fields = ["name", "id_card", "phone", "address", "region", "crops", "acreage_mu", "machinery", "notes"]


class PurchaseResource(resources.ModelResource):
    """The purchase columns of a customer import row (all empty: the row has no purchase)."""

    date = fields.Field("date", column_name="购买日期", widget=widgets.DateWidget())
    product_model = text("product_model", "产品型号")
    quantity = fields.Field("quantity", column_name="数量", widget=widgets.IntegerWidget())
    unit_price = fields.Field("unit_price", column_name="单价（元）", widget=widgets.DecimalWidget())
    amount = fields.Field("amount", column_name="金额（元）", widget=widgets.DecimalWidget())
    purchase_method = text("purchase_method", "购买方式")
    payment_method = text("payment_method", "付款方式")
    dealer = fields.Field("dealer", column_name="经销商", widget=widgets.ForeignKeyWidget(Dealer, "company"))

    class Meta:
        model = Purchase
        fields = ["date", "product_model", "quantity", "unit_price", "amount", "purchase_method", "payment_method", "dealer"]
