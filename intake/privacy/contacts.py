"""One contact's personal data: found by email address, exported as one document, erased on
request. The pledge stays, anonymised; the audit records the erasure, not the data.

Whose data is it: the focal point a city names at step 1 (name, role, email address, phone).
The mayor or city leader named on the pledge signs it in public office: that name stays with
the pledge. Coordinator accounts are not contacts (their page is /admin/coordinators).

What is about a contact: their pledges (the pledges that name their address), every row that
belongs to one of those pledges (a pledge_id column: history, notes, questions and answers,
emails, audit entries, private links, and whatever table comes next), and every row anywhere
whose text or JSON holds their address. In those rows the address, the full name and the
phone number are replaced by "[erased]"."""
from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import delete, func, or_, select, text, update
from sqlalchemy import inspect as sa_inspect

from ..clock import as_utc, utcnow
from ..email.outbox import address_digest, digest_key, normalise_address, suppression_keys
from ..extensions import db
from ..models import AccessToken, Coordinator, EmailSuppression, OutboxEmail, Pledge
from ..pledges import audit
from .scrub import (
    ERASED,
    Identifiers,
    all_tables,
    mentions,
    scrub_rows,
    tables_of_pledges,
    text_columns,
)

CONTACT_FIELDS = ("focal_name", "focal_role", "focal_email", "focal_phone")
# Suppressions the person asked for (an unsubscribe): they outlive the erasure, by digest, or
# erasing the address would have the app write to it again. A bounce is a fact about the
# mailbox, not a wish: it goes with the address.
WISH_SCOPES = ("reminders",)
# Never exported: they open things, and say nothing about the person.
SECRET_COLUMNS = frozenset({"token_hash", "password_hash", "session_token"})
# Tables the search leaves alone: accounts are managed on their own pages.
NOT_CONTACT_DATA = frozenset({Coordinator.__tablename__})
NOT_SENT = "Not sent: the contact's data was erased."


def contact_pledges(address):
    return db.session.scalars(select(Pledge).where(
        Pledge.focal_email == normalise_address(address)).order_by(Pledge.id)).all()


def identifiers_of(address, pledges):
    return Identifiers.of(addresses=[normalise_address(address)],
                          names=[p.focal_name for p in pledges if p.focal_name],
                          phones=[p.focal_phone for p in pledges if p.focal_phone])


def _searched_tables():
    """Tables that may hold personal data: they have text, or belong to a pledge."""
    return [table for table in all_tables() if table.name not in NOT_CONTACT_DATA
            and (text_columns(table) or "pledge_id" in table.c)]


def _about_contact(table, address, pledge_ids):
    """The rows of a table that are about the contact."""
    conditions = [mentions(table, address)]
    if table.name == Pledge.__tablename__:
        conditions.append(table.c.id.in_(pledge_ids))
    elif "pledge_id" in table.c:
        conditions.append(table.c.pledge_id.in_(pledge_ids))
    if table.name == EmailSuppression.__tablename__:
        conditions.append(table.c.email.in_(suppression_keys(address)))
    return or_(*(condition for condition in conditions if condition is not None))


# --- what the admin sees before acting -------------------------------------------------------


@dataclass
class ContactSummary:
    address: str
    pledges: list
    rows: dict = field(default_factory=dict)  # table name -> rows about the contact
    has_account: bool = False

    @property
    def found(self):
        return any(self.rows.values())


def summarise_contact(address):
    address = normalise_address(address)
    pledges = contact_pledges(address)
    ids = [p.id for p in pledges]
    rows = {table.name: db.session.scalar(select(func.count()).select_from(table)
                                          .where(_about_contact(table, address, ids)))
            for table in _searched_tables()}
    has_account = db.session.scalar(select(Coordinator.id).where(
        Coordinator.email == address)) is not None
    return ContactSummary(address, pledges, rows, has_account)


# --- export ----------------------------------------------------------------------------------


def _plain(value):
    if isinstance(value, datetime):
        return as_utc(value).isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def export_contact(address, actor, now=None):
    """Everything held about the address, table by table, as a JSON-ready document. The export
    itself is audited (who read whose data), by the address's digest."""
    now = now or utcnow()
    address = normalise_address(address)
    ids = [p.id for p in contact_pledges(address)]
    tables = {}
    for table in _searched_tables():
        columns = [c for c in table.columns if c.name not in SECRET_COLUMNS]
        found = db.session.execute(select(*columns).where(_about_contact(table, address, ids))
                                   .order_by(*table.primary_key.columns)).mappings().all()
        if found:
            tables[table.name] = [{name: _plain(value) for name, value in row.items()}
                                  for row in found]
    audit.record(actor, "contact_exported", ids[0] if len(ids) == 1 else None,
                 after={"pledge_ids": ids, "address_sha256": address_digest(address)})
    return {
        "about": "Everything the pledge intake holds about one email address: the pledges "
                 "that name it as their focal point, every record that belongs to those "
                 "pledges, and every record that mentions the address.",
        "address": address,
        "exported_at": now.isoformat(),
        "pledge_ids": ids,
        "tables": tables,
    }


