"""How long personal data lives without a purpose: a draft untouched for RETENTION_DRAFT_DAYS
loses its contact data (the answers about the city's policy stay, anonymised), and a private
link past its expiry is deleted. Run by the worker's schedule and by `flask privacy sweep`;
each function changes rows in the caller's transaction (the job commits), and running them
twice at the same moment changes nothing more."""
from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from sqlalchemy import delete, select

from ..extensions import db
from ..models import AccessToken, Pledge
from ..pledges.audit import SYSTEM
from .contacts import erase_pledge_contact

BATCH = 200
# Every table of tokens that expire, with its expiry column; a new one belongs here
# (tests/test_privacy.py checks that every table with an expires_at column is listed).
EXPIRING = ((AccessToken, AccessToken.expires_at),)


@dataclass(frozen=True)
class RetentionRules:
    draft_days: int  # 0: a draft keeps its contact data until erased by hand


def retention_rules(config=None):
    config = config or current_app.config
    return RetentionRules(draft_days=config["RETENTION_DRAFT_DAYS"])


def stale_drafts(now, rules, limit=BATCH):
    """Drafts nobody has touched for the retention period whose contact is not erased yet."""
    if rules.draft_days <= 0:
        return []
    cutoff = now - timedelta(days=rules.draft_days)
    return db.session.scalars(select(Pledge).where(
        Pledge.review_state == "draft", Pledge.contact_erased_at.is_(None),
        Pledge.last_activity_at < cutoff).order_by(Pledge.id).limit(limit)).all()


def erase_stale_drafts(now, rules, limit=BATCH):
    """Erase the contact data of up to `limit` stale drafts; returns how many."""
    drafts = stale_drafts(now, rules, limit)
    for draft in drafts:
        erase_pledge_contact(draft, SYSTEM, "retention", now)
    return len(drafts)


def delete_expired_tokens(now):
    """Private links that no longer open anything; returns how many were deleted."""
    return sum(db.session.execute(delete(model).where(expires_at <= now)).rowcount
               for model, expires_at in EXPIRING)
