"""Benchmarks of the pledge intake, printed (nothing is asserted):

1. server time of each intake step's GET and POST on the embedded SQLite default;
2. gzipped weight of the first pages (HTML + the CSS and JS they reference);
3. URLs in those pages that would leave the app's own origin;
4. SQL statements per step save (POST) and per submit, and which ones.

Run from the project root: `.venv/bin/python bench/intake_steps.py` (or `make bench`).
"""
import gzip
import sqlite3
import statistics
import time
from collections import Counter, defaultdict
from html.parser import HTMLParser
from urllib.parse import urlsplit

# _common first: it puts the project root on sys.path for the imports below.
from _common import benchmark_app, call_timed, describe_python
from intake.extensions import db
from tests.support.browser import csrf_token_in
from tests.support.client import ANSWERS, STEP_SLUGS, step_url
from tests.support.sql import sql_sent, statement_kind

PLEDGES = 200
WARM_UP_PLEDGES = 10
TARGET_MS = 15
TARGET_BYTES = 40 * 1024
GZIP_LEVEL = 6  # as intake.web.responses.compress does
FIRST_PAGES = ("/", "/pledge/step/city")
REVIEW_URL = "/pledge/review"
BROWSER_HEADERS = {"Accept-Encoding": "gzip, deflate, br"}  # so the app's compression is timed
REVIEW_ANSWERS = {"consent_contact": "y", "consent_publish": "y"}
# Every pledge comes from one client address, at once: the rate limits and step 1's minimum
# fill time would refuse them. What the limiter adds is bench/limiter_overhead.py's figure.
APP_CONFIG = {"RATE_LIMITS_ENABLED": False, "FORM_MIN_FILL_SECONDS": 0}


# --- 1. server time per step -----------------------------------------------------


class ServerTimer:
    """WSGI middleware: milliseconds spent in the app per (method, path), body included."""

    def __init__(self, wsgi_app):
        self.wsgi_app = wsgi_app
        self.samples = defaultdict(list)
        self.recording = False

    def __call__(self, environ, start_response):
        chunks, elapsed_ms = call_timed(self.wsgi_app, environ, start_response)
        if self.recording:
            self.samples[(environ["PATH_INFO"], environ["REQUEST_METHOD"])].append(elapsed_ms)
        return chunks


def page_text(response):
    data = response.get_data()
    if response.headers.get("Content-Encoding") == "gzip":
        data = gzip.decompress(data)
    return data.decode("utf-8")


def expect_status(response, expected, method, url):
    if response.status_code != expected:
        raise SystemExit(f"{method} {url} answered {response.status_code}, expected {expected}:\n"
                         f"{page_text(response)[:1500]}")


def open_form(client, url):
    """GET a page and return the CSRF token of its form, as a browser would submit it."""
    response = client.get(url, headers=BROWSER_HEADERS)
    expect_status(response, 200, "GET", url)
    return csrf_token_in(page_text(response))


def send_form(client, url, answers, csrf_token):
    response = client.post(url, data={**answers, "csrf_token": csrf_token},
                           headers=BROWSER_HEADERS)
    expect_status(response, 303, "POST", url)


def complete_one_pledge(app):
    """A city contact without JavaScript, in a fresh browser session, from step 1 to submit."""
    client = app.test_client()
    for slug in STEP_SLUGS:
        url = step_url(slug)
        send_form(client, url, {**ANSWERS[slug], "action": "continue"}, open_form(client, url))
    send_form(client, REVIEW_URL, REVIEW_ANSWERS, open_form(client, REVIEW_URL))


def time_intake_steps(app):
    timer = ServerTimer(app.wsgi_app)
    app.wsgi_app = timer
    for _ in range(WARM_UP_PLEDGES):
        complete_one_pledge(app)
    timer.recording = True
    started = time.perf_counter()
    for _ in range(PLEDGES):
        complete_one_pledge(app)
    elapsed = time.perf_counter() - started
    app.wsgi_app = timer.wsgi_app
    return timer.samples, elapsed


def p95(samples):
    return statistics.quantiles(samples, n=20, method="inclusive")[-1]


def print_step_times(samples, elapsed):
    print(f"\n1. Server time per request: {PLEDGES} full pledges after {WARM_UP_PLEDGES} warm-up, "
          f"CSRF on, gzip accepted ({elapsed:.1f} s wall clock)")
    print(f"   {'request':<31}{'median':>9}{'p95':>9}   median vs {TARGET_MS} ms target")
    for (path, method), times in samples.items():
        median = statistics.median(times)
        print(f"   {method + ' ' + path:<31}{median:>6.2f} ms{p95(times):>6.2f} ms"
              f"   {median / TARGET_MS:.2f}x of target")


# --- 2 and 3. first-page weight and third-party URLs -------------------------------


