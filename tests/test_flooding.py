"""No inbox can be flooded through the app: rate limits per client IP (on the real Redis), a
budget per recipient in the outbox (over real SMTP), and spam protection on step 1 that a person
never notices."""
import logging
import re
import threading
import time
from datetime import timedelta
from html import unescape

import pytest
from sqlalchemy import func, select

from intake.clock import as_utc, utcnow
from intake.extensions import db
from intake.models import OutboxEmail, Pledge
from intake.pledges import links
from intake.reminders.sweep import sweep
from intake.web.human_check import shown_at_stamp

from .support.client import CITY_ANSWERS, ContactBrowser, drain_queue, outbox_rows, step_url

VICTIM = "victim@city-hall.example"
BYSTANDER = "maria@other-city.example"
SHOWN_AT = re.compile(r'name="shown_at" type="hidden" value="([^"]+)"|'
                      r'name="shown_at" value="([^"]+)"')
CALM = "Please check your answers and send the page again."
PAUSED = "This page was sent many times from your connection in a short while"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


@pytest.fixture
def guarded_app(app, app_factory):
    """The app with the protections as shipped: the suite's make_app turns the rate limits and
    the fill time off (it posts from one address, at once). The `app` fixture is there for its
    clean-up (tables emptied and Redis flushed after the test)."""
    def make(**overrides):
        return app_factory(**{"RATE_LIMITS_ENABLED": True, "FORM_MIN_FILL_SECONDS": 3,
                              **overrides})
    return make


def browser(app, ip="127.0.0.1"):
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return ContactBrowser(client)


def waited_stamp(app, seconds=10):
    """The stamp of a step 1 shown `seconds` ago: a visitor (or a patient robot) who took the
    time a person takes."""
    with app.test_request_context():
        return shown_at_stamp(utcnow() - timedelta(seconds=seconds))


def start_draft(app, email, ip, **changes):
    contact = browser(app, ip)
    response = contact.answer("city", {"focal_email": email, "shown_at": waited_stamp(app),
                                       **changes})
    return contact, response


def ask_for_my_link(app, email, ip):
    visitor = browser(app, ip)
    visitor.get("/pledge/email-my-link")
    return visitor, visitor.post("/pledge/email-my-link", {"email": email})


def count_pledges(app):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(Pledge))


def sent_to(mailbox, address):
    return mailbox.to(address)


# --- the budget per recipient ---------------------------------------------------------------


def test_fifty_drafts_and_twenty_link_requests_naming_one_victim_deliver_only_the_budget(
        guarded_app, mailbox):
    app = guarded_app()
    for n in range(50):  # fresh sessions from as many addresses: the IP limits do not stop them
        _contact, response = start_draft(app, VICTIM, f"10.0.{n // 250}.{n % 250 + 1}")
        assert response.status_code == 303, response.get_data(as_text=True)[:1000]
        assert response.headers["Location"].endswith("/pledge/step/areas")
    answers = set()
    for n in range(20):
        visitor, response = ask_for_my_link(app, VICTIM, f"10.1.0.{n + 1}")
        assert response.status_code == 200
        answers.add(re.sub(r'(csrf_token" value=|X-CSRFToken": )"[^"]+"', "TOKEN", visitor.text))
    assert len(answers) == 1  # the same page every time: nothing tells what was sent
    _bystander, response = start_draft(app, BYSTANDER, "10.2.0.1")  # in the same minute
    assert response.status_code == 303
    drain_queue(app)

    assert len(sent_to(mailbox, VICTIM)) == 3  # EMAIL_LINK_BUDGET_PER_DAY, the default
    [welcome] = sent_to(mailbox, BYSTANDER)
    assert welcome["Subject"] == "Your private link to continue your pledge"
    assert count_pledges(app) == 51  # the drafts are saved: the page said so
    rows = outbox_rows(app, recipient=VICTIM)
    assert [r.status for r in rows].count("sent") == 3
    assert [r.status for r in rows].count("over_budget") == len(rows) - 3 == 48
    assert [r.kind for r in rows].count("resume_links") == 1  # one answer in the hour
    refused = [r for r in rows if r.status == "over_budget"]
    assert all(r.last_error.startswith("Not sent: this address already had 3 emails") and
               r.attempts == 0 for r in refused)


