"""Which pledge an inbound email belongs to, in order of trust: the pledge's own reply address
(its token), then the thread (In-Reply-To / References against the emails we sent and those
already on a pledge), then a reference number in the subject, only from a sender the pledge
knows (its focal point, one of its contacts, or the focal point's own email domain)."""
import re
from dataclasses import dataclass
from email.utils import getaddresses

from sqlalchemy import select

from ..extensions import db
from ..models import InboundMessage, OutboxEmail, Pledge, PledgeContact

RECIPIENT_HEADERS = ("To", "Cc", "Delivered-To", "X-Original-To", "Envelope-To")
# A reference number counts from the focal point's domain, unless that domain is everyone's.
SHARED_DOMAINS = frozenset({
    "gmail.com", "googlemail.com", "outlook.com", "hotmail.com", "live.com", "msn.com",
    "yahoo.com", "yahoo.fr", "yahoo.es", "icloud.com", "me.com", "aol.com", "gmx.com", "gmx.de",
    "gmx.net", "mail.com", "proton.me", "protonmail.com", "orange.fr", "free.fr", "laposte.net",
    "wanadoo.fr", "yandex.com", "yandex.ru", "mail.ru", "qq.com", "163.com", "zoho.com"})


@dataclass(frozen=True)
class Match:
    pledge: Pledge
    by: str  # reply_token, thread, reference


# --- pure: what the headers say ----------------------------------------------------------------

def reply_tokens(addresses, inbound_address):
    """The tokens of the addresses that are the inbound mailbox plus-addressed
    (pledges+<token>@domain), lower case, in order."""
    if not inbound_address or "@" not in inbound_address:
        return []
    local, _at, domain = inbound_address.lower().rpartition("@")
    tokens = []
    for address in addresses:
        their_local, _at, their_domain = (address or "").strip().lower().rpartition("@")
        base, plus, token = their_local.partition("+")
        if plus and token and base == local and their_domain == domain:
            tokens.append(token)
    return tokens


def references_in(subject, prefix):
    """The pledge reference numbers (CTA-2026-0042) in a subject, upper case, in order."""
    pattern = re.compile(rf"(?<![A-Za-z0-9]){re.escape(prefix)}-\d{{4}}-\d{{1,8}}(?![0-9])",
                         re.IGNORECASE)
    return [found.upper() for found in pattern.findall(subject or "")]


def domain_of(address):
    return (address or "").rpartition("@")[2].lower()


def known_sender(sender, focal_email, contact_emails, same_domain_counts=False):
    """Whether the sender is the pledge's focal point or one of its contacts; with
    same_domain_counts, someone of the focal point's own email domain (a city's, not a shared
    mail service's) counts too."""
    sender = (sender or "").lower()
    if not sender:
        return False
    if sender == (focal_email or "").lower() or sender in {e.lower() for e in contact_emails}:
        return True
    domain = domain_of(focal_email)
    return (same_domain_counts and bool(domain) and domain not in SHARED_DOMAINS
            and domain_of(sender) == domain)


def recipients(message):
    """Every address the message was sent or delivered to, from its headers."""
    found = []
    for name in RECIPIENT_HEADERS:
        found += [address for _name, address in getaddresses(
            [str(value) for value in message.get_all(name, [])]) if address]
    return found


# --- with the database ---------------------------------------------------------------------------

def contact_emails(pledge_id):
    return list(db.session.scalars(
        select(PledgeContact.email).where(PledgeContact.pledge_id == pledge_id)))


def by_token(addresses, inbound_address):
    for token in reply_tokens(addresses, inbound_address):
        pledge = db.session.scalars(select(Pledge).where(Pledge.reply_token == token)).first()
        if pledge is not None:
            return pledge
    return None


def by_thread(ids, except_id=None):
    """The pledge of the newest of these Message-IDs we know: an email we sent, or a message
    already on a pledge."""
    for message_id in reversed([i for i in ids if i]):
        pledge_id = db.session.scalar(
            select(OutboxEmail.pledge_id).where(
                OutboxEmail.message_id.in_((f"<{message_id}>", message_id)),
                OutboxEmail.pledge_id.is_not(None)))
        if pledge_id is None:
            query = select(InboundMessage.pledge_id).where(
                InboundMessage.message_id == message_id, InboundMessage.pledge_id.is_not(None))
            if except_id is not None:
                query = query.where(InboundMessage.id != except_id)
            pledge_id = db.session.scalar(query)
        if pledge_id is not None:
            return db.session.get(Pledge, pledge_id)
    return None


def by_reference(subject, sender, prefix):
    """A pledge named by reference in the subject, only when the sender is one it knows."""
    for reference in references_in(subject, prefix):
        pledge = db.session.scalars(select(Pledge).where(Pledge.reference == reference)).first()
        if pledge is not None and known_sender(sender, pledge.focal_email,
                                               contact_emails(pledge.id),
                                               same_domain_counts=True):
            return pledge
    return None


def find_pledge(stored, message, inbound_address, prefix):
    """The pledge an inbound message belongs to, and how it was found; None: the tray."""
    pledge = by_token(recipients(message), inbound_address)
    if pledge is not None:
        return Match(pledge, "reply_token")
    pledge = by_thread([*stored.references, stored.in_reply_to], except_id=stored.id)
    if pledge is not None:
        return Match(pledge, "thread")
    pledge = by_reference(stored.subject, stored.from_address, prefix)
    if pledge is not None:
        return Match(pledge, "reference")
    return None


def from_someone_new(pledge, sender):
    """Neither the focal point nor one of the pledge's contacts."""
    return not known_sender(sender, pledge.focal_email, contact_emails(pledge.id))
