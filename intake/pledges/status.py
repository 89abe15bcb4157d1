"""A pledge's two status axes and the moves allowed on each. Plain rules: no HTTP, no database.

Review state: where the coordinators' decision stands. Implementation stage: once accepted,
how far the city has come. Anything not listed here is refused with a clear reason.
"""
from datetime import timedelta

from ..extensions import lazy_gettext as _l

REVIEW_STATES = {
    "draft": _l("Draft"),
    "submitted": _l("Submitted"),
    "in_review": _l("In review"),
    "information_requested": _l("Information requested"),
    "accepted": _l("Accepted"),
    "declined": _l("Declined"),
    "withdrawn": _l("Withdrawn"),
    "merged": _l("Merged as duplicate"),
}
IMPLEMENTATION_STAGES = {
    "planning": _l("Planning"),
    "in-progress": _l("In progress"),
    "fulfilled": _l("Fulfilled"),
}

# Moves a coordinator may make. Information is requested through its own form (with questions),
# a duplicate is merged through the merge action, and only the city withdraws.
COORDINATOR_MOVES = {
    "submitted": {"in_review", "accepted", "declined"},
    "in_review": {"accepted", "declined"},
    "information_requested": {"in_review", "accepted", "declined"},
    "declined": {"in_review"},
}
REQUEST_INFORMATION_FROM = {"submitted", "in_review", "information_requested"}
# Once a pledge is accepted, coordinators may still ask the city (about a progress report, say),
# through the same questions and answers: the review state stays as it is.
ASK_WITHOUT_REVIEW_MOVE_FROM = {"accepted"}
# The city reports progress on an accepted pledge only.
REPORT_PROGRESS_FROM = {"accepted"}
MERGE_FROM = {"submitted", "in_review", "information_requested"}
CITY_WITHDRAWS_FROM = {"draft", "submitted", "in_review", "information_requested", "accepted"}
CITY_ANSWER_RETURNS_TO = "in_review"

STAGE_MOVES = {
    "planning": {"in-progress", "fulfilled"},
    "in-progress": {"fulfilled"},
}

# The stages a city may choose when it pledges; "fulfilled" comes later, from the coordinators.
STARTING_STAGES = ("planning", "in-progress")

FINAL_REVIEW_STATES = {"declined", "withdrawn", "merged"}
WAITING_FOR_COORDINATORS = {"submitted", "in_review"}


class TransitionRefused(Exception):
    """A move the rules do not allow; its message says why, for the person who tried."""


def review_label(state):
    return REVIEW_STATES.get(state, state)


def stage_label(stage):
    return IMPLEMENTATION_STAGES.get(stage, stage or "")


def allowed_review_moves(state):
    return sorted(COORDINATOR_MOVES.get(state, set()), key=list(REVIEW_STATES).index)


def check_review_move(current, target):
    if target not in REVIEW_STATES:
        raise TransitionRefused(_l("“%(state)s” is not a review state.", state=target))
    if target not in COORDINATOR_MOVES.get(current, set()):
        raise TransitionRefused(_l(
            "A pledge that is “%(current)s” cannot be moved to “%(target)s”.",
            current=review_label(current), target=review_label(target)))


def check_information_request(current):
    if current not in REQUEST_INFORMATION_FROM:
        raise TransitionRefused(_l(
            "Information cannot be requested on a pledge that is “%(current)s”.",
            current=review_label(current)))


def may_ask_city(current):
    return current in REQUEST_INFORMATION_FROM | ASK_WITHOUT_REVIEW_MOVE_FROM


def check_question(current):
    """Any question to the city: a request for information while the decision is open (the
    pledge then waits for the answer), or, once accepted, a question that leaves it accepted."""
    if current not in ASK_WITHOUT_REVIEW_MOVE_FROM:
        check_information_request(current)


def question_moves_review(current):
    return current in REQUEST_INFORMATION_FROM


def check_merge(current, duplicate_id, original_id, original_state):
    if duplicate_id == original_id:
        raise TransitionRefused(_l("A pledge cannot be merged into itself."))
    if current not in MERGE_FROM:
        raise TransitionRefused(_l("A pledge that is “%(current)s” cannot be merged.",
                                   current=review_label(current)))
    if original_state in ("merged", "draft", "withdrawn"):
        raise TransitionRefused(_l("Merge into a pledge that is still open."))


def check_withdrawal(current):
    if current not in CITY_WITHDRAWS_FROM:
        raise TransitionRefused(_l("This pledge can no longer be withdrawn."))


def check_stage_move(review_state, current, target):
    if review_state != "accepted":
        raise TransitionRefused(
            _l("The implementation stage is tracked once a pledge is accepted."))
    if target not in IMPLEMENTATION_STAGES:
        raise TransitionRefused(_l("“%(stage)s” is not an implementation stage.", stage=target))
    if target not in STAGE_MOVES.get(current or "planning", set()) and not (
            current is None and target == "planning"):
        raise TransitionRefused(_l(
            "The stage cannot go from “%(current)s” to “%(target)s”.",
            current=stage_label(current), target=stage_label(target)))


def check_report(review_state):
    if review_state not in REPORT_PROGRESS_FROM:
        raise TransitionRefused(_l("Progress is reported on an accepted pledge only."))


def check_report_stage(review_state, current, target):
    """The stage a progress report gives: it may stay as it is or move forward, never back."""
    check_report(review_state)
    if target not in IMPLEMENTATION_STAGES:
        raise TransitionRefused(_l("Choose the stage the pledge has reached."))
    if current and target != current and target not in STAGE_MOVES.get(current, set()):
        raise TransitionRefused(_l(
            "The stage cannot go back from “%(current)s” to “%(target)s”: choose "
            "“%(current)s” or a later stage. If the stage shown is wrong, tell the "
            "coordinators in your report.",
            current=stage_label(current), target=stage_label(target)))


def is_final(review_state, stage=None):
    """Nothing more will change: the city's tracker stops refreshing itself."""
    return review_state in FINAL_REVIEW_STATES or (
        review_state == "accepted" and stage == "fulfilled")


def working_days_between(start, end):
    """Monday to Friday days after start's day, up to end's day (the first-response target),
    counted by whole weeks: a pledge two years old costs no more than one sent yesterday."""
    if end <= start:
        return 0
    first, last = start.date(), end.date()
    weeks, rest = divmod((last - first).days, 7)
    days = weeks * 5
    for offset in range(1, rest + 1):
        if (first + timedelta(days=weeks * 7 + offset)).weekday() < 5:
            days += 1
    return days
