"""What bench/load_mixed.py runs on and seeds: the apps' environment, the child processes
(each in a group of its own, stopped at the end), the counting SMTP sink, and the seeded
database (coordinators, pledges sent through the form, copies for the queue and the burst)."""
import contextlib
import json
import os
import secrets
import signal
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from email import policy
from email.parser import BytesHeaderParser

import requests
from aiosmtpd.controller import Controller
from sqlalchemy import func, insert, select, text

from _common import PROJECT_ROOT, run_migrations_quietly
from intake import create_app
from intake.accounts.coordinators import hash_password
from intake.catalogue.regions import region_of
from intake.extensions import close_redis, db
from intake.models import AccessToken, Coordinator, Pledge, PledgeActionArea
from intake.pledges import links
from tests.support.client import ContactBrowser
from tests.support.smtp import free_port

SECRET_KEY = "bench-load-" + secrets.token_hex(8)
COORDINATOR_LIST = "coordinators@load.example"
PASSWORD = "load bench password, hashed once"
COORDINATOR_ACCOUNTS = 10
TRACKER_PLEDGES = 20
QUEUE_PLEDGES = 2000
COUNTRIES = ("BR", "FR", "DE", "KE", "IN", "US", "MX", "PH", "IT", "ZA")

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
