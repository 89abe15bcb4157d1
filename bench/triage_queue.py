"""Benchmark of the coordinators' queue (`GET /triage/`), printed (nothing is asserted):

1. the page's server time, median (and p95) of 30 requests by a signed-in coordinator, with
   1,000, 10,000 and 100,000 submitted pledges stored (plus a draft for every ten, which the
   queue leaves out): without filters, with filters (region + action area + state tab), with a
   search term (a rare word and a common one), on the last page, and sorted by city;
2. the SQL queries each request runs (a `before_cursor_execute` listener), which must not
   grow with the rows shown: the same page at 10 and at 50 rows per page.

Target: median under 50 ms; shown as `0.40x of target`.

Run from the project root:
`.venv/bin/python bench/triage_queue.py [--database sqlite|postgresql|both]`.
SQLite is a fresh file in a temporary folder; PostgreSQL is a schema of its own on the `test`
database (dropped at the end). The schema is built by the real migrations; pledges are
bulk-inserted with SQLAlchemy Core in chunks (the search index is kept by the migration's
triggers on SQLite, by its GIN index on PostgreSQL).
"""
import argparse
import contextlib
import io
import platform
import random
import secrets
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import psycopg  # noqa: E402
from flask_login.utils import _create_identifier  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import event, insert, text  # noqa: E402

from intake import create_app  # noqa: E402
from intake.accounts_model import new_coordinator  # noqa: E402
from intake.extensions import db  # noqa: E402
from intake.models import Coordinator, Pledge, PledgeActionArea  # noqa: E402
from intake.redis_connection import close_redis  # noqa: E402
from intake.reference import ACTION_AREAS  # noqa: E402
from intake.regions import region_of  # noqa: E402

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/test"
TARGET_MS = 50
SIZES = (1_000, 10_000, 100_000)  # submitted pledges stored
REQUESTS = 30
WARM_UP = 3
CHUNK = 5_000
TRANSACTION_CONTROL = {"BEGIN", "COMMIT", "ROLLBACK", "SAVEPOINT", "RELEASE"}
NOW = datetime.now(timezone.utc)
RARE_WORD = "bibliothèque"  # in about 1 pledge in 200
RARE_EVERY = 200
COMMON_WORD = "accueil"  # in about 1 pledge in 3
COMMON_EVERY = 3
STATES = (("submitted", 30), ("in_review", 20), ("information_requested", 10),
          ("accepted", 25), ("declined", 8), ("withdrawn", 4), ("merged", 3))
COUNTRIES = ("BR", "MX", "CO", "US", "CA", "AR", "FR", "ES", "DE", "IT", "GB", "PT", "SE", "GR",
             "MA", "SN", "KE", "NG", "ZA", "EG", "TR", "JO", "LB", "IN", "PH", "JP", "AU", "NZ",
             "FJ", "CL")
CITY_PREFIXES = ("San", "Saint", "Nova", "New", "Ciudad de")
WORDS = ("city", "migrants", "refugees", "housing", "health", "school", "language", "jobs",
         "training", "centre", "advice", "inclusion", "services", "women", "children",
         "ciudad", "vivienda", "salud", "escuela", "empleo", "integración", "ville", "logement",
         "santé", "école", "emploi", "intégration", "réfugiés", "migrantes", "programme",
         "council", "network", "support", "legal", "orientation", "community", "mentoring")
