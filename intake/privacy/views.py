"""The admins' personal data pages: find what is held about a contact's address, download it
all as JSON, and erase it after a confirmation step. Every form posts: the address is never in
a URL (nor in an access log), nor in a flashed message (the session cookie is readable)."""
import json

from flask import Blueprint, flash, make_response, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_babel import ngettext
from flask_login import current_user

from ..accounts.access import admin_only
from ..clock import utcnow
from ..email.outbox import address_digest
from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..pledges.audit import coordinator_actor
from ..web.errors import error_summary
from . import contacts
from .commands import privacy_cli
from .forms import ContactForm, EraseForm

bp = Blueprint("privacy", __name__, url_prefix="/admin/privacy", cli_group=None)
bp.cli.add_command(privacy_cli)

RECORD_KINDS = {
    "pledge": _l("Pledges"),
    "co_pledging_city": _l("Co-pledging cities"),
    "pledge_action_area": _l("Action areas of the pledges"),
    "access_token": _l("Private links"),
    "information_request": _l("Questions and answers"),
    "outbox_email": _l("Emails"),
    "email_suppression": _l("Addresses not written to"),
    "status_change": _l("History entries"),
    "note": _l("Internal notes"),
    "audit_entry": _l("Audit log entries"),
}


@bp.app_template_filter("record_kind_label")
def record_kind_label(table_name):
    return RECORD_KINDS.get(table_name, table_name)


def render_search(form, summary=None, status=200):
    return render_template("privacy/contact.html", form=form, summary=summary,
                           **error_summary(form)), status


@bp.get("")
@admin_only
def contact():
    return render_search(ContactForm(formdata=None))


@bp.post("")
@admin_only
def find():
    form = ContactForm()
    if not form.validate():
        return render_search(form, status=422)
    return render_search(form, contacts.summarise_contact(form.email.data))


@bp.post("/export")
@admin_only
def export():
    form = ContactForm()
    if not form.validate():
        return render_search(form, status=422)
    document = contacts.export_contact(form.email.data, coordinator_actor(current_user))
    db.session.commit()  # the export's audit entry
    response = make_response(json.dumps(document, ensure_ascii=False, indent=2))
    response.mimetype = "application/json"
    name = f"contact-{address_digest(form.email.data)[:12]}-{utcnow():%Y%m%d}.json"
    response.headers["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


def render_confirmation(form, status=200):
    summary = contacts.summarise_contact(form.email.data)
    return render_template("privacy/erase.html", form=form, summary=summary,
                           **error_summary(form)), status


@bp.post("/erase")
@admin_only
def confirm_erase():
    """The confirmation step: what will be erased, and a box to tick."""
    form = ContactForm()
    if not form.validate():
        return render_search(form, status=422)
    return render_confirmation(EraseForm(formdata=None, data={"email": form.email.data}))


@bp.post("/erase/confirmed")
@admin_only
def erase():
    form = EraseForm()
    if not form.validate():
        if form.email.errors:
            return render_search(form, status=422)
        return render_confirmation(form, status=422)
    erasure = contacts.erase_contact(form.email.data, coordinator_actor(current_user))
    db.session.commit()
    count = len(erasure.pledge_ids)
    flash(ngettext("The contact's data is erased: %(num)d pledge is kept, anonymised.",
                   "The contact's data is erased: %(num)d pledges are kept, anonymised.",
                   count) if count else _("The contact's data is erased."))
    return redirect(url_for("privacy.contact"), code=303)
