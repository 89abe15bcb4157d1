"""Failed sign-in attempts, counted in Redis with expiry (a count outlives its last failure by
the lock time): one hash per address (the count from everywhere, and one per guessing IP) and
one per IP. The rules that read them: accounts/lockout.py. With Redis away, attempts are
checked but not counted, and a warning is logged."""
import hashlib
import json
from dataclasses import dataclass
from datetime import datetime

import redis
from flask import current_app

from ..extensions import get_redis
from . import lockout

KEY_PREFIX = "intake:sign-in:"
EVERYONE = "all"  # the field of a count that covers every guesser


def _digest(text):
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def address_key(email):
    """One Redis hash per address: the count from everywhere, and one per guessing IP."""
    return KEY_PREFIX + "address:" + _digest(email)


def network_key(ip):
    return KEY_PREFIX + "ip:" + _digest(ip)


def guesser_field(ip):
    return "ip:" + _digest(ip)


def _encode(attempts):
    return json.dumps({
        "failures": attempts.failures,
        "last_failed_at": attempts.last_failed_at.isoformat() if attempts.last_failed_at
        else None,
        "locked_until": attempts.locked_until.isoformat() if attempts.locked_until else None,
    })


def _decode(value):
    if not value:
        return lockout.Attempts()
    stored = json.loads(value)

    def moment(name):
        return datetime.fromisoformat(stored[name]) if stored.get(name) else None

    return lockout.Attempts(int(stored.get("failures") or 0), moment("last_failed_at"),
                            moment("locked_until"))


def load_counts(email, ip):
    try:
        with get_redis().pipeline(transaction=False) as pipe:
            pipe.hmget(address_key(email), guesser_field(ip), EVERYONE)
            pipe.hget(network_key(ip), EVERYONE)
            (guesser, address), network = pipe.execute()
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failures not read from Redis: %s", error)
        return lockout.Counts()
    return lockout.Counts(_decode(guesser), _decode(address), _decode(network))


def save_counts(email, ip, counts, rules):
    keep_for = int(rules.lock_time.total_seconds()) + 60
    try:
        with get_redis().pipeline() as pipe:
            if counts.guesser.failures:
                pipe.hset(address_key(email), guesser_field(ip), _encode(counts.guesser))
            else:
                pipe.hdel(address_key(email), guesser_field(ip))
            if counts.address.failures:
                pipe.hset(address_key(email), EVERYONE, _encode(counts.address))
                pipe.expire(address_key(email), keep_for)
            if counts.network.failures:
                pipe.hset(network_key(ip), EVERYONE, _encode(counts.network))
                pipe.expire(network_key(ip), keep_for)
            pipe.execute()
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failure not counted in Redis: %s", error)


# --- what admins see and clear ---------------------------------------------------------


@dataclass(frozen=True)
class AddressState:
    failures: int = 0  # failed attempts from anywhere that still count
    locked_until: datetime | None = None  # the latest lock of any guesser on the address
    locked_places: int = 0  # how many guessers (IPs) are locked out of it


def address_state(email, rules, now):
    try:
        stored = get_redis().hgetall(address_key(email))
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failures not read from Redis: %s", error)
        return AddressState()
    everyone = lockout.still_counting(rules, _decode(stored.pop(EVERYONE.encode(), None)), now)
    locks = [attempts.locked_until for attempts in map(_decode, stored.values())
             if lockout.is_locked(attempts.locked_until, now)]
    return AddressState(everyone.failures, max(locks, default=None), len(locks))


def forget_failures(email):
    """Every guesser's count on the address, and the address's own (an admin's unlock)."""
    try:
        get_redis().delete(address_key(email))
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failures not cleared in Redis: %s", error)
