"""The coordinators' tray: inbound messages that found no pledge, and what a coordinator does
with one (link it to a pledge, make a draft pledge of it, mark it spam). No HTTP here; the
caller commits. Each action done twice changes nothing more the second time."""
from dataclasses import dataclass
from pathlib import Path

import nh3
from sqlalchemy import func, select

from ..email.outbox import queue_email
from ..extensions import db
from ..models import InboundAttachment, InboundMessage, Pledge
from ..pledges import audit

PAGE_SIZE = 25
UNMATCHED, SPAM = "unmatched", "spam"
# What a sanitised HTML part may keep: basic formatting and links; no images, styles, scripts.
ALLOWED_TAGS = {"a", "b", "blockquote", "br", "code", "div", "em", "h1", "h2", "h3", "h4", "i",
                "li", "ol", "p", "pre", "span", "strong", "table", "tbody", "td", "th", "thead",
                "tr", "u", "ul"}
ALLOWED_ATTRIBUTES = {"a": {"href", "title"}, "td": {"colspan", "rowspan"},
                      "th": {"colspan", "rowspan"}}
FIRST_LINES = 200  # characters of the text shown in the tray


@dataclass
class Page:
    rows: list
    number: int
    total: int
    size: int = PAGE_SIZE

    @property
    def pages(self):
        return max(1, -(-self.total // self.size))


def tray_page(state=UNMATCHED, number=1):
    """The messages in the tray (or among spam), newest first, one page of them."""
    number = max(1, number)
    total = db.session.scalar(select(func.count()).select_from(InboundMessage)
                              .where(InboundMessage.tray_state == state))
    rows = db.session.scalars(
        select(InboundMessage).where(InboundMessage.tray_state == state)
        .order_by(InboundMessage.received_at.desc(), InboundMessage.id.desc())
        .limit(PAGE_SIZE).offset((number - 1) * PAGE_SIZE)).all()
    return Page(rows, number, total)


def unmatched_count():
    return db.session.scalar(select(func.count()).select_from(InboundMessage)
                             .where(InboundMessage.tray_state == UNMATCHED))


def first_lines(message):
    text = " ".join((message.text_body or "").split())
    return text if len(text) <= FIRST_LINES else text[:FIRST_LINES].rstrip() + "…"


def sanitised_html(message):
    """The HTML part, safe to show inside a page: links open nothing of ours, nothing loads."""
    if not message.html_body:
        return None
    return nh3.clean(message.html_body, tags=ALLOWED_TAGS, attributes=ALLOWED_ATTRIBUTES,
                     url_schemes={"http", "https", "mailto"}, link_rel="nofollow noopener",
                     strip_comments=True)


def pledge_by_reference(reference):
    reference = (reference or "").strip().upper()
    if not reference:
        return None
    return db.session.scalar(select(Pledge).where(func.upper(Pledge.reference) == reference,
                                                  Pledge.review_state != "draft"))


def link_to_pledge(message, pledge, actor):
    """Put the message on the pledge. False when it was on a pledge already (nothing changes)."""
    if message.tray_state != UNMATCHED:
        return False
    message.pledge_id = pledge.id
    message.matched_by = "coordinator"
    message.tray_state = None
    audit.record(actor, "inbound_linked", pledge.id, {"inbound_message_id": message.id},
                 {"inbound_message_id": message.id, "pledge": pledge.reference})
    return True


def make_draft_pledge(message, city, actor, language="en"):
    """A draft pledge for that city whose contact is the sender, invited by email to complete
    it: the one email the inbound side causes, and only on a coordinator's click. None when the
    message has left the tray already (a second click) or has no sender."""
    if message.tray_state != UNMATCHED or not message.from_address:
        return None
    pledge = Pledge(language=language, city=city.strip(), focal_email=message.from_address,
                    focal_name=message.from_name)
    db.session.add(pledge)
    db.session.flush()
    message.pledge_id = pledge.id
    message.matched_by = "coordinator"
    message.tray_state = None
    audit.record(actor, "inbound_made_draft", pledge.id, {"inbound_message_id": message.id},
                 {"inbound_message_id": message.id, "city": pledge.city})
    queue_email("draft_invitation", pledge.focal_email, pledge.language,
                f"draft_invitation:{message.id}", pledge_id=pledge.id)
    return pledge


def mark_spam(message, actor):
    return _move_in_tray(message, actor, UNMATCHED, SPAM, "inbound_spam")


def not_spam(message, actor):
    return _move_in_tray(message, actor, SPAM, UNMATCHED, "inbound_not_spam")


def _move_in_tray(message, actor, from_state, to_state, action):
    """Move a message between the tray and spam, audited; False (nothing done) when it is not
    where the move starts, as after a second click."""
    if message.tray_state != from_state:
        return False
    message.tray_state = to_state
    audit.record(actor, action, None, {"inbound_message_id": message.id},
                 {"tray_state": to_state})
    return True


def attachment_path(attachment, instance_path):
    """Where a kept attachment lies (under the instance folder), or None when kept out."""
    name = attachment.stored_name
    if not name or "/" in name or "\\" in name or name.startswith("."):
        return None
    return Path(instance_path) / "attachments" / name


def attachment(attachment_id):
    return db.session.get(InboundAttachment, attachment_id)