class PageLinks(HTMLParser):
    """The stylesheets and scripts a page loads, and every src/href/action it contains."""

    def __init__(self):
        super().__init__()
        self.assets = []
        self.urls = []

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        self.urls.extend(attrs[name] for name in ("src", "href", "action") if attrs.get(name))
        if tag == "link" and "stylesheet" in (attrs.get("rel") or "").split() and attrs.get("href"):
            self.assets.append(("css", attrs["href"]))
        if tag == "script" and attrs.get("src"):
            self.assets.append(("js", attrs["src"]))


def links_of(html):
    parser = PageLinks()
    parser.feed(html)
    return parser


def is_absolute(url):
    return url.startswith("//") or bool(urlsplit(url).scheme)


def gzipped_size(data):
    return len(gzip.compress(data, compresslevel=GZIP_LEVEL))


def fetch(client, url):
    """(raw bytes, bytes the app actually sends to a browser that accepts gzip)."""
    raw = client.get(url)
    expect_status(raw, 200, "GET", url)
    served = client.get(url, headers=BROWSER_HEADERS)
    return raw.get_data(), len(served.get_data())


def print_page_weight(client, page_url):
    """Returns the page's links, for the third-party check."""
    html, served = fetch(client, page_url)
    links = links_of(html.decode("utf-8"))
    rows = [("html", page_url, html, served)]
    for kind, url in links.assets:
        if is_absolute(url):
            continue  # counted by the third-party check, not fetchable here
        rows.append((kind, url, *fetch(client, url)))
    print(f"   {page_url}")
    total = 0
    for kind, url, data, served in rows:
        size = gzipped_size(data)
        total += size
        print(f"     {kind:<5}{url:<42}{len(data):>8} B{size:>8} B{served:>8} B")
    print(f"     {'total':<47}{total:>18} B   {total / TARGET_BYTES:.2f}x of target")
    return links


def print_first_pages(app):
    client = app.test_client()
    print(f"\n2. First-page weight, gzip level {GZIP_LEVEL} (target {TARGET_BYTES} B = 40 KB)")
    print(f"     {'kind':<5}{'url':<42}{'raw':>10}{'gzip-6':>10}{'served':>10}")
    links_by_page = {page: print_page_weight(client, page) for page in FIRST_PAGES}
    print("\n3. URLs leaving the app's origin (src/href/action with a scheme or //), target 0")
    count = 0
    for page, links in links_by_page.items():
        absolute = [url for url in links.urls if is_absolute(url)]
        count += len(absolute)
        print(f"   {page:<28}{len(absolute):>3}  {' '.join(absolute) or '-'}")
    print(f"   {'total':<28}{count:>3}")


# --- 4. SQL statements per request ------------------------------------------------------

STATEMENT_PLEDGES = 20


class StatementCounter:
    """WSGI middleware: the SQL statements each (method, path) sent (tests/support/sql.py), and
    their first words ("SELECT outbox_email", "UPDATE pledge") for the last of them."""

    def __init__(self, app):
        self.app = app
        self.wsgi_app = app.wsgi_app
        self.counts = defaultdict(list)
        self.kinds = {}

    def __call__(self, environ, start_response):
        with sql_sent(self.app) as sent:
            chunks = list(self.wsgi_app(environ, start_response))
        key = (environ["PATH_INFO"], environ["REQUEST_METHOD"])
        self.counts[key].append(len(sent))
        self.kinds[key] = Counter(statement_kind(statement) for statement in sent)
        return chunks


def count_statements(app):
    counter = StatementCounter(app)
    app.wsgi_app = counter
    try:
        for _ in range(STATEMENT_PLEDGES):
            complete_one_pledge(app)
    finally:
        app.wsgi_app = counter.wsgi_app
    return counter


def print_statements(counter):
    print(f"\n4. SQL statements per request ({STATEMENT_PLEDGES} full pledges; the POSTs save a "
          f"step, the review POST submits)")
    print(f"   {'request':<31}{'median':>7}{'max':>5}   statements of the last one")
    for (path, method), counts in counter.counts.items():
        kinds = ", ".join(f"{count}x {kind}" if count > 1 else kind
                          for kind, count in counter.kinds[(path, method)].most_common())
        print(f"   {method + ' ' + path:<31}{statistics.median(counts):>7.0f}{max(counts):>5}"
              f"   {kinds}")
    saves = [count for (path, method), counts in counter.counts.items()
             if method == "POST" and path != REVIEW_URL for count in counts]
    submits = counter.counts[(REVIEW_URL, "POST")]
    print(f"   per step save: median {statistics.median(saves):.0f}, max {max(saves)}; "
          f"per submit: median {statistics.median(submits):.0f}, max {max(submits)}")


def main():
    print(describe_python())
    with benchmark_app("sqlite", APP_CONFIG) as (app, _where):
        with app.app_context():
            print(f"Database: {db.engine.dialect.name} {sqlite3.sqlite_version} "
                  f"(fresh file in a temporary folder, schema by the migrations)")
        print_step_times(*time_intake_steps(app))
        print_first_pages(app)
        print_statements(count_statements(app))


if __name__ == "__main__":
    main()
