"""Fixtures and helpers for the browser tests: Debian's Chromium driven by Playwright (the
`chromium` fixture), the app served on loopback by a real HTTP server (`live_server`), and a
city contact's way of filling each step (`contact_factory`)."""
import os
import threading

import pytest
from playwright.sync_api import expect, sync_playwright
from werkzeug.serving import make_server

from intake.web.i18n import LANGUAGE_NAMES

from .accounts import PASSWORD
from .axe import axe_violations
from .client import (
    ALIGNMENT_ANSWERS,
    AREAS_ANSWERS,
    CITY_ANSWERS,
    PLEDGE_ANSWERS,
    PLEDGE_SLUGS,
    page_of,
    step_url,
)

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
TIMEOUT_MS = 10_000

REFERENCE_PATTERN = r"CTA-\d{4}-\d{4}"

# What each page's main heading says, to know a swap or a page load has finished.
HEADINGS = {
    "/pledge/step/city": "City and contact",
    "/pledge/step/areas": "Action areas",
    "/pledge/step/commitment": "What you pledge",
    "/pledge/step/dates": "When it will happen",
    "/pledge/step/results": "Results and progress",
    "/pledge/step/budget": "Budget and support",
    "/pledge/step/alignment": "Alignment with the Global Compacts",
    "/pledge/review": "Check your answers",
    "/pledge/saved": "Your answers have been saved",
    "/pledge/confirmation": "Pledge sent",
}

# How each question of the pledge's pages is answered (the others are typed in).
PLEDGE_RADIOS = ("commitment_kind", "commitment_novelty", "funding_status",
                 "implementation_stage")
PLEDGE_CHECKBOXES = ("target_groups", "support_sought")
PLEDGE_SELECTS = ("budget_currency",)

# A city written in a non-Latin script, to follow it all the way to the review page.
CAIRO = {**CITY_ANSWERS, "city": "القاهرة", "country": "EG", "leader_name": "إبراهيم صابر",
         "leader_title": "Governor", "focal_email": "focal.point@cairo.example"}


def switch_language(page, language):
    """The header's language switch, to that language (nothing to press when the page is in it
    already); the page is then in that language."""
    if page.locator("html").get_attribute("lang") != language:
        page.locator(".language-switch").get_by_role(
            "button", name=LANGUAGE_NAMES[language]).click()
    expect(page.locator("html")).to_have_attribute("lang", language)


def sign_in_with_the_form(page, email, password=PASSWORD):
    """A coordinator (or partner) signs in on the sign-in page the page shows, in whatever
    language it is in (its form's own button, never the language switch's)."""
    page.fill("#email", email)
    page.fill("#password", password)
    page.locator('#main form[action="/login"] button[type=submit]').click()
    page.wait_for_load_state()


def open_the_filters(page):
    """Unfold the queue's search, filters and sorting (folded away unless a filter is on)."""
    if page.locator("#queue-more[open]").count() == 0:
        page.locator("#queue-more > summary").click()


def coordinator_at_the_queue(contact_factory, make_coordinator, javascript=True):
    """Maria, a coordinator, signed in through the form in a browser of her own, on the queue's
    "All" tab, its filters unfolded."""
    make_coordinator(email="maria@uclg.example", name="Maria")
    contact = contact_factory(javascript=javascript)
    contact.page.goto("/login")
    sign_in_with_the_form(contact.page, "maria@uclg.example")
    contact.page.goto("/triage/?state=all")
    open_the_filters(contact.page)
    return contact


def rows_above_the_fold(page, rows="#queue-table tbody tr"):
    """How many of the rows start inside the window, before any scrolling."""
    return page.locator(rows).evaluate_all(
        "rows => rows.filter(row => row.getBoundingClientRect().top < window.innerHeight).length")


def page_width(page):
    """How wide the page is drawn: wider than the window means scrolling sideways."""
    return page.evaluate("document.documentElement.scrollWidth")


def overflowing(page):
    """What sticks out of its box (to say why a page is too wide): tag, class and text."""
    return page.evaluate("""[...document.querySelectorAll("body *")]
        .filter(e => e.scrollWidth > e.clientWidth + 1
                     && getComputedStyle(e).overflowX === "visible")
        .slice(0, 5).map(e => `${e.tagName}.${e.className}: ${e.textContent.trim().slice(0, 40)}`)
    """)


def assert_each_page_fits_a_phone_and_passes_axe(page, paths, language):
    """Each page, opened in a 320 px window: drawn no wider than it, with no axe-core violation."""
    for path in paths:
        page.goto(path)
        expect(page.locator("#main h1")).to_be_visible()
        assert page_width(page) <= 320, (f"{path} in {language} is {page_width(page)} px wide: "
                                         f"{overflowing(page)}")
        assert axe_violations(page) == [], f"{path} in {language}"