SCENARIOS = (  # (label, URL); LAST and MIDDLE are page numbers found at run time
    ("no filters", "/triage/"),
    ("filters: region + area + state tab",
     "/triage/?state=submitted&region=Europe&area=essential-services"),
    (f"search, a rare word ({RARE_WORD[:6]})", f"/triage/?q={RARE_WORD[:6]}"),
    (f"search, a word in 1/3 ({COMMON_WORD})", f"/triage/?q={COMMON_WORD}"),
    ("one country (FR)", "/triage/?country=FR"),
    ("assigned to me", "/triage/?mine=1"),
    ("waiting too long", "/triage/?overdue=1&sort=waiting"),
    ("sorted by city", "/triage/?sort=city&dir=asc"),
    ("last page, no filters", "/triage/?page=LAST"),
    ("middle page, no filters", "/triage/?page=MIDDLE"),
)
# Indexes proposed in the report: each filter's count and each state's ordered page read an
# index only. The bench measures 100,000 pledges again with them, in place of the indexes they
# extend (PostgreSQL needs the id in them; SQLite has it anyway, as the rowid).
PROPOSED_INDEXES = (
    "DROP INDEX ix_pledge_review_state_submitted_at",
    "DROP INDEX ix_pledge_region",
    "DROP INDEX ix_pledge_assignee_id",
    "DROP INDEX ix_pledge_action_area_area",
    "CREATE INDEX ix_pledge_review_state_submitted_at ON pledge (review_state, submitted_at, id)",
    "CREATE INDEX ix_pledge_region ON pledge (region, review_state, submitted_at, id)",
    "CREATE INDEX ix_pledge_assignee_id ON pledge (assignee_id, review_state, submitted_at, id)",
    "CREATE INDEX ix_pledge_country_code ON pledge (country_code, review_state, submitted_at, id)",
    "CREATE INDEX ix_pledge_city_lower ON pledge (lower(city), id)",
    "CREATE INDEX ix_pledge_action_area_area ON pledge_action_area (area, pledge_id)",
)


# --- the app, on a throwaway database ------------------------------------------------------


@contextlib.contextmanager
def postgres_schema():
    """A schema of our own on the shared server; the URL points the search_path at it."""
    schema = "bench_" + secrets.token_hex(6)
    with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
        conn.execute(f"CREATE SCHEMA {schema}")
    try:
        yield f"{POSTGRES_SERVER}?options=-csearch_path%3D{schema}", schema
    finally:
        with psycopg.connect(POSTGRES_SERVER, autocommit=True) as conn:
            conn.execute(f"DROP SCHEMA {schema} CASCADE")


@contextlib.contextmanager
def database_url(kind, tmpdir):
    if kind == "sqlite":
        yield ("sqlite:///" + str(Path(tmpdir) / "intake.sqlite3"),
               "a fresh file in a temporary folder")
    else:
        with postgres_schema() as (url, schema):
            yield url, f"schema {schema} on 127.0.0.1:5432/test, dropped at the end"


@contextlib.contextmanager
def benchmark_app(kind):
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmpdir:
        with database_url(kind, tmpdir) as (url, where):
            config = {
                "SECRET_KEY": "bench-secret",
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": None,
                "BASE_URL": "http://pledges.bench",
                "FIRST_RESPONSE_WORKING_DAYS": 5,
                "TRIAGE_QUEUE_PAGE_SIZE": 50,
            }
            app = create_app(config, instance_path=str(Path(tmpdir) / "instance"))
            with app.app_context():
                run_migrations_quietly()
            try:
                yield app, where
            finally:
                with app.app_context():
                    db.session.remove()
                    db.engine.dispose()
                close_redis(app)


def run_migrations_quietly():
    alembic_log = io.StringIO()
    try:
        with contextlib.redirect_stderr(alembic_log):
            upgrade()
    except Exception:
        sys.stderr.write(alembic_log.getvalue())
        raise


def database_version():
    if db.engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    return "PostgreSQL " + db.session.scalar(text("SHOW server_version"))


# --- stored pledges ---------------------------------------------------------------------------


def make_coordinators():
    """The coordinator who looks at the queue, and four others pledges are assigned to."""
    people = [new_coordinator(f"coordinator{i}@mayorsmechanism.example", "bench password 12345",
                              name=f"Coordinator {i}") for i in range(5)]
    db.session.add_all(people)
    db.session.commit()
    return [person.id for person in people]


def pick_state(rng):
    roll, total = rng.randrange(100), 0
    for state, share in STATES:
        total += share
        if roll < total:
            return state
    return STATES[-1][0]


def sentence(rng, words, extra=()):
    chosen = [rng.choice(WORDS) for _ in range(words)]
    for position, word in enumerate(extra, start=1):
        chosen.insert(position * 2, word)
    return " ".join(chosen)


def marker_words(i):
    """The benchmark's search words, in the summary of 1 pledge in 200 and 1 in 3."""
    return [word for word, every, rest in ((RARE_WORD, RARE_EVERY, 7),
                                           (COMMON_WORD, COMMON_EVERY, 1)) if i % every == rest]


