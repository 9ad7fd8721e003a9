"""Load test: gunicorn with the production settings serves the clerk's main pages at a fixed rate.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/salesdesk_bench .venv/bin/python benchmarks/load.py \
        [--rate 200] [--seconds 60] [--workers 4] [--json docs/load.json]

Runs against data made by `manage.py bench_data`. Uses `hey` (Debian package `hey`, installed
here if missing) on 127.0.0.1 only, one process per page, each at its share of the rate, and
reads every request's status and latency from hey's CSV output. Stops by itself.
"""

import argparse
import csv
import io
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
# (share of the rate, path): the clerk's day — lists, searches, a customer, the dealers, the overview.
MIX = [
    (0.30, "/archives/customers/"),
    (0.20, "/archives/customers/?q={phone}"),
    (0.20, "/archives/customers/{customer}/"),
    (0.15, "/archives/dealers/"),
    (0.15, "/"),
]


def ensure_hey():
    if shutil.which("hey"):
        return
    if os.geteuid() != 0:
        sys.exit("load.py needs `hey` (Debian package hey): apt-get install hey")
    subprocess.run(["apt-get", "install", "-y", "-qq", "hey"], check=True, stdout=subprocess.DEVNULL)


def manage(*args, env):
    return subprocess.run([PYTHON, "manage.py", *args], cwd=ROOT, env=env, check=True, capture_output=True, text=True).stdout


def session_and_targets(env):
    """A logged-in session of the clerk, and a real customer to look at."""
    code = (
        "from django.contrib.auth import get_user_model, SESSION_KEY, BACKEND_SESSION_KEY, HASH_SESSION_KEY;"
        "from django.contrib.sessions.backends.db import SessionStore;"
        "from customers.models import Customer;"
        "u = get_user_model().objects.get(username='clerk'); s = SessionStore();"
        "s[SESSION_KEY] = str(u.pk); s[BACKEND_SESSION_KEY] = 'django.contrib.auth.backends.ModelBackend';"
        "s[HASH_SESSION_KEY] = u.get_session_auth_hash(); s.create();"
        "c = Customer.objects.order_by('pk')[Customer.objects.count() // 2];"
        "print(s.session_key, c.pk, c.phone)"
    )
    key, customer, phone = manage("shell", "-c", code, env=env).split()[-3:]
    return key, {"customer": customer, "phone": phone}


def start_gunicorn(env, port, workers):
    process = subprocess.Popen(
        [PYTHON, "-m", "gunicorn", "salesdesk.wsgi", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
         "--access-logfile", "/dev/null", "--error-logfile", "-", "--log-level", "warning"],
        cwd=ROOT, env=env, start_new_session=True,
    )
    for _ in range(100):
        try:
            if urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1).status == 200:
                return process
        except OSError:
            time.sleep(0.2)
    process.terminate()
    sys.exit("gunicorn did not answer /healthz")


def run(rate, seconds, workers, port):
    ensure_hey()
    env = {**os.environ, "DEBUG": "0", "ALLOWED_HOSTS": "127.0.0.1,localhost"}
    if not env.get("SECRET_KEY"):
        env["SECRET_KEY"] = "load-test-" + "x" * 50
    manage("collectstatic", "--noinput", "-v0", env=env)
    session, targets = session_and_targets(env)
    server = start_gunicorn(env, port, workers)
    try:
        loads = []
        for share, path in MIX:
            url = f"http://127.0.0.1:{port}" + path.format(**targets)
            page_rate = rate * share
            # A hey worker waits for each answer before the next request: at 4 requests a second each,
            # the offered rate holds while answers take up to 250 ms (the goal's p95).
            concurrency = max(2, round(page_rate / 4))
            loads.append((path, subprocess.Popen(
                ["hey", "-z", f"{seconds}s", "-c", str(concurrency), "-q", f"{page_rate / concurrency:.2f}",
                 "-H", f"Cookie: sessionid={session}", "-o", "csv", url],
                stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
            )))
        results = []
        for path, process in loads:
            out, _ = process.communicate(timeout=seconds + 120)
            rows = list(csv.DictReader(io.StringIO(out)))
            latencies = [float(row["response-time"]) * 1000 for row in rows]
            errors = sum(1 for row in rows if row["status-code"] != "200")
            results.append({"page": path, "requests": len(rows), "errors": errors, "latencies": latencies})
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    every = sorted(l for r in results for l in r["latencies"])
    total = len(every)

    def pct(values, q):
        return round(sorted(values)[min(len(values) - 1, round(q * (len(values) - 1)))], 1) if values else None

    summary = {
        "target_rate": rate, "seconds": seconds, "gunicorn_workers": workers,
        "requests": total, "achieved_rate": round(total / seconds, 1),
        "errors": sum(r["errors"] for r in results),
        "median_ms": round(statistics.median(every), 1) if every else None,
        "p95_ms": pct(every, 0.95), "p99_ms": pct(every, 0.99), "max_ms": round(every[-1], 1) if every else None,
        "pages": [{"page": r["page"], "requests": r["requests"], "errors": r["errors"],
                   "median_ms": round(statistics.median(r["latencies"]), 1) if r["latencies"] else None,
                   "p95_ms": pct(r["latencies"], 0.95)} for r in results],
    }
    return summary


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rate", type=float, default=200)
    parser.add_argument("--seconds", type=int, default=60)
    parser.add_argument("--workers", type=int, default=3)  # 2 cores: 3 beat 4 (less switching)
    parser.add_argument("--port", type=int, default=8031)
    parser.add_argument("--json", default=None)
    args = parser.parse_args()
    summary = run(args.rate, args.seconds, args.workers, args.port)
    print(f"{summary['requests']} requests in {summary['seconds']} s ({summary['achieved_rate']}/s, target {args.rate:g}/s), "
          f"{summary['errors']} errors; median {summary['median_ms']} ms, p95 {summary['p95_ms']} ms, "
          f"p99 {summary['p99_ms']} ms, max {summary['max_ms']} ms; gunicorn workers {args.workers}")
    for page in summary["pages"]:
        print(f"  {page['page']:34} {page['requests']:6} requests  {page['errors']} errors  "
              f"median {page['median_ms']} ms  p95 {page['p95_ms']} ms")
    if args.json:
        Path(args.json).write_text(json.dumps(summary, indent=2))


if __name__ == "__main__":
    main()
