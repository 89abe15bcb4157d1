"""A private link made in this browser waits, on the server, to be shown once on the "saved"
page: its raw token is kept in Redis, sealed (web/sealed.py) and for a limited time, under the
hash the session holds; showing it forgets it. The session cookie itself holds only the
pledge's id and the link's hash, never the link."""
import redis
from flask import current_app

from ..extensions import get_redis
from ..pledges.links import hash_token
from ..web.sealed import seal, unseal

KEY_PREFIX = "intake:unshown-link:"
PURPOSE = "unshown-link"


def _key(link_hash):
    return KEY_PREFIX + link_hash


def keep(raw_token):
    seconds = int(current_app.config["UNSHOWN_LINK_KEPT_FOR"].total_seconds())
    try:
        get_redis().set(_key(hash_token(raw_token)), seal(PURPOSE, raw_token), ex=seconds)
    except redis.RedisError as error:
        current_app.logger.warning("Private link not kept to be shown: %s", error)


def waiting(link_hash):
    """True when the link is still to be shown, False when it is not, None when Redis cannot
    tell."""
    try:
        return bool(get_redis().exists(_key(link_hash)))
    except redis.RedisError as error:
        current_app.logger.warning("Private link to be shown not read: %s", error)
        return None


def take(link_hash):
    """The raw token, the one time it is shown; None once it has been (or after a while)."""
    if not link_hash:
        return None
    try:
        with get_redis().pipeline() as pipe:
            pipe.get(_key(link_hash))
            pipe.delete(_key(link_hash))
            sealed, _deleted = pipe.execute()
    except redis.RedisError as error:
        current_app.logger.warning("Private link to be shown not read: %s", error)
        return None
    raw_token = unseal(PURPOSE, sealed.decode("ascii")) if sealed else None
    if raw_token is None or hash_token(raw_token) != link_hash:
        return None
    return raw_token
