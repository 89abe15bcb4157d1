"""Coordinator accounts: sign in and out, lockout, and the admins' account management.

Failed sign-ins are counted per email address: on the account's row when an account has the
address, in Redis when none has. Both follow the same rules and get the same answers (and a
password is hashed either way), so nothing a visitor sees tells whether an account exists or is
active. After LOGIN_SLOWDOWN_AFTER failures each further attempt must wait longer; after
LOGIN_LOCK_AFTER the address is locked for LOGIN_LOCK_MINUTES (an admin may unlock it sooner).
A refused attempt is answered at once: the request never sleeps."""
import hashlib
import math
import secrets
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from functools import cache
from urllib.parse import urlsplit

import click
import redis
from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask.cli import AppGroup
from flask_babel import force_locale, ngettext
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash

from .account_forms import (
    NAME_MAX_LENGTH,
    AccountRuleError,
    ConfirmForm,
    NewAccountForm,
    PasswordResetForm,
    RoleForm,
    SignInForm,
    check_new_email,
    check_new_password,
)
from .accounts_model import ROLE_NAMES, hash_password, new_coordinator, password_matches, \
    set_password
from .audit import Actor, coordinator_actor, record
from .auth import ROLES, admin_only
from .city_intake import error_list
from .extensions import db
from .forms import FORBIDDEN_CHARACTERS
from .models import Coordinator
from .redis_connection import get_redis

bp = Blueprint("accounts", __name__, cli_group=None)

SIGN_IN = Actor("system", None, "Sign-in")  # who records a failed or refused attempt
COMMAND_LINE = Actor("system", None, "Command line")


def utcnow():
    return datetime.now(timezone.utc)


def as_utc(moment):
    """SQLite hands back naive datetimes; they were stored in UTC."""
    if moment is None or moment.tzinfo:
        return moment
    return moment.replace(tzinfo=timezone.utc)


# --- counting failed sign-ins ------------------------------------------------


@dataclass(frozen=True)
class Attempts:
    failures: int = 0
    last_failed_at: datetime | None = None
    locked_until: datetime | None = None


def setting(name, default):
    return current_app.config.get(name, default)


def lock_time():
    return timedelta(minutes=setting("LOGIN_LOCK_MINUTES", 15))


def wait_after(failures):
    """How long the next attempt must wait after this many failures: none at first, then
    doubling (2 s, 4 s, 8 s... by default), never more than a minute."""
    slowdown_after = setting("LOGIN_SLOWDOWN_AFTER", 3)
    if failures < slowdown_after:
        return timedelta(0)
    first = setting("LOGIN_SLOWDOWN_SECONDS", 2)
    longest = setting("LOGIN_SLOWDOWN_MAX_SECONDS", 60)
    return timedelta(seconds=min(first * 2 ** min(failures - slowdown_after, 20), longest))


def still_counting(attempts, now):
    """The failures that still count: a lock that has run out, or a last failure older than the
    lock time, starts the count afresh."""
    if attempts.locked_until is not None:
        return attempts if attempts.locked_until > now else Attempts()
    if attempts.last_failed_at is None or now - attempts.last_failed_at >= lock_time():
        return Attempts()
    return attempts


def refusal(attempts, now):
    """("locked", seconds) or ("wait", seconds) when an attempt now comes too soon, else None."""
    if attempts.locked_until is not None and attempts.locked_until > now:
        return "locked", math.ceil((attempts.locked_until - now).total_seconds())
    if attempts.last_failed_at is not None:
        ready = attempts.last_failed_at + wait_after(attempts.failures)
        if ready > now:
            return "wait", math.ceil((ready - now).total_seconds())
    return None


def after_failure(attempts, now):
    failures = attempts.failures + 1
    locked = failures >= setting("LOGIN_LOCK_AFTER", 10)
    return Attempts(failures, now, now + lock_time() if locked else None)


def attempts_key(email):
    return "intake:sign-in-failures:" + hashlib.sha256(email.encode()).hexdigest()


def load_attempts(account, email):
    if account is not None:
        return Attempts(account.failed_logins or 0, as_utc(account.last_failed_login_at),
                        as_utc(account.locked_until))
    try:
        stored = get_redis().hgetall(attempts_key(email))
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failures not read from Redis: %s", error)
        return Attempts()
    if not stored:
        return Attempts()

    def moment(name):
        value = stored.get(name.encode(), b"").decode()
        return datetime.fromisoformat(value) if value else None

    return Attempts(int(stored.get(b"failures", b"0")), moment("last_failed_at"),
                    moment("locked_until"))


