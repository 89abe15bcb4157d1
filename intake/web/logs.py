"""Log lines without secrets, one JSON object a line in production. A path segment that holds
a private token (every route with a <token> argument: /resume/<token>, /track/<token>/status
polled every 30 seconds, /unsubscribe/<token>...) is replaced by "…" in each record of the
loggers that write requests: Werkzeug's (the development server's access log), the app's own
(an exception names its path), and Gunicorn's; the JSON lines mask them in every record,
whatever logger wrote it.

Each request has an id: the caller's X-Request-ID when it is a sane one (a proxy's, say), else
a new one; it is sent back in the response's X-Request-ID and named in every JSON line logged
while the request is handled (and in the development server's access line after it)."""
import contextvars
import json
import logging
import re
import sys
import uuid
from datetime import datetime, timezone

from flask import request
from flask.logging import default_handler

MASK = "…"
REQUEST_LOGGERS = ("werkzeug", "gunicorn.access", "gunicorn.error")
VARIABLE = re.compile(r"<(?:[^>:]+:)?[^>]+>")


def token_prefixes(url_map, argument="token"):
    """What comes before the token in each route that takes one, as regular expressions."""
    prefixes = set()
    for rule in url_map.iter_rules():
        if argument not in rule.arguments:
            continue
        before = re.split(r"<(?:[^>:]+:)?" + argument + ">", rule.rule, maxsplit=1)[0]
        parts = VARIABLE.split(before)
        prefixes.add(r"[^/\s?#\"']+".join(re.escape(part) for part in parts))
    return prefixes


class MaskTokens(logging.Filter):
    """One filter for every app of the process (tests make many): it masks the union of their
    token routes."""

    def __init__(self):
        super().__init__()
        self.prefixes = set()
        self.pattern = None

    def learn(self, prefixes):
        if prefixes - self.prefixes:
            self.prefixes |= prefixes
            alternatives = "|".join(sorted(self.prefixes, key=len, reverse=True))
            self.pattern = re.compile(f"((?:{alternatives}))[^/\\s?#\"']+")

    def mask(self, text):
        return self.pattern.sub(lambda found: found.group(1) + MASK, text) if self.pattern \
            else text

    def filter(self, record):
        try:
            message = record.getMessage()
        except Exception:  # a record that cannot be formatted is the handler's to report
            return True
        masked = self.mask(message)
        if masked != message:
            record.msg, record.args = masked, None
        return True


MASK_TOKENS = MaskTokens()


# --- Request ids ---------------------------------------------------------------------------

REQUEST_ID_HEADER = "X-Request-ID"
SANE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:+=-]{1,128}")
# Set when a request starts, and left until the next one of the thread starts: the access
# line that the server writes just after answering still names it.
REQUEST_ID = contextvars.ContextVar("request_id", default=None)


def start_request():
    given = request.headers.get(REQUEST_ID_HEADER, "")
    REQUEST_ID.set(given if SANE_REQUEST_ID.fullmatch(given) else uuid.uuid4().hex)


def send_request_id(response):
    request_id = REQUEST_ID.get()
    if request_id:
        response.headers[REQUEST_ID_HEADER] = request_id
    return response


# --- JSON lines ----------------------------------------------------------------------------


class JsonLines(logging.Formatter):
    """One JSON object a line: time (UTC), level, logger, message, request_id, and the
    exception's traceback when there is one; tokens masked in the message and the traceback.
    Usable by Gunicorn's logging configuration too (intake.web.logs.JsonLines)."""

    def format(self, record):
        line = {
            "time": datetime.fromtimestamp(record.created, timezone.utc)
            .isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": MASK_TOKENS.mask(record.getMessage()),
            "request_id": REQUEST_ID.get(),
        }
        if record.exc_info:
            line["exception"] = MASK_TOKENS.mask(self.formatException(record.exc_info))
        elif record.exc_text:
            line["exception"] = MASK_TOKENS.mask(record.exc_text)
        return json.dumps(line, ensure_ascii=False)


class StandardError(logging.StreamHandler):
    """Writes to whatever sys.stderr is at the time (a test's capture, a redirected one)."""

    @property
    def stream(self):
        return sys.stderr

    @stream.setter
    def stream(self, _ignored):
        pass


def log_json_lines(app):
    """Every logger of the process writes JSON lines, through one handler on the root logger
    (installed once, whatever number of apps the process makes). The app's logger, Flask's
    own handler removed, goes through it too."""
    root = logging.getLogger()
    if not any(isinstance(handler.formatter, JsonLines) for handler in root.handlers):
        handler = StandardError()
        handler.setFormatter(JsonLines())
        root.addHandler(handler)
    root.setLevel(app.config["LOG_LEVEL"])
    app.logger.removeHandler(default_handler)


def register(app):
    """Install the filter on the request loggers and the app's logger (once each), the request
    id, and the JSON lines when LOG_FORMAT is json."""
    MASK_TOKENS.learn(token_prefixes(app.url_map))
    for logger in (*map(logging.getLogger, REQUEST_LOGGERS), app.logger):
        if MASK_TOKENS not in logger.filters:
            logger.addFilter(MASK_TOKENS)
    # First of the app's hooks: what the others log (a refused form token...) names it.
    app.before_request_funcs.setdefault(None, []).insert(0, start_request)
    app.after_request(send_request_id)
    if app.config["LOG_FORMAT"] == "json":
        log_json_lines(app)
