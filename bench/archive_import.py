"""Benchmark of the old archive's import, the mbox half (`intake.inbound.archive.run`), printed
(nothing is asserted): the time to import 1,000 and 10,000 generated messages from an mbox file
(threads of four: a city's message, a colleague's reply, a forward, an out-of-office; one thread
in ten from a stranger, for the tray), against the 60 s target for 10,000; then the peak memory
the import allocates (tracemalloc, in a run of its own: tracing slows Python down), which must
stay flat from 1k to 10k (the file is read one message at a time).

Run from the project root:
`.venv/bin/python bench/archive_import.py [--database sqlite|postgresql|both]`.
Each figure is on a fresh database built by the real migrations (SQLite in a temporary folder,
or a schema of its own on PostgreSQL's `test` database).
"""
import mailbox
import time
import tracemalloc
from datetime import datetime, timedelta, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from pathlib import Path

from sqlalchemy import func, select

# _common first: it puts the project root on sys.path for the imports below.
from _common import benchmark_app, database_version, run_on_each_database
from intake.extensions import db
from intake.inbound import archive
from intake.models import InboundMessage, Pledge

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
    return path.read_bytes()


def one_import(kind, count, traced):
    with benchmark_app(kind) as (app, where):
        with app.app_context():
            for city in range(CITIES):
                db.session.add(Pledge(review_state="submitted", city=f"City {city}",
                                      focal_email=f"focal{city}@city{city}.example"))
            db.session.commit()
            data = generated_mbox(Path(app.instance_path) / "generated.mbox", count)
            found, _new = archive.start("generated.mbox", data, app.instance_path)
            db.session.commit()
            del data
            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            state = archive.run(found.id, app.instance_path)
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if traced else None
            if traced:
                tracemalloc.stop()
            version = database_version()
            on_pledges = db.session.scalar(select(func.count()).select_from(InboundMessage)
                                           .where(InboundMessage.pledge_id.is_not(None)))
            stored = db.session.scalar(select(func.count()).select_from(InboundMessage))
        return f"{version}, {where}", state, seconds, peak, stored, on_pledges


def bench_database(kind):
    print(f"\n== {kind}")
    for count in SIZES:
        where, state, seconds, _peak, stored, on_pledges = one_import(kind, count, traced=False)
        verdict = "" if count != 10_000 else (" (target 60 s: "
                                              + ("met)" if seconds < TARGET_S else "MISSED)"))
        print(f"{count:>6,} messages: {seconds:6.1f} s, {count / seconds:,.0f} a second{verdict};"
              f" {state}, {stored:,} stored, {on_pledges:,} on pledges ({where})")
    for count in SIZES:
        _where, _state, seconds, peak, _stored, _on = one_import(kind, count, traced=True)
        print(f"{count:>6,} messages, traced: peak {peak / 1e6:6.1f} MB allocated"
              f" ({seconds:.1f} s with tracing)")


def main():
    run_on_each_database(bench_database, __doc__)


if __name__ == "__main__":
    main()
