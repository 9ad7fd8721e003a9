"""Dealers and customers are filed in a region without sub-regions, by the import as by the forms."""

import io

from customers.models import Customer
from salesdesk.imports import importer_for
from tests.customers.spreadsheet_files import customer, workbook
from tests.helpers import chinese


def test_a_customer_row_in_a_divided_province_is_an_error_naming_it(clerk, region):
    province = region.parent  # 河北省 (HB), divided into 保定市 (HBBD)
    report = importer_for("customers", by=clerk).check(io.BytesIO(workbook([customer("赵大山", region=province.code)])))
    assert report.counts["error"] == 1
    assert chinese("“%(value)s” is divided into sub-regions: give the city or county it is in.", value=province.code) in (
        " ".join(report.error_lines())
    ) or "下设有下级区域" in " ".join(report.error_lines())
    assert Customer.objects.count() == 0


def test_a_customer_row_in_a_city_is_imported(clerk, region):
    report = importer_for("customers", by=clerk).apply(io.BytesIO(workbook([customer("赵大山", region=region.code)])))
    assert (report.counts["new"], Customer.objects.get().region) == (1, region)
