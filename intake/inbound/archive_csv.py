"""The spreadsheet kept beside the old inbox, imported: a preview of its first rows, a column
mapping chosen by a coordinator, then a job that makes a draft pledge of each row not already
here. Imported pledges are drafts (review_state "draft", the state of a pledge nobody sent)
with no reminder planned (next_reminder_at None: the sweep reads only due rows), so an import
emails nobody; a coordinator decides what becomes of each."""
import csv
import io
from datetime import datetime, timezone
from pathlib import Path

from sqlalchemy import func, select

from ..clock import utcnow
from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import ArchiveImport, Pledge
from .archive import COMMIT_EVERY, ArchiveProblem, stored_path

# The pledge fields a column may fill, in the order offered.
FIELDS = {
    "city": _l("City"),
    "country_code": _l("Country (two-letter code)"),
    "focal_name": _l("Contact's name"),
    "focal_email": _l("Contact's email"),
    "title": _l("Pledge title"),
    "summary": _l("Summary"),
    "reference": _l("Reference"),
    "sent_at": _l("Date sent"),
}
GUESSES = {
    "city": ("city", "ville", "ciudad", "municipality"),
    "country_code": ("country", "pays", "país", "pais", "country code"),
    "focal_name": ("focal name", "contact", "contact name", "name", "focal point"),
    "focal_email": ("email", "e-mail", "focal email", "contact email", "mail"),
    "title": ("title", "pledge", "pledge title", "titre", "título"),
    "summary": ("summary", "description", "résumé", "resumen"),
    "reference": ("reference", "ref", "référence", "referencia"),
    "sent_at": ("date", "date sent", "sent", "submitted", "fecha"),
}
PREVIEW_ROWS = 5
LIMITS = {"city": 120, "focal_name": 120, "focal_email": 254, "title": 200, "reference": 20}


def read_rows(data):
    """The file's rows (header first), or ArchiveProblem when it is not a readable CSV."""
    for encoding in ("utf-8-sig", "latin-1"):  # Latin-1 reads any bytes
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
    except csv.Error:
        dialect = csv.excel
    try:
        rows = [row for row in csv.reader(io.StringIO(text), dialect)
                if any(cell.strip() for cell in row)]
    except csv.Error as error:
        raise ArchiveProblem(_l("This CSV file cannot be read: check that it is a plain CSV "
                             "export of the spreadsheet.")) from error
    if len(rows) < 2 or len(rows[0]) < 2:
        raise ArchiveProblem(_l("This CSV file has no header row and data rows to import."))
    return rows


def check(kind, data):
    """For archive.start: a CSV is read once on upload, so a bad one is refused at once."""
    if kind == "csv":
        read_rows(data)


def preview(folder, archive):
    """The header, the first rows, and a guess at each column's field."""
    rows = read_rows(Path(stored_path(folder, archive)).read_bytes())
    header = rows[0]
    return header, rows[1:1 + PREVIEW_ROWS], len(rows) - 1, guess(header)


def guess(header):
    mapping, taken = {}, set()
    for index, name in enumerate(header):
        clean = " ".join(name.strip().lower().replace("_", " ").split())
        for field, names in GUESSES.items():
            if field not in taken and clean in names:
                mapping[str(index)] = field
                taken.add(field)
                break
    return mapping


def fields_chosen_twice(mapping):
    """{field: its columns} of each field a mapping (column index -> field) gives to more than
    one column: the import would not know which column to read it from."""
    columns = {}
    for column, field in mapping.items():
        if field in FIELDS:
            columns.setdefault(field, []).append(column)
    return {field: found for field, found in columns.items() if len(found) > 1}


def choose_mapping(archive, mapping):
    """Keep the coordinator's mapping (column index -> field) and queue the import. The caller
    commits, then enqueues."""
    archive.mapping = {column: field for column, field in mapping.items() if field in FIELDS}
    archive.state = "queued"


def run(archive_id, folder, commit_every=COMMIT_EVERY):
    """The job: each row either matches a pledge already here (counted, nothing changed) or
    becomes a draft pledge. Returns the import's state."""
    archive = db.session.get(ArchiveImport, archive_id)
    if archive is None or archive.state != "queued":
        return "skipped"
    try:
        rows = read_rows(stored_path(folder, archive).read_bytes())[1:]
    except (ArchiveProblem, OSError) as error:
        archive.state, archive.error, archive.finished_at = "failed", str(error), utcnow()
        db.session.commit()
        return "failed"
    archive.state, archive.total, archive.done = "running", len(rows), 0
    db.session.commit()
    for row in rows:
        values = row_values(row, archive.mapping)
        if values and already_here(values) is None:
            db.session.add(draft_pledge(values))
            db.session.flush()
            archive.created += 1
        archive.done += 1
        if archive.done % commit_every == 0:
            db.session.commit()
    archive.state, archive.finished_at = "done", utcnow()
    db.session.commit()
    return "done"


def row_values(row, mapping):
    values = {}
    for column, field in mapping.items():
        index = int(column)
        value = row[index].strip() if index < len(row) else ""
        if value:
            values[field] = value[:LIMITS[field]] if field in LIMITS else value
    if "focal_email" in values:
        values["focal_email"] = values["focal_email"].lower()
    if "country_code" in values:
        code = values["country_code"].upper()
        values["country_code"] = code if len(code) == 2 and code.isalpha() else None
    return values


def already_here(values):
    """The pledge a row describes, if the app has it: by reference, else by contact email and
    city, else (a row with neither) by city and title. Cities compare in Python (casefold):
    SQLite's lower() knows only ASCII, and "İstanbul" or "SÃO PAULO" must still match."""
    if values.get("reference"):
        found = db.session.scalars(
            select(Pledge).where(Pledge.reference == values["reference"])).first()
        if found is not None:
            return found
    city = _same(values.get("city"))
    if not city:
        return None
    if values.get("focal_email"):
        candidates = db.session.scalars(select(Pledge).where(
            func.lower(Pledge.focal_email) == values["focal_email"])).all()
        return next((p for p in candidates if _same(p.city) == city), None)
    if values.get("title"):
        candidates = db.session.scalars(select(Pledge).where(
            Pledge.title == values["title"])).all()
        return next((p for p in candidates if _same(p.city) == city), None)
    return None


def _same(text):
    return " ".join((text or "").casefold().split())


def draft_pledge(values):
    sent_at = parse_date(values.get("sent_at"))
    pledge = Pledge(review_state="draft", next_reminder_at=None,
                    **{field: values.get(field) for field in FIELDS if field != "sent_at"})
    if sent_at is not None:
        pledge.created_at = pledge.last_activity_at = sent_at
    return pledge


def parse_date(value):
    if not value:
        return None
    for pattern in ("%Y-%m-%d", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S", "%d/%m/%Y", "%d.%m.%Y"):
        try:
            return datetime.strptime(value, pattern).replace(tzinfo=timezone.utc)
        except ValueError:
            continue
    return None
