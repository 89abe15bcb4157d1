"""Benchmark of the coordinators' queue (`GET /triage/`), printed (nothing is asserted):

1. the page's server time, median (and p95) of 30 requests by a signed-in coordinator, with
   1,000, 10,000 and 100,000 submitted pledges stored (plus a draft for every ten, which the
   queue leaves out): without filters, with filters (region + action area + state tab), with a
   search term (a rare word and a common one; past TRIAGE_SEARCH_COUNT_LIMIT, 1,000, matches
   the queue lists the first 1,000 in order and says "more than"), on the last page,
   sorted by city, and listing the accepted pledges whose update is overdue, or was never
   received (in one region); an accepted pledge was accepted a few weeks after it was sent, and
   three in five of them have sent a progress report since (last_report_at);
2. the SQL queries each request runs (tests/support/sql.py: sql_sent), which must not
   grow with the rows shown: the same page at 10 and at 50 rows per page.

Target: median under 50 ms; shown as `0.40x of target`.

Run from the project root:
`.venv/bin/python bench/triage_queue.py [--database sqlite|postgresql|both]`.
SQLite is a fresh file in a temporary folder; PostgreSQL is a schema of its own on the `test`
database (dropped at the end). The schema is built by the real migrations; pledges are
bulk-inserted with SQLAlchemy Core in chunks (the search index is kept by the migration's
triggers on SQLite, by its GIN index on PostgreSQL).
"""
import random
import statistics
import time
from datetime import datetime, timedelta, timezone

from flask_login.utils import _create_identifier
from sqlalchemy import insert, text

# _common first: it puts the project root on sys.path for the imports below.
from _common import benchmark_app, call_timed, database_version, run_on_each_database
from intake.accounts.coordinators import new_coordinator
from intake.catalogue.compacts import ACTION_AREAS
from intake.catalogue.regions import region_of
from intake.extensions import db
from intake.models import Coordinator, Pledge, PledgeActionArea
from tests.support.sql import queries, sql_sent

TARGET_MS = 50
SIZES = (1_000, 10_000, 100_000)  # submitted pledges stored
REQUESTS = 30
WARM_UP = 3
CHUNK = 5_000
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
    ("no filters: \"To do\"", "/triage/"),
    ("every state (\"All\")", "/triage/?state=all"),
    ("filters: region + area + state tab",
     "/triage/?state=submitted&region=Europe&area=essential-services"),
    (f"search, a rare word ({RARE_WORD[:6]})", f"/triage/?q={RARE_WORD[:6]}"),
    (f"search, a word in 1/3 ({COMMON_WORD})", f"/triage/?q={COMMON_WORD}"),
    ("  the same, 20th page (the last listed)", f"/triage/?q={COMMON_WORD}&page=20"),
    ("  the same, one state tab", f"/triage/?q={COMMON_WORD}&state=submitted"),
    ("  the same, one action area", f"/triage/?q={COMMON_WORD}&area=essential-services"),
    ("one country (FR)", "/triage/?country=FR"),
    ("assigned to me", "/triage/?mine=1"),
    ("waiting too long", "/triage/?overdue=1&sort=waiting"),
    ("sorted by city", "/triage/?state=all&sort=city&dir=asc"),
    ("update overdue", "/triage/?update=overdue"),
    ("no update ever received, one region", "/triage/?update=never&region=Europe"),
    ("last page, every state", "/triage/?state=all&page=LAST"),
    ("middle page, every state", "/triage/?state=all&page=MIDDLE"),
)
# The app's settings for this benchmark (with those of bench/_common.benchmark_app).
APP_CONFIG = {
    "FIRST_RESPONSE_WORKING_DAYS": 5,
    "TRIAGE_QUEUE_PAGE_SIZE": 50,
    "TRIAGE_SEARCH_COUNT_LIMIT": 1000,  # the default
}


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


