"""Coordinator accounts on the web: sign in and out, and the admins' account management."""
import math

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user, login_user, logout_user
from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db, limit_from_config
from ..models import Coordinator
from ..pledges.audit import coordinator_actor, record
from ..web.errors import error_summary
from ..web.i18n import LANGUAGE_NAMES
from ..web.paths import local_path
from . import coordinators, sessions
from .access import admin_only, signed_in
from .commands import coordinators_cli
from .coordinators import ROLES, AccountExists, RefusedOnSelf
from .forms import (
    ConfirmForm,
    EmailLanguageForm,
    NewAccountForm,
    PasswordResetForm,
    RoleForm,
    SignInForm,
)
from .lockout import lockout_rules
from .sign_in import attempt_sign_in

bp = Blueprint("accounts", __name__, cli_group=None)
bp.cli.add_command(coordinators_cli)


@bp.app_template_filter("role_label")
def role_label(role):
    return ROLES.get(role, role)


# --- sign in and out -----------------------------------------------------------


def safe_next(target):
    """A path on this site to go to after signing in, or None (never another site, nor the
    sign-in and sign-out pages themselves)."""
    target = local_path(target)
    if target is None or target.partition("?")[0] in (url_for("accounts.login"),
                                                      url_for("accounts.logout")):
        return None
    return target


def client_address():
    return (request.remote_addr or "")[:64]


@bp.before_app_request
def note_session_seen():
    """Load the signed-in coordinator before the view runs (so the session is checked with
    nothing else in the transaction), and note the session as seen."""
    if "_user_id" in session and current_user.is_authenticated:
        sessions.note_seen(current_user)


def refusal_message(kind, seconds):
    if kind == "network":
        minutes = max(1, math.ceil(seconds / 60))
        return ngettext(
            "Too many attempts to sign in have failed from your connection. Try again in "
            "%(num)d minute.",
            "Too many attempts to sign in have failed from your connection. Try again in "
            "%(num)d minutes.", minutes)
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


def render_sign_in(form, status=200, retry_after=None, problem=None):
    response = make_response(render_template("accounts/login.html", form=form, problem=problem,
                                             **error_summary(form)), status)
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
@limit_from_config("RATE_LIMIT_SIGN_IN", methods=["POST"])
def login():
    if request.method == "GET":
        if current_user.is_authenticated:
            return redirect(safe_next(request.args.get("next")) or url_for("triage.queue"))
        form = SignInForm(formdata=None, data={"next": safe_next(request.args.get("next"))})
        return render_sign_in(form)

    form = SignInForm()
    if not form.validate():
        return render_sign_in(form, status=422)
    outcome = attempt_sign_in(form.email.data, form.password.data, client_address(),
                              lockout_rules(current_app.config), utcnow())
    if outcome.account is not None:
        start_session(outcome.account)
    db.session.commit()
    if outcome.account is None:
        return refuse(form, outcome.refused)
    login_user(outcome.account)
    return redirect(safe_next(form.next.data) or url_for("triage.queue"), code=303)


def start_session(account):
    """A server-side session for this browser, in the caller's transaction (login_user then
    names it in the cookie)."""
    sessions.begin(account, client_address(), request.user_agent.string)


def rerender_when_too_many(problem):
    """A sign-in refused by the rate limit of its address: the form again, the email kept."""
    if request.endpoint != "accounts.login" or request.method != "POST":
        return None
    form = SignInForm()
    form.password.data = ""
    return render_sign_in(form, status=429, problem=problem)


@bp.post("/logout")
def logout():
    """Ends this session on the server: the cookie, even copied before, opens nothing more."""
    if current_user.is_authenticated:
        record(coordinator_actor(current_user), "sign_out", coordinator_id=current_user.id,
               after={"ip": client_address()})
        sessions.end(current_user, "signed_out")
        db.session.commit()
        logout_user()
        flash(_("You have signed out."))
    return redirect(url_for("public.home"), code=303)


# --- a coordinator's own account -----------------------------------------------


def render_own_account(form=None, status=200):
    account = db.session.get(Coordinator, current_user.id)
    form = form or EmailLanguageForm(formdata=None,
                                     data={"language": account.email_language})
    return render_template("accounts/own.html", account=account, form=form,
                           **error_summary(form)), status


@bp.get("/account")
@signed_in
def own_account():
    return render_own_account()


@bp.post("/account/language")
@signed_in
def change_own_language():
    form = EmailLanguageForm()
    if not form.validate():
        return render_own_account(form, status=422)
    account = db.session.get(Coordinator, current_user.id)
    changed = coordinators.change_language(account, form.language.data, me())
    db.session.commit()
    if changed:
        flash(_("Your emails will now come in %(language)s.",
                language=LANGUAGE_NAMES[account.language]))
    else:
        flash(_("The language of your emails is unchanged."))
    return redirect(url_for("accounts.own_account"), code=303)


# --- the admins' account management --------------------------------------------


def account_page_url(account):
    return url_for("accounts.account", coordinator_id=account.id)


def me():
    return coordinator_actor(current_user)


@bp.get("/admin/coordinators")
@admin_only
def manage():
    accounts = db.session.scalars(select(Coordinator).order_by(Coordinator.email)).all()
    now = utcnow()
    locked = {account.id for account in accounts if coordinators.is_locked(account, now)}
    return render_template("accounts/manage.html", accounts=accounts, locked=locked)


