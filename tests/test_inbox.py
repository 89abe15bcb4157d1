"""The coordinators' inbox: emails that found no pledge wait in a tray, where a coordinator links
one to a pledge, makes a draft pledge of it (its sender invited to complete it), or marks it spam;
a pledge's page shows the emails it received."""
import re
from pathlib import Path

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import (
    AuditEntry,
    InboundAttachment,
    InboundMessage,
    OutboxEmail,
    Pledge,
    PledgeContact,
)

from .support.browser import Browser
from .support.client import ContactBrowser, drain_queue
from .support.inbound import first_email, received
from .support.triage import sent_pledge


@pytest.fixture
def coordinator(app, make_coordinator, sign_in):
    return Browser(sign_in(make_coordinator()))


def reference_of(app, pledge_id):
    with app.app_context():
        return db.session.get(Pledge, pledge_id).reference


def test_a_coordinator_sees_the_waiting_email_in_the_tray_and_the_count_in_the_nav(app,
                                                                                  coordinator):
    received(app)
    coordinator.get("/triage/inbox")
    assert "Inbox (1)" in coordinator.text
    assert "Our city wants to pledge" in coordinator.text
    assert "marie.dupont@mairie-lyon.example" in coordinator.text
    assert "Hello, Lyon would like to join the Call." in coordinator.text


def test_a_coordinator_links_an_email_to_a_pledge_once(app, coordinator):
    pledge_id = sent_pledge(app)
    message_id = received(app)
    reference = reference_of(app, pledge_id)
    coordinator.get(f"/triage/inbox/{message_id}")
    response = coordinator.post(f"/triage/inbox/{message_id}/link",
                                {"reference": reference.lower()}, follow=True)
    assert f"The message is now on pledge {reference}." in response.get_data(as_text=True)
    assert "No message is waiting." in response.get_data(as_text=True)
    again = coordinator.post(f"/triage/inbox/{message_id}/link", {"reference": reference},
                             follow=True)
    assert "already left the tray. Nothing changed." in again.get_data(as_text=True)
    with app.app_context():
        message = db.session.get(InboundMessage, message_id)
        assert (message.pledge_id, message.matched_by, message.tray_state) == (
            pledge_id, "coordinator", None)
        linked = db.session.scalars(select(AuditEntry).filter_by(action="inbound_linked")).all()
        assert [entry.actor_type for entry in linked] == ["coordinator"]
    coordinator.get(f"/triage/pledges/{pledge_id}")
    assert "Email received from marie.dupont@mairie-lyon.example" in coordinator.text


def test_a_reference_that_opens_no_pledge_is_said_beside_the_field(app, coordinator):
    message_id = received(app)
    coordinator.get(f"/triage/inbox/{message_id}")
    response = coordinator.post(f"/triage/inbox/{message_id}/link", {"reference": "CTA-1999-9"})
    assert response.status_code == 422
    assert "No sent pledge has this reference." in response.get_data(as_text=True)
    assert 'href="#reference"' in response.get_data(as_text=True)


def test_a_coordinator_makes_a_draft_pledge_and_its_sender_is_invited_once(app, coordinator):
    message_id = received(app)
    coordinator.get(f"/triage/inbox/{message_id}")
    response = coordinator.post(f"/triage/inbox/{message_id}/draft",
                                {"city": "Lyon", "language": "en"}, follow=True)
    assert "A draft pledge for Lyon was made." in response.get_data(as_text=True)
    coordinator.post(f"/triage/inbox/{message_id}/draft", {"city": "Lyon", "language": "en"})
    with app.app_context():
        drafts = db.session.scalars(select(Pledge).filter_by(review_state="draft")).all()
        assert [(p.city, p.focal_email) for p in drafts] == [
            ("Lyon", "marie.dupont@mairie-lyon.example")]
        emails = db.session.scalars(select(OutboxEmail).filter_by(kind="draft_invitation")).all()
        assert [(e.recipient, e.pledge_id) for e in emails] == [
            ("marie.dupont@mairie-lyon.example", drafts[0].id)]


def test_a_draft_needs_its_city(app, coordinator):
    message_id = received(app)
    coordinator.get(f"/triage/inbox/{message_id}")
    response = coordinator.post(f"/triage/inbox/{message_id}/draft",
                                {"city": "", "language": "en"})
    assert response.status_code == 422
    assert "Enter the name of the city." in response.get_data(as_text=True)


def test_spam_leaves_the_tray_and_comes_back_with_not_spam(app, coordinator):
    message_id = received(app)
    coordinator.get(f"/triage/inbox/{message_id}")
    coordinator.post(f"/triage/inbox/{message_id}/spam", {})
    coordinator.get("/triage/inbox")
    assert "Inbox (0)" in coordinator.text and "No message is waiting." in coordinator.text
    coordinator.get("/triage/inbox/spam")
    assert "Our city wants to pledge" in coordinator.text
    coordinator.post(f"/triage/inbox/{message_id}/not-spam", {})
    coordinator.get("/triage/inbox")
    assert "Our city wants to pledge" in coordinator.text


