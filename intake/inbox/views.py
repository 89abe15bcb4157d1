"""The coordinators' tray of inbound messages at /triage/inbox: a view parses, calls one rule of
intake/inbound/tray.py, commits and goes back to a page."""
from urllib.parse import quote

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from werkzeug.utils import secure_filename

from ..accounts.access import may_change
from ..extensions import db
from ..inbound import contacts, tray
from ..models import InboundMessage
from ..pledges.audit import coordinator_actor
from ..web.i18n import current_language
from .forms import ActionForm, DraftForm, LinkForm

bp = Blueprint("inbox", __name__, url_prefix="/triage/inbox")


def page_number():
    return request.args.get("page", 1, type=int) or 1


@bp.get("")
@may_change
def tray_page():
    return render_template("inbox/tray.html", page=tray.tray_page(tray.UNMATCHED, page_number()),
                           first_lines=tray.first_lines, form=ActionForm())


@bp.get("/spam")
@may_change
def spam():
    return render_template("inbox/spam.html", page=tray.tray_page(tray.SPAM, page_number()),
                           first_lines=tray.first_lines, form=ActionForm())


def render_message(message, link_form=None, draft_form=None, code=200):
    errors = [(field.id, field.errors[0]) for form in (link_form, draft_form) if form
              for field in form if field.errors and field.name != "csrf_token"]
    return render_template(
        "inbox/message.html", message=message, html=tray.sanitised_html(message), errors=errors,
        link_form=link_form or LinkForm(formdata=None), action_form=ActionForm(),
        draft_form=draft_form or DraftForm(formdata=None, data={"language": current_language()})
    ), code


@bp.get("/<int:message_id>")
@may_change
def message_page(message_id):
    return render_message(db.get_or_404(InboundMessage, message_id))


@bp.post("/<int:message_id>/link")
@may_change
def link(message_id):
    message = db.get_or_404(InboundMessage, message_id)
    form = LinkForm()
    if not form.validate():
        return render_message(message, link_form=form, code=422)
    pledge = tray.pledge_by_reference(form.reference.data)
    if pledge is None:
        form.reference.errors.append(_("No sent pledge has this reference."))
        return render_message(message, link_form=form, code=422)
    if tray.link_to_pledge(message, pledge, coordinator_actor(current_user)):
        db.session.commit()
        flash(_("The message is now on pledge %(reference)s.", reference=pledge.reference))
    else:
        flash(_("This message had already left the tray. Nothing changed."))
    return redirect(url_for("inbox.tray_page"), code=303)


@bp.post("/<int:message_id>/draft")
@may_change
def make_draft(message_id):
    message = db.get_or_404(InboundMessage, message_id)
    form = DraftForm()
    if not form.validate():
        return render_message(message, draft_form=form, code=422)
    pledge = tray.make_draft_pledge(message, form.city.data, coordinator_actor(current_user),
                                    language=form.language.data)
    if pledge is not None:
        db.session.commit()
        flash(_("A draft pledge for %(city)s was made. %(email)s was invited by email to "
                "complete it.", city=pledge.city, email=pledge.focal_email))
    else:
        flash(_("This message had already left the tray. Nothing changed."))
    return redirect(url_for("inbox.tray_page"), code=303)


@bp.post("/<int:message_id>/spam")
@may_change
def mark_spam(message_id):
    return simple_action(message_id, tray.mark_spam, _("The message was moved to spam."),
                         "inbox.tray_page")


@bp.post("/<int:message_id>/not-spam")
@may_change
def not_spam(message_id):
    return simple_action(message_id, tray.not_spam, _("The message is back in the tray."),
                         "inbox.spam")


@bp.post("/<int:message_id>/add-contact")
@may_change
def add_contact(message_id):
    message = db.get_or_404(InboundMessage, message_id)
    if not ActionForm().validate() or message.pledge_id is None or not message.from_address:
        abort(400)
    contacts.add_contact(message, coordinator_actor(current_user))
    flash(_("%(email)s is now a contact of this pledge.", email=message.from_address))
    db.session.commit()
    return redirect(url_for("triage.pledge", pledge_id=message.pledge_id), code=303)


def simple_action(message_id, action, done_message, back_to):
    message = db.get_or_404(InboundMessage, message_id)
    if not ActionForm().validate():
        abort(400)
    if action(message, coordinator_actor(current_user)):
        db.session.commit()
        flash(done_message)
    else:
        flash(_("Nothing changed: this was done already."))
    return redirect(url_for(back_to), code=303)


@bp.get("/attachments/<int:attachment_id>")
@may_change
def attachment(attachment_id):
    """A kept attachment, as a download only (never shown in the browser)."""
    kept = tray.attachment(attachment_id)
    if kept is None:
        abort(404)
    path = tray.attachment_path(kept, current_app.instance_path)
    if path is None or not path.is_file():
        abort(404)
    response = send_file(path, mimetype="application/octet-stream", as_attachment=True,
                         download_name="attachment")
    ascii_name = secure_filename(kept.filename) or "attachment"
    response.headers["Content-Disposition"] = (
        f"attachment; filename=\"{ascii_name}\"; filename*=UTF-8''{quote(kept.filename)}")
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.app_context_processor
def inbox_nav():
    """The nav's "Inbox (N)": counted only when a page shows it."""
    return {"inbox_count": tray.unmatched_count}
