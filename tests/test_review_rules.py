"""Every allowed and refused move between review states and implementation stages."""
import itertools

import pytest

from intake.pledges import status

ALLOWED = {
    ("submitted", "in_review"), ("submitted", "accepted"), ("submitted", "declined"),
    ("in_review", "accepted"), ("in_review", "declined"),
    ("information_requested", "in_review"), ("information_requested", "accepted"),
    ("information_requested", "declined"),
    ("declined", "in_review"),
}
PAIRS = list(itertools.product(status.REVIEW_STATES, status.REVIEW_STATES))


@pytest.mark.parametrize("current, target", PAIRS)
def test_a_coordinator_may_make_exactly_the_listed_moves(current, target):
    if (current, target) in ALLOWED:
        status.check_review_move(current, target)
    else:
        with pytest.raises(status.TransitionRefused) as refused:
            status.check_review_move(current, target)
        assert "cannot be moved" in str(refused.value)


def test_an_unknown_state_is_refused_by_name():
    with pytest.raises(status.TransitionRefused, match="is not a review state"):
        status.check_review_move("submitted", "approved")


@pytest.mark.parametrize("state", status.REVIEW_STATES)
def test_information_is_requested_only_while_the_decision_is_open(state):
    if state in ("submitted", "in_review", "information_requested"):
        status.check_information_request(state)
    else:
        with pytest.raises(status.TransitionRefused):
            status.check_information_request(state)


@pytest.mark.parametrize("state", status.REVIEW_STATES)
def test_the_city_withdraws_until_the_pledge_is_closed(state):
    if state in ("declined", "withdrawn", "merged"):
        with pytest.raises(status.TransitionRefused):
            status.check_withdrawal(state)
    else:
        status.check_withdrawal(state)


def test_a_pledge_merges_into_another_open_one_only():
    status.check_merge("submitted", 1, 2, "accepted")
    for refused in [("submitted", 1, 1, "submitted"), ("accepted", 1, 2, "submitted"),
                    ("submitted", 1, 2, "merged"), ("in_review", 1, 2, "withdrawn")]:
        with pytest.raises(status.TransitionRefused):
            status.check_merge(*refused)


STAGE_ALLOWED = {("planning", "in-progress"), ("planning", "fulfilled"),
                 ("in-progress", "fulfilled")}


@pytest.mark.parametrize("current, target",
                         list(itertools.product(status.IMPLEMENTATION_STAGES, repeat=2)))
def test_the_implementation_stage_only_moves_forward(current, target):
    if (current, target) in STAGE_ALLOWED:
        status.check_stage_move("accepted", current, target)
    else:
        with pytest.raises(status.TransitionRefused):
            status.check_stage_move("accepted", current, target)


def test_the_stage_is_tracked_only_once_accepted():
    with pytest.raises(status.TransitionRefused, match="once a pledge is accepted"):
        status.check_stage_move("in_review", "planning", "in-progress")


def test_the_tracker_stops_refreshing_when_nothing_more_will_change():
    assert status.is_final("declined") and status.is_final("withdrawn")
    assert status.is_final("accepted", "fulfilled")
    assert not status.is_final("accepted", "in-progress")
    assert not status.is_final("information_requested")
