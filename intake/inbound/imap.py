"""Reading an IMAP folder (IMAP_URL): every message not read yet, by UID, fetched FETCH_BATCH
at a time, handed to ingest.receive_batch and committed with the folder's MailboxState, which
remembers the last UID stored (read again from 1 when the folder's UIDVALIDITY changes); a
crash reads at most one batch again, whose messages are stored once anyway (by Message-ID).
Messages are marked \\Seen once committed, never deleted.

An IMAP server that is down, or refuses the password, is logged and remembered for /healthz
(`inbound_state`), never raised."""
import imaplib
import json
import re
import threading
from dataclasses import dataclass
from urllib.parse import unquote, urlsplit

from flask import current_app
from sqlalchemy import select

from ..clock import as_utc, utcnow
from ..email.smtp import tls_context
from ..extensions import db, get_redis
from ..models import MailboxState
from .ingest import receive_batch

FAILURE_KEY = "intake:inbound:imap-failure"
TIMEOUT_SECONDS = 30
# Messages fetched per round trip, kept in memory at once, and committed together with the
# folder's last UID: a crash reads at most this many again (and stores each once).
FETCH_BATCH = 100
IDLE_SECONDS = 25 * 60  # below the 29 minutes after which a server may end an idle client


@dataclass(frozen=True)
class ImapSettings:
    host: str
    port: int
    tls: bool
    user: str
    password: str
    folder: str

    @property
    def mailbox(self):
        """MailboxState's key: user@host/folder."""
        return f"{self.user}@{self.host}/{self.folder}"


def settings_from_url(url):
    """imap://user:password@host:port/FOLDER (imaps:// for TLS; INBOX when no folder)."""
    parts = urlsplit(url)
    if parts.scheme not in {"imap", "imaps"} or not parts.hostname:
        raise ValueError("IMAP_URL must look like imap://user:password@host:port/FOLDER")
    tls = parts.scheme == "imaps"
    return ImapSettings(host=parts.hostname, port=parts.port or (993 if tls else 143), tls=tls,
                        user=unquote(parts.username or ""), password=unquote(parts.password or ""),
                        folder=unquote(parts.path.lstrip("/")) or "INBOX")


@dataclass
class PollResult:
    read: int = 0  # messages fetched
    new: int = 0  # of which were not stored before
    error: str | None = None  # why the folder could not be read


def connect(settings):
    if settings.tls:  # the certificate checked as for SMTP (imaplib's default checks nothing)
        client = imaplib.IMAP4_SSL(settings.host, settings.port, timeout=TIMEOUT_SECONDS,
                                   ssl_context=tls_context(current_app.config))
    else:
        client = imaplib.IMAP4(settings.host, settings.port, timeout=TIMEOUT_SECONDS)
    try:
        client.login(settings.user, settings.password)
    except BaseException:
        client.shutdown()
        raise
    return client


def poll(url=None):
    """Store every message of the folder not read yet; returns a PollResult. Needs an app
    context; commits after each batch of FETCH_BATCH messages."""
    url = url or current_app.config["IMAP_URL"]
    try:
        settings = settings_from_url(url)
        client = connect(settings)
    except (imaplib.IMAP4.error, OSError, ValueError) as error:
        return _failed(error)
    result = PollResult()
    try:
        _read_new(client, settings, result)
    except (imaplib.IMAP4.error, OSError) as error:
        db.session.rollback()
        return _failed(error, result)
    finally:
        _logout(client)
    _remember(None)
    return result


def _read_new(client, settings, result):
    status, _ = client.select(_quoted(settings.folder))
    if status != "OK":
        raise imaplib.IMAP4.error(f"cannot open the folder {settings.folder}")
    uidvalidity = int(client.response("UIDVALIDITY")[1][0])
    state = _state(settings.mailbox)
    if state.uidvalidity != uidvalidity:  # a new folder by that name: its UIDs start again
        state.uidvalidity, state.last_uid = uidvalidity, 0
    state.polled_at = utcnow()
    db.session.commit()
    _, data = client.uid("SEARCH", None, f"UID {state.last_uid + 1}:*")
    # "n:*" always names the newest message, even when its UID is below n.
    uids = sorted(uid for uid in map(int, (data[0] or b"").split()) if uid > state.last_uid)
    for start in range(0, len(uids), FETCH_BATCH):
        batch = uids[start:start + FETCH_BATCH]
        fetched = _fetch(client, batch)
        # The last UID first: its UPDATE opens the transaction that stores the batch, so both
        # are committed together or not at all (on SQLite, a SAVEPOINT outside a transaction
        # would commit the messages on its own when released).
        state.last_uid = batch[-1]
        db.session.flush()
        read, unreadable = [uid for uid in batch if uid in fetched], []
        results = receive_batch([fetched[uid] for uid in read], via="imap",
                                unreadable=unreadable)
        db.session.commit()
        for position, why in unreadable:  # left in the folder, for a person to read
            current_app.logger.warning("Inbound email: the message of UID %s could not be "
                                       "read and was not stored: %s", read[position], why)
        result.read += len(results)
        result.new += sum(new for _message, new in results)
        del fetched, results  # one batch in memory at a time, not two
        client.uid("STORE", ",".join(map(str, batch)), "+FLAGS.SILENT", r"(\Seen)")


