"""Benchmark of the old archive's import, the mbox half (`intake.inbound.archive.run`), printed
(nothing is asserted): the time to import 1,000 and 10,000 generated messages from an mbox file
(threads of four: a city's message, a colleague's reply, a forward, an out-of-office; one thread
in ten from a stranger, for the tray), against the 60 s target for 10,000; and the resident
memory of the process that ran it, which must stay flat from 1k to 10k (the file is read one
message at a time, committed every `archive.COMMIT_EVERY` messages).

Run from the project root:
`.venv/bin/python bench/archive_import.py [--database sqlite|postgresql|both] [--sizes 1000,10000]`.
Each import runs in a Python process of its own (so that its resident peak is its own), on a
fresh database built by the real migrations (SQLite in a temporary folder, or a schema of its
own on PostgreSQL's `test` database), with 200 pledges whose contacts wrote to the old inbox.
"""
import argparse
import hashlib
import json
import mailbox
import shutil
import tempfile
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy import func, select

# _common first: it puts the project root on sys.path for the imports below.
from _common import (
    bench_sizes_in_children,
    benchmark_app,
    database_version,
    describe_machine,
    measured,
)
from intake.extensions import db
from intake.inbound import archive
from intake.models import ArchiveImport, InboundMessage, Pledge

TARGET_S = 60
SIZES = (1_000, 10_000)
CITIES = 200  # pledges whose contacts wrote to the old inbox
START = datetime(2018, 1, 1, tzinfo=timezone.utc)


def message(number, thread, kind):
    city = thread % CITIES
    contact, colleague = f"focal{city}@city{city}.example", f"colleague{city}@city{city}.example"
    sender = {"city": formataddr((f"Çağlar Öztürk {city}", contact)),
              "colleague": formataddr((f"José Müller {city}", colleague)),
              "forward": f"office{city}@health{city}.example",
              "away": contact,
              "stranger": formataddr(("Émilie Côté", f"stranger{thread}@elsewhere.example"))}[kind]
    mail = EmailMessage()
    mail["From"] = sender
    mail["To"] = "Mayors Mechanism <mm@mayorsmechanism.example>"
    mail["Subject"] = {"city": "Notre engagement – São Paulo", "colleague": "Re: Notre engagement",
                       "forward": "Fwd: Notre engagement", "away": "Ausente: Re: Notre engagement",
                       "stranger": "Pregunta sobre el compromiso"}[kind]
    mail["Date"] = format_datetime(START + timedelta(minutes=number))
    mail["Message-ID"] = (f"<t{thread}@bench.example>" if kind == "city"
                          else f"<m{number}@bench.example>")
    if kind in ("colleague", "forward", "away"):
        mail["In-Reply-To"] = f"<t{thread}@bench.example>"
        mail["References"] = f"<t{thread}@bench.example>"
    if kind == "away":
        mail["Auto-Submitted"] = "auto-replied"
    mail.set_content("Bonjour, voici notre engagement. " * 20)
    return mail


def generated_mbox(path, count):
    box = mailbox.mbox(path)
    box.lock()
    kinds = ("city", "colleague", "forward", "away")
    for number in range(count):
        thread = number // 4
        kind = "stranger" if thread % 10 == 9 else kinds[number % 4]
        box.add(message(number, thread, kind))
    box.flush()
    box.unlock()
    box.close()
    return path


def registered_import(path, folder):
    """The import of the mbox file at `path`, recorded as archive.start records an upload, but
    without reading the file whole (this process's memory is what is measured)."""
    digest = hashlib.sha256()
    with open(path, "rb") as file:
        for chunk in iter(lambda: file.read(1 << 20), b""):
            digest.update(chunk)
    found = ArchiveImport(kind="mbox", filename=path.name, sha256=digest.hexdigest(),
                          state="queued", mapping={})
    db.session.add(found)
    db.session.flush()
    target = archive.stored_path(folder, found)
    target.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(path, target)
    db.session.commit()
    return found.id


def one_import(kind, count, path):
    """In the child process: the import of the mbox at `path`, its figures as a dict."""
    with benchmark_app(kind) as (app, where):
        with app.app_context():
            for city in range(CITIES):
                db.session.add(Pledge(review_state="submitted", city=f"City {city}",
                                      focal_email=f"focal{city}@city{city}.example"))
            db.session.commit()
            archive_id = registered_import(Path(path), app.instance_path)
            with measured() as figures:
                state = archive.run(archive_id, app.instance_path)
            on_pledges = db.session.scalar(select(func.count()).select_from(InboundMessage)
                                           .where(InboundMessage.pledge_id.is_not(None)))
            stored = db.session.scalar(select(func.count()).select_from(InboundMessage))
            return {**figures, "where": f"{database_version()}, {where}", "state": state,
                    "stored": stored, "on_pledges": on_pledges}


def on_pledges(run):
    return f"{run['state']}, {run['stored']:,} stored, {run['on_pledges']:,} on pledges"


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sizes", default=",".join(map(str, SIZES)))
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one measured import, in a process of its own
        kind, count, path = args.child
        print(json.dumps(one_import(kind, int(count), path)))
        return
    print(describe_machine())
    with tempfile.TemporaryDirectory(prefix="intake-mbox-") as folder:
        files = {count: generated_mbox(Path(folder) / f"{count}.mbox", count)
                 for count in map(int, args.sizes.split(","))}
        for kind in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
            bench_sizes_in_children(__file__, kind, files, on_pledges, TARGET_S)


if __name__ == "__main__":
    main()