def save_attempts(account, email, attempts):
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
            pipe.expire(key, int(lock_time().total_seconds()) + 60)
            pipe.execute()
    except redis.RedisError as error:
        current_app.logger.warning("Sign-in failure not counted in Redis: %s", error)


def utc_time(moment):
    return as_utc(moment).astimezone(timezone.utc).strftime("%Y-%m-%d %H:%M UTC")


def is_locked(account, now=None):
    locked_until = as_utc(account.locked_until)
    return locked_until is not None and locked_until > (now or utcnow())


@cache
def dummy_password_hash():
    """Checked when no account has the address, so that answer takes as long as the others."""
    return hash_password(secrets.token_hex(16))


# --- sign in and out -----------------------------------------------------------


def safe_next(target):
    """A path on this site to go to after signing in, or None (never another site)."""
    if not isinstance(target, str) or not target or len(target) > 2000:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None  # browsers drop tabs and newlines: "/\t/evil.example" is off-site
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    if parts.path in (url_for("accounts.login"), url_for("accounts.logout")):
        return None
    return target


def client_address():
    return (request.remote_addr or "")[:64]


def attempt_facts(account, email, **facts):
    """What the audit log keeps about an attempt. The address typed is kept only when it is an
    account's: an unknown one may be a password typed in the wrong box, so only its hash."""
    if account is not None:
        facts["email"] = account.email
    else:
        facts["email_sha256"] = hashlib.sha256(email.encode()).hexdigest()[:16]
    facts["ip"] = client_address()
    return facts


def refusal_message(kind, seconds):
    if kind == "locked":
        minutes = max(1, math.ceil(seconds / 60))
        return ngettext(
            "Too many attempts to sign in with this email address have failed. Try again in "
            "%(num)d minute, or ask an administrator to unlock your account.",
            "Too many attempts to sign in with this email address have failed. Try again in "
            "%(num)d minutes, or ask an administrator to unlock your account.", minutes)
    return ngettext(
        "The email address or password is not right. Wait %(num)d second before you try "
        "again.",
        "The email address or password is not right. Wait %(num)d seconds before you try "
        "again.", seconds)


def render_sign_in(form, status=200, retry_after=None):
    errors = error_list(form)
    response = make_response(render_template(
        "accounts/login.html", form=form, errors=errors,
        first_error=errors[0][0] if errors else None), status)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


def refuse(form, refused):
    """The answer to an attempt that failed or came too soon: the same whoever asks."""
    form.password.data = ""
    if refused is None:
        form.email.errors.append(_("The email address or password is not right."))
        return render_sign_in(form, status=422)
    kind, seconds = refused
    form.email.errors.append(refusal_message(kind, seconds))
    return render_sign_in(form, status=429, retry_after=seconds)


@bp.route("/login", methods=["GET", "POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")) or url_for("triage.queue"))
        form = SignInForm(formdata=None, data={"next": safe_next(request.args.get("next"))})
        return render_sign_in(form)

    form = SignInForm()
    if not form.validate():
        return render_sign_in(form, status=422)
    email = form.email.data.lower()
    now = utcnow()
    # The row stays locked until this attempt is counted: parallel guesses queue behind it.
    account = db.session.scalar(
        select(Coordinator).where(Coordinator.email == email).with_for_update())
    attempts = still_counting(load_attempts(account, email), now)

    refused = refusal(attempts, now)
    if refused is not None:
        record(SIGN_IN, "sign_in_refused", coordinator_id=account.id if account else None,
               after=attempt_facts(account, email, reason=refused[0]))
        db.session.commit()
        return refuse(form, refused)

    if account is None:
        check_password_hash(dummy_password_hash(), form.password.data)
        accepted = False
    else:
        accepted = password_matches(account, form.password.data) and account.active
    if not accepted:
        attempts = after_failure(attempts, now)
        save_attempts(account, email, attempts)
        record(SIGN_IN, "sign_in_failed", coordinator_id=account.id if account else None,
               after=attempt_facts(account, email, failures=attempts.failures,
                                   locked_until=attempts.locked_until))
        db.session.commit()
        return refuse(form, refusal(attempts, now))

    account.failed_logins = 0
    account.last_failed_login_at = None
    account.locked_until = None
    account.last_login_at = now
    record(coordinator_actor(account), "sign_in", coordinator_id=account.id,
           after={"ip": client_address()})
    db.session.commit()
    login_user(account)
    return redirect(safe_next(form.next.data) or url_for("triage.queue"), code=303)