def _fetch(client, uids):
    """{uid: raw message} of these UIDs, in one round trip."""
    _, data = client.uid("FETCH", ",".join(map(str, uids)), "(UID BODY.PEEK[])")
    found = {}
    for item in data:
        if isinstance(item, tuple):
            match = re.search(rb"UID (\d+)", item[0])
            if match:
                found[int(match.group(1))] = item[1]
    return found


def _state(mailbox):
    state = db.session.scalars(
        select(MailboxState).where(MailboxState.mailbox == mailbox)).first()
    if state is None:
        state = MailboxState(mailbox=mailbox, last_uid=0)
        db.session.add(state)
    return state


def watch(url=None, stop=None):
    """Poll, then wait for news with IDLE when the server offers it (else sleep
    INBOUND_POLL_SECONDS), and poll again; until `stop` (a threading.Event) is set. The folder
    IDLE waits on is opened before the poll: a message that arrives while the poll runs is
    news when IDLE begins, where it waited for the next one, or for IDLE_SECONDS."""
    url = url or current_app.config["IMAP_URL"]
    every = current_app.config["INBOUND_POLL_SECONDS"]
    stop = stop or threading.Event()
    while not stop.is_set():
        watching = _open_for_idle(url)
        try:
            result = poll(url)
            db.session.remove()
            if result.error is not None or watching is None or not _idle(watching):
                stop.wait(every)
        finally:
            if watching is not None:
                _logout(watching)


def _open_for_idle(url):
    """A connection with the folder selected, to wait on in IDLE; None when the server does
    not offer IDLE (or cannot be reached)."""
    settings = settings_from_url(url)
    try:
        client = connect(settings)
    except (imaplib.IMAP4.error, OSError):
        return None
    try:
        if "IDLE" in client.capabilities:
            client.select(_quoted(settings.folder), readonly=True)
            return client
    except (imaplib.IMAP4.error, OSError):
        pass
    _logout(client)
    return None


def _idle(client):
    """Wait in IDLE until the folder changes (since it was selected) or IDLE_SECONDS pass;
    False when IDLE fails."""
    try:
        tag = client._new_tag()
        client.send(tag + b" IDLE\r\n")
        if not client.readline().startswith(b"+"):
            return False
        client.sock.settimeout(IDLE_SECONDS)
        try:
            while not re.search(rb"\d+ (EXISTS|RECENT)", client.readline()):
                pass
        except TimeoutError:
            pass
        client.sock.settimeout(TIMEOUT_SECONDS)
        client.send(b"DONE\r\n")
        while not client.readline().startswith(tag):
            pass
        return True
    except (imaplib.IMAP4.error, OSError):
        return False


def inbound_state():
    """For /healthz: "ok" when the last poll read the folder, "degraded" when it failed (what
    failed is in the worker's log), "unknown" before any poll or when Redis cannot say."""
    try:
        failure = get_redis().get(FAILURE_KEY)
    except Exception:
        return "unknown"
    if failure is None:
        return "ok"
    return "degraded"


def _failed(error, result=None):
    result = result or PollResult()
    result.error = _describe(error)
    current_app.logger.warning("Inbound email: the IMAP folder could not be read: %s",
                               result.error)
    _remember(result.error)
    return result


def _describe(error):
    if isinstance(error, imaplib.IMAP4.error):
        text = error.args[0] if error.args else str(error)
        if isinstance(text, bytes):
            text = text.decode(errors="replace")
        return f"the IMAP server refused: {text}"
    if isinstance(error, ValueError):
        return str(error)
    return f"the IMAP server cannot be reached: {error}"


def _remember(error):
    try:
        if error is None:
            get_redis().delete(FAILURE_KEY)
        else:
            get_redis().set(FAILURE_KEY, json.dumps(
                {"error": error, "at": as_utc(utcnow()).isoformat()}))
    except Exception as failure:  # Redis away: /healthz says so on its own
        current_app.logger.warning("Inbound email: state not recorded: %s", failure)


def _quoted(folder):
    return '"' + folder.replace("\\", "\\\\").replace('"', '\\"') + '"'


def _logout(client):
    try:
        client.logout()
    except (imaplib.IMAP4.error, OSError):
        pass
