"""Proof under load, on loopback: the app under gunicorn (2 gthread workers, keep-alive 5 s) on
PostgreSQL, a Redis server of its own, one RQ worker (`flask worker`) and a counting SMTP sink.

1. Mixed load (Locust, bench/locustfile.py): --users people (100) for --seconds (300): city
   contacts filling in the pledge form with 1-3 s of thought per page and sending it,
   cities polling their tracker's status, coordinators filtering the triage queue. A table
   per endpoint: requests, failures, p50/p95/p99 ms. Target: 0 failures, p95 < 300 ms.
2. Campaign-deadline burst: --burst drafts (1,000), complete and seeded beforehand, each
   sent by its contact (open the private link, continue, check the answers, send) by 16
   browsers at once, as fast as the app takes them; then the time until every
   acknowledgement has reached the SMTP sink, and how many came twice. Target: all sent
   within 2 minutes, every acknowledgement once within 5 minutes of the last one sent.
3. The bare floor (bench/floor_app.py: Flask + one Jinja template, no database) under the
   same gunicorn flags and the same people, each page the size the app served it: the app's
   times read as ratios of the floor's (`floor p50 / app p50`: 0.5x means twice the floor's
   time). --skip-floor leaves it out.

Run from the project root: `.venv/bin/python bench/load_mixed.py [--users 100] [--seconds 300]
[--burst 1000] [--skip-floor] [--floor-seconds S]`; a short run: `--users 20 --seconds 20
--burst 100`. Needs the `bench` extra (Locust, gunicorn), redis-server, and PostgreSQL on
127.0.0.1:5432 (database `test`, where it makes a schema of its own, dropped at the end).
Everything it starts is stopped at the end, and the whole run is bounded in time (SIGALRM).

Settings for the run: rate limits off (every person comes from 127.0.0.1) and
FORM_MIN_FILL_SECONDS=0 (the burst sends forms faster than a person would). APP_ENV is left
at development: production's secure cookies would not travel over plain http on loopback.
"""
import argparse
import contextlib
import csv
import json
import os
import secrets
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from email import policy
from email.parser import BytesHeaderParser
from pathlib import Path

import requests
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select, text

# _common first: it puts the project root on sys.path for the imports below.
from _common import PROJECT_ROOT, describe_python, postgres_schema, run_migrations_quietly
from intake import create_app
from intake.accounts.coordinators import hash_password
from intake.catalogue.regions import region_of
from intake.extensions import close_redis, db
from intake.models import AccessToken, Coordinator, OutboxEmail, Pledge, PledgeActionArea
from intake.pledges import links
from tests.support.browser import csrf_token_in
from tests.support.client import ContactBrowser
from tests.support.servers import RedisServer
from tests.support.smtp import free_port

BENCH = Path(__file__).resolve().parent
SECRET_KEY = "bench-load-" + secrets.token_hex(8)
COORDINATOR_LIST = "coordinators@load.example"
PASSWORD = "load bench password, hashed once"
COORDINATOR_ACCOUNTS = 10
TRACKER_PLEDGES = 20
QUEUE_PLEDGES = 2000
COUNTRIES = ("BR", "FR", "DE", "KE", "IN", "US", "MX", "PH", "IT", "ZA")
BURST_BROWSERS = 16
ACK_TARGET_SECONDS = 300
GUNICORN_FLAGS = ("--workers", "2", "--worker-class", "gthread", "--threads", "4",
                  "--keep-alive", "5", "--timeout", "30", "--graceful-timeout", "5")


