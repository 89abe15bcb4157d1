"""An email's bytes read into the facts the app keeps. No database and no HTTP here.

Read with the email package's compat32 policy: several times faster than its default policy,
which builds a parsed object for every header read. What that policy would have decoded is
decoded here: RFC 2047 words in the subject, names and attachment names (`text`), and each body
part in its charset (`_body`)."""
import hashlib
import re
from dataclasses import dataclass, field
from datetime import datetime, timezone
from email.errors import HeaderParseError
from email.header import decode_header
from email.parser import BytesParser
from email.policy import compat32
from email.utils import getaddresses, parseaddr, parsedate_to_datetime

MESSAGE_ID = re.compile(r"<([^<>\s]+)>")
MAX_ID_LENGTH = 255
MAX_ADDRESS_LENGTH = 254  # longer is no address (RFC 5321), and more than the column holds
MAX_NAME_LENGTH = 200  # the column's size: a longer name is cut rather than refused
FOLDING = re.compile(r"\r?\n(?=[ \t])")
PARSER = BytesParser(policy=compat32)


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
    message: object = None  # the email.message.Message, for what reads further


def message_ids(value):
    """The Message-IDs in a header's value, without angle brackets, in order."""
    return [short_id(found) for found in MESSAGE_ID.findall(str(value or ""))]


def short_id(message_id):
    """A Message-ID as stored: one too long for the column is replaced by a digest of it."""
    if len(message_id) <= MAX_ID_LENGTH:
        return message_id
    return "sha256-" + hashlib.sha256(message_id.encode()).hexdigest()


def text(value):
    """A header's value (or a name or filename in one) as people read it: unfolded, RFC 2047
    encoded words decoded, raw 8-bit bytes read as UTF-8 (else Latin-1)."""
    if value is None:
        return ""
    if isinstance(value, str):
        value = FOLDING.sub("", value)
        if "=?" not in value:
            return value
    try:
        pieces = decode_header(value)
    except HeaderParseError:
        return str(value)
    return FOLDING.sub("", "".join(
        piece if isinstance(piece, str) else _header_piece(piece, charset)
        for piece, charset in pieces))


def undecoded(value):
    """A header's value before RFC 2047 decoding (addresses are read from it, then their
    names decoded), raw 8-bit bytes read as UTF-8."""
    return FOLDING.sub("", value if isinstance(value, str) else text(value))


def _header_piece(data, charset):
    if charset is None:  # text between encoded words, which decode_header made bytes so
        data = data.decode("raw-unicode-escape").encode("utf-8", "surrogateescape")
    return _decoded(data, charset)


def _decoded(data, charset):
    """Bytes in their charset; without one, UTF-8 (else Latin-1, which reads any bytes)."""
    if charset in (None, "unknown-8bit"):
        try:
            return data.decode("utf-8")
        except UnicodeDecodeError:
            return data.decode("latin-1")
    try:
        return data.decode(charset, errors="replace")
    except (LookupError, UnicodeError):  # an unknown charset, or no text one (idna, base64)
        return data.decode("latin-1")  # read as Latin-1 rather than lost


def _addresses(message, name):
    return [address.lower() for _name, address in getaddresses(
        [undecoded(value) for value in message.get_all(name, [])]) if address]


def _date(message):
    try:
        moment = parsedate_to_datetime(text(message.get("Date")).strip())
        if moment is None:
            return None
        return (moment.astimezone(timezone.utc) if moment.tzinfo
                else moment.replace(tzinfo=timezone.utc))
    except (TypeError, ValueError, IndexError, OverflowError):  # no date, or none on a calendar
        return None


def body_candidates(part, subtype):
    """The parts that may be the body of `subtype` (plain, html), as email.message's
    get_body looks for them: not attachments, through multipart/related's start part first."""
    if part.get_content_disposition() == "attachment":
        return
    maintype, _slash, part_subtype = part.get_content_type().partition("/")
    if maintype == "text":
        if part_subtype == subtype:
            yield part
        return
    if maintype != "multipart" or not part.is_multipart():
        return
    subparts = part.get_payload()
    if part_subtype == "related":
        start = part.get_param("start")
        first = next((sub for sub in subparts if sub.get("Content-ID") == start), None) \
            if start else (subparts[0] if subparts else None)
        subparts = [first] if first is not None else []
    for subpart in subparts:
        yield from body_candidates(subpart, subtype)


def _body(message, subtype):
    part = next(body_candidates(message, subtype), None)
    if part is None:
        return None
    return _decoded(part.get_payload(decode=True) or b"", part.get_content_charset())


def parse(raw):
    """The facts of a message, from its bytes as received."""
    message = PARSER.parsebytes(raw)
    ids = message_ids(message.get("Message-ID"))
    name, address = parseaddr(undecoded(message.get("From", "")))
    return ParsedMessage(
        message_id=ids[0] if ids else "sha256-" + hashlib.sha256(raw).hexdigest(),
        from_address=address.lower() if 0 < len(address) <= MAX_ADDRESS_LENGTH else None,
        from_name=" ".join(text(name).split())[:MAX_NAME_LENGTH] or None,
        to_addresses=_addresses(message, "To"),
        cc_addresses=_addresses(message, "Cc"),
        subject=" ".join(text(message.get("Subject")).split())[:998],
        sent_at=_date(message),
        in_reply_to=next(iter(message_ids(message.get("In-Reply-To"))), None),
        references=message_ids(message.get("References")),
        text_body=_body(message, "plain") or "",
        html_body=_body(message, "html"),
        size=len(raw),
        message=message,
    )