def test_drafts_started_at_the_same_moment_still_get_only_the_budget(guarded_app):
    app = guarded_app()
    visitors = []
    for n in range(10):
        visitor = browser(app, f"10.3.0.{n + 1}")
        visitor.get(step_url("city"))
        visitors.append(visitor)
    data = {**CITY_ANSWERS, "focal_email": VICTIM, "action": "continue",
            "shown_at": waited_stamp(app)}
    start = threading.Barrier(len(visitors))
    statuses = []

    def post(visitor):
        start.wait()
        statuses.append(visitor.post(step_url("city"), data).status_code)

    threads = [threading.Thread(target=post, args=(visitor,)) for visitor in visitors]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [303] * 10
    rows = outbox_rows(app, recipient=VICTIM)
    assert sorted(r.status for r in rows) == ["over_budget"] * 7 + ["pending"] * 3


def test_email_me_my_link_sends_one_email_listing_every_draft_once_an_hour(app, mailbox):
    cities = ["Tunis", "Sfax", "Sousse"]
    for city in cities:  # one contact, three drafts: three link emails, the day's budget
        ContactBrowser(app.test_client()).answer("city", {"city": city,
                                                          "focal_email": BYSTANDER})
    with app.app_context():  # yesterday's: the budget is a rolling day
        db.session.execute(OutboxEmail.__table__.update().values(
            created_at=utcnow() - timedelta(hours=25)))
        db.session.commit()
    drain_queue(app)
    mailbox.received.clear()
    for _ in range(3):
        ask_for_my_link(app, BYSTANDER.upper(), "127.0.0.1")
    drain_queue(app)

    [message] = sent_to(mailbox, BYSTANDER)
    assert message["Subject"] == "Your private links to continue your draft pledges"
    text = message.get_body(preferencelist=("plain",)).get_content()
    html = message.get_body(preferencelist=("html",)).get_content()
    found = re.findall(r"- (\w+): (http://pledges\.test/resume/[A-Za-z0-9_\-]+)", text)
    assert [city for city, _link in found] == list(reversed(cities))  # newest first
    for city, link in found:
        assert link in html
        page = ContactBrowser(app.test_client()).get(link.removeprefix("http://pledges.test"))
        assert page.status_code == 200 and city in page.get_data(as_text=True)


def test_reminders_to_one_address_are_capped_per_day_as_well_as_per_pledge(app, mailbox):
    for n in range(5):  # five drafts of one address (someone else's flood, or a busy office)
        ContactBrowser(app.test_client()).answer("city", {"city": f"Town {n}",
                                                          "focal_email": BYSTANDER})
    drain_queue(app)
    mailbox.received.clear()
    with app.app_context():
        started = max(as_utc(p.last_activity_at) for p in db.session.scalars(select(Pledge)))
        assert sweep(started + timedelta(days=3, hours=1)) == 2  # EMAIL_REMINDER_BUDGET_PER_DAY
        assert sweep(started + timedelta(days=3, hours=2)) == 0  # the others count as done
    drain_queue(app)
    assert len([m for m in sent_to(mailbox, BYSTANDER)
                if m["Subject"] == "Your pledge is waiting for you"]) == 2
    statuses = [r.status for r in outbox_rows(app, kind="reminder_draft")]
    assert sorted(statuses) == ["over_budget"] * 3 + ["sent"] * 2


def test_coordinators_see_an_email_that_was_over_its_budget_in_the_timeline(
        app, make_coordinator, sign_in):
    for city in ("Tunis", "Sfax", "Sousse"):
        ContactBrowser(app.test_client()).answer("city", {"city": city,
                                                          "focal_email": BYSTANDER})
    fourth = ContactBrowser(app.test_client())
    for slug in ("city", "areas", "pledge", "alignment"):
        fourth.answer(slug, {"focal_email": BYSTANDER} if slug == "city" else None)
    fourth.submit()
    with app.app_context():
        pledge_id = db.session.scalar(select(Pledge.id).where(Pledge.review_state != "draft"))
    page = sign_in(make_coordinator()).get(f"/triage/pledges/{pledge_id}")
    text = unescape(page.get_data(as_text=True))
    assert "Email “Private link to continue” to maria@other-city.example:" in text
    assert '<span class="badge">not sent (too many emails to this address)</span>' in text
    assert "the budget is 3 a day" in text


# --- rate limits per client IP --------------------------------------------------------------


