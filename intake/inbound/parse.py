"""An email's bytes read into the facts the app keeps. No database and no HTTP here."""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email import policy
from email.parser import BytesParser
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
MAX_ID_LENGTH = 255


@dataclass
class ParsedMessage:
    message_id: str
    from_address: str | None
    from_name: str | None
    to_addresses: list = field(default_factory=list)
    cc_addresses: list = field(default_factory=list)
    subject: str = ""
    sent_at: datetime | None = None
    in_reply_to: str | None = None
    references: list = field(default_factory=list)
    text_body: str = ""
    html_body: str | None = None
    size: int = 0
    message: object = None  # the email.message.EmailMessage, for what reads further


def message_ids(value):
    """The Message-IDs in a header's value, without angle brackets, in order."""
    return [short_id(found) for found in MESSAGE_ID.findall(str(value or ""))]


def short_id(message_id):
    """A Message-ID as stored: one too long for the column is replaced by a digest of it."""
    if len(message_id) <= MAX_ID_LENGTH:
        return message_id
    return "sha256-" + hashlib.sha256(message_id.encode()).hexdigest()


def _addresses(message, name):
    return [address.lower() for _name, address in getaddresses(message.get_all(name, []))
            if address]


def _date(message):
    try:
        moment = parsedate_to_datetime(str(message.get("Date", "")))
    except (TypeError, ValueError, IndexError):
        return None
    if moment is None:
        return None
    return moment.astimezone(timezone.utc) if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _body(message, subtype):
    part = message.get_body(preferencelist=(subtype,))
    if part is None:
        return None
    try:
        return part.get_content()
    except (LookupError, ValueError):  # an unknown charset: read it as Latin-1 rather than lose it
        return part.get_payload(decode=True).decode("latin-1")


def parse(raw):
    """The facts of a message, from its bytes as received."""
    message = BytesParser(policy=policy.default).parsebytes(raw)
    ids = message_ids(message.get("Message-ID"))
    name, address = parseaddr(str(message.get("From", "")))
    return ParsedMessage(
        message_id=ids[0] if ids else "sha256-" + hashlib.sha256(raw).hexdigest(),
        from_address=address.lower() or None,
        from_name=name or None,
        to_addresses=_addresses(message, "To"),
        cc_addresses=_addresses(message, "Cc"),
        subject=" ".join(str(message.get("Subject", "")).split())[:998],
        sent_at=_date(message),
        in_reply_to=next(iter(message_ids(message.get("In-Reply-To"))), None),
        references=message_ids(message.get("References")),
        text_body=_body(message, "plain") or "",
        html_body=_body(message, "html"),
        size=len(raw),
        message=message,
    )
