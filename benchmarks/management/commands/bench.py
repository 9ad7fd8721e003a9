"""Time the pages and jobs that matter on the data in the configured database (see bench_data).

For each item: median and p95 over repeated runs, its SQL query count, and a ratio to a baseline
measured in the same run — for a page, the SQL it needs run bare (the same statements and
parameters through a plain cursor); for a job, the library's default way of doing the same work.
"""

import json
import os
import platform
import statistics
import time
from collections import Counter
from urllib.parse import quote, urlencode

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError
from django.db import connection
from django.db.models import Count
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from benchmarks.jobs import import_customers, p95
from customers.models import Customer, Dealer, Purchase
from salesdesk.models import AuditEntry, Region

GOALS = {"median_ms": 50, "p95_ms": 150, "ratio": 3, "queries": 12, "search_median_ms": 20}


class SqlRecorder:
    """Records the statements a request runs, with their parameters, to replay them bare."""

    def __init__(self):
        self.statements = []

    def __call__(self, execute, sql, params, many, context):
        self.statements.append((sql, params, many))
        return execute(sql, params, many, context)


def replay(statements):
    with connection.cursor() as cursor:
        for sql, params, many in statements:
            if many:
                continue
            cursor.execute(sql, params)
            if cursor.description is not None:
                cursor.fetchall()


def timed(function, runs):
    samples = []
    for _ in range(runs):
        started = time.perf_counter()
        function()
        samples.append((time.perf_counter() - started) * 1000)
    return samples


def machine():
    memory = ""
    try:
        with open("/proc/meminfo") as info:
            memory = f"{int(info.readline().split()[1]) / 1024 / 1024:.0f} GiB"
    except OSError:
        pass
    cpu = platform.processor() or ""
    try:
        with open("/proc/cpuinfo") as info:
            cpu = next((line.split(":", 1)[1].strip() for line in info if line.startswith("model name")), cpu)
    except OSError:
        pass
    return {"cpus": os.cpu_count(), "cpu": cpu, "memory": memory, "python": platform.python_version(), "os": platform.platform()}


def database():
    vendor = connection.vendor
    with connection.cursor() as cursor:
        cursor.execute("SELECT version()" if vendor == "postgresql" else "SELECT sqlite_version()")
        version = cursor.fetchone()[0]
    return f"{vendor} {version.split(' on ')[0]}"


def job_goals(item):
    """"met", or which of the import's goals it missed: 5,000 rows/s, under 300 MB, 10x the library."""
    missed = [goal for goal, ok in [
        ("rows/s", item["rows_per_s"] >= 5000), ("peak RSS", item["peak_rss_mb"] < 300), ("10x", item["speedup"] >= 10),
    ] if not ok]
    return "met" if not missed else "missed: " + ", ".join(missed)