def main():
    args = parse_args()
    budget = (60 + args.seconds + 180 + 120 + ACK_TARGET_SECONDS + 60
              + (0 if args.skip_floor else args.floor_seconds + 60) + args.burst // 5)
    signal.signal(signal.SIGALRM, out_of_time)
    signal.alarm(budget)
    print(describe_python())
    print(f"{args.users} users for {args.seconds} s, a burst of {args.burst}, "
          f"{'no floor' if args.skip_floor else 'then the floor'}; stops by itself within "
          f"{budget} s")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="intake-load-")))
        url, schema = stack.enter_context(postgres_schema())
        redis_server = stack.enter_context(RedisServer(str(folder)))
        sink = stack.enter_context(CountingSink())
        processes = stack.enter_context(Processes())
        port = free_port()
        env = app_environment(url, redis_server.url, sink.port, port)
        app = seeding_app(env, folder)
        stack.callback(dispose, app)
        print(f"PostgreSQL schema {schema} on 127.0.0.1:5432/test, redis-server on port "
              f"{redis_server.port}, SMTP sink on port {sink.port}, app on port {port}")
        seed = seed_database(app, args.burst, folder)
        app_spec = f"intake:create_app(instance_path={str(folder / 'instance')!r})"
        processes.start("gunicorn", [sys.executable, "-m", "gunicorn", *GUNICORN_FLAGS,
                                     "--bind", f"127.0.0.1:{port}", app_spec], env, folder)
        processes.start("worker", [sys.executable, "-m", "flask", "--app", app_spec,
                                   "worker"], env, folder)
        wait_until_healthy(port)

        sink.mark("mixed")
        app_stats = run_locust(args.users, args.seconds, port, folder, "app", seed["file"])
        print_table("1. Mixed load on the app", app_stats)
        print_mixed_acknowledgements(app, sink)
        print_sink_phase(sink, "mixed")

        burst(args.burst, port, seed["burst"], sink, app)

        if not args.skip_floor:
            processes.stop("gunicorn")
            processes.stop("worker")
            floor(args, folder, seed["file"], app_stats, processes)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--users", type=int, default=100)
    parser.add_argument("--seconds", type=int, default=300)
    parser.add_argument("--burst", type=int, default=1000)
    parser.add_argument("--skip-floor", action="store_true")
    parser.add_argument("--floor-seconds", type=int, default=None,
                        help="how long the floor runs (default: as long as the app's run)")
    args = parser.parse_args()
    args.floor_seconds = args.floor_seconds or args.seconds
    return args


def out_of_time(_signum, _frame):
    raise SystemExit("load_mixed.py ran past its time budget: stopping everything it started")


# --- what it runs on ------------------------------------------------------------------------


def app_environment(database_url, redis_url, smtp_port, port):
    return {**os.environ, "DATABASE_URL": database_url, "REDIS_URL": redis_url,
            "SECRET_KEY": SECRET_KEY, "BASE_URL": f"http://127.0.0.1:{port}",
            "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": str(smtp_port),
            "MAIL_DEFAULT_SENDER": "pledges@load.example", "COORDINATOR_EMAILS": COORDINATOR_LIST,
            "RATE_LIMITS_ENABLED": "0", "FORM_MIN_FILL_SECONDS": "0",
            "PYTHONPATH": str(PROJECT_ROOT)}


def seeding_app(env, folder):
    """The app in this process, on the same database and Redis, for seeding and reading."""
    saved = dict(os.environ)
    os.environ.update(env)
    try:
        app = create_app({"SQLALCHEMY_DATABASE_URI": env["DATABASE_URL"]},
                         instance_path=str(folder / "instance"))
    finally:
        os.environ.clear()
        os.environ.update(saved)
    with app.app_context():
        run_migrations_quietly()
    return app


def dispose(app):
    with app.app_context():
        db.session.remove()
        db.engine.dispose()
    close_redis(app)


class Processes:
    """Child processes, each in a group of its own, all stopped at the end."""

    def __init__(self):
        self.running = {}

    def start(self, name, command, env, folder):
        log = open(folder / f"{name}.log", "ab")
        self.running[name] = (subprocess.Popen(command, env=env, cwd=PROJECT_ROOT, stdout=log,
                                               stderr=subprocess.STDOUT,
                                               start_new_session=True), log, folder)

    def stop(self, name):
        process, log, _folder = self.running.pop(name)
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
        log.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        for name in list(self.running):
            self.stop(name)


def wait_until_healthy(port, seconds=60):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        with contextlib.suppress(requests.RequestException):
            if requests.get(f"http://127.0.0.1:{port}/healthz", timeout=2).ok:
                return
        time.sleep(0.3)
    raise SystemExit(f"nothing healthy on port {port} after {seconds} s (see the logs)")


# --- the counting SMTP sink -------------------------------------------------------------------


class CountingSink:
    """aiosmtpd on loopback, in a thread: accepts everything, reads only the headers, and
    counts messages per recipient, per Message-ID (a second copy is a duplicate) and per
    phase of the run; keeps when each acknowledgement arrived."""

    def __init__(self):
        self.port = free_port()
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.lock = threading.Lock()
        self.message_ids = Counter()
        self.recipients = Counter()
        self.acknowledgements = {}  # recipient: [arrival times]
        self.phase = None
        self.phases = Counter()

    async def handle_DATA(self, server, session, envelope):
        headers = BytesHeaderParser(policy=policy.default).parsebytes(envelope.content)
        arrived = time.monotonic()
        with self.lock:
            self.message_ids[headers["Message-ID"]] += 1
            self.phases[self.phase] += 1
            for recipient in envelope.rcpt_tos:
                self.recipients[recipient] += 1
                if str(headers["Subject"]).startswith("We received your pledge"):
                    self.acknowledgements.setdefault(recipient, []).append(arrived)
        return "250 OK"

    def mark(self, phase):
        with self.lock:
            self.phase = phase

    def duplicates(self):
        with self.lock:
            return sum(count - 1 for count in self.message_ids.values())

    def acks_of(self, recipients):
        with self.lock:
            return {r: list(self.acknowledgements.get(r, ())) for r in recipients}

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.controller.stop()


