"""Whether an email is still true when its turn comes to leave.

An outbox row is written when its reason arises, but it may wait (a burst, a backlog, retries).
Just before sending, the job asks its kind's rule whether the reason still holds: a link to
continue a draft holds only while the pledge is a draft; a reminder only while what it reminds
of is still undone. A rule answers None (it holds) or why it no longer does; the row is then
marked "skipped" with that reason, never sent. Kinds without a rule (an acknowledgement of
what someone did, news, coordinators' notices) always hold.
"""
from sqlalchemy import select

from ..clock import as_utc
from ..extensions import db
from ..models import InformationRequest, Pledge
from ..reminders.rules import DRAFT, INFORMATION, UPDATE

NO_PLEDGE = "The pledge it was about no longer exists."


def _still_a_draft(email, pledge):
    if pledge is None:
        return NO_PLEDGE
    if pledge.review_state != "draft":
        return (f"The pledge was sent ({pledge.reference or 'no reference'}) before this email "
                f"left: a link to continue its draft is no longer needed.")
    return None


def _some_draft_left(email, _pledge):
    """ "Email me my link" lists every draft of the address: it holds while one is a draft."""
    pledge_ids = (email.context or {}).get("pledge_ids") or []
    still_drafts = db.session.scalar(select(Pledge.id).where(
        Pledge.id.in_(pledge_ids), Pledge.review_state == "draft").limit(1))
    if still_drafts is None:
        return "Every draft it listed was sent (or removed) before this email left."
    return None


def _request_unanswered(email, pledge):
    if pledge is None:
        return NO_PLEDGE
    open_request = db.session.scalar(select(InformationRequest.id).where(
        InformationRequest.pledge_id == pledge.id,
        InformationRequest.answered_at.is_(None)).limit(1))
    if open_request is None:
        return "The city answered the coordinators' questions before this reminder left."
    return None


def _update_still_missing(email, pledge):
    if pledge is None:
        return NO_PLEDGE
    if pledge.review_state != "accepted" or pledge.implementation_stage == "fulfilled":
        return "The pledge is no longer one whose progress is asked for."
    reported = as_utc(pledge.last_update_at)
    if reported is not None and reported >= as_utc(email.created_at):
        return "The city reported its progress before this reminder left."
    return None


RULES = {
    "resume_link": _still_a_draft,
    "draft_invitation": _still_a_draft,
    DRAFT: _still_a_draft,
    "resume_links": _some_draft_left,
    INFORMATION: _request_unanswered,
    UPDATE: _update_still_missing,
}


def why_no_longer_true(email):
    """None while the email's reason still holds; otherwise why it does not (for last_error)."""
    rule = RULES.get(email.kind)
    if rule is None:
        return None
    pledge = db.session.get(Pledge, email.pledge_id) if email.pledge_id else None
    return rule(email, pledge)
