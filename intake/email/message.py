"""Turning an outbox row into an email: what its templates need (read fresh), its links, its
subject and headers. The only module that knows which pages an email links to."""
import re
import secrets
from datetime import date

from flask import current_app, render_template
from flask_babel import force_locale, format_date, ngettext
from itsdangerous import BadSignature, URLSafeSerializer
from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from ..models import Pledge, ProgressReport, SupportOffer
from ..pledges.links import issue_access_token
from ..pledges.status import REPORT_PROGRESS_FROM, review_label
from ..web.paths import public_url
from ..web.sealed import seal, unseal
from .kinds import (
    CITY_KINDS,
    COORDINATOR_PAGE_KINDS,
    OFFER_KINDS,
    REPORT_FORM_KINDS,
    SUBJECTS,
    is_reminder,
    reason,
)
from .wire import VerbatimHeader, new_message

HEADER_VALUE_MAX_LENGTH = 250  # far within a header line's 998 characters (RFC 5322)
# Whitespace runs (tabs and newlines included), the other control characters (C0, DEL, C1) and
# the Unicode line and paragraph separators.
NOT_ONE_LINE = re.compile(r"[\s\x00-\x1f\x7f-\x9f\u2028\u2029]+")


def single_line(value, max_length=HEADER_VALUE_MAX_LENGTH):
    """A value fit for an email header: on one line, every run of whitespace or control
    characters folded to one space, trimmed, and cut (ending "...") past max_length. Every
    value that goes into a header comes through here: a line break typed into a one-line
    field must not make the mail library refuse the message, nor add a header."""
    text = NOT_ONE_LINE.sub(" ", str(value if value is not None else "")).strip()
    if max_length is not None and len(text) > max_length:
        # ASCII dots: a non-ASCII last character makes Python's header folding split a word.
        text = text[:max_length - 3].rstrip() + "..."
    return text


UNCUT_HEADERS = {"List-Unsubscribe": None}  # a link cut short would not work
# Read to the letter by mail providers' one-click unsubscribe: written as they are, never
# folded into encoded-words (intake/email/wire.py).
VERBATIM_HEADERS = ("List-Unsubscribe", "List-Unsubscribe-Post")


def single_line_sender(sender):
    """MAIL_DEFAULT_SENDER, an address or a (name, address) pair, on one line."""
    if isinstance(sender, (tuple, list)):
        return tuple(single_line(part) for part in sender)
    return single_line(sender)


def absolute_url(endpoint, **values):
    """Links in emails use BASE_URL: the worker has no request to take a host from."""
    app = current_app._get_current_object()
    with app.test_request_context("/"):
        return public_url(endpoint, **values)


def pledge_page(pledge_id):
    """The pledge's page in the coordinators' triage, which every coordinator email links to."""
    return absolute_url("triage.pledge", pledge_id=pledge_id)


def reply_to(email):
    """Where a reply to an email goes. The one place that decides it: an email to a city about
    its pledge, when an inbound mailbox is set (INBOUND_ADDRESS), goes back to the pledge's own
    address on it (pledges+<token>@...), so that the reply lands on that pledge; every other
    email, to the help contact (CONTACT_EMAIL)."""
    inbound = current_app.config.get("INBOUND_ADDRESS")
    pledge = db.session.get(Pledge, email.pledge_id) if email.pledge_id else None
    if inbound and pledge is not None and email.kind in CITY_KINDS:
        return pledge_reply_address(pledge, inbound)
    return current_app.config["CONTACT_EMAIL"]


def pledge_reply_address(pledge, inbound):
    """The pledge's own reply address: its opaque token (made the first time, in the caller's
    transaction) plus-addressed on the inbound mailbox."""
    if not pledge.reply_token:
        # Lower case: mail servers and our own parser may fold the case of an address.
        pledge.reply_token = secrets.token_urlsafe(32).lower()
    local, _at, domain = inbound.rpartition("@")
    return f"{local}+{pledge.reply_token}@{domain}"


RIGHT_TO_LEFT = ("ar", "fa", "he", "ur")


def text_direction(language):
    return "rtl" if (language or "").split("-")[0] in RIGHT_TO_LEFT else "ltr"


def link_lifetime(links_count, now=None):
    """How long the private links an email carries work, in words, in the current language
    ("The link in this email works for 30 days, until 2 January 2027."): the lifetime
    private_link gives them (RESUME_TOKEN_LIFETIME)."""
    lifetime = current_app.config["RESUME_TOKEN_LIFETIME"]
    until = format_date((now or utcnow()) + lifetime, "long")
    days = max(1, lifetime.days)
    if links_count > 1:
        return ngettext("The links in this email work for %(num)d day, until %(date)s.",
                        "The links in this email work for %(num)d days, until %(date)s.",
                        days, date=until)
    return ngettext("The link in this email works for %(num)d day, until %(date)s.",
                    "The link in this email works for %(num)d days, until %(date)s.",
                    days, date=until)


