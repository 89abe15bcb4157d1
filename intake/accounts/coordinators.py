"""Coordinator accounts: their roles, creating one, checking and changing a password (scrypt,
through Werkzeug)."""
from flask import current_app, has_app_context
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash

from ..clock import utcnow
from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import Coordinator
from ..pledges.audit import record
from . import failures, sessions
from .lockout import lockout_rules

ROLES = {
    "admin": _l("Administrator"),
    "coordinator": _l("Coordinator"),
    "partner": _l("Partner (read only)"),
}
ROLE_NAMES = tuple(ROLES)
MIN_PASSWORD_LENGTH = 12


def hash_password(password):
    """A new scrypt hash (and salt). Under test only, TEST_PASSWORD_HASHES may hold a dict in
    which each distinct password is hashed once (still with scrypt) and then reused: a test run
    creates hundreds of accounts with a few passwords. Ignored unless the app is testing."""
    testing = has_app_context() and current_app.testing
    reused = current_app.config.get("TEST_PASSWORD_HASHES") if testing else None
    # Under test only, TEST_PASSWORD_METHOD may name a cheaper scrypt cost ("scrypt:1024:8:1"):
    # still scrypt, checked the same way, but each sign-in attempt of a test costs milliseconds.
    method = (current_app.config.get("TEST_PASSWORD_METHOD") if testing else None) or "scrypt"
    if reused is None:
        return generate_password_hash(password, method=method)
    if password not in reused:
        reused[password] = generate_password_hash(password, method=method)
    return reused[password]


def new_coordinator(email, password, role="coordinator", name="", language="en"):
    if role not in ROLE_NAMES:
        raise ValueError(f"unknown role {role!r}")
    return Coordinator(email=email.strip().lower(), name=name, role=role,
                       password_hash=hash_password(password), active=True,
                       language=language or "en")


def password_matches(coordinator, password):
    return check_password_hash(coordinator.password_hash, password)


def set_password(coordinator, password):
    """The new password; every session of the account ends."""
    coordinator.password_hash = hash_password(password)
    return sessions.end_all(coordinator, "password_changed")


def coordinator_by_email(email):
    return db.session.scalar(select(Coordinator).where(
        Coordinator.email == (email or "").strip().lower()))


def sign_in_failures(account, now=None):
    """The failed sign-ins that still count on the account's address, and its guessers'
    locks (accounts/failures.py)."""
    return failures.address_state(account.email, lockout_rules(current_app.config),
                                  now or utcnow())


def is_locked(account, now=None):
    """Locked out for some guesser: someone, somewhere, failed too often (the owner elsewhere
    can still sign in)."""
    return sign_in_failures(account, now).locked_until is not None


def account_facts(account):
    return {"email": account.email, "name": account.name, "role": account.role,
            "active": account.active, "language": account.email_language}


# --- what admins (and the command line) do to accounts, audited, in the caller's transaction


class AccountExists(Exception):
    """Another account has this address (perhaps added a moment ago)."""


class RefusedOnSelf(Exception):
    """An admin may not change their own role or deactivate their own account."""


def create_account(email, password, role, name, actor, language="en"):
    account = new_coordinator(email, password, role=role, name=name, language=language)
    db.session.add(account)
    try:
        db.session.flush()
    except IntegrityError as error:  # the same address, added by someone else a moment ago
        db.session.rollback()
        raise AccountExists(email) from error
    record(actor, "account_created", coordinator_id=account.id, after=account_facts(account))
    return account


def change_role(account, role, actor):
    """False when the role is already that one."""
    if role == account.role:
        return False
    if account.id == actor.id:
        raise RefusedOnSelf()
    before = account.role
    account.role = role
    record(actor, "role_changed", coordinator_id=account.id, before={"role": before},
           after={"role": account.role})
    return True


def change_language(account, language, actor):
    """The language of the account's emails (its owner's choice, or an admin's). False when it
    is already that one."""
    if language not in current_app.config["LANGUAGES"]:
        raise ValueError(f"unknown language {language!r}")
    before = account.email_language
    if language == before:
        return False
    account.language = language
    record(actor, "email_language_changed", coordinator_id=account.id,
           before={"language": before}, after={"language": language})
    return True


def deactivate(account, actor):
    """Its sessions end and it cannot sign in. False when it was already deactivated."""
    if account.id == actor.id:
        raise RefusedOnSelf()
    if not account.active:
        return False
    account.active = False
    sessions.end_all(account, "deactivated")
    record(actor, "account_deactivated", coordinator_id=account.id, before={"active": True},
           after={"active": False, "sessions_ended": True})
    return True


def reactivate(account, actor):
    """False when it was already active."""
    if account.active:
        return False
    account.active = True
    record(actor, "account_reactivated", coordinator_id=account.id, before={"active": False},
           after={"active": True})
    return True


def reset_password(account, password, actor):
    set_password(account, password)  # also ends every session of the account
    record(actor, "password_reset", coordinator_id=account.id, after={"sessions_ended": True})


def end_sessions(account, actor):
    """An admin ends every session of the account; how many were open."""
    ended = sessions.end_all(account, "ended_by_admin")
    record(actor, "sessions_ended", coordinator_id=account.id, after={"sessions_ended": ended})
    return ended


def end_session(account, session_id, actor):
    """An admin ends one session of the account; False when it had already ended."""
    if not sessions.end_one(account, session_id, "ended_by_admin"):
        return False
    record(actor, "session_ended", coordinator_id=account.id, after={"session": session_id})
    return True


def unlock(account, actor):
    """Forget every failed sign-in on the account's address, from everywhere."""
    state = sign_in_failures(account)
    failures.forget_failures(account.email)
    record(actor, "account_unlocked", coordinator_id=account.id,
           before={"failed_logins": state.failures, "locked_until": state.locked_until,
                   "locked_places": state.locked_places},
           after={"failed_logins": 0, "locked_until": None})
