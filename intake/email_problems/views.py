"""The email problems page, and what an admin may do from it. A view parses, calls one rule of
intake/email/problems.py, commits and goes back to the page."""
from flask import Blueprint, abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..accounts.access import admin_only, signed_in
from ..email import problems
from ..extensions import db
from ..models import OutboxEmail
from ..pledges.audit import coordinator_actor
from .forms import ConfirmForm, LiftForm

bp = Blueprint("email_problems", __name__)


@bp.get("/triage/email-problems")
@signed_in
def overview():
    failed = problems.failed_emails()
    retrying = problems.retrying_emails()
    return render_template(
        "email_problems/problems.html", alert=problems.sending_alert(), failed=failed,
        retrying=retrying, suppressed=problems.suppressed_addresses(),
        references=problems.pledge_references(failed, retrying),
        liftable=problems.LIFTABLE_SCOPES)


def back_to_page(message):
    db.session.commit()
    flash(message)
    return redirect(url_for("email_problems.overview"), code=303)


def confirmed():
    if not ConfirmForm().validate():  # only its security token, which CSRFProtect checked
        abort(400)


@bp.post("/admin/emails/<int:email_id>/retry")
@admin_only
def retry(email_id):
    confirmed()
    email = db.session.get(OutboxEmail, email_id)
    if email is None:
        abort(404)
    if not problems.retry_email(email, coordinator_actor(current_user)):
        return back_to_page(_("This email is no longer failed: nothing to retry."))
    return back_to_page(_("The email to %(address)s will be sent again.",
                          address=email.recipient))


@bp.post("/admin/emails/retry-failed")
@admin_only
def retry_failed():
    confirmed()
    count = problems.retry_failed_emails(coordinator_actor(current_user))
    return back_to_page(ngettext("%(num)d failed email will be sent again.",
                                 "%(num)d failed emails will be sent again.", count))


@bp.post("/admin/emails/suppressions/lift")
@admin_only
def lift():
    form = LiftForm()
    if not form.validate():
        abort(400)
    if not problems.lift_suppression(form.address.data, form.scope.data,
                                     coordinator_actor(current_user)):
        return back_to_page(_("There is no such suppression to lift."))
    return back_to_page(_("Emails to %(address)s will be sent again.", address=form.address.data))
