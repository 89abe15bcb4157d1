"""Personal data has a purpose and a lifetime: an admin downloads everything held about one
contact and erases it on request; the retention sweep erases forgotten drafts' contact data and
deletes expired private links. After an erasure the person's name, email address and phone
number are nowhere in the database: every column of every table is read, the tables found in
the database itself (a table added later is read too)."""
import hashlib
import json
import re
import warnings
from datetime import timedelta

from sqlalchemy import MetaData, select, update
from sqlalchemy.exc import SAWarning

from intake import cli, worker
from intake.clock import as_utc, utcnow
from intake.email.enqueue import email_queue
from intake.email.outbox import is_suppressed
from intake.extensions import db
from intake.models import AccessToken, AuditEntry, OutboxEmail, Pledge
from intake.pledges import audit, links
from intake.privacy.retention import EXPIRING

from .support.browser import Browser
from .support.client import ContactBrowser, drain_queue, outbox_rows
from .support.triage import CoordinatorBrowser, load, sent_pledge, tracker_path

CONTACT = "ana.souza@prefeitura.example"  # typed "Ana.Souza@prefeitura.example"
NAME = "Ana Souza"
PHONE = "+55 11 3113-8000"
PHONE_DIGITS = "551131138000"
LEADER = "Ricardo Nunes"  # the mayor signs in public office: the name stays with the pledge
SUMMARY = ("A one-stop centre where newcomers find housing, health and school advice; "
           "questions to Ana Souza, our focal point.")
OTHER = {"city": "Lyon", "country": "FR", "leader_name": "Grégory Doucet",
         "focal_name": "Lucie Martin", "focal_email": "lucie.martin@lyon.example",
         "focal_phone": "+33 4 72 10 30 30", "language": "fr"}
OTHER_CONTACT = "lucie.martin@lyon.example"


# --- reading the whole database --------------------------------------------------------------


def as_text(value):
    if value is None:
        return ""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    text = str(value)
    if text[:1] in "[{":
        try:  # JSON kept as text: read its \u escapes too
            text += " " + json.dumps(json.loads(text), ensure_ascii=False)
        except ValueError:
            pass
    return text


def stored_values(app):
    """(table.column, text) for every value of every column of every table in the database."""
    with app.app_context():
        metadata = MetaData()
        with warnings.catch_warnings():  # expression indexes are not reflected: no matter
            warnings.simplefilter("ignore", SAWarning)
            metadata.reflect(bind=db.engine)
        assert {"pledge", "outbox_email", "audit_entry", "email_suppression"} <= set(
            metadata.tables)
        found = []
        for table in metadata.sorted_tables:
            for row in db.session.execute(select(table)).all():
                found.extend((f"{table.name}.{column.name}", as_text(value))
                             for column, value in zip(table.columns, row, strict=True))
        db.session.remove()
        return found


def where_found(app, name, address, phone_digits):
    """Where the name, the address (any case) and the phone (however punctuated) are stored."""
    places = []
    for place, text in stored_values(app):
        folded = text.casefold()
        digits = re.sub(r"[\s\-.()/+]", "", text)
        if name.casefold() in folded or address.casefold() in folded or phone_digits in digits:
            places.append(place)
    return places


# --- a contact with a history ----------------------------------------------------------------


def question_form(city, path):
    action = path + "/questions/"
    return action + city.text.split(action)[1].split('"')[0]


