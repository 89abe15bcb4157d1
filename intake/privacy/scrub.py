"""Finding one person in what the database stores, and taking them out of it: their email
address, their full name and their phone number, in any case (the phone however it is
punctuated), in any text or JSON value. Tables are read from the SQLAlchemy metadata, so a
table added later is searched and scrubbed too."""
import hashlib
import re
from dataclasses import dataclass

from sqlalchemy import JSON, String, Text, UniqueConstraint, cast, func, or_, select, update

from ..extensions import db

ERASED = "[erased]"
MIN_NAME_LENGTH = 3  # a shorter "name" would erase pieces of ordinary words
MIN_PHONE_DIGITS = 6
PHONE_SEPARATORS = r"[\s\-.()/]*"


def _address_pattern(address):
    # Not a piece of a longer address: "ana@city.example" is not in "diana@city.example.org".
    return r"(?<![\w.+-])" + re.escape(address) + r"(?![\w-]|\.\w)"


def _name_pattern(name):
    words = name.split()
    return r"(?<!\w)" + r"\s+".join(re.escape(word) for word in words) + r"(?!\w)"


def _phone_pattern(phone):
    digits = re.sub(r"\D", "", phone)
    if len(digits) < MIN_PHONE_DIGITS:
        return None
    return r"(?<!\d)(?:\+\s*)?" + PHONE_SEPARATORS.join(digits) + r"(?!\d)"


@dataclass(frozen=True)
class Identifiers:
    """What identifies one person in free text, as one pattern."""

    pattern: re.Pattern | None

    @classmethod
    def of(cls, addresses=(), names=(), phones=()):
        parts = [_address_pattern(a) for a in sorted(set(addresses), key=len, reverse=True) if a]
        parts += [p for p in (_phone_pattern(phone) for phone in set(phones) if phone) if p]
        parts += [_name_pattern(name) for name in sorted(set(names), key=len, reverse=True)
                  if name and len(name.strip()) >= MIN_NAME_LENGTH]
        return cls(re.compile("|".join(parts), re.IGNORECASE) if parts else None)

    def scrub(self, value):
        """The value with every identifier replaced by the marker; JSON walked through."""
        if self.pattern is None:
            return value
        if isinstance(value, str):
            return self.pattern.sub(ERASED, value)
        if isinstance(value, dict):
            return {key: self.scrub(item) for key, item in value.items()}
        if isinstance(value, list):
            return [self.scrub(item) for item in value]
        return value


def unique_marker(value):
    """For a column that must stay unique (an idempotency key naming the address): the marker
    and a digest of what it replaces, so that two erased values never collide."""
    return f"{ERASED}-{hashlib.sha256(str(value).encode('utf-8')).hexdigest()[:16]}"


# --- tables ----------------------------------------------------------------------------------


def all_tables():
    return db.metadata.sorted_tables


def tables_of_pledges():
    """Every table whose rows belong to a pledge (it has a pledge_id column)."""
    return [table for table in all_tables() if "pledge_id" in table.c]


def text_columns(table):
    return [column for column in table.columns
            if isinstance(column.type, (String, Text, JSON)) and not column.primary_key]


def unique_column_names(table):
    names = {column.name for column in table.columns if column.unique}
    for constraint in table.constraints:
        if isinstance(constraint, UniqueConstraint):
            names.update(column.name for column in constraint.columns)
    for index in table.indexes:
        if index.unique:
            names.update(column.name for column in index.columns if hasattr(column, "name"))
    return names


def like_pattern(text):
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped.lower()}%"


def mentions(table, address):
    """A condition: one of the row's text or JSON values holds the address (any case)."""
    pattern = like_pattern(address)
    columns = text_columns(table)
    if not columns:
        return None
    return or_(*(func.lower(cast(column, Text)).like(pattern, escape="\\")
                 for column in columns))


def scrub_rows(table, where, identifiers, extra_values=None):
    """Scrub the identifiers out of the text and JSON of the rows matching `where`, in the
    caller's transaction. Returns how many rows changed."""
    columns = text_columns(table)
    if not columns or where is None:
        return 0
    keys = list(table.primary_key.columns)
    unique = unique_column_names(table)
    changed = 0
    for row in db.session.execute(select(*keys, *columns).where(where)).mappings().all():
        values = {}
        for column in columns:
            value = row[column.name]
            scrubbed = identifiers.scrub(value)
            if scrubbed != value:
                values[column.name] = unique_marker(value) if column.name in unique else scrubbed
        if values:
            db.session.execute(
                update(table).where(*(key == row[key.name] for key in keys))
                .values(**values, **(extra_values or {})))
            changed += 1
    return changed
