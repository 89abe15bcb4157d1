"""When a sign-in attempt must wait or is refused: pure functions of the failures counted so far
and the rules (built from config at the edge, by lockout_rules). No clock, no storage.

After `slowdown_after` failures each further attempt must wait longer (doubling, up to
`slowdown_max`); after `lock_after` the address is locked for `lock_time`. A lock that has run
out, or a last failure older than the lock time, starts the count afresh."""
import math
from dataclasses import dataclass
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutRules:
    """Built from the LOGIN_* settings (their defaults live in intake/config.py)."""

    slowdown_after: int
    slowdown_first: timedelta
    slowdown_max: timedelta
    lock_after: int
    lock_time: timedelta


@dataclass(frozen=True)
class Attempts:
    failures: int = 0
    last_failed_at: datetime | None = None
    locked_until: datetime | None = None


def lockout_rules(config):
    return LockoutRules(
        slowdown_after=config["LOGIN_SLOWDOWN_AFTER"],
        slowdown_first=timedelta(seconds=config["LOGIN_SLOWDOWN_SECONDS"]),
        slowdown_max=timedelta(seconds=config["LOGIN_SLOWDOWN_MAX_SECONDS"]),
        lock_after=config["LOGIN_LOCK_AFTER"],
        lock_time=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
    )


def wait_after(rules, failures):
    """How long the next attempt must wait after this many failures: none at first, then
    doubling (2 s, 4 s, 8 s... by default), never more than the maximum."""
    if failures < rules.slowdown_after:
        return timedelta(0)
    return min(rules.slowdown_first * 2 ** min(failures - rules.slowdown_after, 20),
               rules.slowdown_max)


def still_counting(rules, attempts, now):
    """The failures that still count at `now`."""
    if attempts.locked_until is not None:
        return attempts if attempts.locked_until > now else Attempts()
    if attempts.last_failed_at is None or now - attempts.last_failed_at >= rules.lock_time:
        return Attempts()
    return attempts


def refusal(rules, attempts, now):
    """("locked", seconds) or ("wait", seconds) when an attempt now comes too soon, else None."""
    if attempts.locked_until is not None and attempts.locked_until > now:
        return "locked", math.ceil((attempts.locked_until - now).total_seconds())
    if attempts.last_failed_at is not None:
        ready = attempts.last_failed_at + wait_after(rules, attempts.failures)
        if ready > now:
            return "wait", math.ceil((ready - now).total_seconds())
    return None


def after_failure(rules, attempts, now):
    failures = attempts.failures + 1
    locked = failures >= rules.lock_after
    return Attempts(failures, now, now + rules.lock_time if locked else None)


def is_locked(locked_until, now):
    return locked_until is not None and locked_until > now
