"""Benchmark of inbound email by IMAP, printed (nothing is asserted): the time to ingest N
messages from an IMAP folder, in messages per second and per hour, and the resident memory of
the process that read them.

A Dovecot of its own (tests/support/dovecot.py: Debian's dovecot-imapd, on loopback, in a
temporary folder) gets N distinct city replies APPENDed to a folder per size; then one
`intake.inbound.imap.poll()` reads them all, as the worker's periodic job does:
`imap.FETCH_BATCH` messages per FETCH, handed to ingest.receive_batch and committed with the
folder's last UID, then flagged \\Seen. Each poll runs in a Python process of its own (so that
its resident peak is its own) on a fresh database, which has read nothing of the folder yet.
Memory is flat when the peak at 10,000 is close to the peak at 1,000.
Target: 10,000 messages in under 60 s.

Run from the project root: `.venv/bin/python bench/inbound_ingest.py
[--database sqlite|postgresql|both] [--sizes 1000,10000]`.
"""
import argparse
import json
import time
from email.message import EmailMessage

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
from intake.inbound import imap
from intake.models import InboundMessage
from tests.support.dovecot import Dovecot

TARGET_SECONDS = 60


def a_reply(number):
    message = EmailMessage()
    message["From"] = f"City {number} <contact{number}@city{number % 500}.example>"
    message["To"] = "pledges@mayorsmechanism.example"
    message["Subject"] = f"Re: your pledge CTA-2026-{number:04d}"
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 -0300"
    message["Message-ID"] = f"<bench-{number}@city.example>"
    message["In-Reply-To"] = f"<out-{number}@pledges.bench>"
    message.set_content(f"Hello,\n\nHere is our answer number {number}. " + "Budget. " * 60)
    return message.as_bytes()


def fill(dovecot, folder, count):
    dovecot.create(folder)
    started = time.perf_counter()
    dovecot.append_many((a_reply(n) for n in range(count)), folder=folder)
    return time.perf_counter() - started


def one_poll(kind, url):
    """In the child process: one poll of the folder at `url`, its figures as a dict."""
    with benchmark_app(kind) as (app, where):
        with app.app_context():
            with measured() as figures:
                result = imap.poll(url)
            if result.error:
                raise SystemExit(f"The poll failed: {result.error}")
            stored = db.session.scalar(select(func.count()).select_from(InboundMessage))
            return {**figures, "where": f"{database_version()}, {where}",
                    "read": result.read, "new": result.new, "stored": stored}


def per_hour(run):
    return (f"{3600 * run['read'] / run['seconds']:,.0f} an hour, {run['read']:,} read, "
            f"{run['stored']:,} stored")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    parser.add_argument("--sizes", default="1000,10000")
    parser.add_argument("--child", nargs=3, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:  # one measured poll, in a process of its own
        kind, _count, url = args.child
        print(json.dumps(one_poll(kind, url)))
        return
    print(describe_machine())
    with Dovecot() as dovecot:
        folders = {}
        for count in map(int, args.sizes.split(",")):
            folder = f"Bench{count}"
            print(f"{count:>6,} messages APPENDed to {folder} in "
                  f"{fill(dovecot, folder, count):.1f} s")
            folders[count] = dovecot.url(folder)
        for kind in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
            bench_sizes_in_children(__file__, kind, folders, per_hour, TARGET_SECONDS)


if __name__ == "__main__":
    main()
