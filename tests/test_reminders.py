"""Reminders, swept with `flask reminders sweep --now`, go once and stop when the person acts."""
import re
from datetime import date, datetime, timedelta, timezone

from sqlalchemy import select

from intake.extensions import db
from intake.models import InformationRequest, Pledge
from intake.reminders import planning

from .support.client import ContactBrowser, drain_queue, outbox_rows

CONTACT = "ana.souza@prefeitura.example"
DAY = timedelta(days=1)


def sweep(runner, moment):
    result = runner.invoke(args=["reminders", "sweep", "--now", moment.isoformat()])
    assert result.exit_code == 0, result.output
    return int(re.match(r"(\d+) reminder", result.output).group(1))


def started_draft(app):
    ContactBrowser(app.test_client()).complete_steps(upto="areas")
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        return pledge.id, pledges_time(pledge.last_activity_at)


def pledges_time(moment):
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def reminder_emails(mailbox):
    return [m for m in mailbox.to(CONTACT) if "waiting for you" in m["Subject"]]


def test_a_forgotten_draft_is_reminded_after_three_then_ten_days_once_each(app, runner,
                                                                           mailbox):
    _pledge_id, started = started_draft(app)
    assert sweep(runner, started + 2 * DAY) == 0
    assert sweep(runner, started + 3 * DAY + timedelta(hours=1)) == 1
    assert sweep(runner, started + 3 * DAY + timedelta(hours=1)) == 0  # same moment: nothing
    assert sweep(runner, started + 4 * DAY) == 0
    assert sweep(runner, started + 10 * DAY + timedelta(hours=1)) == 1
    assert sweep(runner, started + 40 * DAY) == 0
    drain_queue(app)
    reminders = reminder_emails(mailbox)
    assert len(reminders) == 2
    for message in reminders:
        assert re.fullmatch(r"<http://pledges\.test/unsubscribe/[^>]+>",
                            message["List-Unsubscribe"])
        assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
        text = message.get_body(preferencelist=("plain",)).get_content()
        assert "http://pledges.test/resume/" in text


def test_reminders_stop_once_the_pledge_is_sent(app, runner, mailbox):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="areas")
    started = datetime.now(timezone.utc)
    assert sweep(runner, started + 3 * DAY + timedelta(hours=1)) == 1
    contact.complete_steps()
    contact.submit()
    assert sweep(runner, started + 11 * DAY) == 0
    assert sweep(runner, started + 400 * DAY) == 0


def test_a_contact_who_opts_out_gets_no_reminders_but_still_gets_acknowledgements(
        app, runner, mailbox):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="areas")
    started = datetime.now(timezone.utc)
    assert sweep(runner, started + 3 * DAY + timedelta(hours=1)) == 1
    drain_queue(app)
    [reminder] = reminder_emails(mailbox)
    unsubscribe = reminder["List-Unsubscribe"].strip("<>").removeprefix("http://pledges.test")
    page = app.test_client().get(unsubscribe)  # a GET (a mail scanner) changes nothing
    assert "Stop reminder emails?" in page.get_data(as_text=True)
    assert sweep(runner, started + 10 * DAY + timedelta(hours=1)) == 1
    one_click = app.test_client().post(unsubscribe, data={"List-Unsubscribe": "One-Click"})
    assert one_click.status_code == 200
    assert "You will get no more reminders" in one_click.get_data(as_text=True)
    contact.answer("pledge")  # the contact acts again: a new count would start...
    assert sweep(runner, datetime.now(timezone.utc) + 5 * DAY) == 0  # ...but they opted out
    contact.complete_steps()
    contact.submit()
    drain_queue(app)
    assert any("We received" in m["Subject"] for m in mailbox.to(CONTACT))


def test_a_forged_unsubscribe_link_is_refused(client):
    assert client.get("/unsubscribe/forged").status_code == 404
    assert client.post("/unsubscribe/forged").status_code == 404


def test_no_pledge_gets_more_than_the_configured_number_of_reminders(app, runner):
    app.config["REMINDER_MAX_PER_PLEDGE"] = 1
    _pledge_id, started = started_draft(app)
    assert sweep(runner, started + 3 * DAY + timedelta(hours=1)) == 1
    assert sweep(runner, started + 10 * DAY + timedelta(hours=1)) == 0


def test_reminder_rules_are_configurable(app, runner):
    app.config["REMINDER_DRAFT_DAYS"] = (1,)
    _pledge_id, started = started_draft(app)
    assert sweep(runner, started + DAY + timedelta(minutes=1)) == 1
    assert sweep(runner, started + 10 * DAY + timedelta(hours=1)) == 0


