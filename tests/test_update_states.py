"""Whether an accepted pledge's city has gone silent: the pure rules of update due, overdue and
never received, travelled through time with an explicit `now`, at their boundaries."""
from datetime import datetime, timedelta, timezone

import pytest

from intake.config import from_environment
from intake.pledges.update_states import (
    DUE,
    NEVER,
    OVERDUE,
    UP_TO_DATE,
    UpdateFacts,
    UpdateRules,
    thresholds,
    update_state,
)
from intake.reminders.planning import reminder_rules, update_rules

ACCEPTED = datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
RULES = UpdateRules(period=timedelta(days=182), grace=timedelta(days=30))
DAY, SECOND = timedelta(days=1), timedelta(seconds=1)
DUE_AT = ACCEPTED + 182 * DAY
OVERDUE_AT = DUE_AT + 30 * DAY


def accepted(**changes):
    return UpdateFacts(**{"review_state": "accepted", "implementation_stage": "planning",
                          "accepted_at": ACCEPTED, **changes})


def state_at(now, facts=None, rules=RULES):
    return update_state(facts or accepted(), rules, now)


def listed_by(state):
    return {name for name in (DUE, OVERDUE, NEVER) if state.is_listed_by(name)}


def test_a_pledge_accepted_less_than_a_period_ago_is_up_to_date():
    for now in (ACCEPTED, ACCEPTED + 90 * DAY, DUE_AT - SECOND):
        state = state_at(now)
        assert state.key == UP_TO_DATE and listed_by(state) == set()
        assert state.keys == [UP_TO_DATE] and state.since == ACCEPTED


def test_never_reported_one_period_after_acceptance_is_due_and_never_received():
    state = state_at(DUE_AT)  # the very moment the update reminder asks for it
    assert state.key == DUE and listed_by(state) == {DUE, NEVER}
    assert state.keys == [DUE, NEVER]
    assert listed_by(state_at(OVERDUE_AT - SECOND)) == {DUE, NEVER}


def test_never_reported_past_the_grace_is_both_overdue_and_never_received():
    state = state_at(OVERDUE_AT)
    assert state.key == OVERDUE and listed_by(state) == {DUE, OVERDUE, NEVER}
    assert state.keys == [OVERDUE, NEVER]
    assert listed_by(state_at(OVERDUE_AT + 3 * 365 * DAY)) == {DUE, OVERDUE, NEVER}


def test_a_report_starts_the_count_again_from_its_date():
    reported = ACCEPTED + 400 * DAY  # long after the first update fell due
    facts = accepted(last_report_at=reported)
    assert state_at(reported, facts).key == UP_TO_DATE
    assert state_at(reported + 182 * DAY - SECOND, facts).key == UP_TO_DATE
    assert state_at(reported + 182 * DAY, facts).since == reported
    due = state_at(reported + 182 * DAY, facts)
    assert due.key == DUE and listed_by(due) == {DUE}  # it did report once: not "never"
    assert listed_by(state_at(reported + 212 * DAY - SECOND, facts)) == {DUE}
    overdue = state_at(reported + 212 * DAY, facts)
    assert overdue.key == OVERDUE and listed_by(overdue) == {DUE, OVERDUE}
    assert overdue.keys == [OVERDUE]


def test_fulfilled_or_not_accepted_pledges_have_no_update_state():
    long_after = OVERDUE_AT + 1000 * DAY
    assert state_at(long_after, accepted(implementation_stage="fulfilled")) is None
    for review_state in ("draft", "submitted", "in_review", "information_requested",
                         "declined", "withdrawn", "merged"):
        assert state_at(long_after, accepted(review_state=review_state)) is None
    # Any other stage, or none yet, counts.
    for stage in ("planning", "in-progress", None):
        assert state_at(long_after, accepted(implementation_stage=stage)).key == OVERDUE


def test_an_accepted_pledge_with_no_date_to_count_from_is_up_to_date():
    state = state_at(OVERDUE_AT, accepted(accepted_at=None))
    assert state.key == UP_TO_DATE and listed_by(state) == set() and state.since is None
    reported_only = accepted(accepted_at=None, last_report_at=ACCEPTED)
    assert listed_by(state_at(OVERDUE_AT, reported_only)) == {DUE, OVERDUE}


def test_the_period_and_the_grace_are_the_rules_to_give():
    quarterly = UpdateRules(period=timedelta(days=91), grace=timedelta(0))
    assert state_at(ACCEPTED + 91 * DAY - SECOND, rules=quarterly).key == UP_TO_DATE
    assert listed_by(state_at(ACCEPTED + 91 * DAY, rules=quarterly)) == {DUE, OVERDUE, NEVER}


@pytest.mark.parametrize("since_days", [0, 150, 182, 211, 212, 400])
def test_the_thresholds_the_queue_filters_by_say_what_the_rules_say(since_days):
    """The queue asks SQL whether `since` is at or before each threshold: at every hour around
    the boundaries that answer is the rule's."""
    now = datetime(2027, 12, 2, 10, 30, tzinfo=timezone.utc)
    limits = thresholds(RULES, now)
    assert limits.due == now - 182 * DAY and limits.overdue == now - 212 * DAY
    for hours in range(-30, 31):
        since = now - since_days * DAY + hours * timedelta(hours=1)
        for facts in (accepted(accepted_at=since), accepted(last_report_at=since)):
            state = update_state(facts, RULES, now)
            assert state.due == (since <= limits.due), since
            assert state.overdue == (since <= limits.overdue), since
            assert state.never_received == (state.due and facts.last_report_at is None)


def test_facts_read_from_a_pledge_stored_without_a_zone_are_utc():
    class Stored:  # as SQLite hands the columns back
        review_state, implementation_stage = "accepted", None
        accepted_at = ACCEPTED.replace(tzinfo=None)
        last_report_at = None

    facts = UpdateFacts.of(Stored)
    assert facts.accepted_at == ACCEPTED and facts.last_report_at is None
    assert update_state(facts, RULES, DUE_AT).key == DUE


def test_the_period_is_the_update_reminders_and_the_grace_a_setting(app):
    with app.app_context():
        assert update_rules() == UpdateRules(period=timedelta(days=182),
                                             grace=timedelta(days=30))
        app.config.update(REMINDER_UPDATE_EVERY_DAYS=120, UPDATE_GRACE_DAYS=14)
        assert update_rules().period == reminder_rules().update_every == timedelta(days=120)
        assert update_rules().grace == timedelta(days=14)


@pytest.mark.parametrize("raw, days", [(None, 30), ("", 30), ("45", 45), ("0", 0), ("-3", 0)])
def test_update_grace_days_is_read_from_the_environment(monkeypatch, tmp_path, raw, days):
    monkeypatch.delenv("UPDATE_GRACE_DAYS", raising=False)
    if raw is not None:
        monkeypatch.setenv("UPDATE_GRACE_DAYS", raw)
    assert from_environment(str(tmp_path))["UPDATE_GRACE_DAYS"] == days
