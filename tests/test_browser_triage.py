"""A coordinator and a city work a pledge through, in real browsers (Debian's Chromium):
sign in, filter the queue, open the pledge, ask the city; the city answers through the emailed
link; the coordinator accepts."""
import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from intake.extensions import db
from intake.models import Pledge

from .support.chromium import TIMEOUT_MS, open_the_filters
from .support.client import ContactBrowser, drain_queue

PASSWORD = "correct horse battery staple"
CONTACT = "ana.souza@prefeitura.example"


def new_page(chromium, base_url, javascript=True):
    context = chromium.get().new_context(java_script_enabled=javascript, base_url=base_url)
    context.set_default_timeout(TIMEOUT_MS)
    return context, context.new_page()


def send_two_pledges(app):
    for city, country in (("São Paulo", "BR"), ("Lyon", "FR")):
        contact = ContactBrowser(app.test_client())
        contact.complete_steps()
        contact.answer("city", {"city": city, "country": country,
                                "focal_email": CONTACT if city == "São Paulo"
                                else "contact@lyon.example"})
        contact.submit()


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["with_javascript",
                                                            "without_javascript"])
def test_a_coordinator_asks_the_city_a_question_and_accepts_once_answered(
        app, chromium, live_server, make_coordinator, mailbox, javascript):
    send_two_pledges(app)
    make_coordinator(email="maria@uclg.example", name="Maria", password=PASSWORD)
    context, page = new_page(chromium, live_server, javascript)
    try:
        page.goto("/triage/")
        expect(page).to_have_url(re.compile(r"/login"))
        page.fill("#email", "maria@uclg.example")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        expect(page).to_have_url(re.compile(r"/triage/"))
        expect(page.locator("#queue-results")).to_contain_text("Lyon")

        open_the_filters(page)
        page.select_option("#region", "Americas")
        if not javascript:
            page.get_by_role("button", name="Show the pledges").click()
        expect(page.locator("#queue-results")).not_to_contain_text("Lyon")
        expect(page).to_have_url(re.compile(r"region=Americas"))
        page.locator("#queue-results a", has_text=re.compile(r"CTA-\d{4}-\d{4}")).first.click()
        expect(page.locator("h1")).to_contain_text("São Paulo")

        page.fill("#questions", "Which districts will the centre serve first?")
        page.get_by_role("button", name="Ask the city").click()
        expect(page.locator("#review-state")).to_have_text("Information requested")
    finally:
        context.close()

    drain_queue(app)
    [asked] = [m for m in mailbox.to(CONTACT) if "Questions about" in m["Subject"]]
    text = asked.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"http://127\.0\.0\.1:\d+/track/\S+", text).group(0)

    city_context, city = new_page(chromium, live_server, javascript)
    try:
        city.goto(link)
        expect(city.locator("blockquote").first).to_contain_text("Which districts")
        city.locator("textarea").first.fill("Sé and Mooca first, then every district.")
        city.get_by_role("button", name="Send my answer").click()
        expect(city.locator("#status")).to_have_text("In review")
    finally:
        city_context.close()

    context, page = new_page(chromium, live_server, javascript)
    try:
        page.goto("/login")
        page.fill("#email", "maria@uclg.example")
        page.fill("#password", PASSWORD)
        page.get_by_role("button", name="Sign in").click()
        page.goto("/triage/?q=Paulo")
        page.locator("#queue-results a", has_text=re.compile(r"CTA-\d{4}-\d{4}")).first.click()
        expect(page.locator("#timeline")).to_contain_text("Sé and Mooca first")
        page.select_option("#target", "accepted")
        page.fill("#message", "Welcome aboard!")
        page.get_by_role("button", name="Change the state").click()
        expect(page.locator("#review-state")).to_have_text("Accepted")
    finally:
        context.close()
    with app.app_context():
        states = dict(db.session.execute(select(Pledge.city, Pledge.review_state)).all())
    assert states == {"São Paulo": "accepted", "Lyon": "submitted"}