def shown_cities(page):
    """The cities of the queue's rows on the page, sorted."""
    return sorted(page.locator("#queue-table tbody td:nth-child(3)").all_inner_texts())


# --- fixtures ----------------------------------------------------------------


class SharedChromium:
    """Debian's Chromium, started on first use and shared by the tests of a module.

    Started from inside a test, not in fixture setup, so that a missing browser makes every
    browser test FAIL with a clear message (never skip, never a setup error).
    """

    def __init__(self):
        self.playwright = None
        self.browser = None

    def get(self):
        if not os.path.exists(CHROMIUM):
            pytest.fail(f"Debian's Chromium is missing at {CHROMIUM}: install the 'chromium' "
                        "package. The browser tests use it and never download Playwright's "
                        "own browser.", pytrace=False)
        if self.browser is None:
            self.playwright = sync_playwright().start()
            self.browser = self.playwright.chromium.launch(executable_path=CHROMIUM,
                                                           args=CHROMIUM_ARGS)
        return self.browser

    def close(self):
        if self.browser is not None:
            self.browser.close()
        if self.playwright is not None:
            self.playwright.stop()


@pytest.fixture(scope="module")
def chromium():
    """One Chromium for the whole module; every test opens its own context (fresh cookies)."""
    shared = SharedChromium()
    yield shared
    shared.close()


@pytest.fixture
def live_server(app):
    """The test's app on a real HTTP server on 127.0.0.1, on a port the system picks."""
    server = make_server("127.0.0.1", 0, app, threaded=True)
    url = f"http://127.0.0.1:{server.server_port}"
    app.config["BASE_URL"] = url
    thread = threading.Thread(target=server.serve_forever, name="live-server", daemon=True)
    thread.start()
    yield url
    server.shutdown()
    server.server_close()
    thread.join(timeout=5)


