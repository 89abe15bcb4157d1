"""The old archive, imported: an mbox file or a zip (or folder) of .eml files, each message
through ingest.receive and placed on a pledge or left in the tray; and the spreadsheet kept
beside it (archive_csv.py). No HTTP here; the job commits as it goes, so a long import shows its
progress and a failed one keeps what it did (importing again skips what is stored).
An import sends no email: nothing here writes to the outbox."""
import hashlib
import io
import mailbox
import zipfile
from pathlib import Path

from flask_babel import lazy_gettext as _l
from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from ..models import ArchiveImport, InboundMessage, Pledge, PledgeContact
from . import ingest

COMMIT_EVERY = 200  # messages between commits: the progress a coordinator sees
STATES = {
    "mapping": _l("Waiting for its columns"),
    "queued": _l("Waiting to start"),
    "running": _l("Importing"),
    "done": _l("Done"),
    "failed": _l("Stopped"),
}


def state_label(state):
    return STATES.get(state, state)


class ArchiveProblem(ValueError):
    """A file that cannot be imported; its message says why, in plain words (a msgid)."""


def digest(data):
    return hashlib.sha256(data).hexdigest()


def kind_of(filename, data):
    """mbox, eml (a zip of .eml files) or csv, from the file itself; ArchiveProblem if none."""
    name = (filename or "").lower()
    if data[:4] == b"PK\x03\x04":
        return "eml"
    if name.endswith(".csv"):
        return "csv"
    if data.startswith(b"From "):
        return "mbox"
    raise ArchiveProblem(_l("This file is not an mbox file, a zip of .eml files or a CSV file."))


def earlier_import(sha256):
    return db.session.scalars(select(ArchiveImport).where(ArchiveImport.sha256 == sha256)
                              .order_by(ArchiveImport.id)).first()


def start(filename, data, folder, coordinator_id=None, check=None):
    """Keep an uploaded file under `folder` and record its import: returns (the import, new).
    The same file again gives the first import back, and stores nothing. The caller commits,
    then enqueues the job (a CSV waits for its column mapping first)."""
    sha256 = digest(data)
    first = earlier_import(sha256)
    if first is not None:
        return first, False
    kind = kind_of(filename, data)
    if kind == "eml":
        _check_zip(data)
    if check is not None:  # archive_csv.check: a CSV is read once, on upload
        check(kind, data)
    archive = ArchiveImport(kind=kind, filename=Path(filename or "upload").name[:255],
                            sha256=sha256, state="mapping" if kind == "csv" else "queued",
                            created_by_id=coordinator_id, mapping={})
    db.session.add(archive)
    db.session.flush()
    path = stored_path(folder, archive)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return archive, True


def stored_path(folder, archive):
    """Where the uploaded file is kept: a name of our own, never the one uploaded."""
    return Path(folder) / "archive_imports" / f"{archive.id}-{archive.sha256[:16]}.{archive.kind}"


def _check_zip(data):
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            if not any(name.lower().endswith(".eml") for name in archive.namelist()):
                raise ArchiveProblem(_l("This zip file holds no .eml file."))
    except zipfile.BadZipFile as error:
        raise ArchiveProblem(_l("This zip file is damaged: it cannot be opened.")) from error


def raw_messages(path, kind):
    """Each message's bytes, one at a time (memory stays flat): from an mbox file, a zip of
    .eml files, or a folder of them."""
    path = Path(path)
    if path.is_dir():
        for child in sorted(path.rglob("*.eml")):
            yield child.read_bytes()
    elif kind == "eml":
        with zipfile.ZipFile(path) as archive:
            for name in sorted(archive.namelist()):
                if name.lower().endswith(".eml") and not name.startswith("__MACOSX/"):
                    yield archive.read(name)
    else:
        box = mailbox.mbox(path, create=False)
        try:
            for key in box.iterkeys():
                yield box.get_bytes(key)
        finally:
            box.close()


def count_messages(path, kind):
    path = Path(path)
    if path.is_dir():
        return sum(1 for _ in path.rglob("*.eml"))
    if kind == "eml":
        with zipfile.ZipFile(path) as archive:
            return sum(1 for name in archive.namelist()
                       if name.lower().endswith(".eml") and not name.startswith("__MACOSX/"))
    box = mailbox.mbox(path, create=False)
    try:
        return len(box.keys())
    finally:
        box.close()


