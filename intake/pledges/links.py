"""Private links: a token opens one pledge. Only the token's SHA-256 is stored; the raw token
is handed out once, in an email or on the page that saves a draft."""
import hashlib
import secrets

from sqlalchemy import bindparam, select, update
from sqlalchemy.orm import joinedload

from ..clock import as_utc, utcnow
from ..extensions import db
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


# Built once: making the statement cost more than running it.
DRAFT_BY_LINK_HASH = (
    select(Pledge).join(AccessToken, AccessToken.pledge_id == Pledge.id)
    .where(Pledge.id == bindparam("pledge_id"), AccessToken.token_hash == bindparam("token_hash"),
           AccessToken.purpose == "resume", AccessToken.expires_at > bindparam("now"))
    .options(joinedload(Pledge.action_areas), joinedload(Pledge.co_pledging_cities)))


def pledge_for_link_hash(pledge_id, token_hash, now=None):
    """The pledge a browser's session names, if the link it holds (by its hash) still opens
    that pledge; else None (the link expired, or was stopped from the tracker). One query,
    which brings the pledge's action areas and co-pledging cities along: the form shows them."""
    if not pledge_id or not token_hash:
        return None
    return db.session.scalars(DRAFT_BY_LINK_HASH, {
        "pledge_id": pledge_id, "token_hash": token_hash, "now": now or utcnow()}).unique().first()


def expire_other_tokens(pledge, kept_token, now):
    """Every link to the pledge but this one stops working now; how many did."""
    result = db.session.execute(
        update(AccessToken).where(AccessToken.pledge_id == pledge.id,
                                  AccessToken.token_hash != hash_token(kept_token),
                                  AccessToken.expires_at > now)
        .values(expires_at=now).execution_options(synchronize_session=False))
    return result.rowcount
