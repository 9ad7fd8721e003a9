"""Benchmarked jobs (not pages): each returns a result dict for `bench` with a baseline measured
in the same run, by the library's default way of doing the same work.

Jobs run inside a transaction that is rolled back, so the benchmark database stays as it was built.
"""

import datetime
import hashlib
import math
import os
import random
import resource
import statistics
import subprocess
import sys
import time
from itertools import islice
from pathlib import Path
from urllib.parse import quote

import openpyxl
import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import connection, transaction

from benchmarks.synthetic import CROPS, PRODUCTS, Department
from customers.models import Customer
from customers.resources import CustomerResource
from salesdesk.imports import RegionLookup, importer_for
from salesdesk.models import Region


class Rollback(Exception):
    pass


def p95(samples):
    """The 95th percentile by nearest rank: the smallest sample that at least 95 % of the samples
    do not exceed. Of fewer than 20 samples that is the largest one."""
    ordered = sorted(samples)
    return ordered[math.ceil(len(ordered) * 95 / 100) - 1]


def peak_rss_reset():
    """Reset the process's peak-RSS mark (Linux), so the next reading is this job's peak."""
    try:
        with open("/proc/self/clear_refs", "w") as refs:
            refs.write("5")
    except OSError:
        pass


def rss_mb():
    try:
        with open("/proc/self/status") as status:
            return next(int(line.split()[1]) / 1024 for line in status if line.startswith("VmRSS:"))
    except (OSError, StopIteration):
        return None


def peak_rss_mb():
    try:
        with open("/proc/self/status") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


WORKBOOK_VERSION = 3  # bumped when the rows change (3: the clerk's own sheet, as issue 9 found it)
# The clerk's own sheet: a title row, then the headers a clerk keeps (手机, 区域 with the region's
# name, 单价 and 金额 without the unit), and no purchase or payment method: the import matches the
# columns by their usual names and takes the methods from the upload form's defaults.
WORKBOOK_TITLE = "2026 年终端客户档案（基准测试）"
CLERK_HEADERS = ["姓名", "身份证号", "手机", "地址", "区域", "种植作物", "耕地面积", "购买日期", "产品型号", "数量", "单价", "金额"]
IMPORT_DEFAULTS = {"purchase_method": "direct", "payment_method": "cash"}


def workbook_path(rows, seed=5):
    """Where the workbook of `rows` customers for this database is kept (var/bench/)."""
    folder = Path(settings.VAR_DIR) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    database = hashlib.sha256(f"{connection.vendor}:{connection.settings_dict['NAME']}".encode()).hexdigest()[:8]
    return folder / f"customers-{rows}-{seed}-{WORKBOOK_VERSION}-{database}.xlsx"


def customers_workbook(rows, seed=5):
    """The path of an .xlsx of `rows` new end customers, each row with a purchase, as a clerk keeps
    them. Written once, and by a separate process (`manage.py bench_workbook`), so that neither its
    time nor its memory counts as the import's."""
    path = workbook_path(rows, seed)
    if path.exists():
        return path
    if connection.vendor == "sqlite" and connection.is_in_memory_db():
        return write_customers_workbook(rows, seed)  # a test's database: no other process can open it
    manage = Path(settings.BASE_DIR) / "manage.py"
    subprocess.run([sys.executable, str(manage), "bench_workbook", "--rows", str(rows), "--seed", str(seed)], check=True,
                   env={**os.environ, "DATABASE_URL": database_url()})
    return path


def database_url():
    """The URL of the database this process uses (a test run's own database included)."""
    db = connection.settings_dict
    if connection.vendor == "sqlite":
        return f"sqlite:///{db['NAME']}"
    credentials = quote(db["USER"] or "", safe="") + (f":{quote(db['PASSWORD'], safe='')}" if db.get("PASSWORD") else "")
    return f"postgres://{credentials}@{db['HOST'] or 'localhost'}:{db['PORT'] or 5432}/{db['NAME']}"


def write_customers_workbook(rows, seed=5):
    """Write the workbook of `customers_workbook` (in the process of `manage.py bench_workbook`).
    Regions are named as a clerk names them: by their name after their parent's where that is one
    region's only, else by code."""
    path = workbook_path(rows, seed)
    regions = RegionLookup()
    leaves = list(Region.objects.filter(children__isnull=True).values_list("pk", "code")) or list(
        Region.objects.values_list("pk", "code"))
    labels = []
    for pk, code in leaves:
        named = regions.labels[pk].rsplit(" (", 1)[0]
        labels.append(named if regions.find(named) == pk else code)
    department = Department(scale=0.0001, seed=seed)
    names = department.names(rows)
    rand = random.Random(seed)
    on_file_ids = set(Customer.objects.values_list("id_card", flat=True))  # all new: no duplicates of the archives
    on_file_phones = set(Customer.objects.values_list("phone", flat=True))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append([WORKBOOK_TITLE])
    sheet.append(CLERK_HEADERS)
    for i in range(rows):
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rand.randrange(365 * 50))
        product, price = PRODUCTS[i % len(PRODUCTS)]
        sheet.append([
            names[i], department.id_card(born, on_file_ids), department.mobile(on_file_phones),
            f"{i % 300 + 1}村{i % 50 + 1}组", labels[i % len(labels)], CROPS[i % len(CROPS)], 10 + i % 500,
            (datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 600)).isoformat(), product, 1, price, price,
        ])
    workbook.save(path)
    return path


