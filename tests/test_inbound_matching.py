"""An email from a city lands on the right pledge, in order of trust: the pledge's own reply
address, the thread, and a reference number only from someone the pledge knows. Whoever else
writes (a colleague in copy, a forward) joins the pledge as "from someone new"; a stranger
quoting a reference waits in the coordinators' tray."""
from email.utils import parseaddr

from sqlalchemy import func, select

from intake.extensions import db
from intake.inbound import matching
from intake.inbound.contacts import add_contact
from intake.models import InboundMessage, Pledge, PledgeContact
from intake.pledges import audit

from .support.client import drain_queue
from .support.inbound import (
    CITY,
    COLLEAGUE,
    INBOUND,
    city_reply,
    colleague_reply,
    email,
    forward,
    receive,
    reference_of,
    stored,
    stranger_quoting,
)
from .support.triage import sent_pledge

HELP = "help@mayorsmechanism.example"


def messages_count(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(InboundMessage))


def test_a_city_s_reply_threads_onto_its_pledge_once_even_when_it_arrives_twice(app):
    pledge_id = sent_pledge(app)
    reply = city_reply(app, pledge_id)
    first = receive(app, reply, via="imap")
    again = receive(app, reply, via="lmtp")
    message = stored(app, first)
    assert again == first and messages_count(app) == 1
    assert (message.pledge_id, message.matched_by, message.tray_state) == (pledge_id, "thread",
                                                                           None)
    assert message.from_someone_new is False


def test_emails_to_a_city_carry_its_pledge_s_own_reply_address(app, mailbox):
    app.config["INBOUND_ADDRESS"] = INBOUND
    pledge_id = sent_pledge(app)
    drain_queue(app)
    to_city = mailbox.to(CITY)  # the acknowledgement (the draft's link, sent after: skipped)
    [to_coordinators] = [m for m in mailbox.received if m["To"] != CITY]
    with app.app_context():
        token = db.session.get(Pledge, pledge_id).reply_token
    assert token and len(to_city) == 1
    assert {m["Reply-To"] for m in to_city} == {f"pledges+{token}@mayorsmechanism.example"}
    assert to_coordinators["Reply-To"] == HELP  # coordinators write to the help contact
    acknowledgement = to_city[-1]

    # A reply to that address, even with no thread (a new email typed to it), lands there.
    reply = email(to=acknowledgement["Reply-To"], subject="A new question")
    message = stored(app, receive(app, reply))
    assert (message.pledge_id, message.matched_by) == (pledge_id, "reply_token")


def test_the_reply_address_stays_the_same_and_is_read_from_delivery_headers(app, mailbox):
    app.config["INBOUND_ADDRESS"] = INBOUND
    pledge_id = sent_pledge(app)
    drain_queue(app)
    with app.app_context():
        token = db.session.get(Pledge, pledge_id).reply_token
    # Sent to the plain address in Bcc: the server's Delivered-To names the pledge's address.
    reply = email(to=INBOUND, subject="Hello",
                  headers={"Delivered-To": f"Pledges+{token.upper()}@MayorsMechanism.example"})
    message = stored(app, receive(app, reply))
    assert (message.pledge_id, message.matched_by) == (pledge_id, "reply_token")


def test_without_an_inbound_address_replies_go_to_the_help_contact(app, mailbox):
    app.config["INBOUND_ADDRESS"] = None
    sent_pledge(app)
    drain_queue(app)
    assert {message["Reply-To"] for message in mailbox.received} == {HELP}


def test_a_colleague_in_copy_joins_the_pledge_as_someone_new(app):
    pledge_id = sent_pledge(app)
    message = stored(app, receive(app, colleague_reply(app, pledge_id)))
    assert (message.pledge_id, message.matched_by) == (pledge_id, "thread")
    assert message.from_someone_new is True and message.tray_state is None


def test_a_forward_from_another_department_joins_the_pledge_as_someone_new(app):
    pledge_id = sent_pledge(app)
    message = stored(app, receive(app, forward(app, pledge_id, sender="tesouro@fazenda.example")))
    assert (message.pledge_id, message.from_someone_new) == (pledge_id, True)


