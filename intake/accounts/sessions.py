"""Coordinator sessions, kept on the server (table coordinator_session).

Signing in starts a session: a random secret goes into the signed session cookie (as
Flask-Login's user id, "s:<secret>"), the table keeps only its SHA-256. Every request looks the
session up: signing out ends that session; a password change or a deactivation ends all of the
account's; an admin can end them too. So a cookie copied before any of these opens nothing. A
session also ends once unused for COORDINATOR_SESSION_IDLE, and at the latest after
COORDINATOR_SESSION_LIFETIME."""
import hashlib
import secrets
from datetime import timedelta

from flask import current_app
from flask.sessions import SecureCookieSessionInterface
from itsdangerous import BadSignature
from sqlalchemy import delete, insert, or_, select, update

from ..clock import as_utc, utcnow
from ..extensions import db
from ..models import Coordinator, CoordinatorSession

PREFIX = "s:"
USER_AGENT_MAX_LENGTH = 200


def hash_secret(secret):
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def user_id(secret):
    return PREFIX + secret


def _row(coordinator_id, secret, ip, user_agent, now):
    return {"token_hash": hash_secret(secret), "coordinator_id": coordinator_id,
            "created_at": now, "last_seen_at": now, "ip": (ip or "")[:64] or None,
            "user_agent": (user_agent or "")[:USER_AGENT_MAX_LENGTH] or None}


def begin(account, ip=None, user_agent=None, now=None):
    """A new session for the account, in the caller's transaction; the account object now runs
    in it (Flask-Login's login_user stores its id)."""
    now = now or utcnow()
    forget_old(account, now)
    secret = secrets.token_urlsafe(32)
    db.session.add(CoordinatorSession(**_row(account.id, secret, ip, user_agent, now)))
    account.session_secret = secret
    return secret


def forget_old(account, now):
    """Sessions that ended (or lapsed) longer ago than a session can last are of no use to
    anyone: they go when the account signs in again."""
    long_ago = now - current_app.config["COORDINATOR_SESSION_LIFETIME"]
    db.session.execute(delete(CoordinatorSession).where(
        CoordinatorSession.coordinator_id == account.id,
        or_(CoordinatorSession.ended_at < long_ago, CoordinatorSession.last_seen_at < long_ago))
        .execution_options(synchronize_session=False))


# Sessions named outside a sign-in request (Coordinator.get_id on an account object that runs
# in no session: a test's or a benchmark's browser signed in directly), by their secret's hash.
# Such a session begins when a cookie naming it is written, in this process only: nothing a
# browser sends can make the server begin a session it did not name itself.
_unborn = {}
UNBORN_FOR = timedelta(hours=1)


def name_unborn(account):
    now = utcnow()
    for key, (_account_id, named_at) in list(_unborn.items()):
        if now - named_at > UNBORN_FOR:
            _unborn.pop(key, None)
    secret = secrets.token_urlsafe(32)
    _unborn[hash_secret(secret)] = (account.id, now)
    return secret


def be_born(session_user_id):
    """Begin the session a cookie about to be written names, if this process named it without
    beginning it. On a connection of its own: this runs as any response goes out."""
    if not session_user_id or not session_user_id.startswith(PREFIX) or not _unborn:
        return
    token_hash = hash_secret(session_user_id[len(PREFIX):])
    named = _unborn.pop(token_hash, None)
    if named is None:
        return
    now = utcnow()
    with db.engine.begin() as connection:
        connection.execute(insert(CoordinatorSession).values(
            token_hash=token_hash, coordinator_id=named[0], created_at=now, last_seen_at=now))


class CookieSessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie session, which begins the coordinator session it names when that
    one was named outside a sign-in request (be_born), and writes a lasting session's cookie
    again when it changed or once SESSION_COOKIE_RENEWED_AFTER has passed since it was signed,
    to keep it lasting: Flask signed it again for every response, a cost on every page and
    bytes on every answer for a date that moved by seconds."""

    def open_session(self, app, request):
        serializer = self.get_signing_serializer(app)
        if serializer is None:
            return None
        value = request.cookies.get(self.get_cookie_name(app))
        if not value:
            return self.session_class()
        max_age = int(app.permanent_session_lifetime.total_seconds())
        try:
            data, signed_at = serializer.loads(value, max_age=max_age, return_timestamp=True)
        except BadSignature:
            return self.session_class()
        session = self.session_class(data)
        session.signed_at = signed_at
        return session

    def should_set_cookie(self, app, session):
        if session.modified:
            return True
        if not session.permanent:
            return False
        signed_at = getattr(session, "signed_at", None)
        return (signed_at is None
                or utcnow() - signed_at >= app.config["SESSION_COOKIE_RENEWED_AFTER"])

    def save_session(self, app, session, response):
        be_born(session.get("_user_id"))
        super().save_session(app, session, response)


def _find(token_hash):
    return db.session.execute(
        select(CoordinatorSession, Coordinator).join(Coordinator)
        .where(CoordinatorSession.token_hash == token_hash)).first()


def is_open(row, now, config):
    if row.ended_at is not None:
        return False
    if now - as_utc(row.last_seen_at) >= config["COORDINATOR_SESSION_IDLE"]:
        return False
    return now - as_utc(row.created_at) < config["COORDINATOR_SESSION_LIFETIME"]


def load(session_user_id, now=None):
    """The account of an open session named by a cookie's user id, running in that session;
    None for anything else (an ended, expired or unknown session, an old-style id, a
    deactivated account)."""
    if not session_user_id or not session_user_id.startswith(PREFIX):
        return None
    secret = session_user_id[len(PREFIX):]
    if not secret or len(secret) > 100:
        return None
    now = now or utcnow()
    found = _find(hash_secret(secret))
    if found is None:
        return None
    row, account = found
    if not account.active or not is_open(row, now, current_app.config):
        return None
    account.session_secret = secret
    account.session_row = row
    return account


def note_seen(account, now=None):
    """Move the session's "last seen" on, at most once a minute (a write per request would
    cost more than it tells). Its own short transaction: called before the view runs."""
    row = getattr(account, "session_row", None)
    now = now or utcnow()
    if row is None or now - as_utc(row.last_seen_at) < current_app.config[
            "COORDINATOR_SESSION_TOUCH_INTERVAL"]:
        return
    db.session.execute(update(CoordinatorSession).where(CoordinatorSession.id == row.id)
                       .values(last_seen_at=now))
    db.session.commit()


def end(account, reason, now=None):
    """End the session the account object runs in (signing out). In the caller's
    transaction."""
    if account.session_secret is None:
        return 0
    return _end(CoordinatorSession.token_hash == hash_secret(account.session_secret), reason,
                now)


def end_all(account, reason, now=None, keep=None):
    """End every open session of the account (but the one named `keep`, if any); how many."""
    condition = CoordinatorSession.coordinator_id == account.id
    if keep is not None:
        condition = condition & (CoordinatorSession.token_hash != hash_secret(keep))
    return _end(condition, reason, now)


def end_one(account, session_id, reason, now=None):
    """End one session of the account, by its row id (an admin's button)."""
    return _end((CoordinatorSession.coordinator_id == account.id)
                & (CoordinatorSession.id == session_id), reason, now)


def _end(condition, reason, now):
    result = db.session.execute(
        update(CoordinatorSession).where(condition, CoordinatorSession.ended_at.is_(None))
        .values(ended_at=now or utcnow(), ended_reason=reason)
        .execution_options(synchronize_session=False))
    return result.rowcount


def open_sessions(account, now=None):
    """The account's sessions that still open pages, the latest seen first."""
    now = now or utcnow()
    rows = db.session.scalars(
        select(CoordinatorSession).where(CoordinatorSession.coordinator_id == account.id,
                                         CoordinatorSession.ended_at.is_(None))
        .order_by(CoordinatorSession.last_seen_at.desc(), CoordinatorSession.id.desc())).all()
    return [row for row in rows if is_open(row, now, current_app.config)]
