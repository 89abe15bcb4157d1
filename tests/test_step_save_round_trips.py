"""A step save plans the draft's reminders once and writes the pledge once: few round trips to
the database per page, however many steps. Whether the address unsubscribed is looked up by
the sweep, for a whole batch, when the reminder falls due."""
from collections import Counter
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import event, select

from intake.clock import as_utc
from intake.email import outbox
from intake.extensions import db
from intake.models import Pledge
from intake.reminders import planning
from intake.reminders.sweep import sweep

from .support.client import ANSWERS, PAGE_ANSWERS, STEP_SLUGS, ContactBrowser, outbox_rows, step_url
from .support.sql import isolation_levels_used, sql_sent, statement_kind

CONTACT = "ana.souza@prefeitura.example"


@contextmanager
def statements_sent(app):
    """The SQL statements sent meanwhile, counted by verb and table ("UPDATE pledge")."""
    counted = Counter()
    with sql_sent(app) as sent:
        yield counted
    counted.update(statement_kind(statement) for statement in sent)


def the_pledge(app):
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        db.session.expunge(pledge)
        return pledge


def test_a_step_save_plans_reminders_once_and_writes_the_pledge_once(app, monkeypatch):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="areas")
    contact.get("/pledge/step/commitment")
    plans = []
    real_plan = planning.plan_reminders
    monkeypatch.setattr(planning, "plan_reminders",
                        lambda pledge: plans.append(pledge.id) or real_plan(pledge))

    with statements_sent(app) as sent:
        response = contact.post("/pledge/step/commitment",
                                {**PAGE_ANSWERS["commitment"], "action": "continue"})
        assert response.status_code == 303

    assert len(plans) == 1
    assert sent["UPDATE pledge"] == 1  # the answers and the plan together
    assert sent["SELECT email_suppression"] == 0 and sent["SELECT information_request"] == 0
    assert sum(sent.values()) <= 4, sent  # the link, the pledge, its update, its reload
    pledge = the_pledge(app)
    assert as_utc(pledge.next_reminder_at) == as_utc(pledge.last_activity_at) + timedelta(days=3)


def test_the_first_save_plans_the_first_reminder_with_the_pledge_written_once(app):
    with statements_sent(app) as sent:
        ContactBrowser(app.test_client()).complete_steps(upto="city")
    assert sent["INSERT pledge"] == 1 and sent["UPDATE pledge"] == 0
    pledge = the_pledge(app)
    assert as_utc(pledge.next_reminder_at) == as_utc(pledge.last_activity_at) + timedelta(days=3)


def test_an_address_that_unsubscribed_is_not_reminded_of_a_draft_it_saves_again(app):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="city")
    with app.app_context():
        outbox.suppress(CONTACT, "reminders", "Unsubscribed from reminders")
        db.session.commit()
    contact.complete_steps(upto="areas")  # saved again: planned, without a look-up
    pledge = the_pledge(app)
    with app.app_context():
        assert sweep(as_utc(pledge.last_activity_at) + timedelta(days=3, hours=1)) == 0
    assert outbox_rows(app, kind="reminder_draft") == []
    assert the_pledge(app).next_reminder_at is None  # the sweep stopped planning for it


def test_each_page_of_a_draft_reads_it_once_with_only_the_answers_it_shows(app):
    """A step's page reads the draft in one query, which brings along its action areas only
    where the page shows them (step 2, and "check your answers"), its co-pledging cities
    likewise (step 1, and "check your answers")."""
    contact = ContactBrowser(app.test_client())
    contact.complete_steps()
    collections = {"co_pledging_city", "pledge_action_area"}
    shown = {"city": {"co_pledging_city"}, "areas": {"pledge_action_area"}, "review": collections}
    pages = [(slug, step_url(slug)) for slug in STEP_SLUGS] + [("review", "/pledge/review")]
    for slug, url in pages:
        with sql_sent(app) as sent:
            assert contact.get(url).status_code == 200
        selects = [statement for statement in sent
                   if statement_kind(statement).startswith("SELECT")]
        assert len(selects) == 1, (url, selects)
        joined = {table for table in collections if table in selects[0]}
        assert joined == shown.get(slug, set()), url
    assert "essential-services" in contact.get(step_url("areas")).get_data(as_text=True)


def test_a_drafts_pages_are_read_outside_a_transaction_and_its_saves_written_in_one(app):
    """Reading a draft's page needs no transaction (on PostgreSQL it would add a BEGIN and a
    ROLLBACK to the one query); saving a step keeps its writes together in one."""
    contact = ContactBrowser(app.test_client())
    contact.complete_steps()
    with isolation_levels_used(app) as read:
        assert contact.get(step_url("city")).status_code == 200
        assert contact.get("/pledge/review").status_code == 200
    assert read == ["AUTOCOMMIT", "AUTOCOMMIT"]

    contact.get(step_url("dates"))
    with isolation_levels_used(app) as saved:
        assert contact.post(step_url("dates"), ANSWERS["dates"]).status_code == 303
    assert saved and "AUTOCOMMIT" not in saved
    assert contact.get(step_url("dates")).status_code == 200


def test_step_one_of_a_new_pledge_takes_no_database_connection(app):
    """A browser with no draft has nothing to read: its step 1 (the page made once per
    process) borrows no connection from the pool."""
    with app.app_context():
        engine = db.engine
    checkouts = []

    def borrowed(*_args):
        checkouts.append("checkout")

    event.listen(engine, "checkout", borrowed)
    try:
        assert ContactBrowser(app.test_client()).get(step_url("city")).status_code == 200
    finally:
        event.remove(engine, "checkout", borrowed)
    assert checkouts == []