def pledge_row(i, rng, assignees):
    """Pledge number i; one in ten more is a draft (not in the queue)."""
    draft = i % 11 == 0
    state = "draft" if draft else pick_state(rng)
    sent = NOW - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    country = rng.choice(COUNTRIES)
    return {
        "id": i,
        "reference": None if draft else f"CTA-{sent.year}-{i:06d}",
        "review_state": state,
        "furthest_step": 2 if draft else 5,
        "created_at": sent - timedelta(days=2), "updated_at": sent, "last_activity_at": sent,
        "submitted_at": None if draft else sent,
        "reminders_sent": 0,
        "city": f"{rng.choice(CITY_PREFIXES)} {rng.choice(WORDS).title()} {i % 997}",
        "country_code": country,
        "region": region_of(country),
        "language": rng.choice(("en", "fr", "es")),
        "title": sentence(rng, 6).capitalize(),
        "summary": sentence(rng, 40, marker_words(i)),
        "commitment": sentence(rng, 30),
        "implementation_stage": rng.choice(("planning", "in-progress", None)),
        "assignee_id": rng.choice(assignees) if rng.random() < 0.5 else None,
        "first_response_at": None if state == "submitted" else sent + timedelta(days=3),
        "version": 1,
        "target_groups": [], "support_sought": [], "gcm_objectives": ["15"], "gcr_objectives": [],
        "ongoing": False, "consent_publish": True, "consent_contact": True,
    }


def area_rows(i, rng):
    return [{"pledge_id": i, "area": area.slug}
            for area in rng.sample(ACTION_AREAS, rng.randint(1, 3))]


def add_pledges(first_id, submitted, assignees, rng):
    """Insert pledges from first_id until `submitted` more are in the queue; returns the next
    free id."""
    connection = db.session.connection()
    pledges, areas, added, i = [], [], 0, first_id
    while added < submitted:
        row = pledge_row(i, rng, assignees)
        pledges.append(row)
        areas.extend(area_rows(i, rng))
        added += row["review_state"] != "draft"
        i += 1
        if len(pledges) == CHUNK or added == submitted:
            connection.execute(insert(Pledge.__table__), pledges)
            connection.execute(insert(PledgeActionArea.__table__), areas)
            pledges, areas = [], []
    db.session.commit()
    return i


def analyze():
    """PostgreSQL: what autovacuum does soon after a bulk load (the app never runs ANALYZE on
    SQLite, so neither do we)."""
    if db.engine.dialect.name == "postgresql":
        db.session.commit()
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("VACUUM ANALYZE pledge"))
            conn.execute(text("VACUUM ANALYZE pledge_action_area"))


# --- measuring --------------------------------------------------------------------------------