def contact_with_a_history(app, runner, make_coordinator, sign_in, mailbox):
    """A pledge sent by Ana Souza, asked about, reminded, unsubscribed, answered, noted and
    accepted; its last email (the acceptance) still waits to be sent. Lucie Martin of Lyon sent
    another. Returns the pledge ids and the private link of Ana's pledge."""
    pledge_id = sent_pledge(app, pledge={"summary": SUMMARY})
    other_id = sent_pledge(app, city=OTHER)
    account = make_coordinator(email="maria@uclg.example", name="Maria")
    maria = CoordinatorBrowser(sign_in(account))
    maria.act(pledge_id, "assign", {"assignee": str(account.id)})
    maria.open(pledge_id)
    asked = maria.act(pledge_id, "request-information",
                       {"questions": "Could Ana Souza confirm the budget?"})
    assert asked.status_code == 303
    drain_queue(app)

    # The question goes unanswered for a week: a reminder, and she unsubscribes in one click.
    swept = runner.invoke(args=["reminders", "sweep", "--now",
                                (utcnow() + timedelta(days=8)).isoformat()])
    assert swept.exit_code == 0 and swept.output.startswith("1 reminder"), swept.output
    drain_queue(app)
    [reminder] = [m for m in mailbox.to(CONTACT) if m["List-Unsubscribe"]]
    unsubscribe = reminder["List-Unsubscribe"].strip("<>").removeprefix("http://pledges.test")
    assert app.test_client().post(unsubscribe, data={"List-Unsubscribe": "One-Click"}
                                  ).status_code == 200

    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path)
    action = question_form(city, path)
    answered = city.post(action, {f"q{action.rsplit('/', 1)[1]}-answer":
                                  "Confirmed. Write to ANA.SOUZA@prefeitura.example or call "
                                  "+55 (11) 3113 8000."})
    assert answered.status_code == 303
    maria.open(pledge_id)
    maria.act(pledge_id, "notes", {"body": "Ana Souza called from +55 11 3113 8000."})
    maria.open(pledge_id)
    accepted = maria.act(pledge_id, "state", {"target": "accepted",
                                               "message": "Thank you, Ana Souza."})
    assert accepted.status_code == 303
    with app.app_context():  # an entry naming the address with no pledge (as lifting a
        audit.record(audit.SYSTEM, "suppression_lifted",  # suppression will write)
                     after={"email": CONTACT, "scope": "all"})
        db.session.commit()
    return pledge_id, other_id, path


class Admin(Browser):
    """A signed-in admin on the personal data pages, posting the forms they show. A redirect or
    a download leaves the page shown as it was (its forms are the ones posted next)."""

    token_page = "/admin/privacy"

    def __init__(self, client):
        super().__init__(client)
        assert self.get(self.token_page).status_code == 200

    def post(self, path, data):
        shown = self.page
        response = super().post(path, data)
        if response.mimetype != "text/html" or response.status_code // 100 == 3:
            self.page = shown
        return response


def admin(make_coordinator, sign_in):
    return Admin(sign_in(make_coordinator(email="lead@mmc.example", role="admin",
                                          name="Lead")))


# --- export ----------------------------------------------------------------------------------


