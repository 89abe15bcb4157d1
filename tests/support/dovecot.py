"""A real IMAP server for the inbound email tests: Debian's Dovecot (scripts/ensure-dovecot
installs it), started once per test session on a free loopback port, in a temporary folder of
its own, and stopped after. `imap_mailbox` empties its INBOX for each test that asks for it and
APPENDs raw messages to it as a mail server's delivery would."""
import imaplib
import os
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

DOVECOT = "/usr/sbin/dovecot"
USER = "pledges@mayorsmechanism.example"
PASSWORD = "inbox-secret"

CONFIG = """\
base_dir = {folder}/run
state_dir = {folder}/state
log_path = {folder}/dovecot.log
listen = 127.0.0.1, ::1
protocols = imap
ssl = no
disable_plaintext_auth = no
auth_mechanisms = plain login
auth_failure_delay = 0
default_login_user = dovenull
default_internal_user = dovecot
default_internal_group = dovecot
first_valid_uid = 100
mail_fsync = never
mail_location = maildir:{folder}/mail/%u
passdb {{
  driver = passwd-file
  args = scheme=PLAIN username_format=%u {folder}/users
}}
userdb {{
  driver = static
  args = uid=dovecot gid=dovecot home={folder}/mail/%u
}}
service imap-login {{
  chroot =
  inet_listener imap {{
    address = 127.0.0.1, ::1
    port = {port}
  }}
  inet_listener imaps {{
    port = 0
  }}
}}
service anvil {{
  chroot =
}}
"""


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class Dovecot:
    """One private Dovecot: `url(folder)` is what IMAP_URL says to read it."""

    def __init__(self, user=USER, password=PASSWORD):
        self.user, self.password = user, password
        self.port = free_port()
        self.folder = Path(tempfile.mkdtemp(prefix="dovecot-"))

    def url(self, folder="INBOX", password=None):
        """A wrong `password` is tried over IPv6 loopback: Dovecot slows every login from an
        address that failed one (by seconds), and the other tests log in from 127.0.0.1."""
        host = "[::1]" if password else "127.0.0.1"
        return (f"imap://{self.user.replace('@', '%40')}:{password or self.password}"
                f"@{host}:{self.port}/{folder}")

    def __enter__(self):
        self.folder.chmod(0o755)  # Dovecot's own users walk through it
        (self.folder / "mail").mkdir()
        shutil.chown(self.folder / "mail", "dovecot", "dovecot")
        (self.folder / "users").write_text(f"{self.user}:{{PLAIN}}{self.password}\n")
        (self.folder / "dovecot.conf").write_text(
            CONFIG.format(folder=self.folder, port=self.port))
        subprocess.run([DOVECOT, "-c", str(self.folder / "dovecot.conf")], check=True)
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return self
            except OSError:
                if time.monotonic() > deadline:
                    self.stop()
                    log = (self.folder / "dovecot.log")
                    raise RuntimeError("Dovecot did not start: "
                                       + (log.read_text() if log.exists() else "no log")) from None
                time.sleep(0.05)

    def __exit__(self, *exc):
        self.stop()

    def stop(self):
        pid_file = self.folder / "run" / "master.pid"
        if pid_file.exists():
            pid = int(pid_file.read_text().split()[0])
            # Told to stop, it takes two seconds or more to end its children: a throwaway
            # server whose folder goes next is not waited for (they end on their own).
            os.kill(pid, signal.SIGTERM)
        shutil.rmtree(self.folder, ignore_errors=True)

    def connect(self):
        client = imaplib.IMAP4("127.0.0.1", self.port, timeout=10)
        client.login(self.user, self.password)
        return client

    def append(self, raw, folder="INBOX"):
        """Deliver the message `raw` (its bytes) to `folder`, unread."""
        client = self.connect()
        try:
            client.append(folder, None, None, raw)
        finally:
            client.logout()

    def append_many(self, messages, folder="INBOX"):
        client = self.connect()
        try:
            for raw in messages:
                client.append(folder, None, None, raw)
        finally:
            client.logout()

    def recreate(self, folder):
        """Delete `folder` and make it again, empty: a new UIDVALIDITY, UIDs from 1 again."""
        client = self.connect()
        try:
            client.delete(folder)
            client.create(folder)
        finally:
            client.logout()

    def create(self, folder):
        client = self.connect()
        try:
            client.create(folder)
        finally:
            client.logout()

    def flags(self, folder="INBOX"):
        """Each message's flags, in UID order."""
        client = self.connect()
        try:
            client.select(folder, readonly=True)
            _, data = client.uid("FETCH", "1:*", "(FLAGS)")
            return [item.decode() for item in data if item]
        finally:
            client.logout()

    def uids(self, folder="INBOX"):
        client = self.connect()
        try:
            client.select(folder, readonly=True)
            _, data = client.uid("SEARCH", None, "ALL")
            return [int(uid) for uid in data[0].split()]
        finally:
            client.logout()

    def empty(self):
        client = self.connect()
        try:
            _, folders = client.list()
            for line in folders or []:
                name = line.decode().rsplit(" ", 1)[-1].strip('"')
                if name != "INBOX":
                    client.delete(name)
            _, count = client.select("INBOX")
            if int(count[0]):
                client.store("1:*", "+FLAGS", r"(\Deleted)")
                client.expunge()
        finally:
            client.logout()


@pytest.fixture(scope="session")
def dovecot():
    with Dovecot() as server:
        yield server


@pytest.fixture
def imap_mailbox(dovecot):
    """The test's IMAP server with an empty INBOX and no other folder."""
    dovecot.empty()
    return dovecot
