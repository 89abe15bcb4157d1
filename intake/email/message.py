"""Turning an outbox row into an email: what its templates need (read fresh), its links, its
subject and headers. The only module that knows which pages an email links to."""
from flask import current_app, render_template, url_for
from flask_babel import force_locale
from flask_mail import Message
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ..extensions import db
from ..models import Pledge
from ..pledges.links import issue_access_token
from ..pledges.status import review_label
from .kinds import CITY_KINDS, COORDINATOR_PAGE_KINDS, SUBJECTS, is_reminder


def absolute_url(endpoint, **values):
    """Links in emails use BASE_URL: the worker has no request to take a host from."""
    app = current_app._get_current_object()
    with app.test_request_context("/"):
        return app.config["BASE_URL"] + url_for(endpoint, **values)


def unsubscribe_serializer():
    return URLSafeSerializer(current_app.config["SECRET_KEY"], salt="unsubscribe-reminders")


def unsubscribe_url(address):
    token = unsubscribe_serializer().dumps(address)
    return absolute_url("emails.unsubscribe", token=token)


def address_from_unsubscribe_token(token):
    try:
        return unsubscribe_serializer().loads(token)
    except BadSignature:
        return None


def private_link(pledge):
    """A fresh private link per email: only its hash is stored, never the link itself."""
    raw = issue_access_token(pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
    page = "intake.resume" if pledge.review_state == "draft" else "tracker.track"
    return absolute_url(page, token=raw)


def draft_links(pledge_ids):
    """Each pledge of "email me my link", newest first, with a fresh private link (a draft sent
    since then links to its status page)."""
    pledges = db.session.scalars(select(Pledge).where(Pledge.id.in_(pledge_ids))).all()
    order = {pledge_id: index for index, pledge_id in enumerate(pledge_ids)}
    return [{"pledge": pledge, "city": pledge.city or "", "private_link": private_link(pledge)}
            for pledge in sorted(pledges, key=lambda p: order[p.id])]


def email_context(email):
    """What the templates need, read fresh: a pledge may have changed since the row was written.
    A city's email gets a new private link, added to the caller's transaction."""
    context = dict(email.context or {})
    pledge = db.session.get(Pledge, email.pledge_id) if email.pledge_id else None
    if pledge is not None:
        context.update(pledge=pledge, reference=pledge.reference or "", city=pledge.city or "")
        if email.kind in CITY_KINDS:
            context["private_link"] = private_link(pledge)
        if email.kind in COORDINATOR_PAGE_KINDS:
            context["pledge_page"] = absolute_url("triage.pledge", pledge_id=pledge.id)
    if email.kind == "resume_links":
        context["drafts"] = draft_links(context.get("pledge_ids") or [])
    if is_reminder(email.kind):
        context["unsubscribe_url"] = unsubscribe_url(email.recipient)
    context.setdefault("day", "")
    if "state" in context:
        with force_locale(email.language):
            context["state_label"] = str(review_label(context["state"]))
    context["base_url"] = current_app.config["BASE_URL"]
    return context


def build_message(email, context):
    """The email in the recipient's language, with text and HTML parts."""
    with force_locale(email.language):
        subject = context["subject"] = str(SUBJECTS[email.kind]) % context
        text = render_template(f"email/{email.kind}.txt", **context)
        html = render_template(f"email/{email.kind}.html", **context)
    message = Message(subject=subject, recipients=[email.recipient], body=text, html=html,
                      sender=current_app.config["MAIL_DEFAULT_SENDER"])
    message.msgId = email.message_id  # the same id on every attempt
    headers = {"Auto-Submitted": "auto-generated", "Content-Language": email.language}
    if is_reminder(email.kind):
        link = context["unsubscribe_url"]
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.extra_headers = headers
    return message