@bp.post("/logout")
def logout():
    if current_user.is_authenticated:
        record(coordinator_actor(), "sign_out", coordinator_id=current_user.id,
               after={"ip": client_address()})
        db.session.commit()
        logout_user()
        flash(_("You have signed out."))
    return redirect(url_for("public.home"), code=303)


# --- the admins' account management --------------------------------------------


def account_facts(account):
    return {"email": account.email, "name": account.name, "role": account.role,
            "active": account.active}


def account_or_404(coordinator_id):
    account = db.session.get(Coordinator, coordinator_id)
    if account is None:
        abort(404)
    return account


def account_page_url(account):
    return url_for("accounts.account", coordinator_id=account.id)


@bp.get("/admin/coordinators")
@admin_only
def manage():
    accounts = db.session.scalars(select(Coordinator).order_by(Coordinator.email)).all()
    return render_template("accounts/manage.html", accounts=accounts, roles=ROLES,
                           is_locked=is_locked, now=utcnow(), utc_time=utc_time)


@bp.route("/admin/coordinators/new", methods=["GET", "POST"])
@admin_only
def create():
    form = NewAccountForm()
    if request.method == "POST" and form.validate():
        account = new_coordinator(form.email.data, form.password.data, role=form.role.data,
                                  name=form.name.data or "")
        db.session.add(account)
        try:
            db.session.flush()
        except IntegrityError:  # the same address, added by someone else a moment ago
            db.session.rollback()
            form.email.errors.append(_("An account with this email address already exists."))
        else:
            record(coordinator_actor(), "account_created", coordinator_id=account.id,
                   after=account_facts(account))
            db.session.commit()
            flash(_("The account of %(email)s is ready. Give them the password through a "
                    "separate, safe channel.", email=account.email))
            return redirect(account_page_url(account), code=303)
    errors = error_list(form)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/new.html", form=form, errors=errors,
                           first_error=errors[0][0] if errors else None), status


def render_account(account, posted=None, problem=None, status=200):
    """An account's page; the form that was posted keeps its errors."""
    forms = {
        "role": RoleForm(formdata=None, data={"role": account.role}),
        "password": PasswordResetForm(formdata=None),
        "confirm": ConfirmForm(formdata=None),
    }
    errors = []
    if posted:
        name, form = posted
        forms[name] = form
        errors = error_list(form)
    return render_template(
        "accounts/account.html", account=account, forms=forms, errors=errors,
        first_error=errors[0][0] if errors else None, problem=problem, roles=ROLES,
        locked=is_locked(account), is_self=account.id == current_user.id,
        utc_time=utc_time), status


@bp.get("/admin/coordinators/<int:coordinator_id>")
@admin_only
def account(coordinator_id):
    return render_account(account_or_404(coordinator_id))


def done(account, message):
    db.session.commit()
    flash(message)
    return redirect(account_page_url(account), code=303)


@bp.post("/admin/coordinators/<int:coordinator_id>/role")
@admin_only
def change_role(coordinator_id):
    account = account_or_404(coordinator_id)
    form = RoleForm()
    if not form.validate():
        return render_account(account, posted=("role", form), status=422)
    if form.role.data == account.role:
        flash(_("The role is unchanged."))
        return redirect(account_page_url(account), code=303)
    if account.id == current_user.id:
        form.role.errors.append(_("You cannot change your own role. Ask another administrator."))
        return render_account(account, posted=("role", form), status=409)
    before = account.role
    account.role = form.role.data
    record(coordinator_actor(), "role_changed", coordinator_id=account.id,
           before={"role": before}, after={"role": account.role})
    return done(account, _("%(email)s is now: %(role)s.", email=account.email,
                           role=ROLES[account.role]))


def confirmed_form():
    form = ConfirmForm()
    if not form.validate():  # only its security token, which CSRFProtect checked already
        abort(400)
    return form


@bp.post("/admin/coordinators/<int:coordinator_id>/deactivate")
@admin_only
def deactivate(coordinator_id):
    account = account_or_404(coordinator_id)
    confirmed_form()
    if account.id == current_user.id:
        return render_account(account, status=409, problem=_(
            "You cannot deactivate your own account. Ask another administrator."))
    if not account.active:
        flash(_("This account was already deactivated."))
        return redirect(account_page_url(account), code=303)
    account.active = False
    account.session_token = secrets.token_hex(16)  # ends every session of the account
    record(coordinator_actor(), "account_deactivated", coordinator_id=account.id,
           before={"active": True}, after={"active": False, "sessions_ended": True})
    return done(account, _("The account of %(email)s is deactivated: its sessions have ended "
                           "and it cannot sign in.", email=account.email))


