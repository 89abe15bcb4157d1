"""The one way in for an email, whatever path it came by: stored once by its Message-ID."""
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..extensions import db
from ..models import InboundMessage
from .parse import parse


def receive(raw, via, archive_import_id=None):
    """Store the message in `raw` (its bytes) that came by `via` (imap, lmtp, import), unless
    it is already stored: returns (the stored message, whether it is new). The caller commits.
    A message polled twice, or delivered by two paths, is stored once."""
    parsed = parse(raw)
    stored = _stored(parsed.message_id)
    if stored is not None:
        return stored, False
    message = InboundMessage(
        message_id=parsed.message_id, via=via, from_address=parsed.from_address,
        from_name=parsed.from_name, to_addresses=parsed.to_addresses,
        cc_addresses=parsed.cc_addresses, subject=parsed.subject, sent_at=parsed.sent_at,
        in_reply_to=parsed.in_reply_to, references=parsed.references,
        text_body=parsed.text_body, html_body=parsed.html_body, size=parsed.size,
        archive_import_id=archive_import_id, tray_state="unmatched")
    try:
        with db.session.begin_nested():  # another process may store the same one meanwhile
            db.session.add(message)
    except IntegrityError:
        return _stored(parsed.message_id), False
    return message, True


def _stored(message_id):
    return db.session.scalars(
        select(InboundMessage).where(InboundMessage.message_id == message_id)).first()
