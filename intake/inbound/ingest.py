"""The one way in for an email, whatever path it came by: stored once by its Message-ID, then
what it means, once: the pledge it belongs to (matching.py), whether a machine sent it
(machines.py: a DSN suppresses the addresses that failed for good), its attachments kept safely
(attachments.py), and, from a person, the answer to an open request for information. Nothing
inbound ever emails its sender.

Messages come in batches (receive_batch: what IMAP fetched in one round trip, a few hundred
messages of an archive): the batch's lookups are a few queries for all of its messages, and its
new messages are written in one flush. The caller commits the batch with its own progress (the
folder's last UID, the import's count), so a crash leaves nothing of it and reads it again."""
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
    return receive_batch([raw], via, archive_import_id)[0]


def receive_batch(raws, via, archive_import_id=None, unreadable=None):
    """receive() for each of `raws`, in order, as one batch: [(stored message, new), ...].
    With a list as `unreadable`, a message that cannot be read (parse raises) is left out of
    the results and noted there as (its position in `raws`, why), instead of raising."""
    readable = []
    for position, raw in enumerate(raws):
        try:
            readable.append((raw, parse(raw)))
        except Exception as error:  # a damaged message, whatever it raises
            if unreadable is None:
                raise
            unreadable.append((position, f"{type(error).__name__}: {error}"[:300]))
    emails = [email for _raw, email in readable]
    stored = _stored([email.message_id for email in emails])
    results, fresh = [], []
    for email in emails:
        message = stored.get(email.message_id)
        if message is not None:  # stored before, or earlier in this batch
            results.append((message, False))
            continue
        message = stored[email.message_id] = _new_message(email, via, archive_import_id)
        fresh.append((message, email.message))
        results.append((message, True))
    if not fresh:
        return results
    clues = [matching.Clues.of(message, email, current_app.config.get("INBOUND_ADDRESS"),
                               current_app.config["REFERENCE_PREFIX"],
                               by_contact=archive_import_id is not None)
             for message, email in fresh]
    known = matching.Known.of(clues)
    matches = [_place(message, message_clues, known)
               for (message, _email), message_clues in zip(fresh, clues, strict=True)]
    try:
        with db.session.begin_nested():  # another process may store one of them meanwhile
            db.session.add_all(message for message, _email in fresh)
    except IntegrityError:
        if len(readable) == 1:
            return [(_stored([emails[0].message_id])[emails[0].message_id], False)]
        return [receive_batch([raw], via, archive_import_id)[0] for raw, _email in readable]
    for (message, email), match in zip(fresh, matches, strict=True):
        _understand(message, email, match)
    return results


def _new_message(email, via, archive_import_id):
    return InboundMessage(
        message_id=email.message_id, via=via, from_address=email.from_address,
        from_name=email.from_name, to_addresses=email.to_addresses,
        cc_addresses=email.cc_addresses, subject=email.subject, sent_at=email.sent_at,
        in_reply_to=email.in_reply_to, references=email.references,
        text_body=email.text_body, html_body=email.html_body, size=email.size,
        archive_import_id=archive_import_id, tray_state="unmatched",
        machine=machines.machine(email.message),
        attachments=[])  # known empty: setting them after the flush reads nothing


def _place(message, clues, known):
    """The pledge the new message lands on (or the tray), before it is written."""
    match = matching.find_pledge(message, clues, known)
    if match is not None:
        land(message, match.pledge, match.by, known)
    return match


def land(message, pledge, matched_by, known):
    """The message joins the pledge (out of the tray), "from someone new" unless its sender
    is one of the pledge's people; `known` remembers it for the replies that follow."""
    message.pledge_id, message.matched_by, message.tray_state = pledge.id, matched_by, None
    message.from_someone_new = known.from_someone_new(pledge, message.from_address)
    known.remember(message)


def _understand(message, email, match):
    """What a newly stored message means besides its pledge, applied once (the caller
    commits)."""
    message.attachments = attachments.keep(email)
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
    if pledge.review_state != "information_requested":
        return
    open_requests = db.session.scalars(select(InformationRequest).where(
        InformationRequest.pledge_id == pledge.id, InformationRequest.answered_at.is_(None))
        .order_by(InformationRequest.id)).all()
    answer = (message.text_body or "").strip()[:ANSWER_MAX_LENGTH] or message.subject
    for request in open_requests:
        actions.answer_information(pledge, request, answer)


def _stored(message_ids):
    """{Message-ID: stored message} of those of `message_ids` stored already."""
    return {message.message_id: message for message in db.session.scalars(
        select(InboundMessage).where(InboundMessage.message_id.in_(set(message_ids))))}
