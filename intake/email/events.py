"""Which emails an event causes. Called inside the event's transaction: the rows commit with it."""
from datetime import timedelta

from flask import current_app
from sqlalchemy import select

from ..clock import midnight
from ..extensions import db
from ..models import OutboxEmail, Pledge
from .outbox import lock_recipient, normalise_address, queue_email

LIST_LANGUAGE = "en"  # the COORDINATOR_EMAILS list is read by many: in English


def coordinator_addresses():
    return current_app.config["COORDINATOR_EMAILS"]


def coordinator_recipients(pledge):
    """Who is told of what the city does, each with the language to write to them in: the
    pledge's assignee, in the language of her account; else every COORDINATOR_EMAILS address,
    in English."""
    if pledge.assignee:
        return [(pledge.assignee.email, pledge.assignee.email_language)]
    return [(address, LIST_LANGUAGE) for address in coordinator_addresses()]


def _tell_coordinators(pledge, kind, key, context=None):
    for address, language in coordinator_recipients(pledge):
        queue_email(kind, address, language, f"{key}:{address}", pledge_id=pledge.id,
                    context=context)


def draft_started(pledge, new=False):
    """The draft's private link, once per pledge. A `new` pledge (its id made in this
    transaction) cannot have had it queued yet: no look-up of its key."""
    queue_email("resume_link", pledge.focal_email, pledge.language,
                f"resume:{pledge.id}:start", pledge_id=pledge.id, known_new=new)


def link_requested(address, now):
    """'Email me my link': one email listing the private link of every draft of that address,
    at most once an hour (EMAIL_LINK_REQUEST_EVERY_SECONDS), and within the address's daily
    budget of link emails. The caller answers the same way whether or not the address is known.
    Returns the row queued, or None."""
    address = normalise_address(address)
    drafts = db.session.scalars(select(Pledge).where(
        Pledge.focal_email == address, Pledge.review_state == "draft")
        .order_by(Pledge.last_activity_at.desc(), Pledge.id.desc())).all()
    if not drafts:
        return None
    lock_recipient(address)
    every = timedelta(seconds=current_app.config["EMAIL_LINK_REQUEST_EVERY_SECONDS"])
    if db.session.scalar(select(OutboxEmail.id).where(
            OutboxEmail.recipient == address, OutboxEmail.kind == "resume_links",
            OutboxEmail.created_at > now - every).limit(1)) is not None:
        return None  # answered already within the hour (sent, or over its budget)
    latest = drafts[0]  # its language, and the timeline the email shows in
    return queue_email("resume_links", address, latest.language,
                       f"resume-links:{latest.id}:{now:%Y%m%dT%H%M%S.%f}", pledge_id=latest.id,
                       context={"pledge_ids": [pledge.id for pledge in drafts]})


def pledge_submitted(pledge):
    queue_email("acknowledgement", pledge.focal_email, pledge.language, f"ack:{pledge.id}",
                pledge_id=pledge.id)
    if current_app.config["COORDINATOR_DIGEST"]:
        return  # the daily digest lists it
    for address in coordinator_addresses():
        queue_email("coordinator_new_pledge", address, LIST_LANGUAGE,
                    f"coordinator-new:{pledge.id}:{address}", pledge_id=pledge.id)


def queue_coordinator_digest(now):
    """Yesterday's submissions, once per coordinator per day (re-running adds nothing)."""
    if not current_app.config["COORDINATOR_DIGEST"]:
        return 0
    day = (now - timedelta(days=1)).date()
    start = midnight(day)
    submitted = db.session.scalars(select(Pledge).where(
        Pledge.submitted_at >= start, Pledge.submitted_at < start + timedelta(days=1))
        .order_by(Pledge.submitted_at)).all()
    if not submitted:
        return 0
    summary = [{"id": p.id, "reference": p.reference, "city": p.city, "title": p.title}
               for p in submitted]
    queued = 0
    for address in coordinator_addresses():
        row = queue_email("coordinator_digest", address, LIST_LANGUAGE, f"digest:{day}:{address}",
                          context={"day": day.isoformat(), "pledges": summary})
        queued += row is not None
    return queued


def information_answered(pledge, request, answer):
    _tell_coordinators(pledge, "information_answered", f"information-answered:{request.id}",
                       {"questions": request.questions, "answer": answer})


def progress_report_sent(pledge, report):
    _tell_coordinators(pledge, "progress_report_received", f"progress-report:{report.id}",
                       {"report_id": report.id})


def pledge_withdrawn(pledge, reason):
    """The city withdrew its pledge: its assignee (else the coordinators) is told, once."""
    _tell_coordinators(pledge, "pledge_withdrawn", f"withdrawn:{pledge.id}",
                       {"reason": reason or ""})