class ServerTimer:
    """WSGI middleware: milliseconds spent in the app per request, body included."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.samples = []

    def __call__(self, environ, start_response):
        started = time.perf_counter()
        body = self.wsgi_app(environ, start_response)
        try:
            chunks = list(body)
        finally:
            if hasattr(body, "close"):
                body.close()
        self.samples.append((time.perf_counter() - started) * 1000)
        return chunks


class QueryCounter:
    """SQL statements sent to the database (not transaction control: SQLite's BEGIN)."""

    def __init__(self, engine):
        self.count = 0
        event.listen(engine, "before_cursor_execute", self.seen)

    def seen(self, connection, cursor, statement, *args):
        if statement.split(None, 1)[0].upper() not in TRANSACTION_CONTROL:
            self.count += 1


def signed_in_client(app, coordinator_id):
    """A test client whose session is signed in (as tests/conftest.py's sign_in fixture)."""
    client = app.test_client()
    with app.app_context():
        session_id = db.session.get(Coordinator, coordinator_id).get_id()
    with app.test_request_context(environ_base=client.environ_base):
        identifier = _create_identifier()
    with client.session_transaction() as session:
        session.update({"_user_id": session_id, "_fresh": True, "_id": identifier})
    return client


def fetch(client, url):
    response = client.get(url)
    if response.status_code != 200:
        raise SystemExit(f"GET {url} answered {response.status_code}:\n"
                         f"{response.get_data(as_text=True)[:1500]}")
    return response.get_data(as_text=True)


def rows_shown(html):
    return html.count('name="pledge_ids"')


def measure(app, client, counter, url):
    """(median ms, p95 ms, queries per request, rows shown) over REQUESTS requests."""
    for _ in range(WARM_UP):
        html = fetch(client, url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    counter.count = 0
    try:
        for _ in range(REQUESTS):
            fetch(client, url)
    finally:
        app.wsgi_app = timer.wsgi_app
    p95 = statistics.quantiles(timer.samples, n=20, method="inclusive")[-1]
    return statistics.median(timer.samples), p95, counter.count / REQUESTS, rows_shown(html)


def page_count(client):
    html = fetch(client, "/triage/")
    marker = "page 1 of "
    start = html.index(marker) + len(marker)
    return int(html[start:html.index(".", start)].replace(",", ""))


def scenario_url(client, url):
    if url.endswith("=LAST"):
        return url.replace("LAST", str(page_count(client)))
    if url.endswith("=MIDDLE"):
        return url.replace("MIDDLE", str(page_count(client) // 2))
    return url


def print_scenarios(app, client, counter, stored):
    for label, url in SCENARIOS:
        median, p95, queries, rows = measure(app, client, counter, scenario_url(client, url))
        print(f"   {stored:>8,}  {label:<38}{median:>7.1f} ms{p95:>7.1f} ms"
              f"{queries:>9.0f}{rows:>6}   {median / TARGET_MS:.2f}x")


def add_proposed_indexes():
    for statement in PROPOSED_INDEXES:
        db.session.execute(text(statement))
    db.session.commit()
    analyze()


def queries_per_page_size(app, client, counter):
    """The same page at 10 and at 50 rows: the number of queries must not change."""
    found = {}
    for size in (10, 50):
        app.config["TRIAGE_QUEUE_PAGE_SIZE"] = size
        fetch(client, "/triage/")
        counter.count = 0
        html = fetch(client, "/triage/")
        found[size] = (counter.count, rows_shown(html))
    app.config["TRIAGE_QUEUE_PAGE_SIZE"] = 50
    return found


def bench_database(kind):
    with benchmark_app(kind) as (app, where):
        started = time.perf_counter()
        rng = random.Random(2026)
        with app.app_context():
            print(f"\n== {database_version()} ({where}; tables by the migrations)")
            assignees = make_coordinators()
            counter = QueryCounter(db.engine)
        client = signed_in_client(app, assignees[0])
        print(f"   Median and p95 server time of {REQUESTS} GETs after {WARM_UP} warm-up, "
              f"signed in; queries per request; rows on the page. Target {TARGET_MS} ms.")
        print(f"   {'stored':>8}  {'view':<38}{'median':>10}{'p95':>10}{'queries':>9}"
              f"{'rows':>6}   vs target")
        next_id, stored = 1, 0
        for size in SIZES:
            load_started = time.perf_counter()
            with app.app_context():
                next_id = add_pledges(next_id, size - stored, assignees, rng)
                analyze()
            print(f"   {'':>8}  (+{size - stored:,} submitted pledges and their drafts "
                  f"inserted in {time.perf_counter() - load_started:.1f} s)")
            stored = size
            print_scenarios(app, client, counter, size)
        per_size = queries_per_page_size(app, client, counter)
        print("\n   Queries for the queue page by rows shown (no filters, "
              f"{stored:,} stored): " + ", ".join(
                  f"{rows} rows -> {count} queries" for count, rows in per_size.values()))
        with app.app_context():
            add_proposed_indexes()
        print(f"\n   The same at {stored:,} with the proposed indexes ((region | assignee_id | "
              "country_code | review_state) + review_state, submitted_at, id; lower(city), id; "
              "area, pledge_id):")
        print_scenarios(app, client, counter, stored)
        print(f"   ({time.perf_counter() - started:.0f} s for this database)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    print(f"Python {platform.python_version()} ({platform.python_implementation()}), "
          f"{platform.machine()}, {platform.system()}")
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        bench_database(kind)


if __name__ == "__main__":
    main()