def test_a_flood_of_step_one_from_one_ip_gets_429_pages_that_keep_what_was_typed(
        guarded_app, mailbox):
    app = guarded_app()
    for n in range(30):  # RATE_LIMIT_STEP_CITY: 30 a minute from one address
        _contact, response = start_draft(app, f"person{n}@city.example", "192.0.2.7")
        assert response.status_code == 303
    contact, response = start_draft(app, "one-more@city.example", "192.0.2.7",
                                    city="Ville-sur-Mer", leader_name="Jeanne Leroy")
    assert response.status_code == 429
    assert 0 < int(response.headers["Retry-After"]) <= 60
    assert PAUSED in contact.text and "Nothing you typed is lost" in contact.text
    for typed in ("Ville-sur-Mer", "Jeanne Leroy", "one-more@city.example"):
        assert f'value="{typed}"' in contact.text
    assert 'action="/pledge/step/city" method="post"' in contact.text  # ready to send again
    assert count_pledges(app) == 30  # nothing saved, nothing emailed
    assert outbox_rows(app, recipient="one-more@city.example") == []
    _elsewhere, response = start_draft(app, "one-more@city.example", "192.0.2.8")
    assert response.status_code == 303  # another address is not held up


def test_an_htmx_step_refused_by_the_limit_gets_the_step_back_in_place(guarded_app):
    app = guarded_app(RATE_LIMIT_STEP_CITY="1 per minute")
    start_draft(app, "first@city.example", "192.0.2.9")
    contact = browser(app, "192.0.2.9")
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "action": "continue",
                                               "shown_at": waited_stamp(app)},
                            headers={"HX-Request": "true"})
    assert response.status_code == 429
    assert contact.text.lstrip().startswith("<title>")  # the partial, not a whole page
    assert 'id="flow"' in contact.text and PAUSED in contact.text
    assert 'value="São Paulo"' in contact.text


def test_sign_in_floods_get_429_with_the_email_kept(guarded_app, make_coordinator):
    coordinator = make_coordinator()
    app = guarded_app(RATE_LIMIT_SIGN_IN="2 per minute")
    visitor = browser(app, "198.51.100.4")
    for _ in range(2):  # (the third failure in a row would meet the account's own slowdown)
        visitor.get("/login")
        visitor.post("/login", {"email": coordinator.email, "password": "wrong guess"})
        assert visitor.page.status_code == 422, visitor.text[-3000:]
    visitor.get("/login")
    response = visitor.post("/login", {"email": coordinator.email,
                                       "password": "correct horse battery staple"})
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert PAUSED in visitor.text
    assert f'value="{coordinator.email}"' in visitor.text
    assert "correct horse" not in visitor.text


def test_email_me_my_link_floods_from_one_ip_get_429_with_the_address_kept(guarded_app):
    app = guarded_app()
    for _ in range(5):  # RATE_LIMIT_EMAIL_LINK: 5 a minute
        _visitor, response = ask_for_my_link(app, VICTIM, "203.0.113.5")
        assert response.status_code == 200
    visitor, response = ask_for_my_link(app, VICTIM, "203.0.113.5")
    assert response.status_code == 429 and "Retry-After" in response.headers
    assert PAUSED in visitor.text and f'value="{VICTIM}"' in visitor.text


def test_private_link_pages_share_one_limit_per_ip(guarded_app, contact):
    app = guarded_app(RATE_LIMIT_TOKEN_PAGES="5 per minute")
    contact.complete_steps(upto="city")
    with app.app_context():
        raw = links.issue_access_token(db.session.scalars(select(Pledge)).one(),
                                       timedelta(days=30))
        db.session.commit()
    client = browser(app, "203.0.113.9").client
    answers = [client.get(path).status_code for path in
               (f"/resume/{raw}", f"/track/{raw}/status", "/resume/guessed-token",
                "/unsubscribe/guessed-token", f"/resume/{raw}")]
    assert answers == [200, 200, 404, 404, 200]  # guesses count too
    response = client.get(f"/track/{raw}")
    assert response.status_code == 429 and int(response.headers["Retry-After"]) > 0
    assert "Please wait a moment" in response.get_data(as_text=True)
    assert "This page was opened many times" in response.get_data(as_text=True)
    assert response.headers["Cache-Control"] == "no-store"
    polled = client.get(f"/track/{raw}/status", headers={"HX-Request": "true"})
    assert polled.status_code == 429 and polled.headers["HX-Reswap"] == "none"  # left in place
    assert browser(app, "203.0.113.10").client.get(f"/resume/{raw}").status_code == 200


def test_starting_a_new_pledge_is_limited_too(guarded_app):
    app = guarded_app(RATE_LIMIT_INTAKE_START="2 per minute")
    visitor = browser(app, "198.51.100.77")
    visitor.get("/")
    statuses = [visitor.post("/pledge/new", {}).status_code for _ in range(3)]
    assert statuses == [303, 303, 429]