def baseline_dataset(path, rows):
    """The first `rows` rows of the workbook as django-import-export takes them: the clerk's headers
    renamed to the template's and the regions given by code (the library matches columns by their
    exact header and finds a region by its code only)."""
    importer = importer_for("customers", by=None)
    regions = RegionLookup()
    codes = {pk: code for code, pk in regions.codes.items()}
    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    values = sheet.iter_rows(values_only=True)
    next(values)  # the title row
    headers = list(next(values))
    fields = [name for name, _how in importer.propose(headers)]
    columns = [(index, importer.column(name).header) for index, name in enumerate(fields) if name]
    region = fields.index("region")
    dataset = tablib.Dataset(headers=[header for _index, header in columns])
    for row in islice(values, rows):
        row = list(row)
        row[region] = codes[regions(row[region])]
        dataset.append([row[index] for index, _header in columns])
    return dataset


def vacuum_imported_tables():
    """VACUUM the tables an import writes, between runs: a rolled-back run leaves its rows dead in
    them and in their indexes, and the next run would pay for them (autovacuum may be off). Not
    inside a transaction (the tests run the bench in one)."""
    if connection.vendor != "postgresql" or connection.in_atomic_block:
        return
    with connection.cursor() as cursor:
        for table in ("customers_customer", "customers_purchase", "salesdesk_auditentry"):
            cursor.execute(f'VACUUM "{table}"')


def _timed_rolled_back(function):
    """Run `function` in a transaction that is rolled back; (seconds, peak RSS MB, result)."""
    peak_rss_reset()
    started = time.perf_counter()
    try:
        with transaction.atomic():
            result = function()
            elapsed = time.perf_counter() - started
            raise Rollback
    except Rollback:
        pass
    return elapsed, peak_rss_mb(), result


def import_customers(rows=100_000, baseline_rows=5_000, runs=1):
    """Our import of `rows` customers with purchases vs django-import-export's default import of
    the first `baseline_rows` rows of the same file (its published speed is ~470 rows/s). The file is
    the clerk's own sheet (`write_customers_workbook`): our import finds its header row below the
    title, matches its columns by their usual names, finds the regions by name, validates every
    phone and ID-card number and takes the methods from the upload form's defaults.
    `median_ms` and `p95_ms` are over the `runs` of our import (of fewer than 20 runs, the p95 is
    the slowest run); the library's import runs once."""
    clerk = get_user_model().objects.get(username="clerk")
    path = customers_workbook(rows)
    samples, peaks = [], []

    def our_import():
        with open(path, "rb") as upload:
            return importer_for("customers", by=clerk, defaults=IMPORT_DEFAULTS).apply(upload)

    before = rss_mb()
    for _ in range(runs):
        vacuum_imported_tables()
        seconds, peak, report = _timed_rolled_back(our_import)
        if not report.written or report.counts["new"] != rows:
            raise RuntimeError(f"import benchmark: expected {rows} new rows, got {report.counts}")
        samples.append(seconds)
        peaks.append(peak)
        del report

    vacuum_imported_tables()
    dataset = baseline_dataset(path, baseline_rows)
    baseline_seconds, _peak, result = _timed_rolled_back(lambda: CustomerResource().import_data(dataset, dry_run=False))
    if result.has_errors() or result.has_validation_errors():
        raise RuntimeError("import benchmark: the library's import of the same rows failed")
    median = statistics.median(samples)
    rows_per_s = rows / median
    baseline_rows_per_s = baseline_rows / baseline_seconds
    return {
        "name": "import_customers_xlsx",
        "kind": "job",
        "rows": rows,
        "median_ms": round(median * 1000, 1),
        "p95_ms": round(p95(samples) * 1000, 1),
        "queries": None,
        "rows_per_s": round(rows_per_s),
        "peak_rss_mb": round(max(peaks)),
        "run_peaks_rss_mb": [round(peak) for peak in peaks],  # the first in a fresh process; later runs start
        # from what the allocator kept of the earlier ones (glibc does not give all freed memory back)
        "rss_before_mb": round(before) if before else None,
        "runs": runs,
        "baseline": f"django-import-export default import_data, first {baseline_rows:,} rows of the same file",
        "baseline_rows_per_s": round(baseline_rows_per_s),
        "baseline_ms": round(baseline_seconds * 1000 * rows / baseline_rows, 1),  # the library's time for all rows
        "ratio": round(baseline_rows_per_s / rows_per_s, 3),  # < 1: faster than the library
        "speedup": round(rows_per_s / baseline_rows_per_s, 1),
    }
