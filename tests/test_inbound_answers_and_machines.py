"""A city that answers a question by email has answered it: the pledge goes back to review and
its assignee is told. Machines are not people: an out-of-office changes nothing and sends
nothing; a delivery status notification blocks only the address that failed for good."""
from email import policy
from email.parser import BytesParser

import pytest
from sqlalchemy import func, select

from intake.extensions import db
from intake.inbound import machines
from intake.models import EmailSuppression, InformationRequest, OutboxEmail, StatusChange

from .support.client import drain_queue
from .support.inbound import (
    CITY,
    city_reply,
    colleague_reply,
    delivery_status,
    email,
    out_of_office,
    receive,
    stored,
)
from .support.triage import CoordinatorBrowser, load, sent_pledge

MARIA = "maria@uclg.example"


@pytest.fixture
def question_for_city(app, make_coordinator, sign_in, mailbox):
    """A sent pledge assigned to Maria, who asked the city a question: its id."""
    pledge_id = sent_pledge(app)
    account = make_coordinator(email=MARIA, name="Maria")
    maria = CoordinatorBrowser(sign_in(account))
    maria.open(pledge_id)
    maria.act(pledge_id, "assign", {"assignee": str(account.id)})
    maria.open(pledge_id)
    maria.act(pledge_id, "request-information", {"questions": "Who runs the centre?"})
    drain_queue(app)
    assert load(app, pledge_id).review_state == "information_requested"
    mailbox.received.clear()
    return pledge_id


def test_a_reply_to_a_question_is_the_city_s_answer_once(app, question_for_city, mailbox):
    pledge_id = question_for_city
    reply = city_reply(app, pledge_id, body="The city's social services run it.")
    receive(app, reply, via="imap")
    receive(app, reply, via="lmtp")  # the same message again changes nothing more
    drain_queue(app)

    assert load(app, pledge_id).review_state == "in_review"
    with app.app_context():
        [question] = db.session.scalars(select(InformationRequest)).all()
        assert "social services run it" in question.answer and question.answered_at
        moves = db.session.scalars(select(StatusChange.to_state).where(
            StatusChange.pledge_id == pledge_id)).all()
        assert moves.count("in_review") == 1
    [told] = mailbox.received  # the assignee, once; nothing to the city
    assert told["To"] == MARIA
    assert "social services run it" in told.get_body(preferencelist=("plain",)).get_content()


def test_a_colleague_s_reply_to_the_question_answers_it_too(app, question_for_city, mailbox):
    receive(app, colleague_reply(app, question_for_city, body="I run it. Rui."))
    drain_queue(app)
    assert load(app, question_for_city).review_state == "in_review"
    assert [m["To"] for m in mailbox.received] == [MARIA]


def test_an_out_of_office_changes_nothing_and_sends_nothing(app, question_for_city, mailbox):
    with app.app_context():
        emails_before = db.session.scalar(select(func.count()).select_from(OutboxEmail))
    message = stored(app, receive(app, out_of_office(app, question_for_city)))
    drain_queue(app)

    assert (message.machine, message.pledge_id) == ("auto_reply", question_for_city)
    assert load(app, question_for_city).review_state == "information_requested"
    with app.app_context():
        assert db.session.scalar(select(InformationRequest.answered_at)) is None
        assert db.session.scalar(select(func.count()).select_from(OutboxEmail)) == emails_before
    assert mailbox.received == []


def test_a_reply_with_no_open_question_moves_nothing(app, mailbox):
    pledge_id = sent_pledge(app)
    drain_queue(app)
    mailbox.received.clear()
    receive(app, city_reply(app, pledge_id))
    drain_queue(app)
    assert load(app, pledge_id).review_state == "submitted"
    assert mailbox.received == []


def read(raw):
    return BytesParser(policy=policy.default).parsebytes(raw)


@pytest.mark.parametrize("headers, expected", [
    ({"Auto-Submitted": "auto-replied"}, "auto_reply"),
    ({"Auto-Submitted": "auto-generated"}, "auto_reply"),
    ({"Auto-Submitted": "no"}, None),
    ({"X-Autoreply": "yes"}, "auto_reply"),
    ({"X-Autorespond": "Out of office"}, "auto_reply"),
    ({"Precedence": "bulk"}, "auto_reply"),
    ({"Precedence": "auto_reply"}, "auto_reply"),
    ({"Precedence": "junk"}, "auto_reply"),
    ({"Precedence": "list"}, "auto_reply"),
    ({}, None),
])
def test_which_senders_are_machines(headers, expected):
    assert machines.machine(read(email(headers=headers))) == expected


def suppressions(app):
    with app.app_context():
        return [(row.email, row.scope) for row in db.session.scalars(select(EmailSuppression))]


def test_a_permanent_failure_blocks_that_address_only(app, mailbox):
    sent_pledge(app)
    message = stored(app, receive(app, delivery_status(CITY, "5.1.1")))
    assert message.machine == "delivery_status"
    assert suppressions(app) == [(CITY, "all")]
    drain_queue(app)  # the city's emails, still waiting, are not sent; the coordinators' is
    assert mailbox.to(CITY) == []
    assert [m["To"] for m in mailbox.received] == ["coordinators@mayorsmechanism.example"]


def test_a_temporary_failure_blocks_nobody(app):
    message = stored(app, receive(app, delivery_status(CITY, "4.4.1")))
    assert message.machine == "delivery_status"
    assert suppressions(app) == []


def test_a_dsn_that_says_failed_with_a_temporary_status_blocks_nobody(app):
    receive(app, delivery_status(CITY, "4.2.2", action="failed"))
    assert suppressions(app) == []


def test_a_dsn_is_never_an_answer(app, question_for_city, mailbox):
    with app.app_context():
        replied = db.session.scalars(select(OutboxEmail.message_id).where(
            OutboxEmail.kind == "information_request")).first()
    receive(app, delivery_status("someone.else@prefeitura.example", "5.1.1",
                                 in_reply_to=replied))
    drain_queue(app)
    assert load(app, question_for_city).review_state == "information_requested"
    assert suppressions(app) == [("someone.else@prefeitura.example", "all")]
    assert mailbox.received == []