def test_an_admin_downloads_everything_held_about_a_contact(app, runner, make_coordinator,
                                                            sign_in, mailbox):
    pledge_id, other_id, _path = contact_with_a_history(app, runner, make_coordinator, sign_in,
                                                        mailbox)
    lead = admin(make_coordinator, sign_in)
    found = lead.post("/admin/privacy", {"email": "Ana.Souza@Prefeitura.example"})
    assert found.status_code == 200
    assert load(app, pledge_id).reference in lead.text
    assert "Download everything (JSON)" in lead.text
    assert "/admin/privacy?" not in lead.text  # the address never goes into a URL

    response = lead.post("/admin/privacy/export", {"email": CONTACT})
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert CONTACT not in response.headers["Content-Disposition"]
    assert response.headers["Cache-Control"] == "no-store"
    document = json.loads(response.get_data(as_text=True))
    tables = document["tables"]
    assert document["address"] == CONTACT and document["pledge_ids"] == [pledge_id]

    [pledge] = tables["pledge"]
    assert (pledge["focal_name"], pledge["focal_email"], pledge["focal_phone"]) == (
        NAME, CONTACT, PHONE)
    assert pledge["focal_role"] == "Head of Migrant Policy" and pledge["summary"] == SUMMARY
    [question] = tables["information_request"]
    assert question["questions"] == "Could Ana Souza confirm the budget?"
    assert question["answer"].startswith("Confirmed. Write to ANA.SOUZA@prefeitura.example")
    assert [n["body"] for n in tables["note"]] == ["Ana Souza called from +55 11 3113 8000."]
    assert "Thank you, Ana Souza." in [c["message"] for c in tables["status_change"]]

    emails = tables["outbox_email"]
    to_her = {e["kind"]: e for e in emails if e["recipient"] == CONTACT}
    assert set(to_her) == {"resume_link", "acknowledgement", "information_request",
                           "reminder_information", "status_changed"}
    assert to_her["information_request"]["context"] == {
        "questions": "Could Ana Souza confirm the budget?"}
    assert to_her["status_changed"]["status"] == "pending"
    [told] = [e for e in emails if e["kind"] == "information_answered"]
    assert "ANA.SOUZA@prefeitura.example" in told["context"]["answer"]

    assert [(s["email"], s["scope"]) for s in tables["email_suppression"]] == [
        (CONTACT, "reminders")]
    actions = {entry["action"]: entry for entry in tables["audit_entry"]}
    assert {"submitted", "information_requested", "information_answered", "note_added",
            "review_state_changed", "suppression_lifted"} <= set(actions)
    assert "+55 (11) 3113 8000" in actions["information_answered"]["after"]["answer"]
    assert tables["access_token"] and all("token_hash" not in t for t in tables["access_token"])

    everything = json.dumps(document, ensure_ascii=False)
    assert "Lucie Martin" not in everything and OTHER_CONTACT not in everything
    assert other_id not in document["pledge_ids"]
    with app.app_context():  # the export is audited, by the address's digest only
        [exported] = db.session.scalars(select(AuditEntry).filter_by(
            action="contact_exported")).all()
        assert exported.after == {"pledge_ids": [pledge_id],
                                  "address_sha256": hashlib.sha256(CONTACT.encode()).hexdigest()}
        assert exported.actor_label == "Lead"


# --- erasure ---------------------------------------------------------------------------------


def test_an_admin_erases_a_contact_after_confirming_and_nothing_of_her_is_left(
        app, runner, make_coordinator, sign_in, mailbox):
    pledge_id, other_id, path = contact_with_a_history(app, runner, make_coordinator, sign_in,
                                                       mailbox)
    assert len(where_found(app, NAME, CONTACT, PHONE_DIGITS)) > 10  # she is everywhere
    emails_before = [(row.id, row.kind, row.status) for row in outbox_rows(app)]
    delivered_to_her = len(mailbox.to(CONTACT))
    lead = admin(make_coordinator, sign_in)

    confirm = lead.post("/admin/privacy/erase", {"email": CONTACT})
    assert confirm.status_code == 200
    assert "This cannot be undone." in lead.text and "1 pledge stays, anonymised" in lead.text
    refused = lead.post("/admin/privacy/erase/confirmed", {"email": CONTACT})
    assert refused.status_code == 422
    assert "Tick the box to confirm the erasure." in lead.text
    assert load(app, pledge_id).focal_name == NAME  # nothing erased yet

    erased = lead.post("/admin/privacy/erase/confirmed", {"email": CONTACT, "confirm": "y"})
    assert erased.status_code == 303
    lead.get(erased.headers["Location"])
    assert "The contact&#39;s data is erased: 1 pledge is kept, anonymised." in lead.text

    assert where_found(app, NAME, CONTACT, PHONE_DIGITS) == []
    # The pledge stays, anonymised.
    pledge = load(app, pledge_id)
    assert (pledge.review_state, pledge.city, pledge.title, pledge.leader_name) == (
        "accepted", "São Paulo", "Welcome centre for newcomers", LEADER)
    assert (pledge.focal_name, pledge.focal_role, pledge.focal_email,
            pledge.focal_phone) == (None, None, None, None)
    assert pledge.contact_erased_at is not None
    assert pledge.summary.endswith("questions to [erased], our focal point.")
    coordinators_page = lead.client.get(f"/triage/pledges/{pledge_id}").get_data(as_text=True)
    assert "Erased on" in coordinators_page
    # The emails keep their record; the one not sent yet never goes.
    after = {row.id: row for row in outbox_rows(app)}
    for email_id, kind, status in emails_before:
        expected = "suppressed" if kind == "status_changed" else status
        assert (after[email_id].kind, after[email_id].status) == (kind, expected)
    drain_queue(app)
    assert len(mailbox.to(CONTACT)) == delivered_to_her
    # Her private links open nothing.
    assert app.test_client().get(path).status_code == 404
    # The audit records the erasure, not the data.
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).filter_by(action="contact_erased"))
        assert entry.after == {"pledge_ids": [pledge_id], "reason": "request",
                               "address_sha256": hashlib.sha256(CONTACT.encode()).hexdigest()}
        assert (entry.actor_type, entry.actor_label) == ("coordinator", "Lead")
        # She asked for no reminders: that wish outlives her address, nothing else does.
        assert is_suppressed(CONTACT, "reminder_draft")
        assert not is_suppressed(CONTACT, "resume_link")
    # Lucie Martin's pledge is untouched.
    other = load(app, other_id)
    assert (other.focal_name, other.focal_email) == ("Lucie Martin", OTHER_CONTACT)
    assert where_found(app, "Lucie Martin", OTHER_CONTACT, "33472103030")
    # Searching again finds only her kept wish, by digest.
    lead.post("/admin/privacy", {"email": CONTACT})
    assert 'id="contact-pledges"' not in lead.text
    records = lead.text.split('id="contact-records"')[1].split("</table>")[0]
    assert re.findall(r"<td>([^<]+)</td><td>(\d+)</td>", records) == [
        ("Addresses not written to", "1")]


