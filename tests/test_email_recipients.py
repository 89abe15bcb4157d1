"""Who is told what, in which language: a city that withdraws tells its assignee (in the language
she chose on her account) or, unassigned, the coordinators' list (in English); every coordinator
email links to the pledge; a reply goes to the help contact; a private link says how long it
works."""
from datetime import datetime, timedelta, timezone

from flask_babel import force_locale, format_date
from sqlalchemy import select

from intake.clock import utcnow
from intake.email.events import queue_coordinator_digest
from intake.extensions import db
from intake.models import AuditEntry, Coordinator, InformationRequest, Pledge

from .support.browser import Browser
from .support.client import ContactBrowser, drain_queue
from .support.triage import CoordinatorBrowser, load, sent_pledge, tracker_path

CONTACT = "ana.souza@prefeitura.example"
COORDINATORS = "coordinators@mayorsmechanism.example"
HELP = "help@mayorsmechanism.example"
MARIA = "maria@uclg.example"


def body_parts(message):
    return (message.get_body(preferencelist=("plain",)).get_content(),
            message.get_body(preferencelist=("html",)).get_content())


def maria_signed_in(make_coordinator, sign_in):
    account = make_coordinator(email=MARIA, name="Maria")
    return account, CoordinatorBrowser(sign_in(account))


def choose_email_language(maria, language):
    """On her own account page, linked from every coordinator page."""
    maria.get("/triage/")
    assert '<a href="/account">Your account</a>' in maria.text
    maria.get("/account")
    assert '<label class="label" for="language">Language of your emails</label>' in maria.text
    return maria.post("/account/language", {"language": language})


def withdraw(app, pledge_id, reason="A new council, new plans."):
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path + "/withdraw")
    return city.post(path + "/withdraw", {"confirm": "y", "reason": reason})


def test_a_coordinator_chooses_the_language_of_her_emails_on_her_account_page(
        app, make_coordinator, sign_in):
    account, maria = maria_signed_in(make_coordinator, sign_in)
    maria.get("/account")
    assert '<option selected value="en">English</option>' in maria.text
    response = choose_email_language(maria, "es")
    assert response.status_code == 303 and response.headers["Location"] == "/account"
    maria.get("/account")
    assert "Your emails will now come in Español." in maria.text
    assert '<option selected value="es">Español</option>' in maria.text
    with app.app_context():
        assert db.session.get(Coordinator, account.id).language == "es"
        entry = db.session.scalars(select(AuditEntry).filter_by(
            action="email_language_changed")).one()
        assert (entry.before, entry.after) == ({"language": "en"}, {"language": "es"})


def test_an_unknown_language_is_refused_beside_its_field(app, make_coordinator, sign_in):
    account, maria = maria_signed_in(make_coordinator, sign_in)
    maria.get("/account")
    response = maria.post("/account/language", {"language": "de"})
    assert response.status_code == 422
    assert '<a href="#language">Not a valid choice' in maria.text
    assert 'id="language-error"' in maria.text
    with app.app_context():
        assert db.session.get(Coordinator, account.id).language == "en"