def run(archive_id, folder, commit_every=COMMIT_EVERY):
    """The job: every message of the import through receive, each new one placed; progress
    committed every `commit_every` messages. Returns the import's state."""
    archive = db.session.get(ArchiveImport, archive_id)
    if archive is None or archive.state in ("done", "mapping"):
        return "skipped"
    path = stored_path(folder, archive)
    archive.state, archive.done, archive.error = "running", 0, None
    try:
        archive.total = count_messages(path, archive.kind)
        db.session.commit()
        contacts = Contacts()
        for raw in raw_messages(path, archive.kind):
            message, new = ingest.receive(raw, via="import", archive_import_id=archive.id)
            if new:
                archive.created += 1
                place(message, contacts)
            archive.done += 1
            if archive.done % commit_every == 0:
                archive = _committed(archive)
        keep_threads_together(archive.id, contacts)
    except Exception as error:  # a damaged file: what was read stays; importing again resumes
        db.session.rollback()
        archive = db.session.get(ArchiveImport, archive_id)
        archive.state, archive.error = "failed", str(error)[:500] or type(error).__name__
        archive.finished_at = utcnow()
        db.session.commit()
        return "failed"
    archive.state, archive.finished_at = "done", utcnow()
    db.session.commit()
    return "done"


def _committed(archive):
    """Commit the progress, then let go of the messages read so far (the session would keep
    them all, and each flush would look at more of them): the import, reloaded, goes on."""
    archive_id = archive.id
    db.session.commit()
    db.session.expunge_all()
    return db.session.get(ArchiveImport, archive_id)


class Contacts:
    """Who each pledge's contacts are, read once for an import's run: {address: pledge id} of
    focal emails (the first pledge wins) and the other contacts' (pledge id, address) pairs."""

    def __init__(self):
        self.focal = {}
        for pledge_id, email in db.session.execute(
                select(Pledge.id, Pledge.focal_email).where(Pledge.focal_email.is_not(None))
                .order_by(Pledge.id)):
            self.focal.setdefault(email.lower(), pledge_id)
        self.others = {(pledge_id, email.lower()) for pledge_id, email in db.session.execute(
            select(PledgeContact.pledge_id, PledgeContact.email))}

    def pledge_of(self, addresses):
        found = [self.focal[a] for a in addresses if a in self.focal]
        return min(found) if found else None

    def knows(self, pledge, address):
        return bool(address) and (
            (pledge.focal_email or "").lower() == address or (pledge.id, address) in self.others)


def place(message, contacts=None):
    """receive() has matched what it could (the reply address, the thread, a reference from
    the pledge's own people); an imported message may also join the pledge whose contact is
    among its sender and recipients, as the old inbox's mail was not sent by the app. Else it
    stays in the tray."""
    if message.pledge_id is not None:
        return db.session.get(Pledge, message.pledge_id)
    contacts = contacts or Contacts()
    with db.session.no_autoflush:  # receive flushed the message: nothing else to write yet
        pledge = _by_contact(message, contacts)
    if pledge is not None:
        _join(message, pledge, "import", contacts)
    return pledge


def _join(message, pledge, matched_by, contacts):
    message.pledge_id, message.matched_by, message.tray_state = pledge.id, matched_by, None
    message.from_someone_new = not contacts.knows(pledge, message.from_address)


def _thread_ids(message):
    return [found for found in [message.in_reply_to, *(message.references or [])] if found]


def _by_thread(message):
    ids = _thread_ids(message)
    if not ids:
        return None, None
    parent = db.session.scalars(select(InboundMessage).where(
        InboundMessage.message_id.in_(ids), InboundMessage.pledge_id.is_not(None))).first()
    if parent is None:
        return None, None
    return db.session.get(Pledge, parent.pledge_id), "thread"


def _by_contact(message, contacts):
    pledge_id = contacts.pledge_of([message.from_address, *(message.to_addresses or []),
                                    *(message.cc_addresses or [])])
    return db.session.get(Pledge, pledge_id) if pledge_id else None


def keep_threads_together(archive_id, contacts):
    """A reply read before the message it answers (an archive out of date order) joins that
    message's pledge once the import has placed it."""
    moved = True
    while moved:
        moved = False
        waiting = db.session.scalars(select(InboundMessage).where(
            InboundMessage.archive_import_id == archive_id,
            InboundMessage.pledge_id.is_(None),
            InboundMessage.tray_state == "unmatched")).all()
        for message in waiting:
            pledge, _how = _by_thread(message)
            if pledge is not None:
                _join(message, pledge, "thread", contacts)
                moved = True
        db.session.flush()


def progress(archive):
    """(done, total, percent) for the import's page."""
    total = archive.total or 0
    percent = int(100 * archive.done / total) if total else (100 if archive.state == "done" else 0)
    return archive.done, total, percent
