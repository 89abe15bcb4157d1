"""Proof under load, on loopback: the app under gunicorn (gunicorn.conf.py, as deployed) on
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
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import requests
from sqlalchemy import select

# _common first: it puts the project root on sys.path for the imports below.
from _common import PROJECT_ROOT, describe_python, postgres_schema
from intake.extensions import db
from intake.models import OutboxEmail, Pledge
from load_setup import (
    CountingSink,
    Processes,
    app_environment,
    dispose,
    print_sink_phase,
    seed_database,
    seeding_app,
    wait_until_healthy,
)
from tests.support.browser import csrf_token_in
from tests.support.servers import RedisServer
from tests.support.smtp import free_port

BENCH = Path(__file__).resolve().parent
BURST_BROWSERS = 16
ACK_TARGET_SECONDS = 300
# The production settings (2 gthread workers of 4 threads, keep-alive 20 s, processes never
# replaced), so that the load meets what a deployment runs; only the bind differs.
GUNICORN_FLAGS = ("--config", str(PROJECT_ROOT / "gunicorn.conf.py"))


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
        if args.keep_logs:  # registered first, so it runs last: after every process stopped
            stack.callback(keep_logs, folder, Path(args.keep_logs))
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
    parser.add_argument("--keep-logs", metavar="FOLDER",
                        help="copy the servers' and Locust's logs there at the end")
    args = parser.parse_args()
    args.floor_seconds = args.floor_seconds or args.seconds
    return args


def keep_logs(folder, destination):
    destination.mkdir(parents=True, exist_ok=True)
    for log in [*folder.glob("*.log"), *folder.glob("*.csv")]:
        shutil.copy(log, destination / log.name)
    print(f"   logs kept in {destination}")


def out_of_time(_signum, _frame):
    raise SystemExit("load_mixed.py ran past its time budget: stopping everything it started")


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
