"""What coordinators and cities do to a pledge after it is sent. Each action checks the rules
(pledges/status.py), changes the pledge, and records its history, its audit entry and its emails
in the caller's transaction: all of it commits together or not at all."""
from ..clock import utcnow
from ..email import events
from ..email.outbox import queue_email
from ..extensions import db
from ..models import InformationRequest, Note, StatusChange
from ..reminders.planning import plan_reminders
from . import audit, links, status


def snapshot(pledge):
    return {"review_state": pledge.review_state, "stage": pledge.implementation_stage,
            "assignee_id": pledge.assignee_id, "merged_into_id": pledge.merged_into_id}


def _history(pledge, axis, from_state, to_state, actor, message, now):
    db.session.add(StatusChange(pledge_id=pledge.id, axis=axis, from_state=from_state,
                                to_state=to_state, at=now, actor_id=actor.id,
                                actor_label=actor.label, message=message or None))


def _coordinator_acted(pledge, now):
    if pledge.first_response_at is None:
        pledge.first_response_at = now


def _move(pledge, target, actor, message, now):
    before = snapshot(pledge)
    _history(pledge, "review", pledge.review_state, target, actor, message, now)
    pledge.review_state = target
    if target == "accepted":
        pledge.accepted_at = now
        pledge.implementation_stage = pledge.implementation_stage or "planning"
    audit.record(actor, "review_state_changed", pledge.id, before, snapshot(pledge))
    plan_reminders(pledge)


def _tell_city(pledge, kind, key, context=None):
    if pledge.focal_email:
        queue_email(kind, pledge.focal_email, pledge.language, key, context=context,
                    pledge_id=pledge.id)


def change_review_state(pledge, target, actor, message=None, now=None):
    now = now or utcnow()
    status.check_review_move(pledge.review_state, target)
    _move(pledge, target, actor, message, now)
    _coordinator_acted(pledge, now)
    if message or target in ("accepted", "declined"):
        _tell_city(pledge, "status_changed", f"status:{pledge.id}:{target}:{now.isoformat()}",
                   {"message": message or "", "state": target})


def assign(pledge, assignee, actor, now=None):
    before = snapshot(pledge)
    pledge.assignee_id = assignee.id if assignee else None
    _coordinator_acted(pledge, now or utcnow())
    audit.record(actor, "assigned" if assignee else "unassigned", pledge.id, before,
                 snapshot(pledge))


def request_information(pledge, questions, actor, now=None, report=None):
    """Ask the city. While the decision is open the pledge then waits for the answer
    ("information requested"); once accepted (a question about a progress `report`, say) it
    stays accepted, and the question takes the pledge's next version, as a note does."""
    now = now or utcnow()
    status.check_question(pledge.review_state)
    request = InformationRequest(pledge_id=pledge.id, questions=questions, requested_at=now,
                                 asked_by_id=actor.id,
                                 progress_report_id=report.id if report else None)
    db.session.add(request)
    db.session.flush()
    if status.question_moves_review(pledge.review_state) and \
            pledge.review_state != "information_requested":
        _move(pledge, "information_requested", actor, None, now)
    else:
        pledge.updated_at = now
        plan_reminders(pledge)
    audit.record(actor, "information_requested", pledge.id, {},
                 {"questions": questions, "report_id": report.id if report else None})
    _coordinator_acted(pledge, now)
    _tell_city(pledge, "information_request", f"information-request:{request.id}",
               {"questions": questions})
    return request


def answer_information(pledge, request, answer, now=None):
    """The city answers: the pledge goes back to the coordinators, and its assignee is told."""
    now = now or utcnow()
    if request.answered_at is not None or request.pledge_id != pledge.id:
        raise status.TransitionRefused(status.TransitionRefused.__doc__)
    request.answer = answer
    request.answered_at = now
    pledge.last_activity_at = now
    audit.record(audit.CITY, "information_answered", pledge.id, {},
                 {"request_id": request.id, "answer": answer})
    still_open = db.session.query(InformationRequest).filter(
        InformationRequest.pledge_id == pledge.id, InformationRequest.answered_at.is_(None),
        InformationRequest.id != request.id).count()
    if not still_open and pledge.review_state == "information_requested":
        _move(pledge, status.CITY_ANSWER_RETURNS_TO, audit.CITY, None, now)
    else:
        plan_reminders(pledge)
    events.information_answered(pledge, request, answer)


