"""Which reminder is due when: the pure rules, travelled through time."""
from datetime import date, datetime, timedelta, timezone

from intake.reminders.rules import (
    DRAFT,
    INFORMATION,
    UPDATE,
    Milestone,
    ReminderFacts,
    ReminderRules,
    due_now,
    next_due_at,
)

T0 = datetime(2027, 1, 4, 9, 0, tzinfo=timezone.utc)
RULES = ReminderRules()
DAY = timedelta(days=1)


def draft(**changes):
    return ReminderFacts(**{"pledge_id": 7, "review_state": "draft", "last_activity_at": T0,
                            **changes})


def test_a_draft_is_reminded_three_then_ten_days_after_its_last_activity():
    assert due_now(draft(), RULES, T0 + 2 * DAY) is None
    first = due_now(draft(), RULES, T0 + 3 * DAY)
    assert first.kind == DRAFT and first.due_at == T0 + 3 * DAY
    after_first = draft(reminders_sent=1, last_due=first.due_at)
    assert due_now(after_first, RULES, T0 + 5 * DAY) is None
    assert next_due_at(after_first, RULES) == T0 + 10 * DAY
    second = due_now(after_first, RULES, T0 + 10 * DAY)
    assert second.due_at == T0 + 10 * DAY
    done = draft(reminders_sent=2, last_due=second.due_at)
    assert due_now(done, RULES, T0 + 100 * DAY) is None
    assert next_due_at(done, RULES) is None


def test_reminders_missed_while_nobody_swept_come_as_one():
    late = due_now(draft(), RULES, T0 + 30 * DAY)
    assert late.due_at == T0 + 10 * DAY
    assert next_due_at(draft(reminders_sent=1, last_due=late.due_at), RULES) is None


def test_activity_starts_the_count_again():
    acted = draft(last_activity_at=T0 + 5 * DAY, reminders_sent=1, last_due=T0 + 3 * DAY)
    assert next_due_at(acted, RULES) == T0 + 8 * DAY


def test_the_idempotency_key_names_the_reminder_and_its_moment():
    assert due_now(draft(), RULES, T0 + 3 * DAY).idempotency_key == \
        "reminder_draft:7:20270107T090000"


def test_no_reminder_after_opting_out_or_past_the_cap_or_once_sent():
    assert due_now(draft(opted_out=True), RULES, T0 + 4 * DAY) is None
    assert due_now(draft(reminders_sent=6), RULES, T0 + 4 * DAY) is None
    sent = ReminderFacts(pledge_id=7, review_state="submitted", last_activity_at=T0)
    assert due_now(sent, RULES, T0 + 4 * DAY) is None
    for closed in ("withdrawn", "declined", "merged"):
        facts = ReminderFacts(pledge_id=7, review_state=closed, last_activity_at=T0)
        assert next_due_at(facts, RULES) is None


def test_an_unanswered_request_for_information_is_reminded_after_seven_days():
    facts = ReminderFacts(pledge_id=7, review_state="information_requested",
                          open_request_at=T0)
    assert due_now(facts, RULES, T0 + 6 * DAY) is None
    assert due_now(facts, RULES, T0 + 7 * DAY).kind == INFORMATION
    answered = ReminderFacts(pledge_id=7, review_state="in_review", open_request_at=None)
    assert next_due_at(answered, RULES) is None


def test_accepted_pledges_are_asked_for_updates_every_six_months_and_before_milestones():
    rules = ReminderRules(milestones=(Milestone("IMRF 2027", date(2027, 3, 5)),))
    facts = ReminderFacts(pledge_id=7, review_state="accepted", accepted_at=T0)
    milestone_reminder = due_now(facts, rules, T0 + 30 * DAY)
    assert milestone_reminder.kind == UPDATE and milestone_reminder.milestone == "IMRF 2027"
    assert milestone_reminder.due_at == datetime(2027, 2, 3, tzinfo=timezone.utc)
    after = ReminderFacts(pledge_id=7, review_state="accepted", accepted_at=T0,
                          reminders_sent=1, last_due=milestone_reminder.due_at)
    assert next_due_at(after, rules) == T0 + 182 * DAY
    reported = ReminderFacts(pledge_id=7, review_state="accepted", accepted_at=T0,
                             last_update_at=T0 + 100 * DAY)
    assert next_due_at(reported, RULES) == T0 + 282 * DAY
    fulfilled = ReminderFacts(pledge_id=7, review_state="accepted", accepted_at=T0,
                              implementation_stage="fulfilled")
    assert next_due_at(fulfilled, RULES) is None
