"""The files an inbound email brings, kept safely: only allowed types under a size limit, under
the instance folder (instance/attachments/, never the web root) by a random name of our own;
the others are only named, with why they were kept out."""
import secrets
from pathlib import Path, PurePath

from flask import current_app

from ..models import InboundAttachment
from .parse import text

SKIPPED_TYPES = ("message/delivery-status", "message/rfc822", "text/rfc822-headers",
                 "message/disposition-notification")


def folder():
    path = Path(current_app.instance_path) / "attachments"
    path.mkdir(parents=True, exist_ok=True)
    return path


def safe_name(filename):
    """The name as sent (its RFC 2047 words decoded by the caller), on one line and without
    folders, for showing (never a path)."""
    name = PurePath(str(filename or "").replace("\\", "/")).name
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return (name or "attachment")[:255]


def ending(filename):
    return PurePath(filename).suffix.lower().lstrip(".")


def attached_parts(message):
    """The parts of a message that are files: attachments, and named inline parts."""
    for part in message.walk():
        if part.is_multipart() or part.get_content_type() in SKIPPED_TYPES:
            continue
        if part.get_content_disposition() == "attachment" or part.get_filename():
            yield part


def kept_out_reason(filename, size, allowed, max_bytes):
    if ending(filename) not in allowed:
        return "type_refused"
    if size > max_bytes:
        return "too_big"
    return None


def keep(message):
    """The attachments of an email.message.Message, as rows (the files of those kept are
    written now); the caller adds them to their message."""
    allowed = set(current_app.config["INBOUND_ATTACHMENT_TYPES"])
    max_bytes = current_app.config["INBOUND_ATTACHMENT_MAX_BYTES"]
    rows = []
    for part in attached_parts(message):
        content = part.get_payload(decode=True) or b""
        filename = safe_name(text(part.get_filename()))
        row = InboundAttachment(filename=filename, content_type=part.get_content_type()[:127],
                                size=len(content))
        row.kept_out = kept_out_reason(filename, len(content), allowed, max_bytes)
        if row.kept_out is None:
            row.stored_name = secrets.token_hex(20)
            (folder() / row.stored_name).write_bytes(content)
        rows.append(row)
    return rows
