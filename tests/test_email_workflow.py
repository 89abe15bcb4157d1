"""Emails go out through the outbox and RQ, over real SMTP, once each."""
import re
from decimal import Decimal

import pytest
from babel.numbers import format_currency
from flask_babel import force_locale

from intake.catalogue.compacts import action_area_title
from intake.extensions import db
from intake.pledges.steps import STEPS_BY_SLUG

from .support.client import ContactBrowser, drain_queue, outbox_rows

CONTACT = "ana.souza@prefeitura.example"
COORDINATORS = "coordinators@mayorsmechanism.example"
LINK = re.compile(r"http://pledges\.test/(?:resume|track)/[A-Za-z0-9_\-]+")


def body_parts(message):
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    return text, html


def test_a_contact_who_starts_a_draft_gets_the_resume_link_by_email(app, contact, mailbox):
    contact.complete_steps(upto="city")
    drain_queue(app)
    [message] = mailbox.to(CONTACT)
    assert message["Subject"] == "Your private link to continue your pledge"
    assert message["Content-Language"] == "en"
    assert message["Message-ID"] == outbox_rows(app, kind="resume_link")[0].message_id
    text, html = body_parts(message)
    assert "Hello Ana Souza," in text and "São Paulo" in text
    link = LINK.search(text).group(0)
    assert link in html
    elsewhere = ContactBrowser(app.test_client())
    elsewhere.get(link.removeprefix("http://pledges.test"))
    assert "Continue my pledge" in elsewhere.text
    assert "List-Unsubscribe" not in message


def test_the_email_is_written_in_the_contacts_language(app, contact, mailbox):
    contact.answer("city", {"language": "fr"})
    drain_queue(app)
    [message] = mailbox.to(CONTACT)
    assert message["Content-Language"] == "fr"
    text, _html = body_parts(message)
    assert "Bonjour Ana Souza," in text


def test_email_me_my_link_answers_the_same_for_known_and_unknown_addresses(app, contact,
                                                                            mailbox):
    contact.complete_steps(upto="city")
    drain_queue(app)
    mailbox.received.clear()
    pages = []
    for address in (CONTACT, "nobody@nowhere.example"):
        visitor = ContactBrowser(app.test_client())
        visitor.get("/pledge/email-my-link")
        response = visitor.post("/pledge/email-my-link", {"email": address})
        assert response.status_code == 200
        page = re.sub(r'(csrf_token" value=|X-CSRFToken": )"[^"]+"', "TOKEN", visitor.text)
        pages.append(page.replace(address, "ADDRESS"))
    assert pages[0] == pages[1]
    drain_queue(app)
    assert len(mailbox.to(CONTACT)) == 1
    assert mailbox.to("nobody@nowhere.example") == []


def test_asking_again_within_the_hour_sends_no_second_copy(app, contact, mailbox):
    contact.complete_steps(upto="city")
    for _ in range(3):
        visitor = ContactBrowser(app.test_client())
        visitor.get("/pledge/email-my-link")
        visitor.post("/pledge/email-my-link", {"email": CONTACT})
    drain_queue(app)
    assert len(mailbox.to(CONTACT)) == 2  # the draft's own email, and one on request


def test_a_bad_address_in_email_me_my_link_is_explained(contact):
    contact.get("/pledge/email-my-link")
    response = contact.post("/pledge/email-my-link", {"email": "ana@"})
    assert response.status_code == 422
    assert "Enter an email address in the right format" in contact.text
    assert 'value="ana@"' in contact.text


def test_a_sent_pledge_is_acknowledged_and_coordinators_are_told(app, contact, mailbox):
    contact.complete_steps()
    contact.submit()
    drain_queue(app)
    [ack] = [m for m in mailbox.to(CONTACT) if "We received" in m["Subject"]]
    reference = re.search(r"CTA-\d{4}-\d{4}", ack["Subject"]).group(0)
    text, html = body_parts(ack)
    assert reference in text and reference in html
    status_page = app.test_client().get(LINK.search(text).group(0).removeprefix(
        "http://pledges.test"))
    assert "Submitted" in status_page.get_data(as_text=True)
    [note] = mailbox.to(COORDINATORS)
    assert note["Subject"] == f"New pledge {reference} from São Paulo"


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_acknowledgement_carries_a_copy_of_the_answers_in_the_citys_language(
        app, contact, mailbox, language):
    contact.complete_steps()
    contact.answer("city", {"language": language})
    contact.submit()
    drain_queue(app)
    [ack] = [m for m in mailbox.to(CONTACT) if "CTA-" in m["Subject"]]
    assert ack["Content-Language"] == language
    with app.test_request_context(), force_locale(language):
        area = str(action_area_title("essential-services"))
        budget_page = str(STEPS_BY_SLUG["budget"].title)
    budget = format_currency(Decimal("250000"), "BRL", locale=language)  # "250 000,00 R$"
    for part in body_parts(ack):
        assert "Welcome centre for newcomers" in part
        assert area in part
        assert budget_page in part  # the answers grouped by the pages that ask them
        assert budget in part
    assert ("," in budget.partition("250")[2][4:]) is (language != "en")  # the decimal comma


def test_coordinators_can_get_a_daily_digest_instead(app, contact, mailbox):
    app.config["COORDINATOR_DIGEST"] = True
    contact.complete_steps()
    contact.submit()
    drain_queue(app)
    assert mailbox.to(COORDINATORS) == []
    from datetime import datetime, timedelta, timezone

    from intake.email.events import queue_coordinator_digest

    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    with app.app_context():
        assert queue_coordinator_digest(tomorrow) == 1
        assert queue_coordinator_digest(tomorrow) == 0  # once a day
        db.session.commit()  # as the worker's digest job does
    drain_queue(app)
    [digest] = mailbox.to(COORDINATORS)
    assert "Welcome centre for newcomers" in body_parts(digest)[0]


def test_each_email_is_sent_once_even_if_its_job_runs_twice(app, contact, mailbox):
    contact.complete_steps(upto="city")
    [row] = outbox_rows(app)
    from intake.email.enqueue import enqueue_send

    with app.app_context():
        enqueue_send(row.id)
        enqueue_send(row.id, at=None)
    drain_queue(app)
    from intake.worker import send_email

    with app.app_context():
        assert send_email(row.id) == "skipped"
    assert len(mailbox.to(CONTACT)) == 1
    [row] = outbox_rows(app)
    assert row.status == "sent" and row.attempts == 1