def test_signed_out_nobody_reaches_an_account_page(app):
    assert app.test_client().get("/account").status_code == 302
    stranger = Browser(app.test_client())
    response = stranger.post("/account/language", {"language": "fr"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


def test_a_city_that_withdraws_tells_its_assignee_once_in_her_language(
        app, make_coordinator, sign_in, mailbox):
    pledge_id = sent_pledge(app)
    account, maria = maria_signed_in(make_coordinator, sign_in)
    choose_email_language(maria, "fr")
    maria.open(pledge_id)
    maria.act(pledge_id, "assign", {"assignee": str(account.id)})
    drain_queue(app)
    mailbox.received.clear()

    assert withdraw(app, pledge_id).status_code == 303
    withdraw(app, pledge_id)  # a second click withdraws nothing more
    drain_queue(app)

    [told] = mailbox.received
    reference = load(app, pledge_id).reference
    assert told["To"] == MARIA and told["Content-Language"] == "fr"
    assert told["Subject"] == f"São Paulo a retiré son engagement {reference}"
    text, html = body_parts(told)
    page = f"http://pledges.test/triage/pledges/{pledge_id}"
    assert reference in text and "Welcome centre for newcomers" in text
    assert "A new council, new plans." in text and "A new council, new plans." in html
    assert page in text and f'href="{page}"' in html
    assert told["Reply-To"] == HELP


def test_a_withdrawal_nobody_is_assigned_tells_the_coordinators_in_english(app, mailbox):
    pledge_id = sent_pledge(app)
    drain_queue(app)
    mailbox.received.clear()
    withdraw(app, pledge_id, reason="")
    drain_queue(app)
    [told] = mailbox.to(COORDINATORS)
    assert told["Content-Language"] == "en"
    reference = load(app, pledge_id).reference
    assert told["Subject"] == f"São Paulo withdrew its pledge {reference}"
    text, _html = body_parts(told)
    assert "The city's reason" not in text  # none given
    assert f"http://pledges.test/triage/pledges/{pledge_id}" in text
    assert [m["To"] for m in mailbox.received] == [COORDINATORS]  # the city itself: nothing


def test_the_city_s_answer_reaches_its_assignee_in_her_language(app, make_coordinator, sign_in,
                                                                 mailbox):
    pledge_id = sent_pledge(app)
    account, maria = maria_signed_in(make_coordinator, sign_in)
    choose_email_language(maria, "es")
    maria.open(pledge_id)
    maria.act(pledge_id, "assign", {"assignee": str(account.id)})
    maria.open(pledge_id)
    maria.act(pledge_id, "request-information", {"questions": "Who runs the centre?"})
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    with app.app_context():
        question_id = db.session.scalar(select(InformationRequest.id))
    city.get(path)
    city.post(f"{path}/questions/{question_id}", {f"q{question_id}-answer": "The city itself."})
    drain_queue(app)
    [answered] = mailbox.to(MARIA)
    assert answered["Content-Language"] == "es"
    assert answered["Subject"] == f"Respuesta de la ciudad: {load(app, pledge_id).reference}"
    text, _html = body_parts(answered)
    assert f"http://pledges.test/triage/pledges/{pledge_id}" in text


def test_the_new_pledge_email_links_to_the_pledge_and_replies_go_to_the_help_contact(
        app, contact, mailbox):
    contact.complete_steps()
    contact.submit()
    drain_queue(app)
    [notification] = mailbox.to(COORDINATORS)
    text, html = body_parts(notification)
    with app.app_context():
        pledge_id = db.session.scalar(select(Pledge.id))
    page = f"http://pledges.test/triage/pledges/{pledge_id}"
    assert page in text and f'href="{page}"' in html
    for message in mailbox.received:  # the city's two emails and the coordinators' one
        assert message["Reply-To"] == HELP
        assert HELP in body_parts(message)[0]


def test_the_digest_links_to_each_pledge(app, contact, mailbox):
    app.config["COORDINATOR_DIGEST"] = True
    contact.complete_steps()
    contact.submit()
    drain_queue(app)
    tomorrow = datetime.now(timezone.utc) + timedelta(days=1)
    with app.app_context():
        queue_coordinator_digest(tomorrow)
        db.session.commit()
    drain_queue(app)
    [digest] = mailbox.to(COORDINATORS)
    text, html = body_parts(digest)
    [link] = [word for word in text.split() if "/triage/pledges/" in word]
    assert f'href="{link}"' in html


def test_the_resume_email_says_how_long_its_link_works(app, contact, mailbox):
    contact.answer("city", {"language": "fr"})
    drain_queue(app)
    [message] = mailbox.to(CONTACT)
    with app.app_context(), force_locale("fr"):
        until = format_date(utcnow() + timedelta(days=30), "long")
    text, html = body_parts(message)
    assert f"Le lien de cet e-mail fonctionne pendant 30\u00a0jours, jusqu’au {until}." in text
    assert until in html


def test_an_admin_chooses_the_language_of_a_new_account(app, make_coordinator, sign_in):
    admin = Browser(sign_in(make_coordinator(email="ada@uclg.example", role="admin")))
    admin.get("/admin/coordinators/new")
    assert "Language of the person's emails</label>" in admin.text
    password = "a long new password 42"
    response = admin.post("/admin/coordinators/new", {
        "email": "jean@iom.example", "name": "Jean", "role": "coordinator",
        "language": "fr", "password": password, "confirm": password})
    assert response.status_code == 303
    admin.get(response.headers["Location"])
    assert '<dd class="summary__value" id="account-language">Français</dd>' in admin.text
