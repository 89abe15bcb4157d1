"""Signing in: failed attempts counted per email address, on the account's row when an account
has the address, in Redis when none has. Both follow the same rules (accounts/lockout.py) and
get the same answers (and a password is hashed either way), so nothing a visitor sees tells
whether an account exists or is active. A refused attempt is answered at once: nothing sleeps."""
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime
from functools import cache

import redis
from flask import current_app
from sqlalchemy import select
from werkzeug.security import check_password_hash

from ..clock import as_utc
from ..extensions import db, get_redis
from ..models import Coordinator
from ..pledges.audit import Actor, coordinator_actor, record
from . import lockout
from .coordinators import hash_password, password_matches

SIGN_IN = Actor("system", None, "Sign-in")  # who records a failed or refused attempt


@dataclass(frozen=True)
class Outcome:
    account: Coordinator | None  # the account signed in, or None
    refused: tuple | None = None  # ("locked" | "wait", seconds) when the attempt came too soon


def attempts_key(email):
    return "intake:sign-in-failures:" + hashlib.sha256(email.encode()).hexdigest()


def load_attempts(account, email):
    if account is not None:
        return lockout.Attempts(account.failed_logins or 0, as_utc(account.last_failed_login_at),
                                as_utc(account.locked_until))
    try:
        stored = get_redis().hgetall(attempts_key(email))
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failures not read from Redis: %s", error)
        return lockout.Attempts()
    if not stored:
        return lockout.Attempts()

    def moment(name):
        value = stored.get(name.encode(), b"").decode()
        return datetime.fromisoformat(value) if value else None

    return lockout.Attempts(int(stored.get(b"failures", b"0")), moment("last_failed_at"),
                            moment("locked_until"))


def save_attempts(account, email, attempts, rules):
    if account is not None:
        account.failed_logins = attempts.failures
        account.last_failed_login_at = attempts.last_failed_at
        account.locked_until = attempts.locked_until
        return
    key = attempts_key(email)
    try:
        with get_redis().pipeline() as pipe:
            pipe.hset(key, mapping={
                "failures": attempts.failures,
                "last_failed_at": attempts.last_failed_at.isoformat(),
                "locked_until": attempts.locked_until.isoformat() if attempts.locked_until else "",
            })
            pipe.expire(key, int(rules.lock_time.total_seconds()) + 60)
            pipe.execute()
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failure not counted in Redis: %s", error)


@cache
def dummy_password_hash():
    """Checked when no account has the address, so that answer takes as long as the others."""
    return hash_password(secrets.token_hex(16))


def attempt_facts(account, email, ip, **facts):
    """What the audit log keeps about an attempt. The address typed is kept only when it is an
    account's: an unknown one may be a password typed in the wrong box, so only its hash."""
    if account is not None:
        facts["email"] = account.email
    else:
        facts["email_sha256"] = hashlib.sha256(email.encode()).hexdigest()[:16]
    facts["ip"] = ip
    return facts


def attempt_sign_in(email, password, ip, rules, now):
    """Check one attempt, count it, audit it. In the caller's transaction."""
    email = email.lower()
    # The row stays locked until this attempt is counted: parallel guesses queue behind it.
    account = db.session.scalar(
        select(Coordinator).where(Coordinator.email == email).with_for_update())
    attempts = lockout.still_counting(rules, load_attempts(account, email), now)
    account_id = account.id if account else None

    refused = lockout.refusal(rules, attempts, now)
    if refused is not None:
        record(SIGN_IN, "sign_in_refused", coordinator_id=account_id,
               after=attempt_facts(account, email, ip, reason=refused[0]))
        return Outcome(None, refused)

    if account is None:
        check_password_hash(dummy_password_hash(), password)
        accepted = False
    else:
        accepted = password_matches(account, password) and account.active
    if not accepted:
        attempts = lockout.after_failure(rules, attempts, now)
        save_attempts(account, email, attempts, rules)
        record(SIGN_IN, "sign_in_failed", coordinator_id=account_id,
               after=attempt_facts(account, email, ip, failures=attempts.failures,
                                   locked_until=attempts.locked_until))
        return Outcome(None, lockout.refusal(rules, attempts, now))

    account.failed_logins = 0
    account.last_failed_login_at = None
    account.locked_until = None
    account.last_login_at = now
    record(coordinator_actor(account), "sign_in", coordinator_id=account.id, after={"ip": ip})
    return Outcome(account)
