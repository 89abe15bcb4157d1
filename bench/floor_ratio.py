"""The app's throughput against the bare floor's, page by page: the start page, step 1 of a new
pledge, every step of a draft and its "check your answers" page, each served by the app under
gunicorn (2 sync workers) and, side by side, by the bare floor (bench/floor_app.py: Flask and
one Jinja template, no database, Redis, session or translation) serving a page of the same
size under the same gunicorn flags. A draft's pages are also set beside the draft floor
(`floor_app:draft_app`): the bare floor plus what a page of a private draft cannot do without,
reading the signed session cookie and one primary-key SELECT of the pledge row on the app's
database; how far the app is from it says what is left to cut in the app, and how far the draft
floor is from the bare floor what the target can mean for such a page at all. All are loaded
by wrk on loopback (a Python client when wrk is not installed), the app and the floors in
alternation, page by page, round after round.

Per page: the bytes of the body, the median requests per second of the app and of the floor,
the median of the rounds' ratios (each round: the app's run over the floor's run just after
it) with the lowest and highest, and PASS or FAIL against the target (0.5x: half the floor's
throughput; the stretch target is 0.7x). For a draft's page, then: the draft floor's requests
per second, the app's ratio to it, and the draft floor's own ratio to the bare floor.

Run from the project root: `.venv/bin/python bench/floor_ratio.py [--seconds 3] [--rounds 3]
[--connections 4] [--database postgresql|sqlite] [--pages home,new]` (about four minutes with
the defaults). The app runs as in production (APP_ENV=production, rate limits on) on a
PostgreSQL schema of its own on 127.0.0.1:5432/test (dropped at the end) or a fresh SQLite
file, and a redis-server of its own. A draft is made once through the form in this process
(a test client); its session cookie is what wrk sends for the draft's pages. Gunicorn's access
log is off for both.
"""
import argparse
import contextlib
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from http.client import HTTPConnection
from pathlib import Path

import requests

# _common first: it puts the project root on sys.path for the imports below.
from _common import database_url, describe_python
from load_setup import (
    Processes,
    app_environment,
    dispose,
    seeding_app,
    wait_until_healthy,
)
from tests.support.client import STEP_SLUGS, ContactBrowser, step_url
from tests.support.servers import RedisServer
from tests.support.smtp import free_port

BENCH = Path(__file__).resolve().parent
TARGET, STRETCH = 0.5, 0.7
GUNICORN_FLAGS = ("--workers", "2", "--worker-class", "sync", "--timeout", "30",
                  "--graceful-timeout", "5")
WARM_UP_REQUESTS = 200


def pages():
    """(name, path, whether the draft's cookie is sent)."""
    return [("home /", "/", False), ("step 1, new pledge", step_url("city"), False),
            *((f"draft: {slug}", step_url(slug), True) for slug in STEP_SLUGS),
            ("draft: check answers", "/pledge/review", True)]


