"""Benchmarked jobs (not pages): each returns a result dict for `bench` with a baseline measured
in the same run, by the library's default way of doing the same work.

Jobs run inside a transaction that is rolled back, so the benchmark database stays as it was built.
"""

import datetime
import math
import random
import resource
import statistics
import time
from itertools import islice
from pathlib import Path

import openpyxl
import tablib
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import transaction

from benchmarks.synthetic import CROPS, PRODUCTS, Department
from customers.models import Customer
from customers.resources import CustomerResource
from salesdesk.imports import importer_for
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


WORKBOOK_VERSION = 2  # bumped when the rows change (2: only numbers libphonenumber takes for mobiles)


def customers_workbook(rows, seed=5):
    """An .xlsx of `rows` new end customers, each row with a purchase, in the template's columns;
    cached under var/bench/."""
    folder = Path(settings.VAR_DIR) / "bench"
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / f"customers-{rows}-{seed}-{WORKBOOK_VERSION}.xlsx"
    if path.exists():
        return path
    codes = list(Region.objects.filter(children__isnull=True).values_list("code", flat=True)) or list(
        Region.objects.values_list("code", flat=True))
    department = Department(scale=0.0001, seed=seed)
    names = department.names(rows)
    rand = random.Random(seed)
    on_file_ids = set(Customer.objects.values_list("id_card", flat=True))  # all new: no duplicates of the archives
    on_file_phones = set(Customer.objects.values_list("phone", flat=True))
    workbook = openpyxl.Workbook(write_only=True)
    sheet = workbook.create_sheet("客户")
    sheet.append(importer_for("customers", by=None).template_headers())
    for i in range(rows):
        born = datetime.date(1950, 1, 1) + datetime.timedelta(days=rand.randrange(365 * 50))
        product, price = PRODUCTS[i % len(PRODUCTS)]
        sheet.append([
            names[i], department.id_card(born, on_file_ids), department.mobile(on_file_phones),
            f"{i % 300 + 1}村{i % 50 + 1}组", codes[i % len(codes)], CROPS[i % len(CROPS)], 10 + i % 500, "", "",
            (datetime.date(2025, 1, 1) + datetime.timedelta(days=i % 600)).isoformat(), product, 1, price, price,
            "公司直销", "现金", "",
        ])
    workbook.save(path)
    return path


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
    the first `baseline_rows` rows of the same file (its published speed is ~470 rows/s).
    `median_ms` and `p95_ms` are over the `runs` of our import (of fewer than 20 runs, the p95 is
    the slowest run); the library's import runs once."""
    clerk = get_user_model().objects.get(username="clerk")
    path = customers_workbook(rows)
    samples, peaks = [], []

    def our_import():
        with open(path, "rb") as upload:
            return importer_for("customers", by=clerk).apply(upload)

    before = rss_mb()
    for _ in range(runs):
        seconds, peak, report = _timed_rolled_back(our_import)
        if not report.written or report.counts["new"] != rows:
            raise RuntimeError(f"import benchmark: expected {rows} new rows, got {report.counts}")
        samples.append(seconds)
        peaks.append(peak)

    sheet = openpyxl.load_workbook(path, read_only=True).worksheets[0]
    values = sheet.iter_rows(values_only=True)
    headers = list(next(values))
    dataset = tablib.Dataset(headers=headers)
    for row in islice(values, baseline_rows):
        dataset.append(row)
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
        "rss_before_mb": round(before) if before else None,
        "runs": runs,
        "baseline": f"django-import-export default import_data, first {baseline_rows:,} rows of the same file",
        "baseline_rows_per_s": round(baseline_rows_per_s),
        "baseline_ms": round(baseline_seconds * 1000 * rows / baseline_rows, 1),  # the library's time for all rows
        "ratio": round(baseline_rows_per_s / rows_per_s, 3),  # < 1: faster than the library
        "speedup": round(rows_per_s / baseline_rows_per_s, 1),
    }