@bp.route("/admin/coordinators/new", methods=["GET", "POST"])
@admin_only
def create():
    form = NewAccountForm()
    if request.method == "POST" and form.validate():
        try:
            account = coordinators.create_account(form.email.data, form.password.data,
                                                  form.role.data, form.name.data or "", me(),
                                                  language=form.language.data)
        except AccountExists:
            form.email.errors.append(_("An account with this email address already exists."))
        else:
            db.session.commit()
            flash(_("The account of %(email)s is ready. Give them the password through a "
                    "separate, safe channel.", email=account.email))
            return redirect(account_page_url(account), code=303)
    status = 422 if request.method == "POST" else 200
    return render_template("accounts/new.html", form=form, **error_summary(form)), status


def render_account(account, posted=None, problem=None, status=200):
    """An account's page; the form that was posted keeps its errors."""
    forms = {
        "role": RoleForm(formdata=None, data={"role": account.role}),
        "password": PasswordResetForm(formdata=None),
        "confirm": ConfirmForm(formdata=None),
    }
    posted_form = None
    if posted:
        name, posted_form = posted
        forms[name] = posted_form
    failures = coordinators.sign_in_failures(account)
    return render_template(
        "accounts/account.html", account=account, forms=forms, problem=problem,
        failures=failures, locked=failures.locked_until is not None,
        open_sessions=sessions.open_sessions(account),
        current_session_id=getattr(current_user, "session_row", None) and
        current_user.session_row.id,
        is_self=account.id == current_user.id, **error_summary(posted_form)), status


@bp.get("/admin/coordinators/<int:coordinator_id>")
@admin_only
def account(coordinator_id):
    return render_account(db.get_or_404(Coordinator, coordinator_id))


def done(account, message):
    db.session.commit()
    flash(message)
    return redirect(account_page_url(account), code=303)


@bp.post("/admin/coordinators/<int:coordinator_id>/role")
@admin_only
def change_role(coordinator_id):
    account = db.get_or_404(Coordinator, coordinator_id)
    form = RoleForm()
    if not form.validate():
        return render_account(account, posted=("role", form), status=422)
    try:
        changed = coordinators.change_role(account, form.role.data, me())
    except RefusedOnSelf:
        form.role.errors.append(_("You cannot change your own role. Ask another administrator."))
        return render_account(account, posted=("role", form), status=409)
    if not changed:
        return done(account, _("The role is unchanged."))
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
    account = db.get_or_404(Coordinator, coordinator_id)
    confirmed_form()
    try:
        changed = coordinators.deactivate(account, me())
    except RefusedOnSelf:
        return render_account(account, status=409, problem=_(
            "You cannot deactivate your own account. Ask another administrator."))
    if not changed:
        return done(account, _("This account was already deactivated."))
    return done(account, _("The account of %(email)s is deactivated: its sessions have ended "
                           "and it cannot sign in.", email=account.email))


@bp.post("/admin/coordinators/<int:coordinator_id>/reactivate")
@admin_only
def reactivate(coordinator_id):
    account = db.get_or_404(Coordinator, coordinator_id)
    confirmed_form()
    if not coordinators.reactivate(account, me()):
        return done(account, _("This account was already active."))
    return done(account, _("The account of %(email)s is active again.", email=account.email))


@bp.post("/admin/coordinators/<int:coordinator_id>/password")
@admin_only
def reset_password(coordinator_id):
    account = db.get_or_404(Coordinator, coordinator_id)
    form = PasswordResetForm()
    if not form.validate():
        return render_account(account, posted=("password", form), status=422)
    coordinators.reset_password(account, form.password.data, me())
    if account.id == current_user.id:
        start_session(account)  # every session ended: this browser goes on in a new one
        db.session.commit()
        login_user(account)
    return done(account, _("The password of %(email)s is changed and its sessions have ended. "
                           "Give them the new password through a separate, safe channel.",
                           email=account.email))


@bp.post("/admin/coordinators/<int:coordinator_id>/sessions/end")
@admin_only
def end_sessions(coordinator_id):
    """End every session of the account (this admin's own one too, if it is theirs)."""
    account = db.get_or_404(Coordinator, coordinator_id)
    confirmed_form()
    ended = coordinators.end_sessions(account, me())
    return done(account, ngettext("%(num)d session of %(email)s has ended.",
                                  "%(num)d sessions of %(email)s have ended.", ended,
                                  email=account.email))


@bp.post("/admin/coordinators/<int:coordinator_id>/sessions/<int:session_id>/end")
@admin_only
def end_session(coordinator_id, session_id):
    account = db.get_or_404(Coordinator, coordinator_id)
    confirmed_form()
    if not coordinators.end_session(account, session_id, me()):
        return done(account, _("That session had already ended."))
    return done(account, _("The session has ended: that browser must sign in again."))


@bp.post("/admin/coordinators/<int:coordinator_id>/unlock")
@admin_only
def unlock(coordinator_id):
    account = db.get_or_404(Coordinator, coordinator_id)
    confirmed_form()
    coordinators.unlock(account, me())
    return done(account, _("%(email)s can sign in again at once.", email=account.email))
