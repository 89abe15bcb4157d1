"""The one way in for an email, whatever path it came by: stored once by its Message-ID, then
what it means, once: the pledge it belongs to (matching.py), whether a machine sent it
(machines.py: a DSN suppresses the addresses that failed for good), its attachments kept safely
(attachments.py), and, from a person, the answer to an open request for information. Nothing
inbound ever emails its sender."""
from flask import current_app
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from ..email.outbox import suppress
from ..extensions import db
from ..models import InboundMessage, InformationRequest
from ..pledges import actions, audit
from . import attachments, machines, matching
from .parse import parse

ANSWER_MAX_LENGTH = 20000


def receive(raw, via, archive_import_id=None):
    """Store the message in `raw` (its bytes) that came by `via` (imap, lmtp, import), unless
    it is already stored: returns (the stored message, whether it is new). The caller commits.
    A message polled twice, or delivered by two paths, is stored once, and changes its pledge
    once."""
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
        archive_import_id=archive_import_id, tray_state="unmatched",
        machine=machines.machine(parsed.message))
    try:
        with db.session.begin_nested():  # another process may store the same one meanwhile
            db.session.add(message)
    except IntegrityError:
        return _stored(parsed.message_id), False
    understand(message, parsed.message)
    return message, True


def understand(message, email):
    """What a newly stored message means, applied once (the caller commits)."""
    match = matching.find_pledge(message, email, current_app.config.get("INBOUND_ADDRESS"),
                                 current_app.config["REFERENCE_PREFIX"])
    if match is not None:
        message.pledge_id = match.pledge.id
        message.matched_by = match.by
        message.tray_state = None
        message.from_someone_new = matching.from_someone_new(match.pledge, message.from_address)
    message.attachments = attachments.keep(email)
    db.session.flush()
    for attachment in message.attachments:
        if attachment.kept_out:
            audit.record(audit.SYSTEM, "inbound_attachment_kept_out", message.pledge_id, {},
                         {"message_id": message.id, "filename": attachment.filename,
                          "size": attachment.size, "kept_out": attachment.kept_out})
    if message.machine == "delivery_status" and message.archive_import_id is None:
        for address, status in machines.permanently_failed(email):
            suppress(address, "all", f"A delivery status notification said {status}")
    if match is not None and message.machine is None and message.archive_import_id is None:
        answer_open_requests(match.pledge, message)


def answer_open_requests(pledge, message):
    """A person's reply to an open request for information is the city's answer, as if typed
    into the tracker's answer form: the pledge goes back to review, its assignee is told."""
    open_requests = db.session.scalars(select(InformationRequest).where(
        InformationRequest.pledge_id == pledge.id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.id)).all()
    if not open_requests or pledge.review_state != "information_requested":
        return
    answer = (message.text_body or "").strip()[:ANSWER_MAX_LENGTH] or message.subject
    for request in open_requests:
        actions.answer_information(pledge, request, answer)


def _stored(message_id):
    return db.session.scalars(
        select(InboundMessage).where(InboundMessage.message_id == message_id)).first()
