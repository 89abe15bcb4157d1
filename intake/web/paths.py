"""The one guard for a `next` address: a path on this site, or nothing (never another site)."""
from urllib.parse import urlsplit

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
