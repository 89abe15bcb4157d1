"""Log lines without secrets. A path segment that holds a private token (every route with a
<token> argument: /resume/<token>, /track/<token>/status polled every 30 seconds,
/unsubscribe/<token>...) is replaced by "…" in each record of the loggers that write requests:
Werkzeug's (the development server's access log), the app's own (an exception names its path),
and Gunicorn's."""
import logging
import re

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


def register(app):
    """Install the filter on the request loggers and the app's logger (once each)."""
    MASK_TOKENS.learn(token_prefixes(app.url_map))
    for logger in (*map(logging.getLogger, REQUEST_LOGGERS), app.logger):
        if MASK_TOKENS not in logger.filters:
            logger.addFilter(MASK_TOKENS)