# --- erasure ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Erasure:
    pledge_ids: list
    address_sha256: str | None


def _anonymise(pledge, identifiers, now):
    """The pledge stays: its contact fields empty, the contact out of its free text."""
    for name in CONTACT_FIELDS:
        setattr(pledge, name, None)
    pledge.contact_erased_at = now
    pledge.next_reminder_at = None
    text_changed = False
    texts = {column.name for column in text_columns(Pledge.__table__)} - set(CONTACT_FIELDS)
    for attribute in sa_inspect(Pledge).column_attrs:
        if attribute.columns[0].name in texts:
            value = getattr(pledge, attribute.key)
            scrubbed = identifiers.scrub(value)
            if scrubbed != value:
                setattr(pledge, attribute.key, scrubbed)
                text_changed = True
    return text_changed


def _silence_emails(address, pledge_ids, address_gone):
    """Emails to the contact keep their row and status, not their address or content; those
    not sent yet never will be."""
    to_contact = OutboxEmail.recipient == address
    if not address_gone:  # the address still names another pledge: only these pledges' rows
        to_contact = to_contact & OutboxEmail.pledge_id.in_(pledge_ids)
    db.session.execute(update(OutboxEmail).where(to_contact, OutboxEmail.status == "pending")
                       .values(status="suppressed", last_error=NOT_SENT))
    db.session.execute(update(OutboxEmail).where(to_contact)
                       .values(recipient=ERASED, context={}))


def _keep_wishes_only(address):
    """A suppression the person asked for is kept by digest; the others go."""
    for row in db.session.scalars(select(EmailSuppression).where(
            EmailSuppression.email == address)).all():
        if row.scope in WISH_SCOPES and db.session.get(
                EmailSuppression, (digest_key(address), row.scope)) is None:
            db.session.add(EmailSuppression(
                email=digest_key(address), scope=row.scope, created_at=row.created_at,
                reason="Asked not to get these emails; the address was erased since."))
        db.session.delete(row)


def _erase(pledges, address, identifiers, now, address_gone):
    """The contact out of these pledges and of every row that belongs to them."""
    ids = [p.id for p in pledges]
    text_changed = any([_anonymise(pledge, identifiers, now) for pledge in pledges])
    db.session.flush()
    db.session.execute(delete(AccessToken).where(AccessToken.pledge_id.in_(ids)))
    if address:
        _silence_emails(address, ids, address_gone)
        if address_gone:
            _keep_wishes_only(address)
    for table in tables_of_pledges():
        scrub_rows(table, table.c.pledge_id.in_(ids), identifiers)
    if text_changed:
        _purge_search_index()
    return ids


def _purge_search_index():
    """SQLite's full-text index keeps a deleted text's words until its segments merge."""
    if db.session.get_bind().dialect.name == "sqlite":
        db.session.execute(text("INSERT INTO pledge_search(pledge_search) VALUES ('optimize')"))


def erase_contact(address, actor, now=None):
    """Erase everything held about the address, in the caller's transaction. One audit entry
    records it: the pledges concerned and the address's digest, never the data."""
    now = now or utcnow()
    address = normalise_address(address)
    pledges = contact_pledges(address)
    identifiers = identifiers_of(address, pledges)
    ids = _erase(pledges, address, identifiers, now, address_gone=True)
    # Anywhere else the address is written (an audit entry, another pledge's text...).
    for table in _searched_tables():
        if table.name == EmailSuppression.__tablename__:
            continue  # by digest, above
        extra = {"version": table.c.version + 1} if table.name == Pledge.__tablename__ else {}
        scrub_rows(table, mentions(table, address), identifiers, extra)
    db.session.expire_all()
    audit.record(actor, "contact_erased", ids[0] if len(ids) == 1 else None,
                 after={"pledge_ids": ids, "address_sha256": address_digest(address),
                        "reason": "request"})
    return Erasure(ids, address_digest(address))


def erase_pledge_contact(pledge, actor, reason, now=None):
    """Erase the contact data of one pledge (a forgotten draft): the same person's other
    pledges keep theirs, and so does the address while one of them names it."""
    now = now or utcnow()
    address = normalise_address(pledge.focal_email) or None
    identifiers = Identifiers.of(addresses=[address] if address else [],
                                 names=[pledge.focal_name] if pledge.focal_name else [],
                                 phones=[pledge.focal_phone] if pledge.focal_phone else [])
    address_gone = address is not None and db.session.scalar(select(Pledge.id).where(
        Pledge.focal_email == address, Pledge.id != pledge.id).limit(1)) is None
    _erase([pledge], address, identifiers, now, address_gone)
    audit.record(actor, "contact_erased", pledge.id,
                 after={"pledge_ids": [pledge.id],
                        "address_sha256": address_digest(address) if address else None,
                        "reason": reason})
    return Erasure([pledge.id], address_digest(address) if address else None)