def test_a_reply_to_a_message_already_on_a_pledge_follows_it(app):
    pledge_id = sent_pledge(app)
    first = stored(app, receive(app, city_reply(app, pledge_id)))
    answer = email(sender=COLLEAGUE, subject="Re: Re: Your pledge",
                   in_reply_to=f"<{first.message_id}>")
    assert stored(app, receive(app, answer)).pledge_id == pledge_id


def test_a_stranger_quoting_another_pledge_s_reference_lands_in_the_tray(app):
    pledge_id = sent_pledge(app)
    message = stored(app, receive(app, stranger_quoting(reference_of(app, pledge_id))))
    assert (message.pledge_id, message.matched_by, message.tray_state) == (None, None,
                                                                           "unmatched")


def test_a_reference_in_the_subject_counts_from_the_focal_point_and_her_city_s_domain(app):
    pledge_id = sent_pledge(app)
    reference = reference_of(app, pledge_id)
    from_her = stored(app, receive(app, email(subject=f"Our pledge {reference.lower()}")))
    assert (from_her.pledge_id, from_her.matched_by) == (pledge_id, "reference")
    assert from_her.from_someone_new is False
    from_her_city = stored(app, receive(app, email(sender=COLLEAGUE, subject=f"{reference}")))
    assert (from_her_city.pledge_id, from_her_city.from_someone_new) == (pledge_id, True)


def test_a_shared_mail_service_is_not_a_city_s_domain(app):
    pledge_id = sent_pledge(app, focal_email="ana.souza@gmail.com")
    reference = reference_of(app, pledge_id)
    someone = stored(app, receive(app, email(sender="x@gmail.com", subject=reference)))
    assert someone.tray_state == "unmatched"


def test_a_message_from_nobody_we_know_about_nothing_we_sent_lands_in_the_tray(app):
    sent_pledge(app)
    message = stored(app, receive(app, email(sender="new.city@ayuntamiento.example",
                                             subject="We want to pledge",
                                             in_reply_to="<unknown@elsewhere.example>")))
    assert message.tray_state == "unmatched" and message.pledge_id is None


def test_a_coordinator_adds_a_colleague_as_a_contact_whose_next_emails_count(
        app, make_coordinator):
    pledge_id = sent_pledge(app, focal_email="ana.souza@gmail.com")
    reference = reference_of(app, pledge_id)
    message_id = receive(app, colleague_reply(app, pledge_id))
    coordinator = make_coordinator(email="maria@uclg.example", name="Maria")
    with app.app_context():
        message = db.session.get(InboundMessage, message_id)
        add_contact(message, audit.coordinator_actor(coordinator))
        add_contact(message, audit.coordinator_actor(coordinator))  # twice: one contact
        db.session.commit()
        contacts = db.session.scalars(select(PledgeContact)).all()
        assert [(c.pledge_id, c.email, c.name) for c in contacts] == [
            (pledge_id, COLLEAGUE, "Rui Lima")]
    assert stored(app, message_id).from_someone_new is False
    later = stored(app, receive(app, email(sender=f"Rui <{COLLEAGUE}>",
                                           subject=f"Budget for {reference}")))
    assert (later.pledge_id, later.matched_by, later.from_someone_new) == (
        pledge_id, "reference", False)
    assert parseaddr(f"Rui <{COLLEAGUE}>")[1] == later.from_address


def test_what_the_addresses_and_the_subject_say():
    assert matching.reply_tokens(
        ["pledges+abc_1-x@mayorsmechanism.example", "pledges@mayorsmechanism.example",
         "other+zzz@mayorsmechanism.example", "pledges+yyy@elsewhere.example"],
        INBOUND) == ["abc_1-x"]
    assert matching.reply_tokens(["pledges+abc@mayorsmechanism.example"], None) == []
    assert matching.references_in("Re: CTA-2026-0042 and cta-2025-7; XCTA-2026-0001",
                                  "CTA") == ["CTA-2026-0042", "CTA-2025-7"]
