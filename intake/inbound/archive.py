"""The old archive, imported: an mbox file or a zip (or folder) of .eml files, read one message
at a time, each through ingest.receive_batch (which places it on a pledge, by its contact's
address too, or leaves it in the tray); and the spreadsheet kept beside it (archive_csv.py).
No HTTP here; the job commits a batch at a time, so a long import shows its progress and a
failed one keeps what it did (importing again skips what is stored).
An import sends no email: nothing here writes to the outbox."""
import hashlib
import io
import zipfile
from pathlib import Path

from sqlalchemy import select

from ..clock import utcnow
from ..extensions import db
from ..extensions import lazy_gettext as _l
from ..models import ArchiveImport, InboundMessage
from . import ingest, matching

COMMIT_EVERY = 250  # messages read, matched and committed together: the progress shown
THREAD_PAGE = 500  # tray messages read at once when threads are put back together
NOTES_KEPT = 20  # unreadable messages noted by their place in the file (all are counted)
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
            for name in _eml_names(archive):
                yield archive.read(name)
    else:
        yield from mbox_messages(path)


def mbox_messages(path):
    """Each message of an mbox file, read line by line (the file is never read whole), as the
    standard library's mailbox.mbox splits it: a line starting with "From " begins the next
    message, and the blank line before it belongs to neither."""
    lines = None
    with open(path, "rb") as file:
        for line in file:
            if line.startswith(b"From "):
                if lines is not None:
                    yield _joined(lines)
                lines = []
            elif lines is not None:
                lines.append(line)
    if lines is not None:
        yield _joined(lines)


def _joined(lines):
    if lines and lines[-1] == b"\n":
        lines.pop()
    return b"".join(lines)


def _eml_names(archive):
    return [name for name in sorted(archive.namelist())
            if name.lower().endswith(".eml") and not name.startswith("__MACOSX/")]


def count_messages(path, kind):
    path = Path(path)
    if path.is_dir():
        return sum(1 for _ in path.rglob("*.eml"))
    if kind == "eml":
        with zipfile.ZipFile(path) as archive:
            return len(_eml_names(archive))
    with open(path, "rb") as file:
        return sum(1 for line in file if line.startswith(b"From "))


def batches(items, size):
    """Lists of `size` items (the last one shorter), read from `items` as they come."""
    batch = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def run(archive_id, folder, commit_every=COMMIT_EVERY):
    """The job: the import's messages through receive_batch, `commit_every` at a time, each
    batch committed with the import's progress (a coordinator sees it move; a crash keeps
    what was committed, and importing again skips what is stored). Then the replies read
    before the message they answer join its pledge. Returns the import's state."""
    archive = db.session.get(ArchiveImport, archive_id)
    if archive is None or archive.state in ("done", "mapping"):
        return "skipped"
    path = stored_path(folder, archive)
    archive.state, archive.done, archive.error = "running", 0, None
    archive.left_out, archive.notes = 0, []
    try:
        archive.total = count_messages(path, archive.kind)
        db.session.commit()
        for batch in batches(raw_messages(path, archive.kind), commit_every):
            archive.done += len(batch)  # first, as imap.py does: one transaction for both
            db.session.flush()
            unreadable = []
            received = ingest.receive_batch(batch, via="import", archive_import_id=archive.id,
                                            unreadable=unreadable)
            archive.created += sum(new for _message, new in received)
            note_unreadable(archive, archive.done - len(batch), unreadable)
            del received
            archive = _committed(archive)
        keep_threads_together(archive_id)
    except Exception as error:  # a damaged file: what was read stays; importing again resumes
        db.session.rollback()
        archive = db.session.get(ArchiveImport, archive_id)
        archive.state, archive.error = "failed", str(error)[:500] or type(error).__name__
        archive.finished_at = utcnow()
        db.session.commit()
        return "failed"
    archive = db.session.get(ArchiveImport, archive_id)
    archive.state, archive.finished_at = "done", utcnow()
    db.session.commit()
    return "done"


def note_unreadable(archive, before, unreadable):
    """A message that cannot be read does not stop the import: it is counted as left out, and
    the first NOTES_KEPT of them noted (their place in the file, from 1, and why)."""
    if not unreadable:
        return
    archive.left_out += len(unreadable)
    notes = [{"position": before + position + 1, "reason": why} for position, why in unreadable]
    archive.notes = [*(archive.notes or []), *notes][:NOTES_KEPT]


def _committed(archive):
    """Commit the progress, then let go of the messages read so far (the session would keep
    them all, and each flush would look at more of them): the import, reloaded, goes on."""
    archive_id = archive.id
    db.session.commit()
    db.session.expunge_all()
    return db.session.get(ArchiveImport, archive_id)


def keep_threads_together(archive_id, page_size=THREAD_PAGE):
    """A reply read before the message it answers (an archive out of date order) joins that
    message's pledge once the import has placed it. The tray's messages of the import are
    read a page at a time, by id (memory stays flat), each page committed; again while a pass
    moved one (a reply to a reply that just moved)."""
    moved = True
    while moved:
        moved = False
        after = 0
        while True:
            waiting = db.session.scalars(select(InboundMessage).where(
                InboundMessage.archive_import_id == archive_id,
                InboundMessage.pledge_id.is_(None), InboundMessage.tray_state == "unmatched",
                InboundMessage.id > after).order_by(InboundMessage.id).limit(page_size)).all()
            if not waiting:
                break
            after = waiting[-1].id
            threads = {message.id: matching.thread_of(message) for message in waiting}
            known = matching.Known(thread_ids={found for thread in threads.values()
                                               for found in thread})
            for message in waiting:
                pledge = known.by_thread(threads[message.id])
                if pledge is not None:
                    ingest.land(message, pledge, "thread", known)
                    moved = True
            db.session.commit()
            db.session.expunge_all()


def progress(archive):
    """(done, total, percent) for the import's page."""
    total = archive.total or 0
    percent = int(100 * archive.done / total) if total else (100 if archive.state == "done" else 0)
    return archive.done, total, percent
