"""Private links: a token opens one pledge. Only the token's SHA-256 is stored; the raw token
is handed out once, in an email or on the page that saves a draft."""
import hashlib
import secrets
from functools import lru_cache

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from ..clock import as_utc, utcnow
from ..extensions import db, read_outside_a_transaction
from ..models import AccessToken, Pledge

MAX_TOKEN_LENGTH = 100


def hash_token(raw_token):
    return hashlib.sha256(raw_token.encode("utf-8")).hexdigest()


def issue_access_token(pledge, lifetime, now=None, purpose="resume"):
    """Create a private link token for one pledge. The raw token is returned once, never stored."""
    now = now or utcnow()
    raw = secrets.token_urlsafe(32)
    db.session.add(AccessToken(pledge=pledge, token_hash=hash_token(raw), purpose=purpose,
                               created_at=now, expires_at=now + lifetime))
    return raw


class TokenProblem(Exception):
    def __init__(self, reason):
        super().__init__(reason)
        self.reason = reason  # "unknown" or "expired"


def pledge_for_token(raw_token, now=None, purpose="resume"):
    """The one pledge a token opens, or TokenProblem. Reading only: opening a link changes
    nothing."""
    now = now or utcnow()
    if not raw_token or len(raw_token) > MAX_TOKEN_LENGTH:
        raise TokenProblem("unknown")
    token = db.session.scalar(select(AccessToken).where(
        AccessToken.token_hash == hash_token(raw_token), AccessToken.purpose == purpose))
    if token is None:
        raise TokenProblem("unknown")
    if as_utc(token.expires_at) <= now:
        raise TokenProblem("expired")
    return token.pledge


# The pledge's collections, which a draft's pages show; a page that shows none of them needs
# only the pledge's row.
COLLECTIONS = ("action_areas", "co_pledging_cities")


@lru_cache(maxsize=None)
def draft_by_link_hash(collections):
    """Built once for each set of collections: making the statement cost more than running it."""
    return (
        select(Pledge).join(AccessToken, AccessToken.pledge_id == Pledge.id)
        .where(Pledge.id == bindparam("pledge_id"),
               AccessToken.token_hash == bindparam("token_hash"),
               AccessToken.purpose == "resume", AccessToken.expires_at > bindparam("now"))
        .options(*(joinedload(getattr(Pledge, name)) for name in collections)))


def pledge_for_link_hash(pledge_id, token_hash, now=None, collections=COLLECTIONS,
                         read_only=False):
    """The pledge a browser's session names, if the link it holds (by its hash) still opens
    that pledge; else None (the link expired, or was stopped from the tracker). One query,
    which brings along the collections named (by default all: the pledge's action areas and
    co-pledging cities); another one is loaded if it is read all the same. read_only: the
    request writes nothing, so the query needs no transaction around it."""
    if not pledge_id or not token_hash:
        return None
    if read_only:
        read_outside_a_transaction()
    return db.session.scalars(draft_by_link_hash(tuple(collections)), {
        "pledge_id": pledge_id, "token_hash": token_hash, "now": now or utcnow()}).unique().first()


def expire_other_tokens(pledge, kept_token, now):
    """Every link to the pledge but this one stops working now; how many did."""
    result = db.session.execute(
        update(AccessToken).where(AccessToken.pledge_id == pledge.id,
                                  AccessToken.token_hash != hash_token(kept_token),
                                  AccessToken.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))
    return result.rowcount
