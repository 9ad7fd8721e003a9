"""Memory benchmark of the end-customer export to xlsx, on the data already in the database.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesdesk_bench .venv/bin/python benchmarks/export_bench.py [--rows 500000]

Builds nothing (make the data with `manage.py bench_data`) and writes nothing to the database: it
exports the customers through the export view's own row selection (`CustomerExportView.rows`, as
the first user the policy lets export sees them, with no filter) and the same writer
(`salesdesk.exports.write_xlsx`) into a temporary file; only the audit entry is left out.

The export runs in a fresh Python process: ru_maxrss is the high-water mark of a whole process, so
a new one measures this export and nothing that ran before it. Goal: 500,000 customers with a
peak under 150 MB.
"""

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import tracemalloc
from pathlib import Path

import django
from django.contrib.auth import get_user_model
from django.test import RequestFactory

ROOT = Path(__file__).resolve().parent.parent
GOAL_PEAK_MB = 150


def measure_export(rows=500_000):
    """Export the customers of the configured database (at most `rows`, in the list's order) to
    xlsx in a child process. Returns {"rows", "seconds", "peak_mb", "rss_before_mb",
    "python_peak_mb", "traced_seconds", "file_mb", "user"}.

    The child exports twice. The first run is the measured one: `seconds`, and `peak_mb`, the
    child's ru_maxrss after it (the memory the operating system gave the process, Python and
    Django start-up included; `rss_before_mb` is the same figure before the export). The second
    run repeats it under tracemalloc for `python_peak_mb`, the peak of Python's own allocations
    during an export; tracemalloc slows openpyxl down about tenfold (`traced_seconds`), which is
    why it does not time the first run."""
    completed = subprocess.run(
        [sys.executable, str(Path(__file__).resolve()), "--child", "--rows", str(rows)],
        cwd=ROOT, env=os.environ.copy(), capture_output=True, text=True, check=False,
    )
    if completed.returncode != 0:
        raise RuntimeError(f"the export benchmark failed:\n{completed.stderr[-3000:]}")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def _maxrss_mb():
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return peak / (1024 * 1024) if sys.platform == "darwin" else peak / 1024  # bytes on macOS, KiB on Linux


def _setup_django():
    sys.path.insert(0, str(ROOT))
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "salesdesk.settings")
    django.setup()


def _export_here(rows):
    """The measurement itself, in this process."""
    # The project's modules load models, so they are imported once _setup_django() has run.
    from customers.export_views import CustomerExportView
    from customers.exports import CUSTOMERS
    from salesdesk.access import can
    from salesdesk.exports import write_xlsx

    users = get_user_model().objects.filter(is_active=True).order_by("pk")
    user = next((user for user in users if can(user, "archive.export")), None)
    if user is None:
        raise SystemExit("No user in this database may export (run manage.py bench_data first).")
    request = RequestFactory().get("/archives/customers/export/", {"format": "xlsx"})
    request.user = user
    view = CustomerExportView()
    view.setup(request)
    queryset = view.rows()[:rows]
    unmask = can(user, "pii.unmask")

    def export():
        with tempfile.TemporaryFile(suffix=".xlsx") as file:
            started = time.perf_counter()
            count = write_xlsx(CUSTOMERS, queryset, file, unmask=unmask)
            return count, time.perf_counter() - started, file.tell()

    rss_before = _maxrss_mb()
    count, seconds, size = export()
    rss_after = _maxrss_mb()
    tracemalloc.start()
    _count, traced_seconds, _size = export()
    python_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {
        "rows": count,
        "seconds": round(seconds, 1),
        "peak_mb": round(rss_after, 1),
        "rss_before_mb": round(rss_before, 1),
        "python_peak_mb": round(python_peak / (1024 * 1024), 1),
        "traced_seconds": round(traced_seconds, 1),
        "file_mb": round(size / (1024 * 1024), 1),
        "user": user.username,
    }


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=500_000, help="export at most this many customers (default 500000)")
    parser.add_argument("--json", action="store_true", help="print the figures as JSON")
    parser.add_argument("--child", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        _setup_django()
        print(json.dumps(_export_here(args.rows)))
        return
    figures = measure_export(args.rows)
    if args.json:
        print(json.dumps(figures))
        return
    verdict = "goal met" if figures["peak_mb"] < GOAL_PEAK_MB else "GOAL MISSED"
    print(
        f"{figures['rows']:,} customers to xlsx as {figures['user']}: {figures['seconds']} s, "
        f"peak {figures['peak_mb']} MB (ru_maxrss; {figures['rss_before_mb']} MB before the export), "
        f"Python allocations peak {figures['python_peak_mb']} MB (tracemalloc, a second run: {figures['traced_seconds']} s), "
        f"file {figures['file_mb']} MB "
        f"[{verdict}: under {GOAL_PEAK_MB} MB]"
    )


if __name__ == "__main__":
    main()