def print_sink_phase(sink, phase):
    print(f"   emails at the sink during this phase: {sink.phases[phase]}, duplicates (same "
          f"Message-ID twice) so far: {sink.duplicates()}")


# --- seeding --------------------------------------------------------------------------------


def seed_database(app, burst_size, folder):
    """Coordinators (one password hash for all), pledges sent through the real form for the
    trackers, submitted pledges for the queue and complete drafts for the burst (copies of
    those made by the form, one SQL statement each), and their private links."""
    started = time.perf_counter()
    with app.app_context():
        coordinators = seed_coordinators()
    app.config.update(RATE_LIMITS_ENABLED=False, FORM_MIN_FILL_SECONDS=0)
    for number in range(TRACKER_PLEDGES):
        ContactBrowser(app.test_client()).send_in_one_go(
            answers={"city": {"focal_email": f"tracker-{number}@city.example"}})
    ContactBrowser(app.test_client()).complete_steps(
        answers={"city": {"focal_email": "template@city.example"}})
    with app.app_context():
        sent = db.session.scalars(select(Pledge).where(Pledge.review_state == "submitted")
                                  .order_by(Pledge.id)).all()
        trackers = [links.issue_access_token(pledge, timedelta(days=30)) for pledge in sent]
        template = db.session.scalar(select(Pledge.id).where(Pledge.review_state == "draft"))
        db.session.commit()
        copy_pledges(sent[0].id, QUEUE_PLEDGES, "queue", submitted=True)
        burst_ids = copy_pledges(template, burst_size, "burst", submitted=False)
        burst = private_links(burst_ids)
        db.session.commit()
    seed_file = folder / "seed.json"
    seed_file.write_text(json.dumps({"trackers": trackers, "coordinators": coordinators}))
    print(f"Seeded in {time.perf_counter() - started:.0f} s: {len(coordinators)} coordinators, "
          f"{len(trackers)} pledges sent through the form (tracker links), {QUEUE_PLEDGES} more "
          f"submitted, {burst_size} complete drafts for the burst")
    return {"file": seed_file, "burst": burst}


def seed_coordinators():
    password_hash = hash_password(PASSWORD)
    accounts = [(f"coordinator-{number}@load.example", PASSWORD)
                for number in range(COORDINATOR_ACCOUNTS)]
    db.session.execute(insert(Coordinator), [
        {"email": email, "name": "", "role": "coordinator", "password_hash": password_hash,
         "active": True, "language": "en"} for email, _password in accounts])
    db.session.commit()
    return accounts


def copy_pledges(pledge_id, count, label, submitted):
    """`count` copies of one pledge and its action areas, each with its own address (and, for
    a submitted one, its own reference and country)."""
    if not count:
        return []
    columns = [c.name for c in Pledge.__table__.c if c.name not in ("id", "reply_token")]
    values = {name: name for name in columns}
    values["focal_email"] = f"'{label}-' || g || '@city.example'"
    if submitted:
        values["reference"] = "'LOAD-' || lpad(g::text, 6, '0')"
        values["country_code"] = "(CAST(:countries AS text[]))[1 + g % :n]"
        values["region"] = "(CAST(:regions AS text[]))[1 + g % :n]"
    ids = db.session.scalars(text(
        f"INSERT INTO pledge ({', '.join(columns)}) "
        f"SELECT {', '.join(values[name] for name in columns)} "
        f"FROM pledge, generate_series(1, :count) AS g WHERE pledge.id = :pledge_id "
        f"RETURNING id"), {"count": count, "pledge_id": pledge_id, "n": len(COUNTRIES),
                           "countries": list(COUNTRIES),
                           "regions": [region_of(c) for c in COUNTRIES]}).all()
    areas = db.session.scalars(select(PledgeActionArea.area)
                               .where(PledgeActionArea.pledge_id == pledge_id)).all()
    db.session.execute(insert(PledgeActionArea),
                       [{"pledge_id": new, "area": area} for new in ids for area in areas])
    return ids


