"""Benchmark of checking pooled database connections, printed (nothing is asserted): what each way
of finding a connection the database dropped costs a busy pool.

Three engines on the same PostgreSQL database: no check at all; the app's default (a connection
unused for DATABASE_POOL_PING_IDLE_SECONDS, 10, is tried before use: intake.extensions.
ping_idle_connections); and SQLAlchemy's pool_pre_ping (DATABASE_POOL_PRE_PING=1: every checkout
tried). Each runs the same short transactions (checkout, one indexed query, commit, checkin)
back to back, as a busy web process does, in rounds where each goes first in turn, so that all
three see the same machine load. Printed: the median and the best round's microseconds per
transaction, each with its ratio to no check (the best round is the least disturbed by other
load). Then the recovery each gives: the pool's connections are ended on the server side
(pg_terminate_backend, this engine's own only) and the next transaction either succeeds or
fails.

Run from the project root: `.venv/bin/python bench/db_pool_ping.py [--database-url URL]`
(default: TEST_DATABASE_URL, else postgresql://postgres@127.0.0.1:5432/test); a few seconds.
"""
import argparse
import os
import statistics
import time

import psycopg
from sqlalchemy import create_engine, event, text
from sqlalchemy.exc import DBAPIError

import _common  # noqa: F401  (puts the project root on sys.path)
from intake.config import normalise_database_url
from intake.extensions import ping_idle_connections

TRANSACTIONS = 1000  # per engine and round
ROUNDS = 11
QUERY = text("SELECT relname FROM pg_class WHERE oid = :oid")


def engines(url):
    plain = create_engine(url, pool_size=1)
    idle = create_engine(url, pool_size=1)
    ping_idle_connections(idle, 10)
    pre_ping = create_engine(url, pool_size=1, pool_pre_ping=True)
    return {"no check": plain, "idle ping (default)": idle, "pool_pre_ping": pre_ping}


def per_transaction_us(engine):
    started = time.perf_counter()
    for _ in range(TRANSACTIONS):
        with engine.connect() as connection:
            connection.execute(QUERY, {"oid": 1259}).scalar()
            connection.commit()
    return (time.perf_counter() - started) / TRANSACTIONS * 1e6


def recovers(engine, admin_url, idle_seconds):
    pids = []
    event.listen(engine, "connect", lambda dbapi, _r: pids.append(dbapi.info.backend_pid))
    engine.dispose()
    with engine.connect() as connection:
        connection.execute(text("SELECT 1"))
    with psycopg.connect(admin_url, autocommit=True) as admin:
        admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                      "WHERE pid = ANY(%s)", (pids,))
    time.sleep(idle_seconds)
    try:
        with engine.connect() as connection:
            connection.execute(text("SELECT 1"))
        return "next transaction succeeds"
    except DBAPIError:
        return "next transaction fails (the one after succeeds)"


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--database-url", default=os.environ.get(
        "TEST_DATABASE_URL", "postgresql://postgres@127.0.0.1:5432/test"))
    args = parser.parse_args()
    try:
        psycopg.connect(args.database_url.replace("+psycopg", ""), connect_timeout=3).close()
    except psycopg.OperationalError as error:
        print(f"No PostgreSQL at {args.database_url} ({error}): nothing measured.")
        return
    made = engines(normalise_database_url(args.database_url))
    for engine in made.values():
        per_transaction_us(engine)  # warm up: connect, plan the query
    times = {name: [] for name in made}
    names = list(made)
    for round_number in range(ROUNDS):  # each engine first in turn
        for name in names[round_number % 3:] + names[:round_number % 3]:
            times[name].append(per_transaction_us(made[name]))
    with made["no check"].connect() as connection:
        version = connection.execute(text("SHOW server_version")).scalar()
    print(f"PostgreSQL {version}, {TRANSACTIONS} transactions x {ROUNDS} rounds per engine")
    base, best_base = statistics.median(times["no check"]), min(times["no check"])
    print(f"{'check':<22}{'median us':>10}{'ratio':>8}{'best us':>10}{'ratio':>8}")
    for name, values in times.items():
        median, best = statistics.median(values), min(values)
        print(f"{name:<22}{median:>10.1f}{median / base:>7.2f}x{best:>10.1f}"
              f"{best / best_base:>7.2f}x")
    admin_url = args.database_url.replace("+psycopg", "")
    print("after the server ended the pool's connections:")
    print(f"  no check, at once:           {recovers(made['no check'], admin_url, 0)}")
    idle = made["idle ping (default)"]
    print(f"  idle ping, 10 s later:       {recovers(idle, admin_url, 10.1)}")
    print(f"  idle ping, at once:          {recovers(idle, admin_url, 0)}")
    print(f"  pool_pre_ping, at once:      {recovers(made['pool_pre_ping'], admin_url, 0)}")
    for engine in made.values():
        engine.dispose()


if __name__ == "__main__":
    main()
