"""Benchmark of inbound email by IMAP, printed (nothing is asserted): the time to ingest N
messages from an IMAP folder, and the peak memory it takes.

A Dovecot of its own (tests/support/dovecot.py: Debian's dovecot-imapd, on loopback, in a
temporary folder) gets N distinct city replies APPENDed to a folder; then one
`intake.inbound.imap.poll()` reads them all, as the worker's periodic job does: one FETCH, one
ingest.receive, one commit and one \\Seen flag per message. Each size runs twice on a fresh
database and a fresh folder: once timed, once under tracemalloc (which slows Python down) for
the peak of memory allocated by Python during the poll. Memory is flat when the peak at 10,000
is close to the peak at 1,000. Target: 10,000 messages in under 60 s.

Run from the project root: `.venv/bin/python bench/inbound_ingest.py
[--database sqlite|postgresql] [--sizes 1000,10000]`.
"""
import argparse
import time
import tracemalloc
from email.message import EmailMessage

from sqlalchemy import func, select

# _common first: it puts the project root on sys.path for the imports below.
from _common import benchmark_app, database_version, describe_python
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


def one_poll(kind, url, traced):
    with benchmark_app(kind) as (app, where):
        with app.app_context():
            if traced:
                tracemalloc.start()
            started = time.perf_counter()
            result = imap.poll(url)
            seconds = time.perf_counter() - started
            peak = tracemalloc.get_traced_memory()[1] if traced else None
            if traced:
                tracemalloc.stop()
            stored = db.session.scalar(select(func.count()).select_from(InboundMessage))
            version = database_version()
    return result, seconds, peak, stored, where, version


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--sizes", default="1000,10000")
    args = parser.parse_args()
    sizes = [int(size) for size in args.sizes.split(",")]
    print(describe_python())
    with Dovecot() as dovecot:
        peaks = {}
        for count in sizes:
            for traced in (False, True):
                folder = f"Bench{count}{'traced' if traced else ''}"
                append_seconds = fill(dovecot, folder, count)
                result, seconds, peak, stored, where, version = one_poll(
                    args.database, dovecot.url(folder), traced)
                if result.error:
                    raise SystemExit(f"The poll failed: {result.error}")
                if not traced:
                    print(f"{args.database} ({version}; {where})")
                    verdict = "within" if seconds < TARGET_SECONDS else "OVER"
                    print(f"  {count:>6} messages: APPENDed in {append_seconds:.1f} s, "
                          f"ingested in {seconds:.1f} s ({count / seconds:.0f}/s), "
                          f"{stored} stored; {verdict} the {TARGET_SECONDS} s target"
                          if count >= 10_000 else
                          f"  {count:>6} messages: APPENDed in {append_seconds:.1f} s, "
                          f"ingested in {seconds:.1f} s ({count / seconds:.0f}/s), "
                          f"{stored} stored")
                else:
                    peaks[count] = peak
                    print(f"  {count:>6} messages under tracemalloc: {seconds:.1f} s, "
                          f"peak {peak / 1e6:.1f} MB")
        if len(peaks) > 1:
            smallest, largest = min(peaks), max(peaks)
            print(f"Peak memory at {largest} / at {smallest} messages: "
                  f"{peaks[largest] / peaks[smallest]:.2f} (flat: close to 1)")


if __name__ == "__main__":
    main()
