"""Benchmark of the public register (`GET /register` and `GET /register/pledges.json`), printed
(nothing is asserted):

1. the register page's server time, median (and p95) of 30 anonymous requests, with 10,000
   and 100,000 published pledges stored (plus, for every ten, one that is not published: not
   accepted, or without the city's consent), for each view: no filters, region + action area,
   support sought, a search word, sorted by city, sorted by the latest report, the last page;
   and the SQL queries each request runs, which must not grow with the rows shown (the same
   page at 10 and at 50 rows);
2. the JSON download at 10,000 and 100,000 published pledges: its time (read to the end, as a
   client would), its size, its queries, and the peak of Python memory while it streams
   (tracemalloc, a second download): streamed in batches, the peak must stay flat as the
   pledges grow.

Target: page median under 50 ms; shown as `0.40x of target`.

Run from the project root:
`.venv/bin/python bench/register_page.py [--database sqlite|postgresql|both]`. The database
and the stored pledges are made as bench/triage_queue.py makes them (its rows, with the
register's columns set: accepted, consent, a report for one pledge in three).
"""
import random
import time
import tracemalloc
from datetime import timedelta

from sqlalchemy import insert
from triage_queue import (
    CHUNK,
    COMMON_WORD,
    REQUESTS,
    WARM_UP,
    analyze,
    area_rows,
    fetch,
    measure,
    pledge_row,
    queries_per_page_size,
)

# triage_queue imports _common first, which puts the project root on sys.path for intake.
from _common import benchmark_app, database_version, run_on_each_database
from intake.extensions import db
from intake.models import Pledge, PledgeActionArea, ProgressReport
from tests.support.sql import queries, sql_sent

TARGET_MS = 50
SIZES = (10_000, 100_000)  # published pledges stored
REPORT_EVERY = 3
SCENARIOS = (
    ("no filters", "/register"),
    ("region + action area", "/register?region=Europe&area=essential-services"),
    ("support sought", "/register?support=funding"),
    (f"search ({COMMON_WORD}, in 1/3)", f"/register?q={COMMON_WORD}"),
    ("sorted by city", "/register?sort=city"),
    ("sorted by the latest report", "/register?sort=reported"),
    ("last page", "/register?page=LAST"),
)
APP_CONFIG = {"REGISTER_PAGE_SIZE": 20, "RATE_LIMITS_ENABLED": False}


def register_row(i, rng):
    """The queue benchmark's pledge i, published; one in ten is not (not accepted, or accepted
    without the city's consent)."""
    row = pledge_row(i, rng, [None])
    sent = row["submitted_at"] or row["created_at"]
    hidden = i % 10 == 0
    row.update(reference=f"CTA-{sent.year}-{i:06d}", submitted_at=sent, furthest_step=5,
               review_state="submitted" if hidden and i % 20 == 0 else "accepted",
               consent_publish=not hidden, accepted_at=sent + timedelta(days=7),
               implementation_stage=rng.choice(("planning", "in-progress", "fulfilled")),
               support_sought=rng.sample(["funding", "technical", "peer-exchange", "data"], 2),
               last_report_at=sent + timedelta(days=200) if i % REPORT_EVERY == 0 else None,
               assignee_id=None)
    return row


def report_row(row):
    return {"pledge_id": row["id"], "state": "sent", "stage": "in-progress",
            "done": row["commitment"][:200], "results": row["title"], "share_delivered": 40,
            "evidence_links": ["https://city.example/report"], "help_needed": None,
            "language": row["language"], "created_at": row["last_report_at"],
            "updated_at": row["last_report_at"], "sent_at": row["last_report_at"]}


def add_pledges(first_id, published, rng):
    """Insert pledges from first_id until `published` more are published; returns the next
    free id."""
    connection = db.session.connection()
    pledges, areas, reports, added, i = [], [], [], 0, first_id
    while added < published:
        row = register_row(i, rng)
        pledges.append(row)
        areas.extend(area_rows(i, rng))
        if row["last_report_at"]:
            reports.append(report_row(row))
        added += row["consent_publish"] and row["review_state"] == "accepted"
        i += 1
        if len(pledges) == CHUNK or added == published:
            connection.execute(insert(Pledge.__table__), pledges)
            connection.execute(insert(PledgeActionArea.__table__), areas)
            if reports:
                connection.execute(insert(ProgressReport.__table__), reports)
            pledges, areas, reports = [], [], []
    db.session.commit()
    return i


def rows_shown(html):
    return html.count('<span class="reference">')


def last_page(client):
    html = fetch(client, "/register")
    marker = "Page 1 of "
    start = html.index(marker) + len(marker)
    return int(html[start:html.index("<", start)].replace(",", ""))


def print_pages(app, client, stored):
    for label, url in SCENARIOS:
        url = url.replace("LAST", str(last_page(client)))
        median, p95, per_request, rows = measure(app, client, url, rows_shown)
        print(f"   {stored:>8,}  {label:<32}{median:>7.1f} ms{p95:>7.1f} ms"
              f"{per_request:>9.0f}{rows:>6}   {median / TARGET_MS:.2f}x")


def download(client):
    """Bytes of the JSON download, read chunk by chunk and dropped, as a client reads it."""
    response = client.get("/register/pledges.json", buffered=False)
    size = 0
    try:
        for chunk in response.response:
            size += len(chunk)
    finally:
        response.close()
    return size


def print_download(app, client, stored):
    with sql_sent(app) as sent:
        started = time.perf_counter()
        size = download(client)
        elapsed = time.perf_counter() - started
    sent_queries = len(queries(sent))
    tracemalloc.start()
    download(client)
    _current, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(f"   {stored:>8,}  {elapsed:>8.2f} s {size / 1e6:>9.1f} MB {sent_queries:>8}"
          f"{peak / 1e6:>10.1f} MB")


def bench_database(kind):
    with benchmark_app(kind, APP_CONFIG) as (app, where):
        started = time.perf_counter()
        rng = random.Random(2026)
        with app.app_context():
            print(f"\n== {database_version()} ({where}; tables by the migrations)")
        client = app.test_client()
        next_id, stored = 1, 0
        print(f"   Median and p95 server time of {REQUESTS} GETs after {WARM_UP} warm-up, "
              f"anonymous; queries per request; rows on the page. Target {TARGET_MS} ms.")
        print(f"   {'stored':>8}  {'view':<32}{'median':>10}{'p95':>10}{'queries':>9}"
              f"{'rows':>6}   vs target")
        for size in SIZES:
            load_started = time.perf_counter()
            with app.app_context():
                next_id = add_pledges(next_id, size - stored, rng)
                analyze()
            print(f"   {'':>8}  (+{size - stored:,} published pledges, and one in ten not "
                  f"published, inserted in {time.perf_counter() - load_started:.1f} s)")
            stored = size
            print_pages(app, client, size)
            if size == SIZES[-1]:
                per_size = queries_per_page_size(app, client, "REGISTER_PAGE_SIZE",
                                                  "/register", rows_shown)
                print("\n   Queries for the register page by rows shown (no filters, "
                      f"{stored:,} stored): " + ", ".join(
                          f"{rows} rows -> {count} queries" for count, rows in per_size.values()))
            print(f"\n   JSON download: time to read it whole, size, queries, peak Python memory "
                  f"(tracemalloc)\n   {'stored':>8}  {'time':>10} {'size':>12} {'queries':>8}"
                  f"{'peak':>13}")
            print_download(app, client, stored)
            print()
        print(f"   ({time.perf_counter() - started:.0f} s for this database)")


def main():
    run_on_each_database(bench_database, __doc__)


if __name__ == "__main__":
    main()