def put_pledge_in(app, pledge_id, **fields):
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        for name, value in fields.pop("pledge").items():
            setattr(pledge, name, value)
        for row in fields.get("add", []):
            db.session.add(row)
        planning.plan_reminders(pledge)
        db.session.commit()


def test_an_unanswered_request_for_information_is_reminded_after_seven_days(app, runner,
                                                                            mailbox):
    pledge_id, _started = started_draft(app)
    asked = datetime(2027, 2, 1, 10, 0, tzinfo=timezone.utc)
    request = InformationRequest(pledge_id=pledge_id, questions="What is the budget?",
                                 requested_at=asked)
    put_pledge_in(app, pledge_id, pledge={"review_state": "information_requested",
                                          "reference": "CTA-2027-0001"}, add=[request])
    assert sweep(runner, asked + 6 * DAY) == 0
    assert sweep(runner, asked + 7 * DAY + timedelta(hours=1)) == 1
    drain_queue(app)
    [message] = [m for m in mailbox.to(CONTACT) if "waiting for your answer" in m["Subject"]]
    assert "CTA-2027-0001" in message["Subject"]
    with app.app_context():
        row = db.session.scalars(select(InformationRequest)).one()
        row.answered_at = asked + 8 * DAY
        pledge = db.session.get(Pledge, pledge_id)
        pledge.review_state = "in_review"
        planning.plan_reminders(pledge)
        db.session.commit()
    assert sweep(runner, asked + 30 * DAY) == 0


def test_accepted_pledges_are_asked_for_updates_and_before_review_milestones(app, runner,
                                                                            mailbox):
    app.config["REVIEW_MILESTONES"] = [("IMRF 2028", date(2028, 5, 1))]
    pledge_id, _started = started_draft(app)
    accepted = datetime(2027, 6, 1, tzinfo=timezone.utc)
    put_pledge_in(app, pledge_id, pledge={"review_state": "accepted", "accepted_at": accepted,
                                          "reference": "CTA-2027-0002"})
    assert sweep(runner, accepted + 181 * DAY) == 0
    assert sweep(runner, accepted + 183 * DAY) == 1
    assert sweep(runner, datetime(2028, 4, 2, tzinfo=timezone.utc)) == 1  # 30 days ahead
    drain_queue(app)
    updates = [m for m in mailbox.to(CONTACT) if "report progress" in m["Subject"]]
    assert len(updates) == 2
    assert "IMRF 2028" in updates[1].get_body(preferencelist=("plain",)).get_content()


def test_a_closed_pledge_gets_no_reminder(app, runner):
    pledge_id, started = started_draft(app)
    put_pledge_in(app, pledge_id, pledge={"review_state": "withdrawn"})
    assert sweep(runner, started + 30 * DAY) == 0


def test_the_sweep_explains_a_bad_moment(runner):
    result = runner.invoke(args=["reminders", "sweep", "--now", "next tuesday"])
    assert result.exit_code != 0
    assert "not an ISO 8601 date and time" in result.output


def test_reminder_rows_carry_their_idempotency_key(app, runner):
    pledge_id, started = started_draft(app)
    sweep(runner, started + 3 * DAY + timedelta(hours=1))
    [row] = outbox_rows(app, kind="reminder_draft")
    assert row.idempotency_key.startswith(f"reminder_draft:{pledge_id}:")


def test_two_sweeps_at_the_same_moment_send_each_reminder_once(app, app_factory, mailbox,
                                                               monkeypatch):
    from intake.reminders import sweep as reminder_sweep

    pledge_id, started = started_draft(app)
    moment = started + 3 * DAY + timedelta(hours=1)
    other_worker = app_factory()
    real_existing_keys = reminder_sweep._existing_keys

    def keys_read_just_before_the_other_sweep_commits(keys):
        existing = real_existing_keys(keys)
        monkeypatch.setattr(reminder_sweep, "_existing_keys", real_existing_keys)
        with other_worker.app_context():
            assert reminder_sweep.sweep(moment) == 1
        return existing

    monkeypatch.setattr(reminder_sweep, "_existing_keys",
                        keys_read_just_before_the_other_sweep_commits)
    with app.app_context():
        assert reminder_sweep.sweep(moment) == 0  # its batch was redone: nothing left to do
        assert db.session.get(Pledge, pledge_id).reminders_sent == 1
    assert len(outbox_rows(app, kind="reminder_draft")) == 1
    drain_queue(app)
    assert len(reminder_emails(mailbox)) == 1
