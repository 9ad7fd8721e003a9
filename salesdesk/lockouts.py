"""Login throttling (django-axes, configured in settings): the client's address, the page a locked-out
login gets, and the list of lockouts the department manager may lift (`services.login_unlock`).

A user name is locked after AXES_FAILURE_LIMIT wrong passwords within AXES_COOLOFF_TIME, from any
address; an address after SALESDESK_ADDRESS_FAILURE_LIMIT, for any user names — higher, because the
whole department may sit behind one office address, and one clerk's typing must not lock out the
others (the manager who could unlock among them). Each lock ends on its own when the cool-off has
passed since its last failure; the failures are rows of axes' AccessAttempt (one per user name,
address and browser), in the database every process shares.
"""

import ipaddress
from dataclasses import dataclass
from datetime import datetime

from axes.handlers.database import AxesDatabaseHandler
from axes.helpers import get_client_username
from axes.models import AccessAttempt
from django.conf import settings
from django.db.models import Max, Q, Sum
from django.shortcuts import render
from django.utils import timezone


def _address(value):
    try:
        return str(ipaddress.ip_address(value.strip()))
    except (AttributeError, ValueError):
        return None


def client_ip(request):
    """The client's address: the connection's, or, behind PROXY_COUNT reverse proxies, the entry of
    X-Forwarded-For that the first of them wrote (entries further left are the client's own claim)."""
    if settings.PROXY_COUNT:
        hops = [hop for hop in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",") if hop.strip()]
        if len(hops) >= settings.PROXY_COUNT and (address := _address(hops[-settings.PROXY_COUNT])):
            return address
    return _address(request.META.get("REMOTE_ADDR", "")) or request.META.get("REMOTE_ADDR")


def limit(kind):
    return settings.AXES_FAILURE_LIMIT if kind == "username" else settings.SALESDESK_ADDRESS_FAILURE_LIMIT


class LockoutHandler(AxesDatabaseHandler):
    """axes' database handler with a limit of its own for an address. axes compares one count with
    one limit (AXES_FAILURE_LIMIT); the count given for an address is scaled to it, so an address
    reaches the limit after SALESDESK_ADDRESS_FAILURE_LIMIT failures."""

    def get_failures(self, request, credentials=None):
        counts = [
            attempts.aggregate(n=Sum("failures_since_start"))["n"] or 0
            for attempts in self.get_user_attempts(request, credentials)
        ]
        scaled = [  # in the order of AXES_LOCKOUT_PARAMETERS
            count if kind == "username" else count * settings.AXES_FAILURE_LIMIT // limit(kind)
            for kind, count in zip(settings.AXES_LOCKOUT_PARAMETERS, counts)
        ]
        return max(scaled, default=0)


@dataclass(frozen=True)
class Lockout:
    kind: str  # "username" or "ip_address"
    value: str
    failures: int
    last_failure: datetime

    @property
    def until(self):
        return self.last_failure + settings.AXES_COOLOFF_TIME


def _recent(now):
    return AccessAttempt.objects.filter(attempt_time__gte=(now or timezone.now()) - settings.AXES_COOLOFF_TIME)


def lockouts(now=None):
    """Every user name and every address locked out now, the latest failure first."""
    found = []
    for kind in ("username", "ip_address"):
        rows = (
            _recent(now).exclude(**{f"{kind}__isnull": True}).values(kind)
            .annotate(failures=Sum("failures_since_start"), last=Max("attempt_time"))
            .filter(failures__gte=limit(kind))
        )
        found += [Lockout(kind, row[kind], row["failures"], row["last"]) for row in rows]
    return sorted(found, key=lambda lock: lock.last_failure, reverse=True)


def locked_until(username, ip_address, now=None):
    """When the lock on this user name or this address ends (the later of the two)."""
    locks = [lock for lock in lockouts(now) if (lock.kind, lock.value) in {("username", username), ("ip_address", ip_address)}]
    if locks:
        return max(lock.until for lock in locks)
    last = _recent(now).filter(Q(username=username) | Q(ip_address=ip_address)).aggregate(last=Max("attempt_time"))["last"]
    return (last or timezone.now()) + settings.AXES_COOLOFF_TIME


def lockout_response(request, original_response=None, credentials=None):
    """The page a login gets while its user name or address is locked out (status 429): until when,
    and that the department manager can lift the lock."""
    username = get_client_username(request, credentials) or ""
    until = timezone.localtime(locked_until(username, getattr(request, "axes_ip_address", None)))
    context = {
        "username": username, "until": until, "minutes": int(settings.AXES_COOLOFF_TIME.total_seconds() // 60),
        "same_day": until.date() == timezone.localdate(),
    }
    return render(request, "registration/locked_out.html", context, status=429)