def test_after_her_erasure_a_new_pledge_from_the_same_address_is_welcome(app, runner,
                                                                          make_coordinator,
                                                                          sign_in, mailbox):
    contact_with_a_history(app, runner, make_coordinator, sign_in, mailbox)
    lead = admin(make_coordinator, sign_in)
    lead.post("/admin/privacy/erase", {"email": CONTACT})
    lead.post("/admin/privacy/erase/confirmed", {"email": CONTACT, "confirm": "y"})
    mailbox.reset()
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    drain_queue(app)
    [link] = mailbox.to(CONTACT)  # her resume link goes: only reminders stay stopped
    assert "Your private link" in link["Subject"]


# --- retention -------------------------------------------------------------------------------


def retention_sweep(runner, moment):
    result = runner.invoke(args=["privacy", "sweep", "--now", moment.isoformat()])
    assert result.exit_code == 0, result.output
    drafts, tokens = re.match(r"(\d+) draft\(s\) erased, (\d+) expired private link",
                              result.output).groups()
    return int(drafts), int(tokens)


def backdate(app, pledge_id, days):
    """The pledge was last touched `days` ago, and so were its private links issued."""
    with app.app_context():
        moment = utcnow() - timedelta(days=days)
        db.session.execute(update(Pledge).where(Pledge.id == pledge_id)
                           .values(last_activity_at=moment, created_at=moment))
        db.session.execute(update(AccessToken).where(AccessToken.pledge_id == pledge_id)
                           .values(created_at=moment, expires_at=moment + timedelta(days=30)))
        db.session.commit()


def latest_pledge_id(app):
    with app.app_context():
        return db.session.scalars(select(Pledge.id).order_by(Pledge.id.desc())).first()


