"""A Redis cache that fails soft: with Redis down (or slow) a read is a miss and a write is
skipped, logged once a minute at most, so every caller reads the database instead of failing.
Nothing the web decides (sessions, roles, access) is in the cache."""

import logging
import time

from django.core.cache.backends.redis import RedisCache

log = logging.getLogger(__name__)
_last_warning = [0.0]


def _warn(operation, exc):
    if time.monotonic() - _last_warning[0] > 60:
        _last_warning[0] = time.monotonic()
        log.warning("cache unavailable (%s: %s); reading the database instead", operation, exc)


def _redis_errors():
    import redis

    return (redis.exceptions.RedisError, OSError)


def _soft(name, fallback):
    def method(self, *args, **kwargs):
        try:
            return getattr(super(FailSoftRedisCache, self), name)(*args, **kwargs)
        except _redis_errors() as exc:
            _warn(name, exc)
            return fallback(*args, **kwargs) if callable(fallback) else fallback

    method.__name__ = name
    return method


def _default(key, default=None, *args, **kwargs):
    return default


class FailSoftRedisCache(RedisCache):
    get = _soft("get", _default)
    get_many = _soft("get_many", {})
    has_key = _soft("has_key", False)
    set = _soft("set", None)
    add = _soft("add", False)
    touch = _soft("touch", False)
    set_many = _soft("set_many", lambda data, *a, **k: list(data))
    delete = _soft("delete", False)
    delete_many = _soft("delete_many", None)
    clear = _soft("clear", False)