def main():
    args = parse_args()
    print(describe_python())
    load = "wrk" if shutil.which("wrk") else "a Python client (wrk is not installed)"
    print(f"{load}, {args.connections} connections, {args.seconds} s per run, {args.rounds} "
          f"rounds of app then floor per page; gunicorn {' '.join(GUNICORN_FLAGS)}")
    with contextlib.ExitStack() as stack:
        folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="intake-floor-")))
        url, where = stack.enter_context(database_url(args.database, folder))
        redis_server = RedisServer(str(folder))
        redis_server.start()
        stack.callback(redis_server.stop)
        processes = stack.enter_context(Processes())
        app_port, floor_port, draft_floor_port = free_port(), free_port(), free_port()
        env = {**app_environment(url, redis_server.url, free_port(), app_port),
               "APP_ENV": "production", "BASE_URL": "https://pledges.bench",
               "RATE_LIMITS_ENABLED": "1", "LOG_LEVEL": "WARNING"}
        app = seeding_app(env, folder)
        stack.callback(dispose, app)
        cookie = draft_cookie(app)
        print(f"database: {where}; redis-server on port {redis_server.port}")

        empty_config = folder / "gunicorn.conf.py"
        empty_config.write_text("")
        app_spec = f"intake:create_app(instance_path={str(folder / 'instance')!r})"
        processes.start("app", gunicorn(app_port, empty_config, app_spec), env, folder)
        wait_until_healthy(app_port)

        chosen = [page for page in pages() if not args.pages
                  or any(word in page[0] for word in args.pages.split(","))]
        measured = [(name, path, with_cookie, body_bytes(app_port, path,
                                                         cookie if with_cookie else None))
                    for name, path, with_cookie in chosen]
        sizes_file = folder / "floor-sizes.json"
        sizes_file.write_text(json.dumps({f"GET {floor_path(name)}": size
                                          for name, _path, _cookie, size in measured}))
        processes.start("floor", gunicorn(floor_port, empty_config, "floor_app:app"),
                        {**env, "LOAD_FLOOR_SIZES": str(sizes_file), "PYTHONPATH": str(BENCH)},
                        folder)
        wait_until_healthy(floor_port)  # the floor answers any path
        if any(with_cookie for _name, _path, with_cookie, _size in measured):
            processes.start("draft floor", gunicorn(draft_floor_port, empty_config,
                                                    "floor_app:draft_app"),
                            {**env, "LOAD_FLOOR_SIZES": str(sizes_file),
                             "PYTHONPATH": str(BENCH)}, folder)
            wait_for_draft_floor(draft_floor_port, cookie)

        results = {name: ([], [], []) for name, *_rest in measured}
        for name, path, with_cookie, _size in measured:  # warm-up: templates compiled
            headers = cookie_header(cookie if with_cookie else None)
            run_load(app_port, path, headers, args, requests_only=WARM_UP_REQUESTS)
            run_load(floor_port, floor_path(name), {}, args, requests_only=WARM_UP_REQUESTS)
            if with_cookie:
                run_load(draft_floor_port, floor_path(name), headers, args,
                         requests_only=WARM_UP_REQUESTS)
        for _round in range(args.rounds):
            for name, path, with_cookie, _size in measured:
                headers = cookie_header(cookie if with_cookie else None)
                ours, floor, draft_floor = results[name]
                ours.append(run_load(app_port, path, headers, args))
                floor.append(run_load(floor_port, floor_path(name), {}, args))
                if with_cookie:
                    draft_floor.append(run_load(draft_floor_port, floor_path(name), headers,
                                                args))
        print_table(measured, results)
        print(f"machine load after the runs (1, 5, 15 min): {load_average()}")


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=3, help="length of each run")
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--connections", type=int, default=4)
    parser.add_argument("--database", choices=("postgresql", "sqlite"), default="postgresql")
    parser.add_argument("--pages", default="",
                        help="only the pages whose name holds one of these words, e.g. home,new")
    return parser.parse_args()


def gunicorn(port, config, spec):
    return [sys.executable, "-m", "gunicorn", "--config", str(config), *GUNICORN_FLAGS,
            "--bind", f"127.0.0.1:{port}", spec]


def floor_path(name):
    """The floor serves each page under a path of its own (it answers any path)."""
    return "/" + re.sub(r"[^a-z0-9]+", "-", name).strip("-")


def draft_cookie(app):
    """The session cookie of a browser whose draft has every step answered, as the browser
    holds it once it has shown a page of the draft: the first such page marks the session
    (Flask-Login's session protection) and sends the cookie again, once. Sent unchanged on
    every request, the cookie before it would make each one pay that again."""
    app.config.update(RATE_LIMITS_ENABLED=False, FORM_MIN_FILL_SECONDS=0)
    client = app.test_client()
    ContactBrowser(client).complete_steps()
    client.get("/pledge/review")
    return client.get_cookie(app.config["SESSION_COOKIE_NAME"]).value


def wait_for_draft_floor(port, cookie, seconds=30):
    """The draft floor answers a draft's cookie with a page (it refuses a request without)."""
    deadline = time.monotonic() + seconds
    while True:
        try:
            if requests.get(f"http://127.0.0.1:{port}/", headers=cookie_header(cookie),
                            timeout=5).status_code == 200:
                return
        except (requests.ConnectionError, requests.Timeout):  # still starting
            pass
        if time.monotonic() > deadline:
            raise SystemExit(f"the draft floor on port {port} did not answer")
        time.sleep(0.2)


def cookie_header(cookie):
    return {"Cookie": f"session={cookie}"} if cookie else {}