class Command(BaseCommand):
    help = "Benchmark the archive pages and the import job on the data in the configured database."

    def add_arguments(self, parser):
        parser.add_argument("--quick", action="store_true", help="few runs: a smoke test, not a measurement")
        parser.add_argument("--runs", type=int, default=None, help="timed runs per item (default 30, quick 3)")
        parser.add_argument("--json", dest="json_file", default=None, help="also write the results to this file")
        parser.add_argument("--only", default=None, help="comma-separated item names")
        parser.add_argument("--no-jobs", action="store_true", help="pages only (skip the import job)")
        parser.add_argument("--import-rows", type=int, default=None, help="rows of the import job (default 100,000; quick 200)")

    def handle(self, *args, quick, runs, json_file, only, no_jobs, import_rows, **options):
        runs = runs or (3 if quick else 30)
        warmup = 1 if quick else 3
        if not Customer.objects.exists():
            raise CommandError("No data: run `python manage.py bench_data --scale 0.01 --reset` (or --scale 1) first.")
        client = Client()
        clerk = get_user_model().objects.filter(username="clerk").first()
        if clerk is None:
            raise CommandError("No user 'clerk': run bench_data or seed_demo first.")
        client.force_login(clerk)
        wanted = set(only.split(",")) if only else None
        results = []
        items = self.items() + self.search_items()
        auditor = Client()  # the audit trail is the manager's page
        self.vacuum_analyze()
        if not wanted or any(name.startswith("audit_") for name in wanted):
            items += self.audit_items()
            auditor.force_login(get_user_model().objects.get(username="manager"))
        for name, url, kind in items:
            if wanted and name not in wanted:
                continue
            results.append(self.measure_page(auditor if kind == "audit" else client, name, url, kind, runs, warmup))
        if not no_jobs and (not wanted or "import_customers_xlsx" in wanted):
            rows = import_rows or (200 if quick else 100_000)
            results.append(import_customers(rows=rows, baseline_rows=min(rows, 50 if quick else 5_000), runs=1 if quick else 3))
            self.vacuum_analyze()  # the rolled-back imports left dead rows behind
        report = {
            "database": database(),
            "machine": machine(),
            "rows": {"customers": Customer.objects.count(), "purchases": Purchase.objects.count(),
                     "regions": Region.objects.count(), "audit_entries": AuditEntry.objects.count()},
            "runs": runs,
            "goals": GOALS,
            "items": results,
        }
        self.print_table(report)
        if json_file:
            with open(json_file, "w") as out:
                json.dump(report, out, indent=2, ensure_ascii=False)
            self.stdout.write(f"Wrote {json_file}")

    def items(self):
        """(name, url, kind): kind 'search' items have the stricter search goal."""
        sample = Customer.objects.order_by("pk")[Customer.objects.order_by("-pk").values_list("pk", flat=True)[0] // 2 :].first()
        sample = sample or Customer.objects.first()
        busiest = (
            Region.objects.filter(parent__isnull=True).order_by("pk").first()
            or Region.objects.order_by("pk").first()
        )
        with_purchases = Purchase.objects.order_by("-pk").values_list("customer_id", flat=True).first() or sample.pk
        deep = max(2, min(500, Customer.objects.count() // 40))  # page 500 of 20 rows at real size
        return [
            ("dashboard", "/", "page"),
            ("dealer_list", "/archives/dealers/", "page"),
            ("customer_list", "/archives/customers/", "page"),
            ("customer_list_region", f"/archives/customers/?region={busiest.pk}", "page"),
            ("customer_search_phone", f"/archives/customers/?q={sample.phone}", "search"),
            ("customer_search_name", f"/archives/customers/?q={sample.name}", "page"),
            ("customer_search_id", f"/archives/customers/?q={sample.id_card}", "search"),
            ("customer_deep_page", f"/archives/customers/?page={deep}", "page"),
            ("customer_detail", f"/archives/customers/{with_purchases}/", "page"),
        ]

    @staticmethod
    def vacuum_analyze():
        """Fresh statistics and visibility maps after a load or a rolled-back job (autovacuum may be
        off on the server): list pages read their ids from the indexes alone only on pages marked
        all-visible. Not inside a transaction (the tests run the command in one)."""
        if connection.vendor == "postgresql" and not connection.in_atomic_block:
            with connection.cursor() as cursor:
                cursor.execute("VACUUM ANALYZE")

    def search_items(self):
        """The search box of the customer and dealer lists, and the quick search in the header, with
        each kind of fragment a clerk types (kind 'fragment': the page goals), taken from the data:
        a customer from the middle of the table — a character from the middle of the name, the given
        name without the surname, its pinyin, the name's initials, the last 4 digits of the phone, the
        phone as typed with +86 and dashes, the last 4 characters of the ID-card number (x in lower
        case) and its birth date (8 characters) — the commonest and the rarest character of 20,000
        names, and a dealer's company fragment, contact's initials, phone tail and dossier numbers."""
        from pypinyin import Style, lazy_pinyin

        customers = Customer.objects.order_by("pk")
        count = customers.count()
        sample = customers[count // 2]
        given = sample.name[1:] or sample.name
        letters = Counter(char for name in customers.values_list("name", flat=True)[:20_000] for char in name)
        common, rare = letters.most_common(1)[0][0], min(letters.items(), key=lambda item: (item[1], item[0]))[0]
        phone = sample.phone.replace("-", "")
        typed_phone = f"+86 {phone[:3]}-{phone[3:7]}-{phone[7:]}" if len(phone) == 11 else sample.phone
        items = [
            ("customer_search_char", {"q": sample.name[len(sample.name) // 2]}),
            ("customer_search_given", {"q": given}),
            ("customer_search_pinyin", {"q": "".join(lazy_pinyin(given))}),
            ("customer_search_initials", {"q": "".join(lazy_pinyin(sample.name, style=Style.FIRST_LETTER))}),
            ("customer_search_common", {"q": common}),
            ("customer_search_rare", {"q": rare}),
            ("customer_search_tail", {"q": phone[-4:]}),
            ("customer_search_typed", {"q": typed_phone}),
            ("customer_search_id_tail", {"q": sample.id_card[-4:].lower()}),
            ("customer_search_id_birth", {"q": sample.id_card[6:14]}),
        ]
        urls = [(name, f"/archives/customers/?{urlencode(query)}", "fragment") for name, query in items]
        dealer = Dealer.objects.filter(card_number__isnull=False).order_by("pk").first() or Dealer.objects.first()
        if dealer is not None:
            company = dealer.company
            dealer_items = [
                ("dealer_search_company", {"q": company[len(company) // 2 - 1 : len(company) // 2 + 1]}),
                ("dealer_search_initials", {"q": "".join(lazy_pinyin(dealer.contact, style=Style.FIRST_LETTER))}),
                ("dealer_search_tail", {"q": dealer.contact_phone[-4:]}),
                ("dealer_search_number", {"q": (dealer.resource_number or "ZY-")[:5].lower()}),
                ("dealer_search_card", {"q": (dealer.card_number or "SQ-A")[:4]}),
            ]
            urls += [(name, f"/archives/dealers/?{urlencode(query)}", "fragment") for name, query in dealer_items]
        urls += [("quick_search", f"/search/?{urlencode({'q': given})}", "fragment"),
                 ("quick_search_tail", f"/search/?{urlencode({'q': phone[-4:]})}", "fragment")]
        return urls

    def audit_items(self):
        """The audit page with each of its filters (kind 'audit': the page goals), on values taken
        from the trail: a day in the middle, the commonest and the rarest action, a busy and the
        least active person, a customer's name (3 characters or more) and its last two, and page
        5,000 (offset 99,980)."""
        entries = AuditEntry.objects.order_by("pk")
        count = entries.count()
        if not count:
            return []
        middle = entries[count // 2]
        day = timezone.localtime(middle.at).date().isoformat()
        actions = list(AuditEntry.objects.order_by().values_list("action").annotate(n=Count("pk")).order_by("-n", "action"))
        actors = list(AuditEntry.objects.filter(actor__isnull=False).order_by().values_list("actor")
                      .annotate(n=Count("pk")).order_by("-n", "actor"))
        names = entries.filter(pk__gte=middle.pk, content_type__model="customer").values_list("object_repr", flat=True)[:50]
        named = next((name for name in names if len(name) >= 3), middle.object_repr or "-")  # 3+: the trigram index
        deep = max(2, min(5_000, count // 40))
        return [
            ("audit_first_page", "/audit/", "audit"),
            ("audit_one_day", f"/audit/?since={day}&until={day}", "audit"),
            ("audit_action", f"/audit/?action={actions[0][0]}", "audit"),
            ("audit_action_rare", f"/audit/?action={actions[-1][0]}", "audit"),
            ("audit_actor", f"/audit/?actor={actors[len(actors) // 2][0]}", "audit"),
            ("audit_actor_rare", f"/audit/?actor={actors[-1][0]}", "audit"),
            ("audit_record", f"/audit/?record={quote(named)}", "audit"),
            ("audit_record_part", f"/audit/?record={quote(named[-2:])}", "audit"),
            ("audit_deep_page", f"/audit/?page={deep}", "audit"),
        ]

    def measure_page(self, client, name, url, kind, runs, warmup):
        for _ in range(warmup):
            response = client.get(url)
            if response.status_code != 200:
                raise CommandError(f"{name}: {url} answered {response.status_code}")
        recorder = SqlRecorder()
        with CaptureQueriesContext(connection) as captured, connection.execute_wrapper(recorder):
            client.get(url)
        queries = len(captured.captured_queries)  # now: the next request resets the query log
        samples = timed(lambda: client.get(url), runs)
        for _ in range(warmup):
            replay(recorder.statements)
        bare = timed(lambda: replay(recorder.statements), runs)
        median, bare_median = statistics.median(samples), statistics.median(bare)
        return {
            "name": name,
            "kind": kind,
            "url": url,
            "median_ms": round(median, 2),
            "p95_ms": round(p95(samples), 2),
            "queries": queries,
            "baseline": "the page's SQL run bare",
            "baseline_ms": round(bare_median, 2),
            "ratio": round(median / bare_median, 2) if bare_median else None,
        }

    def print_table(self, report):
        self.stdout.write(f"Database: {report['database']}; machine: {report['machine']['cpus']} CPUs, "
                          f"{report['machine']['memory']}, {report['machine']['cpu']}")
        self.stdout.write(f"Rows: {report['rows']}; {report['runs']} runs per item")
        header = f"{'item':24} {'median ms':>10} {'p95 ms':>8} {'queries':>8} {'bare SQL ms':>12} {'ratio':>6}  goal"
        self.stdout.write(header)
        self.stdout.write("-" * len(header))
        for item in report["items"]:
            if item["kind"] == "job":
                continue
            limit = GOALS["search_median_ms"] if item["kind"] == "search" else GOALS["median_ms"]
            missed = [
                goal for goal, ok in [
                    ("median", item["median_ms"] < limit), ("p95", item["p95_ms"] < GOALS["p95_ms"]),
                    ("ratio", (item["ratio"] or 0) <= GOALS["ratio"]), ("queries", item["queries"] <= GOALS["queries"]),
                ] if not ok
            ]
            self.stdout.write(
                f"{item['name']:24} {item['median_ms']:>10.2f} {item['p95_ms']:>8.2f} {item['queries']:>8} "
                f"{item['baseline_ms']:>12.2f} {item['ratio'] or 0:>6.2f}  {'met' if not missed else 'missed: ' + ', '.join(missed)}"
            )
        for item in report["items"]:
            if item["kind"] == "job":
                self.stdout.write(
                    f"{item['name']}: {item['rows']:,} rows in {item['median_ms'] / 1000:.1f} s = {item['rows_per_s']:,} rows/s "
                    f"(goal 5,000), peak RSS {item['peak_rss_mb']} MB (goal < 300; {item['rss_before_mb']} MB before; "
                    f"runs {', '.join(map(str, item.get('run_peaks_rss_mb', [])))}); "
                    f"{item['baseline']}: "
                    f"{item['baseline_rows_per_s']:,} rows/s; ours is {item['speedup']}x (goal 10x); "
                    f"{job_goals(item)}"
                )
        self.stdout.write(f"Goals: median < {GOALS['median_ms']} ms (searches < {GOALS['search_median_ms']} ms), "
                          f"p95 < {GOALS['p95_ms']} ms, ratio ≤ {GOALS['ratio']}, queries ≤ {GOALS['queries']}. "
                          f"DEBUG={settings.DEBUG}")
