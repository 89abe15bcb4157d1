"""The one guard for a `next` address: a path on this site, or nothing (never another site);
and the site's absolute addresses, from BASE_URL."""
from urllib.parse import urlsplit

from flask import current_app, url_for

MAX_LENGTH = 2000


def local_path(target):
    """The target if it is a path on this site, else None."""
    if not isinstance(target, str) or not target or len(target) > MAX_LENGTH:
        return None
    if not target.startswith("/") or target.startswith("//") or "\\" in target:
        return None
    if any(ord(char) < 0x21 or ord(char) == 0x7F for char in target):
        return None  # browsers drop tabs and newlines: "/\t/evil.example" is off-site
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def public_url(endpoint, **values):
    """An absolute address of this site, from BASE_URL (never the host a request came in on):
    for links that leave the page, in emails, the feed and the open data."""
    return current_app.config["BASE_URL"] + url_for(endpoint, **values)