def update_dates(i, state, sent):
    """(accepted_at, last_report_at): accepted 3 to 59 days after it was sent (and by NOW);
    three in five reported since, at some moment between then and NOW. Not drawn from rng, so
    the other columns are those the benchmark had before these."""
    if state != "accepted":
        return None, None
    accepted = min(sent + timedelta(days=3 + i % 57), NOW)
    if i % 5 >= 3:
        return accepted, None
    return accepted, accepted + (NOW - accepted) * ((i * 7919) % 100 / 100)


def pledge_row(i, rng, assignees):
    """Pledge number i; one in ten more is a draft (not in the queue)."""
    draft = i % 11 == 0
    state = "draft" if draft else pick_state(rng)
    sent = NOW - timedelta(minutes=rng.randrange(2 * 365 * 24 * 60))
    country = rng.choice(COUNTRIES)
    accepted_at, last_report_at = update_dates(i, state, sent)
    return {
        "id": i,
        "reference": None if draft else f"CTA-{sent.year}-{i:06d}",
        "review_state": state,
        "furthest_step": 2 if draft else 5,
        "created_at": sent - timedelta(days=2), "updated_at": sent, "last_activity_at": sent,
        "submitted_at": None if draft else sent,
        "accepted_at": accepted_at, "last_report_at": last_report_at,
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
        chunks, elapsed_ms = call_timed(self.wsgi_app, environ, start_response)
        self.samples.append(elapsed_ms)
        return chunks


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


def measure(app, client, url, count_rows=rows_shown):
    """(median ms, p95 ms, queries per request, rows shown) over REQUESTS requests."""
    for _ in range(WARM_UP):
        html = fetch(client, url)
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    try:
        with sql_sent(app) as sent:
            for _ in range(REQUESTS):
                fetch(client, url)
    finally:
        app.wsgi_app = timer.wsgi_app
    p95 = statistics.quantiles(timer.samples, n=20, method="inclusive")[-1]
    return (statistics.median(timer.samples), p95, len(queries(sent)) / REQUESTS,
            count_rows(html))


def page_count(client):
    html = fetch(client, "/triage/?state=all")
    marker = "page 1 of "
    start = html.index(marker) + len(marker)
    return int(html[start:html.index(".", start)].replace(",", ""))


def scenario_url(client, url):
    if url.endswith("=LAST"):
        return url.replace("LAST", str(page_count(client)))
    if url.endswith("=MIDDLE"):
        return url.replace("MIDDLE", str(page_count(client) // 2))
    return url


def print_scenarios(app, client, stored):
    for label, url in SCENARIOS:
        median, p95, per_request, rows = measure(app, client, scenario_url(client, url))
        print(f"   {stored:>8,}  {label:<38}{median:>7.1f} ms{p95:>7.1f} ms"
              f"{per_request:>9.0f}{rows:>6}   {median / TARGET_MS:.2f}x")


def queries_per_page_size(app, client, setting="TRIAGE_QUEUE_PAGE_SIZE",
                          url="/triage/?state=all", count_rows=rows_shown):
    """The same page at 10 and at 50 rows: the number of queries must not change."""
    found, kept = {}, app.config[setting]
    for size in (10, 50):
        app.config[setting] = size
        fetch(client, url)
        with sql_sent(app) as sent:
            html = fetch(client, url)
        found[size] = (len(queries(sent)), count_rows(html))
    app.config[setting] = kept
    return found


def bench_database(kind):
    with benchmark_app(kind, APP_CONFIG) as (app, where):
        started = time.perf_counter()
        rng = random.Random(2026)
        with app.app_context():
            print(f"\n== {database_version()} ({where}; tables by the migrations)")
            assignees = make_coordinators()
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
            print_scenarios(app, client, size)
        per_size = queries_per_page_size(app, client)
        print("\n   Queries for the queue page by rows shown (no filters, "
              f"{stored:,} stored): " + ", ".join(
                  f"{rows} rows -> {count} queries" for count, rows in per_size.values()))
        print(f"   ({time.perf_counter() - started:.0f} s for this database)")


def main():
    run_on_each_database(bench_database, __doc__)


if __name__ == "__main__":
    main()