def test_behind_a_reverse_proxy_each_client_has_its_own_limit(guarded_app):
    def starts(app, forwarded_for):
        visitor = browser(app, "10.9.9.9")  # the proxy
        visitor.get("/")
        return [visitor.post("/pledge/new", {}, headers={"X-Forwarded-For": ip}).status_code
                for ip in forwarded_for]

    proxied = guarded_app(RATE_LIMIT_INTAKE_START="1 per minute", TRUSTED_PROXY_COUNT=1)
    assert starts(proxied, ["192.0.2.1", "192.0.2.2", "192.0.2.1"]) == [303, 303, 429]
    direct = guarded_app(RATE_LIMIT_INTAKE_START="1 per minute")  # nobody is trusted
    assert starts(direct, ["192.0.2.3", "192.0.2.4"]) == [303, 429]


def test_the_form_still_works_when_the_limiters_redis_is_down(guarded_app, caplog):
    app = guarded_app(REDIS_URL=UNREACHABLE_REDIS, HEALTH_TIMEOUT_SECONDS=1)
    with caplog.at_level(logging.WARNING):
        _contact, response = start_draft(app, BYSTANDER, "192.0.2.50")
    assert response.status_code == 303  # the limiter fails open
    assert count_pledges(app) == 1
    assert [row.status for row in outbox_rows(app)] == ["pending"]  # the dispatcher sends it
    assert any("Rate limits not checked, Redis is unavailable" in r.getMessage()
               for r in caplog.records)


def test_limits_can_live_in_memory_for_an_app_without_redis(guarded_app):
    app = guarded_app(RATELIMIT_STORAGE_URI="memory://", RATE_LIMIT_STEP_CITY="1 per minute")
    assert start_draft(app, "a@city.example", "192.0.2.60")[1].status_code == 303
    assert start_draft(app, "b@city.example", "192.0.2.60")[1].status_code == 429


# --- spam protection a person never notices -------------------------------------------------


def test_step_one_has_a_honeypot_a_person_never_meets(guarded_app):
    contact = browser(guarded_app())
    contact.get(step_url("city"))
    trap = re.search(r'<div class="trap" aria-hidden="true">(.*?)</div>', contact.text, re.S)
    assert trap and "Leave this empty" in trap.group(1)
    field = re.search(r"<input[^>]*>", trap.group(1)).group(0)
    assert 'tabindex="-1"' in field and 'autocomplete="off"' in field
    assert "CAPTCHA" not in contact.text.upper()


def test_a_filled_in_honeypot_is_refused_calmly_and_nothing_is_saved_or_sent(
        guarded_app, mailbox):
    app = guarded_app()
    contact, response = start_draft(app, BYSTANDER, "192.0.2.70", website="http://spam.example")
    assert response.status_code == 422
    assert CALM in contact.text
    for typed in ("São Paulo", "Ricardo Nunes", BYSTANDER):
        assert f'value="{typed}"' in contact.text
    assert "spam.example" not in contact.text  # emptied, for a clean second try
    assert count_pledges(app) == 0 and outbox_rows(app) == []
    drain_queue(app)
    assert mailbox.received == []


def test_a_step_one_sent_too_fast_is_refused_calmly_then_goes_through(guarded_app, mailbox):
    app = guarded_app(FORM_MIN_FILL_SECONDS=1)
    contact = browser(app, "192.0.2.80")
    contact.get(step_url("city"))
    stamp = SHOWN_AT.search(contact.text)
    stamp = unescape(stamp.group(1) or stamp.group(2))
    data = {**CITY_ANSWERS, "focal_email": BYSTANDER, "action": "continue", "shown_at": stamp}
    response = contact.post(step_url("city"), data)
    assert response.status_code == 422 and CALM in contact.text
    assert 'value="Ricardo Nunes"' in contact.text
    assert f'value="{stamp}"' in contact.text  # the clock runs from the first showing
    assert count_pledges(app) == 0 and outbox_rows(app) == []
    time.sleep(1.1)
    assert contact.post(step_url("city"), data).status_code == 303
    drain_queue(app)
    assert len(sent_to(mailbox, BYSTANDER)) == 1


def test_a_robot_posting_step_one_without_opening_it_is_refused(guarded_app):
    app = guarded_app()
    contact = browser(app, "192.0.2.90")
    contact.get("/")  # a CSRF token from another page: the step's stamp is missing
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "action": "continue"})
    assert response.status_code == 422 and CALM in contact.text
    forged = {**CITY_ANSWERS, "action": "continue", "shown_at": "1.0.forged"}
    assert contact.post(step_url("city"), forged).status_code == 422
    assert count_pledges(app) == 0
