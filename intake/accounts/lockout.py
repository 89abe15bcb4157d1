"""When a sign-in attempt must wait or is refused: pure functions of the failures counted so far
and the rules (built from config at the edge, by lockout_rules). No clock, no storage.

Failures are counted three ways, so that guessing is slow but nobody can lock a coordinator out
from elsewhere:
- per guesser (one address from one IP): after `slowdown_after` failures each further attempt
  must wait longer (doubling, up to `slowdown_max`); after `lock_after` that guesser is locked
  out for `lock_time`. The owner, from another IP, is not;
- per address, from anywhere: never a lock. Once an address has `address_wary_after` failures,
  each guesser there is slowed down after its first failure instead: a first attempt from a new
  place is always checked, so the right password still signs in;
- per IP, on any address: after `network_lock_after` failures that IP is locked out for
  `lock_time` (one place trying many addresses).
A lock that has run out, or a last failure older than the lock time, starts a count afresh."""
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta


@dataclass(frozen=True)
class LockoutRules:
    """Built from the LOGIN_* settings (their defaults live in intake/config.py)."""

    slowdown_after: int
    slowdown_first: timedelta
    slowdown_max: timedelta
    lock_after: int
    lock_time: timedelta
    address_wary_after: int = 10
    network_lock_after: int = 30


@dataclass(frozen=True)
class Attempts:
    failures: int = 0
    last_failed_at: datetime | None = None
    locked_until: datetime | None = None


@dataclass(frozen=True)
class Counts:
    """The failures that bear on one attempt."""

    guesser: Attempts = Attempts()  # this address, from this IP
    address: Attempts = Attempts()  # this address, from anywhere (never locked)
    network: Attempts = Attempts()  # this IP, on any address


def lockout_rules(config):
    return LockoutRules(
        slowdown_after=config["LOGIN_SLOWDOWN_AFTER"],
        slowdown_first=timedelta(seconds=config["LOGIN_SLOWDOWN_SECONDS"]),
        slowdown_max=timedelta(seconds=config["LOGIN_SLOWDOWN_MAX_SECONDS"]),
        lock_after=config["LOGIN_LOCK_AFTER"],
        lock_time=timedelta(minutes=config["LOGIN_LOCK_MINUTES"]),
        address_wary_after=config["LOGIN_ADDRESS_WARY_AFTER"],
        network_lock_after=config["LOGIN_NETWORK_LOCK_AFTER"],
    )


def wait_after(rules, failures, wary=False):
    """How long a guesser's next attempt must wait after this many failures: none at first,
    then doubling (2 s, 4 s, 8 s... by default), never more than the maximum. On an address
    under attack (wary), the waiting starts after the first failure."""
    start = 1 if wary else rules.slowdown_after
    if failures < start:
        return timedelta(0)
    return min(rules.slowdown_first * 2 ** min(failures - start, 20), rules.slowdown_max)


def still_counting(rules, attempts, now):
    """The failures that still count at `now`."""
    if attempts.locked_until is not None:
        return attempts if attempts.locked_until > now else Attempts()
    if attempts.last_failed_at is None or now - attempts.last_failed_at >= rules.lock_time:
        return Attempts()
    return attempts


def counts_at(rules, counts, now):
    return Counts(*(still_counting(rules, attempts, now)
                    for attempts in (counts.guesser, counts.address, counts.network)))


def is_wary(rules, counts):
    return counts.address.failures >= rules.address_wary_after


def _seconds_until(moment, now):
    return math.ceil((moment - now).total_seconds())


def refusal(rules, counts, now):
    """("network", seconds), ("locked", seconds) or ("wait", seconds) when an attempt now
    comes too soon, else None. Nothing counted on the address alone ever refuses."""
    if is_locked(counts.network.locked_until, now):
        return "network", _seconds_until(counts.network.locked_until, now)
    guesser = counts.guesser
    if is_locked(guesser.locked_until, now):
        return "locked", _seconds_until(guesser.locked_until, now)
    if guesser.last_failed_at is not None:
        ready = guesser.last_failed_at + wait_after(rules, guesser.failures,
                                                    is_wary(rules, counts))
        if ready > now:
            return "wait", _seconds_until(ready, now)
    return None


def _failed(attempts, now, lock_after, lock_time):
    failures = attempts.failures + 1
    locked = lock_after is not None and failures >= lock_after
    return Attempts(failures, now, now + lock_time if locked else None)


def after_failure(rules, counts, now):
    return Counts(
        guesser=_failed(counts.guesser, now, rules.lock_after, rules.lock_time),
        address=_failed(counts.address, now, None, rules.lock_time),
        network=_failed(counts.network, now, rules.network_lock_after, rules.lock_time))


def after_success(counts):
    """The guesser's count starts afresh; the address's and the network's run on (a right
    password does not excuse the other guesses made there)."""
    return replace(counts, guesser=Attempts())


def is_locked(locked_until, now):
    return locked_until is not None and locked_until > now
