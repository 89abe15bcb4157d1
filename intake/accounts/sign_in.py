"""Signing in: failed attempts counted per guesser (an address from one IP), per address from
anywhere, and per IP (the rules: accounts/lockout.py; the counts: accounts/failures.py, in
Redis). An address with an account and one without are counted and answered the same way (and
a password is hashed either way), so nothing a visitor sees tells whether an account exists or
is active. A refused attempt is answered at once: nothing sleeps."""
import hashlib
import secrets
from dataclasses import dataclass
from functools import cache

from sqlalchemy import select
from werkzeug.security import check_password_hash

from ..extensions import db
from ..models import Coordinator
from ..pledges.audit import Actor, coordinator_actor, record
from . import lockout
from .coordinators import hash_password, password_matches
from .failures import load_counts, save_counts

SIGN_IN = Actor("system", None, "Sign-in")  # who records a failed or refused attempt


@dataclass(frozen=True)
class Outcome:
    account: Coordinator | None  # the account signed in, or None
    refused: tuple | None = None  # ("network" | "locked" | "wait", seconds) when too soon


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
    # The account's row stays locked until this attempt is counted: parallel guesses at one
    # account queue behind it (on PostgreSQL).
    account = db.session.scalar(
        select(Coordinator).where(Coordinator.email == email).with_for_update())
    stored = load_counts(email, ip)
    counts = lockout.counts_at(rules, stored, now)
    account_id = account.id if account else None

    refused = lockout.refusal(rules, counts, now)
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
        counts = lockout.after_failure(rules, counts, now)
        save_counts(email, ip, counts, rules)
        record(SIGN_IN, "sign_in_failed", coordinator_id=account_id,
               after=attempt_facts(account, email, ip, failures=counts.guesser.failures,
                                   locked_until=counts.guesser.locked_until))
        return Outcome(None, lockout.refusal(rules, counts, now))

    if stored.guesser.failures:
        save_counts(email, ip, lockout.after_success(counts), rules)
    account.last_login_at = now
    record(coordinator_actor(account), "sign_in", coordinator_id=account.id, after={"ip": ip})
    return Outcome(account)