def test_the_retention_sweep_erases_forgotten_drafts_and_deletes_expired_links(app, runner,
                                                                               mailbox):
    ContactBrowser(app.test_client()).complete_steps(upto="pledge")
    forgotten = latest_pledge_id(app)
    drain_queue(app)
    assert retention_sweep(runner, utcnow()) == (0, 0)  # nothing is old yet
    swept = runner.invoke(args=["reminders", "sweep", "--now",
                                (utcnow() + timedelta(days=4)).isoformat()])
    assert swept.output.startswith("1 reminder"), swept.output
    drain_queue(app)
    assert len(mailbox.to(CONTACT)) == 2  # her resume link and a reminder
    backdate(app, forgotten, days=181)

    recent_browser = ContactBrowser(app.test_client())
    recent_browser.answer("city", OTHER)
    recent = latest_pledge_id(app)
    sent = sent_pledge(app, city=OTHER)
    backdate(app, sent, days=400)  # an old pledge that was sent: not a draft, it stays
    tracker = tracker_path(app, sent)  # a fresh link to it
    with app.app_context():
        expired_raw = links.issue_access_token(db.session.get(Pledge, sent), timedelta(days=1),
                                               now=utcnow() - timedelta(days=2))
        db.session.commit()
    drain_queue(app)

    # The forgotten draft's links go with its contact data; the sent pledge's first link
    # (400 days old) and the one that expired yesterday are the expired links deleted.
    assert retention_sweep(runner, utcnow()) == (1, 2)
    assert where_found(app, NAME, CONTACT, PHONE_DIGITS) == []
    draft = load(app, forgotten)
    assert draft.review_state == "draft" and draft.contact_erased_at is not None
    assert (draft.city, draft.title, draft.leader_name) == (
        "São Paulo", "Welcome centre for newcomers", LEADER)
    assert [row.recipient for row in outbox_rows(app, pledge_id=forgotten)] == [
        "[erased]", "[erased]"]
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).filter_by(action="contact_erased"))
        assert (entry.actor_type, entry.pledge_id) == ("system", forgotten)
        assert entry.after == {"pledge_ids": [forgotten], "reason": "retention",
                               "address_sha256": hashlib.sha256(CONTACT.encode()).hexdigest()}
        assert db.session.scalar(select(AccessToken.id).where(
            AccessToken.token_hash == links.hash_token(expired_raw))) is None
        left = db.session.scalars(select(AccessToken)).all()
        assert {token.pledge_id for token in left} == {recent, sent}
        assert all(as_utc(token.expires_at) > utcnow() for token in left)
    # The recent draft and the sent pledge keep their contact; the live link still opens.
    assert load(app, recent).focal_name == "Lucie Martin"
    assert load(app, sent).focal_email == OTHER_CONTACT
    assert app.test_client().get(tracker).status_code == 200
    assert recent_browser.get("/pledge/step/areas").status_code == 200

    assert retention_sweep(runner, utcnow()) == (0, 0)  # twice: nothing more


def test_a_retention_of_zero_days_keeps_drafts(app, runner):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    backdate(app, latest_pledge_id(app), days=1000)
    app.config["RETENTION_DRAFT_DAYS"] = 0
    assert retention_sweep(runner, utcnow()) == (0, 1)  # only its expired link goes
    assert load(app, latest_pledge_id(app)).focal_email == CONTACT


def test_the_worker_runs_the_retention_sweep_on_its_schedule(app, monkeypatch):
    registered = {}

    class Scheduler(cli.CronScheduler):
        def register(self, func, queue_name, **when):
            registered[func.__name__] = when
            return super().register(func, queue_name, **when)

    class Thread:  # the scheduler's loop is not started here
        def __init__(self, target, name, daemon):
            self.name = name

        def start(self):
            pass

    monkeypatch.setattr(cli, "CronScheduler", Scheduler)
    monkeypatch.setattr(cli.threading, "Thread", Thread)
    cli._start_periodic_jobs(app, app.config["RQ_EMAIL_QUEUE"])
    assert registered["sweep_retention"] == {"cron": app.config["RETENTION_CRON"]}

    ContactBrowser(app.test_client()).complete_steps(upto="city")
    draft = latest_pledge_id(app)
    backdate(app, draft, days=200)
    with app.app_context():
        email_queue().enqueue(worker.sweep_retention)
    drain_queue(app)  # the job commits its own work
    assert load(app, draft).contact_erased_at is not None
    assert where_found(app, NAME, CONTACT, PHONE_DIGITS) == []


def test_every_table_of_expiring_tokens_is_swept():
    """A table with an expires_at column holds something that expires: the sweep must know."""
    from intake.extensions import db as database

    expiring = {table.name for table in database.metadata.sorted_tables
                if "expires_at" in table.c}
    assert expiring == {model.__tablename__ for model, _column in EXPIRING}
    assert OutboxEmail.__tablename__ not in expiring
