"""The rules of a pledge, without HTTP: step order, private links and reference numbers."""
from datetime import date, datetime, timedelta, timezone

import pytest

from intake.extensions import db
from intake.models import Pledge
from intake.pledges import links, steps, submission


def draft(furthest_step):
    return Pledge(furthest_step=furthest_step, review_state="draft")


@pytest.mark.parametrize("furthest, allowed", [
    (0, [1]),
    (1, [1, 2]),
    (2, [1, 2, 3]),
    (3, [1, 2, 3, 4]),
    (6, [1, 2, 3, 4, 5, 6, 7]),
    (7, [1, 2, 3, 4, 5, 6, 7, 8]),
])
def test_a_step_opens_only_after_every_step_before_it(furthest, allowed):
    pledge = draft(furthest)
    assert [n for n in range(1, 9) if steps.can_open_step(pledge, n)] == allowed


def test_a_new_contact_can_open_only_the_first_step():
    assert [n for n in range(1, 9) if steps.can_open_step(None, n)] == [1]


def test_saving_an_earlier_step_never_moves_progress_back():
    pledge = draft(3)
    steps.record_step_saved(pledge, 1)
    assert pledge.furthest_step == 3


def test_the_next_step_to_complete_is_the_first_unsaved_one():
    assert steps.next_step_to_complete(draft(2)).slug == "commitment"
    assert steps.next_step_to_complete(draft(3)).slug == "dates"
    assert steps.next_step_to_complete(draft(7)).slug == "check"


def test_references_are_readable():
    assert submission.format_reference("CTA", 2027, 42) == "CTA-2027-0042"


def test_reference_numbers_restart_each_year(app):
    with app.app_context():
        assert [submission.next_reference_number(2030) for _ in range(3)] == [1, 2, 3]
        assert submission.next_reference_number(2031) == 1
        db.session.commit()


def test_a_token_opens_its_pledge_until_it_expires(app):
    now = datetime(2027, 3, 1, tzinfo=timezone.utc)
    with app.app_context():
        pledge = Pledge(city="Lyon")
        db.session.add(pledge)
        raw = links.issue_access_token(pledge, timedelta(days=30), now=now)
        db.session.commit()
        assert links.pledge_for_token(raw, now=now + timedelta(days=29)).city == "Lyon"
        with pytest.raises(links.TokenProblem) as problem:
            links.pledge_for_token(raw, now=now + timedelta(days=30))
        assert problem.value.reason == "expired"
        for forged in ("", raw[:-1], raw + "x", "x" * 500):
            with pytest.raises(links.TokenProblem) as problem:
                links.pledge_for_token(forged, now=now)
            assert problem.value.reason == "unknown"


def test_a_pledge_with_missing_answers_names_the_steps_to_complete():
    pledge = Pledge(city="Lyon", country_code="FR", leader_name="L", focal_name="F",
                    focal_email="f@lyon.example", title="T", start_date=date(2027, 1, 1),
                    ongoing=True, implementation_stage="planning", expected_results="R",
                    progress_measures="M")
    assert [step.slug for step in submission.missing_answers(pledge)] == [
        "areas", "commitment", "budget"]


def test_pledges_sent_at_the_same_moment_never_share_a_number(app):
    from concurrent.futures import ThreadPoolExecutor

    def take_a_number(_):
        with app.app_context():
            number = submission.next_reference_number(2040)
            db.session.commit()
            return number

    with ThreadPoolExecutor(max_workers=4) as pool:
        numbers = list(pool.map(take_a_number, range(12)))
    assert sorted(numbers) == list(range(1, 13))