def withdraw(pledge, reason, now=None):
    now = now or utcnow()
    status.check_withdrawal(pledge.review_state)
    _move(pledge, "withdrawn", audit.CITY, reason, now)
    for request in db.session.query(InformationRequest).filter_by(pledge_id=pledge.id,
                                                                  answered_at=None):
        request.answered_at = now  # nothing left to answer
    plan_reminders(pledge)
    events.pledge_withdrawn(pledge, reason)


def stop_other_links(pledge, kept_token, now=None):
    """The city stops every private link to the pledge but the one it uses (a link that may
    have reached someone else). Audited; returns how many stopped."""
    stopped = links.expire_other_tokens(pledge, kept_token, now or utcnow())
    audit.record(audit.CITY, "private_links_stopped", pledge.id, {}, {"stopped": stopped})
    return stopped


def merge(duplicate, original, actor, now=None):
    now = now or utcnow()
    status.check_merge(duplicate.review_state, duplicate.id, original.id,
                       original.review_state)
    duplicate.merged_into_id = original.id
    message = f"Merged into {original.reference}"
    _move(duplicate, "merged", actor, message, now)
    _coordinator_acted(duplicate, now)
    _tell_city(duplicate, "status_changed", f"status:{duplicate.id}:merged",
               {"message": message, "state": "merged"})


def change_stage(pledge, stage, narrative, actor, now=None):
    now = now or utcnow()
    status.check_stage_move(pledge.review_state, pledge.implementation_stage, stage)
    before = snapshot(pledge)
    _history(pledge, "implementation", pledge.implementation_stage, stage, actor, narrative, now)
    pledge.implementation_stage = stage
    pledge.last_update_at = now
    audit.record(actor, "implementation_stage_changed", pledge.id, before, snapshot(pledge))
    plan_reminders(pledge)


def add_note(pledge, body, actor, now=None, report=None):
    """A note changes the pledge's page, so it takes the pledge's next version: a note posted
    twice (a double click) or from a page out of date is a conflict, not a second copy. A note
    may comment on one progress `report`."""
    now = now or utcnow()
    note = Note(pledge_id=pledge.id, author_id=actor.id, author_label=actor.label, body=body,
                created_at=now, progress_report_id=report.id if report else None)
    db.session.add(note)
    pledge.updated_at = now
    audit.record(actor, "note_added", pledge.id, {}, {"note": body})
    return note


def record_submission(pledge, now):
    """The first entry of a sent pledge's history (called by the intake on submit)."""
    _history(pledge, "review", "draft", "submitted", audit.CITY, None, now)
    audit.record(audit.CITY, "submitted", pledge.id, {"review_state": "draft"},
                 {"review_state": "submitted", "reference": pledge.reference})


# --- the same action on many pledges (the queue's bulk actions), in one transaction ----------


def assign_many(pledges, assignee, actor, now=None):
    """Assign each pledge not already assigned so; returns the pledges changed."""
    changed = []
    for pledge in pledges:
        if pledge.assignee_id != (assignee.id if assignee else None):
            assign(pledge, assignee, actor, now)
            changed.append(pledge)
    return changed


def move_many(pledges, target, actor, now=None):
    """Move what the rules allow; returns (moved, [(reference, why not)])."""
    moved, refused = [], []
    for pledge in pledges:
        try:
            change_review_state(pledge, target, actor, now=now)
        except status.TransitionRefused as refusal:
            refused.append((pledge.reference, str(refusal)))
        else:
            moved.append(pledge)
    return moved, refused