class Contact:
    """A city contact in one browser context, with or without JavaScript."""

    def __init__(self, chromium, base_url, javascript=True):
        self.base_url = base_url
        self.javascript = javascript
        self.context = chromium.get().new_context(java_script_enabled=javascript, base_url=base_url)
        self.context.set_default_timeout(TIMEOUT_MS)
        self.requests = []  # (method, url, resource type) of everything the browser asks for
        self.context.on("request", lambda request: self.requests.append(
            (request.method, request.url, request.resource_type)))
        self.page = self.context.new_page()

    def close(self):
        self.context.close()

    # --- looking at the page --------------------------------------------------

    @property
    def path(self):
        return self.page.url.removeprefix(self.base_url)

    def evaluate(self, script):
        assert self.javascript, "evaluate() needs JavaScript"
        return self.page.evaluate(script)

    def heading(self):
        return self.page.locator("#main h1").inner_text().strip()

    def radio_value(self, name):
        return self.page.locator(f'input[name="{name}"]:checked').get_attribute("value")

    def checked_values(self, name):
        return sorted(self.page.locator(f'input[name="{name}"]:checked').evaluate_all(
            "boxes => boxes.map(box => box.value)"))

    # --- acting -----------------------------------------------------------------

    def press(self, name):
        self.page.get_by_role("button", name=name, exact=True).click()

    def save_and_continue(self):
        self.press("Save and continue")

    def wait_for_path(self, path, heading=None):
        """The address shows the page, and the page (swapped in or loaded) shows its heading
        (the English one unless told)."""
        self.page.wait_for_url(self.base_url + path)
        expect(self.page.locator("#main h1")).to_have_text(heading or HEADINGS[path])

    def read_in(self, language):
        """The browser asks for pages in that language, as a browser set to it does."""
        self.context.set_extra_http_headers({"Accept-Language": language})

    def check_only(self, name, values):
        for box in self.page.locator(f'input[name="{name}"]').all():
            box.set_checked(box.get_attribute("value") in values)

    def fill_city(self, answers):
        page = self.page
        for field in ("city", "leader_name", "leader_title", "focal_name", "focal_role",
                      "focal_email", "focal_phone"):
            page.fill(f"#{field}", answers[field])
        page.select_option("#country", answers["country"])
        page.check(f'input[name="marrakech_signatory"][value="{answers["marrakech_signatory"]}"]')
        page.check(f'input[name="language"][value="{answers["language"]}"]')

    def fill_areas(self, answers=AREAS_ANSWERS):
        self.check_only("action_areas", answers["action_areas"])

    def fill_pledge(self, answers=PLEDGE_ANSWERS):
        """The pledge's four pages, from the first one: each filled and saved in turn, the
        last one (budget and support) filled and left for the caller to save."""
        for slug in PLEDGE_SLUGS:
            if slug != PLEDGE_SLUGS[0]:
                self.save_and_continue()
                self.wait_for_path(step_url(slug))
            self.fill_pledge_page(slug, answers)

    def fill_pledge_page(self, slug, answers=PLEDGE_ANSWERS):
        page = self.page
        for field, value in answers.items():
            if page_of(field) != slug:
                continue
            if field in PLEDGE_RADIOS:
                page.check(f'input[name="{field}"][value="{value}"]')
            elif field in PLEDGE_CHECKBOXES:
                self.check_only(field, value)
            elif field in PLEDGE_SELECTS:
                page.select_option(f"#{field}", value)
            else:
                page.fill(f"#{field}", value)

    def fill_alignment(self, answers=ALIGNMENT_ANSWERS):
        self.check_only("gcm_objectives", answers["gcm_objectives"])
        self.check_only("gcr_objectives", answers["gcr_objectives"])

    def answer_step(self, slug, answers, next_path):
        getattr(self, f"fill_{slug}")(answers)
        self.save_and_continue()
        self.wait_for_path(next_path)

    def send_pledge(self):
        self.page.check("#consent_contact")
        self.page.check("#consent_publish")
        self.press("Send the pledge")
        self.wait_for_path("/pledge/confirmation")

    def send_a_whole_pledge(self):
        """Every step answered with the usual answers, from the first, and the pledge sent: the
        contact is on its confirmation page."""
        self.page.goto("/pledge/step/city")
        self.answer_step("city", CITY_ANSWERS, "/pledge/step/areas")
        self.answer_step("areas", AREAS_ANSWERS, step_url(PLEDGE_SLUGS[0]))
        self.answer_step("pledge", PLEDGE_ANSWERS, step_url("alignment"))
        self.answer_step("alignment", ALIGNMENT_ANSWERS, "/pledge/review")
        self.send_pledge()

    # --- checking saved answers ---------------------------------------------------

    def assert_city_answers(self, answers):
        page = self.page
        for field in ("city", "leader_name", "leader_title", "focal_name", "focal_role",
                      "focal_phone"):
            assert page.input_value(f"#{field}") == answers[field], field
        assert page.input_value("#focal_email") == answers["focal_email"].lower()
        assert page.input_value("#country") == answers["country"]
        assert self.radio_value("marrakech_signatory") == answers["marrakech_signatory"]
        assert self.radio_value("language") == answers["language"]

    def assert_areas_answers(self, answers=AREAS_ANSWERS):
        shown = self.checked_values("action_areas")
        assert shown == sorted(answers["action_areas"]), (
            f"step 2 at {self.path} does not show the saved action areas: {shown}")

    def assert_pledge_answers(self, answers=PLEDGE_ANSWERS):
        """The answers of the pledge page on screen."""
        page = self.page
        slug = self.path.removeprefix("/pledge/step/").partition("?")[0]
        for field, value in answers.items():
            if page_of(field) != slug:
                continue
            if field in PLEDGE_RADIOS:
                assert self.radio_value(field) == value, field
            elif field in PLEDGE_CHECKBOXES:
                assert self.checked_values(field) == sorted(value), field
            elif field == "budget_amount":
                assert float(page.input_value(f"#{field}")) == float(value)
            else:
                assert page.input_value(f"#{field}") == value, field


LOCALES = {"en": "en-GB", "fr": "fr-FR", "es": "es-ES"}  # what each browser asks for


@pytest.fixture
def coordinator_factory(chromium, live_server):
    """Coordinators signed in through the form, each in a browser context of their own in a
    language (their browser's) and a window size, with or without JavaScript:
    factory(email, language, width, height, javascript) gives the page, on the queue."""
    contexts = []

    def open_page(email, language="en", width=1366, height=768, javascript=True):
        context = chromium.get().new_context(base_url=live_server, locale=LOCALES[language],
                                             viewport={"width": width, "height": height},
                                             java_script_enabled=javascript)
        context.set_default_timeout(TIMEOUT_MS)
        contexts.append(context)
        page = context.new_page()
        page.goto("/login")
        sign_in_with_the_form(page, email)
        return page

    yield open_page
    for context in contexts:
        context.close()


@pytest.fixture
def contact_factory(chromium, live_server):
    """City contacts in their own browser contexts, on the test's app served for real."""
    contacts = []

    def open_contact(javascript=True):
        contact = Contact(chromium, live_server, javascript=javascript)
        contacts.append(contact)
        return contact

    yield open_contact
    for contact in contacts:
        contact.close()