UNSUBSCRIBE = "unsubscribe-reminders"


def unsubscribe_url(address):
    """An opaque link: the address is sealed (web/sealed.py), not readable in it."""
    return absolute_url("emails.unsubscribe", token=seal(UNSUBSCRIBE, address))


def address_from_unsubscribe_token(token):
    return unseal(UNSUBSCRIBE, token) or address_from_signed_token(token)


def address_from_signed_token(token):
    """Links in reminders sent before they were sealed carry the address signed but readable:
    they keep working (none is made any more)."""
    serializer = URLSafeSerializer(current_app.config["SECRET_KEY"], salt=UNSUBSCRIBE)
    try:
        address = serializer.loads(token)
    except BadSignature:
        return None
    return address if isinstance(address, str) else None


def private_link(pledge, kind=None):
    """A fresh private link per email: only its hash is stored, never the link itself. It opens
    the draft, the status page, or (a reminder to report progress on an accepted pledge) the
    progress report form."""
    raw = issue_access_token(pledge, current_app.config["RESUME_TOKEN_LIFETIME"])
    if pledge.review_state == "draft":
        page = "intake.resume"
    elif kind in REPORT_FORM_KINDS and pledge.review_state in REPORT_PROGRESS_FROM:
        page = "tracker.report"
    else:
        page = "tracker.track"
    return absolute_url(page, token=raw)


def milestone_deadline(context):
    """The review milestone's deadline, as the row holds it, else as configured (a row written
    before rows held it)."""
    if context.get("milestone_deadline"):
        return date.fromisoformat(context["milestone_deadline"])
    return dict(current_app.config["REVIEW_MILESTONES"]).get(context.get("milestone"))


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
            context["private_link"] = private_link(pledge, email.kind)
        if email.kind in COORDINATOR_PAGE_KINDS:
            context["pledge_page"] = pledge_page(pledge.id)
    if "report_id" in context:
        context["report"] = db.session.get(ProgressReport, context["report_id"])
    if email.kind in OFFER_KINDS:
        context.update(offer=db.session.get(SupportOffer, context.get("offer_id")),
                       matches_page=absolute_url("matching.matches"),
                       support_sought_page=absolute_url("matching.support_sought"))
    if email.kind == "resume_links":
        context["drafts"] = draft_links(context.get("pledge_ids") or [])
    if email.kind == "coordinator_digest":  # a link to each pledge (rows written before: none)
        context["pledges"] = [{**item, "page": pledge_page(item["id"]) if item.get("id") else ""}
                              for item in context.get("pledges") or []]
    links_count = len(context["drafts"]) if "drafts" in context else (
        1 if "private_link" in context else 0)
    if is_reminder(email.kind):
        context["unsubscribe_url"] = unsubscribe_url(email.recipient)
    context.setdefault("day", "")
    with force_locale(email.language):
        if links_count:
            context["link_lifetime"] = link_lifetime(links_count)
        context["footer_reason"] = str(reason(email.kind))
        if "state" in context:
            context["state_label"] = str(review_label(context["state"]))
        if context.get("milestone") and milestone_deadline(context):
            context["milestone_by"] = format_date(milestone_deadline(context), "long")
    context["base_url"] = current_app.config["BASE_URL"]
    context["text_direction"] = text_direction(email.language)
    return context


def build_message(email, context):
    """The email in the recipient's language, with text and HTML parts."""
    with force_locale(email.language):
        subject = context["subject"] = single_line(str(SUBJECTS[email.kind]) % context)
        text = render_template(f"email/{email.kind}.txt", **context)
        html = render_template(f"email/{email.kind}.html", **context)
    message = new_message(subject=subject, recipients=[email.recipient], body=text, html=html,
                          sender=single_line_sender(current_app.config["MAIL_DEFAULT_SENDER"]),
                          reply_to=single_line(reply_to(email)))
    message.msgId = single_line(email.message_id)  # the same id on every attempt
    headers = {"Auto-Submitted": "auto-generated", "Content-Language": email.language}
    if is_reminder(email.kind):
        link = context["unsubscribe_url"]
        headers["List-Unsubscribe"] = f"<{link}>"
        headers["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    message.extra_headers = {name: header_value(name, value) for name, value in headers.items()}
    return message


def header_value(name, value):
    value = single_line(value, max_length=UNCUT_HEADERS.get(name, HEADER_VALUE_MAX_LENGTH))
    return VerbatimHeader(name, value) if name in VERBATIM_HEADERS else value