@bp.post("/admin/coordinators/<int:coordinator_id>/reactivate")
@admin_only
def reactivate(coordinator_id):
    account = account_or_404(coordinator_id)
    confirmed_form()
    if account.active:
        flash(_("This account was already active."))
        return redirect(account_page_url(account), code=303)
    account.active = True
    record(coordinator_actor(), "account_reactivated", coordinator_id=account.id,
           before={"active": False}, after={"active": True})
    return done(account, _("The account of %(email)s is active again.", email=account.email))


@bp.post("/admin/coordinators/<int:coordinator_id>/password")
@admin_only
def reset_password(coordinator_id):
    account = account_or_404(coordinator_id)
    form = PasswordResetForm()
    if not form.validate():
        return render_account(account, posted=("password", form), status=422)
    set_password(account, form.password.data)  # also ends every session of the account
    record(coordinator_actor(), "password_reset", coordinator_id=account.id,
           after={"sessions_ended": True})
    if account.id == current_user.id:
        db.session.commit()
        login_user(account)  # this session goes on with the new token; the others end
    return done(account, _("The password of %(email)s is changed and its sessions have ended. "
                           "Give them the new password through a separate, safe channel.",
                           email=account.email))


@bp.post("/admin/coordinators/<int:coordinator_id>/unlock")
@admin_only
def unlock(coordinator_id):
    account = account_or_404(coordinator_id)
    confirmed_form()
    before = {"failed_logins": account.failed_logins,
              "locked_until": as_utc(account.locked_until)}
    account.failed_logins = 0
    account.last_failed_login_at = None
    account.locked_until = None
    record(coordinator_actor(), "account_unlocked", coordinator_id=account.id,
           before=before, after={"failed_logins": 0, "locked_until": None})
    return done(account, _("%(email)s can sign in again at once.", email=account.email))


# --- command line: flask --app wsgi coordinators create EMAIL ----------------------

coordinators_cli = AppGroup("coordinators", help="Coordinator accounts.")


def stdin_is_terminal():
    return sys.stdin is not None and sys.stdin.isatty()


def read_password():
    """From standard input when it is piped (one line), otherwise asked twice, hidden."""
    if stdin_is_terminal():
        return click.prompt("Password", hide_input=True,
                            confirmation_prompt="Type the password again")
    return sys.stdin.readline().rstrip("\r\n") if sys.stdin is not None else ""


@coordinators_cli.command("create")
@click.argument("email")
@click.option("--admin", is_flag=True, help="An administrator (the same as --role admin).")
@click.option("--role", type=click.Choice(ROLE_NAMES), default=None,
              help="admin, coordinator (the default) or partner (read only).")
@click.option("--name", default="", help="The person's name, as other coordinators see it.")
def create_command(email, admin, role, name):
    """Create an account. The password is read from standard input when it is piped, otherwise
    asked twice without showing it."""
    with force_locale("en"):  # no request to choose a language from
        if admin and role not in (None, "admin"):
            raise click.UsageError(f"--admin contradicts --role {role}.")
        role = "admin" if admin else (role or "coordinator")
        name = name.strip()
        if len(name) > NAME_MAX_LENGTH or FORBIDDEN_CHARACTERS.search(name):
            raise click.BadParameter(
                f"use {NAME_MAX_LENGTH} characters or fewer, without control characters.",
                param_hint="--name")
        try:
            email = check_new_email(email)
        except AccountRuleError as error:
            raise click.BadParameter(str(error), param_hint="EMAIL") from error
        password = read_password()
        try:
            check_new_password(password)
        except AccountRuleError as error:
            raise click.ClickException(str(error)) from error
        account = new_coordinator(email, password, role=role, name=name)
        db.session.add(account)
        try:
            db.session.flush()
        except IntegrityError as error:
            db.session.rollback()
            raise click.ClickException(
                "An account with this email address already exists.") from error
        record(COMMAND_LINE, "account_created", coordinator_id=account.id,
               after=account_facts(account))
        db.session.commit()
        click.echo(f"Created the {role} account {email}.")


bp.cli.add_command(coordinators_cli)
