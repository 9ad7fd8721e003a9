"""Real Salesdesk processes for the tests that need more than one: `manage.py` commands and
`runserver --noreload` on a free port, all on one var folder (SQLite file, secret key, media), and a
small HTTP client with its own cookies, as a browser has.

The processes run as `bin/run` runs them: production settings (DEBUG off), no Redis (each process
has its own in-memory cache), and not under pytest (PYTEST_VERSION removed, so settings take the
paths a real checkout takes)."""

import http.cookiejar
import os
import re
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUTSIDE_PYTEST = ("PYTEST_VERSION", "PYTEST_CURRENT_TEST", "DATABASE_URL", "REDIS_URL", "DEBUG", "SECRET_KEY", "MEDIA_ROOT")


def environment(var_dir, **extra):
    env = {name: value for name, value in os.environ.items() if name not in OUTSIDE_PYTEST}
    return {**env, "SALESDESK_VAR_DIR": str(var_dir), "DEBUG": "0", "PYTHONUNBUFFERED": "1", **extra}


def manage(var_dir, *args, timeout=120, **extra):
    """Run `manage.py *args` on `var_dir`; its output (it must succeed)."""
    done = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, env=environment(var_dir, **extra),
        capture_output=True, text=True, timeout=timeout,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Server:
    """`manage.py runserver --noreload` on a free port of 127.0.0.1, until `stop()`."""

    def __init__(self, var_dir, **extra):
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = open(Path(var_dir) / f"runserver-{self.port}.log", "w+")
        self.process = subprocess.Popen(
            [sys.executable, "manage.py", "runserver", "--noreload", f"127.0.0.1:{self.port}"],
            cwd=ROOT, env=environment(var_dir, **extra), stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                break
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2):
                    return
            except urllib.error.HTTPError:
                return  # it answers (healthz may say the database is not there yet)
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise AssertionError(f"runserver did not answer on {self.url}:\n{self.output()}")

    def output(self):
        self.log.flush()
        self.log.seek(0)
        return self.log.read()

    def stop(self):
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        self.log.close()


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args, **kwargs):
        return None  # a redirect is an answer to look at, not to follow


class Browser:
    """An HTTP client with its own cookie jar (cookies do not depend on the port: one jar serves
    every server on 127.0.0.1, as one browser would)."""

    def __init__(self):
        self.cookies = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.cookies), _NoRedirects)

    def request(self, url, data=None, headers=None):
        """(status, headers, body text) of a GET, or of a POST when `data` is given."""
        body = urllib.parse.urlencode(data).encode() if data is not None else None
        try:
            with self.opener.open(urllib.request.Request(url, data=body, headers=headers or {}), timeout=30) as response:
                return response.status, response.headers, response.read().decode(errors="replace")
        except urllib.error.HTTPError as refused:
            return refused.code, refused.headers, refused.read().decode(errors="replace")

    def cookie(self, name):
        return next((cookie.value for cookie in self.cookies if cookie.name == name), None)

    def csrf_token(self, url):
        status, _headers, page = self.request(url)
        assert status == 200, (url, status)
        return re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)

    def log_in(self, server, username, password):
        token = self.csrf_token(f"{server.url}/accounts/login/")
        return self.request(f"{server.url}/accounts/login/", {
            "csrfmiddlewaretoken": token, "username": username, "password": password, "next": "",
        })

    def log_out(self, server):
        token = self.csrf_token(f"{server.url}/")  # every page of a logged-in person has the logout form
        return self.request(f"{server.url}/accounts/logout/", {"csrfmiddlewaretoken": token})