def body_bytes(port, path, cookie):
    """The page's size as the app sends it uncompressed (wrk asks for no gzip either)."""
    response = requests.get(f"http://127.0.0.1:{port}{path}", allow_redirects=False,
                            headers={"Accept-Encoding": "identity", **cookie_header(cookie)},
                            timeout=10)
    if response.status_code != 200:
        raise SystemExit(f"GET {path} answered {response.status_code}, not 200")
    if cookie and "Set-Cookie" in response.headers:  # wrk would send the old one every time
        raise SystemExit(f"GET {path} sent the draft's session cookie again")
    return len(response.content)


# --- the load ---------------------------------------------------------------------------------


def run_load(port, path, headers, args, requests_only=None):
    """Requests per second of GET `path`; with requests_only, that many requests, unmeasured."""
    url = f"http://127.0.0.1:{port}{path}"
    if requests_only:
        return python_load(port, path, headers, 1, requests_only=requests_only)
    if shutil.which("wrk"):
        return wrk(url, headers, args.connections, args.seconds)
    return python_load(port, path, headers, args.connections, seconds=args.seconds)


def wrk(url, headers, connections, seconds):
    command = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "10s"]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    done = subprocess.run([*command, url], capture_output=True, text=True, check=True,
                          timeout=seconds + 30)
    failed = re.search(r"Non-2xx or 3xx responses: (\d+)", done.stdout)
    errors = re.search(r"Socket errors: (.*)", done.stdout)
    if failed or (errors and re.search(r"(read|write|timeout) [1-9]", errors.group(1))):
        raise SystemExit(f"{url}: wrk saw failures:\n{done.stdout}")
    return float(re.search(r"Requests/sec:\s+([\d.]+)", done.stdout).group(1))


def python_load(port, path, headers, connections, seconds=None, requests_only=None):
    """Threads that each GET `path` in a loop on a connection of their own (reopened when the
    server closes it, as gunicorn's sync workers do after every response)."""
    counts = [0] * connections
    stop_at = time.monotonic() + seconds if seconds else None

    def client(index):
        while (requests_only is None or sum(counts) < requests_only) and \
                (stop_at is None or time.monotonic() < stop_at):
            connection = HTTPConnection("127.0.0.1", port, timeout=10)
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            response.read()
            connection.close()
            if response.status != 200:
                raise SystemExit(f"GET {path} answered {response.status}")
            counts[index] += 1

    started = time.monotonic()
    threads = [threading.Thread(target=client, args=(index,)) for index in range(connections)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return sum(counts) / (time.monotonic() - started)


# --- the table --------------------------------------------------------------------------------


def print_table(measured, results):
    """The ratio of each round is the app's run over the floor's run just after it (both under
    the same load of the machine); the page's ratio is the median of its rounds, shown with
    the lowest and highest."""
    print(f"\n{'page':26} {'bytes':>7} {'req/s app':>10} {'req/s floor':>12} {'ratio':>7} "
          f"{'rounds':>11}  target {TARGET}x (stretch {STRETCH}x)")
    for name, _path, _cookie, size in measured:
        ours, floor, _draft_floor = results[name]
        rounds = [mine / bare for mine, bare in zip(ours, floor, strict=True)]
        ratio = statistics.median(rounds)
        print(f"{name:26} {size:>7} {statistics.median(ours):>10.0f} "
              f"{statistics.median(floor):>12.0f} {ratio:>6.2f}x {min(rounds):>5.2f}-"
              f"{max(rounds):.2f}x  {verdict_of(ratio)}")
    drafts = [(name, results[name]) for name, *_rest in measured if results[name][2]]
    if not drafts:
        return
    print(f"\n{'against the draft floor':26} {'req/s draft floor':>18} {'app/draft floor':>16} "
          f"{'draft floor/bare':>17}  app/draft floor against {TARGET}x")
    for name, (ours, floor, draft_floor) in drafts:
        to_draft = statistics.median(
            [mine / reachable for mine, reachable in zip(ours, draft_floor, strict=True)])
        reachable = statistics.median(
            [least / bare for least, bare in zip(draft_floor, floor, strict=True)])
        print(f"{name:26} {statistics.median(draft_floor):>18.0f} {to_draft:>15.2f}x "
              f"{reachable:>16.2f}x  {verdict_of(to_draft)}")


def verdict_of(ratio):
    return ("PASS" if ratio >= TARGET else "FAIL") + (" (stretch too)" if ratio >= STRETCH else "")


def load_average():
    return " ".join(Path("/proc/loadavg").read_text().split()[:3])


if __name__ == "__main__":
    main()