def test_the_html_part_is_shown_without_scripts_images_or_styles(app, coordinator):
    message_id = received(app, first_email(html=(
        '<p style="color:red">Hello <b>team</b> <a href="https://lyon.example/plan">plan</a>'
        '<img src="https://tracker.example/pixel.gif"><script>alert(1)</script></p>')))
    coordinator.get(f"/triage/inbox/{message_id}")
    page = coordinator.text
    assert "<b>team</b>" in page
    assert 'rel="nofollow noopener"' in page
    assert "<script>alert" not in page and "pixel.gif" not in page and "color:red" not in page
    assert "<iframe" not in page


@pytest.mark.parametrize(("machine", "label"), [("auto_reply", "Automatic reply"),
                                                ("delivery_status", "Delivery report")])
def test_a_machines_message_says_so(app, coordinator, machine, label):
    message_id = received(app, machine=machine)
    coordinator.get("/triage/inbox")
    assert label in coordinator.text
    coordinator.get(f"/triage/inbox/{message_id}")
    assert label in coordinator.text


def test_an_attachment_downloads_under_a_safe_name_and_one_kept_out_says_why(app, coordinator):
    message_id = received(app)
    folder = Path(app.instance_path) / "attachments"
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "a1b2c3").write_bytes(b"%PDF-1.4 plan")
    with app.app_context():
        kept = InboundAttachment(inbound_message_id=message_id, filename="Plan d'accueil é.pdf",
                                 content_type="application/pdf", size=13, stored_name="a1b2c3")
        db.session.add_all([kept, InboundAttachment(
            inbound_message_id=message_id, filename="setup.exe", size=10,
            content_type="application/x-msdownload", kept_out="type_refused")])
        db.session.commit()
        kept_id = kept.id
    coordinator.get(f"/triage/inbox/{message_id}")
    assert "setup.exe: <strong>kept out, a type of file we do not accept" in coordinator.text
    response = coordinator.get(f"/triage/inbox/attachments/{kept_id}")
    assert response.data == b"%PDF-1.4 plan"
    disposition = response.headers["Content-Disposition"]
    assert disposition.startswith("attachment; filename=\"Plan_daccueil_e.pdf\"")
    assert "filename*=UTF-8''Plan%20d%27accueil%20%C3%A9.pdf" in disposition
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_a_partner_opens_neither_the_tray_nor_an_attachment(app, make_coordinator, sign_in):
    message_id = received(app)
    partner = sign_in(make_coordinator(email="partner@ngo.example", role="partner"))
    assert partner.get("/triage/inbox").status_code == 403
    assert partner.get(f"/triage/inbox/{message_id}").status_code == 403
    assert "Inbox (" not in partner.get("/triage/").get_data(as_text=True)


def test_a_colleague_from_someone_new_is_added_as_a_contact(app, coordinator):
    pledge_id = sent_pledge(app)
    message_id = received(app, first_email(sender="Rui Lima <rui.lima@city.example>"),
                          pledge_id=pledge_id, tray_state=None, matched_by="thread",
                          from_someone_new=True)
    coordinator.get(f"/triage/pledges/{pledge_id}")
    assert "From someone new" in coordinator.text
    coordinator.post(f"/triage/inbox/{message_id}/add-contact", {})
    coordinator.post(f"/triage/inbox/{message_id}/add-contact", {})
    with app.app_context():
        contacts = db.session.scalars(select(PledgeContact)).all()
        assert [(c.pledge_id, c.email, c.name) for c in contacts] == [
            (pledge_id, "rui.lima@city.example", "Rui Lima")]
    coordinator.get(f"/triage/pledges/{pledge_id}")
    assert "From someone new" not in coordinator.text


def test_the_invited_sender_gets_a_private_link_in_her_language_that_opens_the_draft(
        app, coordinator, mailbox):
    message_id = received(app)
    coordinator.get(f"/triage/inbox/{message_id}")
    coordinator.post(f"/triage/inbox/{message_id}/draft", {"city": "Lyon", "language": "fr"})
    drain_queue(app)
    [email] = mailbox.to("marie.dupont@mairie-lyon.example")
    assert " ".join(email["Subject"].split()) == (
        "L’engagement de votre ville : un brouillon vous attend")
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "Bonjour Marie Dupont," in text and "Lyon" in text
    link = re.search(r"http://pledges\.test(/resume/[A-Za-z0-9_\-]+)", text).group(1)
    city = ContactBrowser(app.test_client())
    city.get(link)
    city.post(link, {}, follow=True)
    assert 'value="Lyon"' in city.text and 'value="marie.dupont@mairie-lyon.example"' in city.text
