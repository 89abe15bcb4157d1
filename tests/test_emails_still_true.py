"""An email is checked against what it says just before it leaves: a link to continue a draft
already sent, or a reminder of something already done, is not sent; the row says why."""
from datetime import datetime, timedelta, timezone

from intake.email import outbox
from intake.extensions import db
from intake.models import InformationRequest, Pledge

from .support.client import ContactBrowser, drain_queue, outbox_rows

CONTACT = "ana.souza@prefeitura.example"


def subjects_to(mailbox, address):
    return [message["Subject"] for message in mailbox.to(address)]


def test_a_contact_who_submits_before_the_resume_email_leaves_never_receives_it(
        app, contact, mailbox, make_coordinator, sign_in):
    contact.send_in_one_go()  # the resume link was queued at step 1; the worker was busy
    drain_queue(app)

    [acknowledgement] = mailbox.to(CONTACT)
    assert acknowledgement["Subject"].startswith("We received your pledge")
    [resume] = outbox_rows(app, kind="resume_link")
    assert resume.status == "skipped" and resume.sent_at is None
    assert "link to continue its draft is no longer needed" in resume.last_error
    assert [row.status for row in outbox_rows(app, kind="acknowledgement")] == ["sent"]

    coordinator = sign_in(make_coordinator())
    page = coordinator.get(f"/triage/pledges/{resume.pledge_id}").get_data(as_text=True)
    assert "not sent (no longer needed)" in page
    assert "a link to continue its draft is no longer needed" in page  # the reason


def test_a_draft_reminder_queued_before_the_pledge_was_sent_is_not_sent(
        app, runner, contact, mailbox):
    contact.complete_steps(upto="areas")
    drain_queue(app)  # the resume link leaves while the pledge is a draft: it still holds
    assert subjects_to(mailbox, CONTACT) == ["Your private link to continue your pledge"]
    moment = datetime.now(timezone.utc) + timedelta(days=3, hours=1)
    assert runner.invoke(args=["reminders", "sweep", "--now", moment.isoformat()]).exit_code == 0
    contact.complete_steps()
    assert contact.submit().status_code == 303
    drain_queue(app)

    [reminder] = outbox_rows(app, kind="reminder_draft")
    assert reminder.status == "skipped"
    assert [subject for subject in subjects_to(mailbox, CONTACT)
            if "waiting for you" in subject] == []


def test_a_reminder_of_questions_the_city_answered_in_the_meantime_is_not_sent(
        app, runner, contact, mailbox):
    contact.send_in_one_go()
    drain_queue(app)
    with app.app_context():
        pledge = db.session.query(Pledge).one()
        asked = datetime.now(timezone.utc) - timedelta(days=8)
        request = InformationRequest(pledge_id=pledge.id, questions="Which budget line?",
                                     requested_at=asked)
        pledge.review_state = "information_requested"
        pledge.next_reminder_at = asked
        db.session.add(request)
        db.session.commit()
    assert runner.invoke(args=["reminders", "sweep"]).exit_code == 0
    with app.app_context():
        request = db.session.query(InformationRequest).one()
        request.answered_at, request.answer = datetime.now(timezone.utc), "Line 4.2."
        db.session.commit()
    mailbox.received.clear()
    drain_queue(app)

    [reminder] = outbox_rows(app, kind="reminder_information")
    assert reminder.status == "skipped"
    assert "answered" in reminder.last_error
    assert mailbox.to(CONTACT) == []


def test_an_email_whose_reason_still_holds_leaves_as_before(app, mailbox):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="city")
    drain_queue(app)
    [resume] = outbox_rows(app, kind="resume_link")
    assert resume.status == "sent" and resume.last_error is None
    assert len(mailbox.to(CONTACT)) == 1


def test_a_progress_reminder_is_not_sent_once_the_city_reported_after_it_was_written(
        app, contact, mailbox):
    contact.send_in_one_go()
    drain_queue(app)
    mailbox.received.clear()
    with app.app_context():
        pledge = db.session.query(Pledge).one()
        pledge.review_state, pledge.accepted_at = "accepted", datetime.now(timezone.utc)
        outbox.queue_email("reminder_update", CONTACT, "en", f"reminder_update:{pledge.id}:1",
                           pledge_id=pledge.id)
        db.session.commit()
        pledge.last_update_at = datetime.now(timezone.utc) + timedelta(seconds=1)  # a report
        db.session.commit()
    drain_queue(app)

    [reminder] = outbox_rows(app, kind="reminder_update")
    assert reminder.status == "skipped" and "reported its progress" in reminder.last_error
    assert mailbox.to(CONTACT) == []


def test_email_me_my_link_is_not_sent_once_every_draft_it_lists_was_sent(app, contact,
                                                                          mailbox):
    contact.complete_steps()
    drain_queue(app)
    mailbox.received.clear()
    visitor = ContactBrowser(app.test_client())
    visitor.get("/pledge/email-my-link")
    visitor.post("/pledge/email-my-link", {"email": CONTACT})
    assert contact.submit().status_code == 303
    drain_queue(app)

    [links] = outbox_rows(app, kind="resume_links")
    assert links.status == "skipped"
    [acknowledgement] = mailbox.to(CONTACT)
    assert acknowledgement["Subject"].startswith("We received your pledge")