def private_links(pledge_ids):
    """A private link per pledge: (its raw token, its contact's address)."""
    now = db.session.scalar(select(func.now()))
    raw = {pledge_id: secrets.token_urlsafe(32) for pledge_id in pledge_ids}
    if raw:
        db.session.execute(insert(AccessToken), [
            {"pledge_id": pledge_id, "token_hash": links.hash_token(token), "purpose": "resume",
             "created_at": now, "expires_at": now + timedelta(days=30)}
            for pledge_id, token in raw.items()])
    emails = dict(db.session.execute(select(Pledge.id, Pledge.focal_email)
                                     .where(Pledge.id.in_(pledge_ids))).all())
    return [(raw[pledge_id], emails[pledge_id]) for pledge_id in pledge_ids]


# --- 1 and 3: Locust ----------------------------------------------------------------------------


def run_locust(users, seconds, port, folder, label, seed_file, floor_sizes=None):
    prefix = folder / f"locust-{label}"
    env = {**os.environ, "LOAD_SEED": str(seed_file)}
    if floor_sizes is not None:
        env.update(LOAD_FLOOR="1", LOAD_FLOOR_SIZES=str(floor_sizes))
    command = [sys.executable, "-m", "locust", "-f", str(BENCH / "locustfile.py"), "--headless",
               "--users", str(users), "--spawn-rate", str(max(1, users // 5)),
               "--run-time", f"{seconds}s", "--stop-timeout", "5", "--host",
               f"http://127.0.0.1:{port}", "--csv", str(prefix), "--only-summary",
               "--loglevel", "ERROR"]
    with open(folder / f"locust-{label}.log", "wb") as log:
        subprocess.run(command, env=env, cwd=PROJECT_ROOT, stdout=log, stderr=subprocess.STDOUT,
                       timeout=seconds + 60, check=False)
    stats_file = Path(f"{prefix}_stats.csv")
    if not stats_file.exists():
        sys.stderr.write((folder / f"locust-{label}.log").read_text())
        raise SystemExit("Locust wrote no statistics")
    with open(stats_file, newline="") as stats:
        rows = {row["Name"] if row["Type"] else "All": row for row in csv.DictReader(stats)}
    failures_file = Path(f"{prefix}_failures.csv")
    if failures_file.exists():
        with open(failures_file, newline="") as failed:
            for row in list(csv.DictReader(failed))[:5]:
                print(f"   failure: {row['Method']} {row['Name']}: {row['Error']} "
                      f"x{row['Occurrences']}")
    return rows


def print_table(title, stats):
    print(f"\n{title}")
    print(f"{'endpoint':44} {'requests':>8} {'failures':>8} {'req/s':>6} {'p50':>6} "
          f"{'p95':>6} {'p99':>6} {'bytes':>7}")
    for name, row in sorted(stats.items(), key=lambda item: (item[0] == "All", item[0])):
        print(f"{name[:44]:44} {row['Request Count']:>8} {row['Failure Count']:>8} "
              f"{float(row['Requests/s']):>6.1f} {row['50%']:>6} {row['95%']:>6} "
              f"{row['99%']:>6} {float(row['Average Content Size']):>7.0f}")


def print_mixed_acknowledgements(app, sink, seconds=120):
    """Every contact who sent a pledge during the mixed load has its acknowledgement, once."""
    with app.app_context():
        addresses = db.session.scalars(select(Pledge.focal_email).where(
            Pledge.focal_email.like("load-%"), Pledge.review_state == "submitted")).all()
        db.session.rollback()
    acks = wait_for_acknowledgements(sink, addresses, time.monotonic() + seconds)
    print(f"   pledges sent by the contacts: {len(addresses)}; their acknowledgements at the "
          f"sink: {sum(1 for times in acks.values() if times)}, "
          f"{sum(1 for times in acks.values() if len(times) > 1)} received twice")


def wait_for_acknowledgements(sink, addresses, deadline):
    while time.monotonic() < deadline:
        acks = sink.acks_of(addresses)
        if all(acks.values()):
            return acks
        time.sleep(0.5)
    return sink.acks_of(addresses)


# --- 2: the campaign-deadline burst ---------------------------------------------------------


def burst(count, port, drafts, sink, app):
    if not count:
        return
    print(f"\n2. Campaign-deadline burst: {count} complete drafts sent by {BURST_BROWSERS} "
          f"browsers at once")
    sink.mark("burst")
    base = f"http://127.0.0.1:{port}"
    started = time.monotonic()
    with ThreadPoolExecutor(BURST_BROWSERS) as pool:
        results = list(pool.map(lambda draft: send_draft(base, *draft), drafts))
    sent_at = [moment for ok, moment, _ms in results if ok]
    failed = [moment for ok, moment, _ms in results if not ok]
    last_sent = max(sent_at, default=started)
    times = sorted(ms for ok, _moment, ms in results if ok)
    print(f"   {len(sent_at)} sent, {len(failed)} failed, in {last_sent - started:.1f} s "
          f"(target: within 120 s); the send (POST /pledge/review) p50 "
          f"{percentile(times, 50):.0f} ms, p95 {percentile(times, 95):.0f} ms")
    addresses = [address for (_token, address), (ok, _moment, _ms)
                 in zip(drafts, results, strict=True) if ok]
    acks = wait_for_acknowledgements(sink, addresses, last_sent + ACK_TARGET_SECONDS)
    arrived = [min(times) for times in acks.values() if times]
    twice = sum(1 for times in acks.values() if len(times) > 1)
    missing = sum(1 for times in acks.values() if not times)
    last_ack = max(arrived, default=last_sent)
    print(f"   acknowledgements at the sink: {len(arrived)} of {len(addresses)}, "
          f"{missing} missing, {twice} received twice; the last "
          f"{last_ack - last_sent:.1f} s after the last send, {last_ack - started:.1f} s after "
          f"the burst began (target: all, once, within {ACK_TARGET_SECONDS} s)")
    with app.app_context():
        statuses = Counter(db.session.scalars(
            select(OutboxEmail.status).where(OutboxEmail.kind == "acknowledgement",
                                             OutboxEmail.recipient.in_(addresses))).all())
        db.session.rollback()
    print(f"   the outbox's acknowledgement rows for them: {dict(statuses)}")
    print_sink_phase(sink, "burst")


def send_draft(base, token, _address):
    """A contact at the deadline: opens the private link, continues, checks, sends. (sent?,
    when it was sent, how long the send took in ms)."""
    browser = requests.Session()
    try:
        page = browser.get(f"{base}/resume/{token}", timeout=30)
        browser.post(f"{base}/resume/{token}", data={"csrf_token": csrf_token_in(page.text)},
                     timeout=30, allow_redirects=False)
        page = browser.get(f"{base}/pledge/review", timeout=30)
        started = time.monotonic()
        sent = browser.post(f"{base}/pledge/review", data={
            "consent_contact": "y", "consent_publish": "y",
            "csrf_token": csrf_token_in(page.text)}, timeout=30, allow_redirects=False)
        done = time.monotonic()
        ok = sent.status_code == 303 and sent.headers["Location"].endswith("/confirmation")
        return ok, done, (done - started) * 1000
    except requests.RequestException:
        return False, time.monotonic(), 0
    finally:
        browser.close()


def percentile(values, percent):
    if not values:
        return 0
    return statistics.quantiles(values, n=100, method="inclusive")[percent - 1] \
        if len(values) > 1 else values[0]


# --- 3: the bare floor ------------------------------------------------------------------------


def floor(args, folder, seed_file, app_stats, processes):
    sizes = {name: round(float(row["Average Content Size"]))
             for name, row in app_stats.items() if name != "All"}
    sizes_file = folder / "floor-sizes.json"
    sizes_file.write_text(json.dumps(sizes))
    port = free_port()
    env = {**os.environ, "LOAD_FLOOR_SIZES": str(sizes_file), "PYTHONPATH": str(BENCH)}
    processes.start("floor", [sys.executable, "-m", "gunicorn", *GUNICORN_FLAGS, "--bind",
                              f"127.0.0.1:{port}", "floor_app:app"], env, folder)
    wait_until_healthy(port)
    floor_stats = run_locust(args.users, args.floor_seconds, port, folder, "floor", seed_file,
                             floor_sizes=sizes_file)
    processes.stop("floor")
    print_table("3. The same people on the bare floor (same page sizes)", floor_stats)
    print("\n   The app against the floor: floor time / app time (1.0x: as fast as the floor)")
    print(f"   {'endpoint':44} {'p50':>7} {'p95':>7} {'req/s app':>10} {'floor':>7}")
    for name in sorted(app_stats, key=lambda n: (n == "All", n)):
        if name not in floor_stats:
            continue
        mine, bare = app_stats[name], floor_stats[name]
        print(f"   {name[:44]:44} {ratio(bare['50%'], mine['50%']):>7} "
              f"{ratio(bare['95%'], mine['95%']):>7} {float(mine['Requests/s']):>10.1f} "
              f"{float(bare['Requests/s']):>7.1f}")


def ratio(floor_ms, app_ms):
    floor_ms, app_ms = float(floor_ms or 0), float(app_ms or 0)
    return f"{floor_ms / app_ms:.2f}x" if app_ms else "-"


if __name__ == "__main__":
    main()
