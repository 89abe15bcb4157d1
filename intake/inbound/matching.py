"""Which pledge an inbound email belongs to, in order of trust: the pledge's own reply address
(its token), then the thread (In-Reply-To / References against the emails we sent and those
already on a pledge), then a reference number in the subject, only from a sender the pledge
knows (its focal point, one of its contacts, or the focal point's own email domain); for the
old archive, last, the pledge whose focal point wrote or was written to."""
import re
from dataclasses import dataclass
from email.utils import getaddresses

from sqlalchemy import func, select

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


@dataclass(frozen=True)
class Clues:
    """What one message says of its pledge, read from its headers once: the reply tokens it
    was sent to, the Message-IDs it answers, the reference numbers in its subject and, for the
    old archive only (whose mail the app did not send), the people it is from and to."""
    tokens: tuple
    thread: tuple
    references: tuple
    people: tuple

    @classmethod
    def of(cls, stored, message, inbound_address, prefix, by_contact=False):
        return cls(tuple(reply_tokens(recipients(message), inbound_address)),
                   tuple(thread_of(stored)), tuple(references_in(stored.subject, prefix)),
                   tuple(people_of(stored)) if by_contact else ())


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

IN_CHUNK = 500  # values per IN (...) list: SQLite counts bound parameters


def _pairs(column, key, values, *where):
    """(key, column) rows whose key is one of `values`, a few hundred values per query."""
    values = sorted(set(values))
    for start in range(0, len(values), IN_CHUNK):
        yield from db.session.execute(select(key, column).where(
            key.in_(values[start:start + IN_CHUNK]), *where))


class Known:
    """What matching a batch of messages reads from the database, read for the whole batch in
    a few queries (not a few per message): the pledges of the reply tokens, Message-IDs,
    references and (for the old archive) contact addresses the batch names, with those pledges'
    contacts. remember() adds a message of the batch once it is on a pledge, so that a reply
    later in the same batch finds it."""

    def __init__(self, tokens=(), thread_ids=(), references=(), addresses=()):
        self.by_token = dict(_pairs(Pledge.id, Pledge.reply_token, tokens))
        self.sent = {}
        bracketed = [f"<{found}>" for found in thread_ids]
        for message_id, pledge_id in _pairs(OutboxEmail.pledge_id, OutboxEmail.message_id,
                                            [*thread_ids, *bracketed],
                                            OutboxEmail.pledge_id.is_not(None)):
            self.sent.setdefault(message_id.strip("<>"), pledge_id)
        self.on_pledge = dict(_pairs(InboundMessage.pledge_id, InboundMessage.message_id,
                                     thread_ids, InboundMessage.pledge_id.is_not(None)))
        self.by_reference = dict(_pairs(Pledge.id, Pledge.reference, references))
        self.by_contact = {}  # a focal email: the first pledge (lowest id) it is the focal of
        for email, pledge_id in sorted(_pairs(Pledge.id, func.lower(Pledge.focal_email),
                                              addresses), key=lambda row: row[1]):
            self.by_contact.setdefault(email, pledge_id)
        self.pledges, self.contacts = {}, {}
        self.load([*self.by_token.values(), *self.sent.values(), *self.on_pledge.values(),
                   *self.by_reference.values(), *self.by_contact.values()])

    @classmethod
    def of(cls, batch_clues):
        """What a batch of messages needs, from the Clues of each."""
        tokens, thread_ids, references, addresses = set(), set(), set(), set()
        for clues in batch_clues:
            tokens.update(clues.tokens)
            thread_ids.update(clues.thread)
            references.update(clues.references)
            addresses.update(clues.people)
        return cls(tokens, thread_ids, references, addresses)

    def load(self, pledge_ids):
        """These pledges and their contacts, those not read yet, in two queries."""
        missing = sorted({found for found in pledge_ids if found not in self.pledges})
        for start in range(0, len(missing), IN_CHUNK):
            chunk = missing[start:start + IN_CHUNK]
            for pledge in db.session.scalars(select(Pledge).where(Pledge.id.in_(chunk))):
                self.pledges[pledge.id] = pledge
                self.contacts[pledge.id] = set()
            for pledge_id, email in db.session.execute(
                    select(PledgeContact.pledge_id, PledgeContact.email)
                    .where(PledgeContact.pledge_id.in_(chunk))):
                self.contacts[pledge_id].add(email.lower())

    def pledge(self, pledge_id):
        if pledge_id is None:
            return None
        if pledge_id not in self.pledges:
            self.load([pledge_id])
        return self.pledges.get(pledge_id)

    def remember(self, message):
        if message.pledge_id is not None:
            self.on_pledge[message.message_id] = message.pledge_id

    def by_thread(self, thread_ids):
        """The pledge of the newest of a message's thread ids (thread_of, oldest first) we know:
        an email we sent, or a message already on a pledge."""
        for message_id in reversed(thread_ids):
            pledge_id = self.sent.get(message_id) or self.on_pledge.get(message_id)
            if pledge_id is not None:
                return self.pledge(pledge_id)
        return None

    def from_someone_new(self, pledge, sender):
        """Neither the focal point nor one of the pledge's contacts."""
        return not known_sender(sender, pledge.focal_email, self.contacts.get(pledge.id, ()))


def thread_of(stored):
    """The Message-IDs a message answers, oldest first (References, then In-Reply-To)."""
    return [found for found in [*(stored.references or []), stored.in_reply_to] if found]


def people_of(stored):
    return [found for found in [stored.from_address, *(stored.to_addresses or []),
                                *(stored.cc_addresses or [])] if found]


def find_pledge(stored, clues, known):
    """The pledge an inbound message belongs to, and how it was found; None: the tray. For the
    old archive (its clues name people), also the pledge whose focal point is among its sender
    and recipients."""
    for token in clues.tokens:
        if token in known.by_token:
            return Match(known.pledge(known.by_token[token]), "reply_token")
    pledge = known.by_thread(clues.thread)
    if pledge is not None:
        return Match(pledge, "thread")
    for reference in clues.references:
        pledge = known.pledge(known.by_reference.get(reference))
        if pledge is not None and known_sender(stored.from_address, pledge.focal_email,
                                               known.contacts[pledge.id],
                                               same_domain_counts=True):
            return Match(pledge, "reference")
    found = [known.by_contact[person] for person in clues.people if person in known.by_contact]
    if found:
        return Match(known.pledge(min(found)), "import")
    return None
