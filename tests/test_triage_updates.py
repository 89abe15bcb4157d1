"""Coordinators see which accepted pledges went silent: the queue shows how long ago each city
last reported, whether its update is due, overdue or was never received, lists those alone
(a filter in the link, with and without htmx) and counts them in tabs; the downloads carry it.

The queue's "now" is travelled by replacing its clock (intake.triage.queue_rows.utcnow, the
one it reads intake.clock's utcnow through); every other clock of the app runs as usual."""
import csv
import io
import re
from datetime import datetime, timedelta, timezone
from html import unescape

import pytest
from playwright.sync_api import expect

from intake.extensions import db
from intake.models import Pledge, PledgeActionArea
from intake.pledges.update_states import UpdateFacts, UpdateRules, update_state
from intake.triage import queue_rows

from .support.accounts import create_coordinator, signed_in_client
from .support.axe import axe_violations
from .support.chromium import coordinator_at_the_queue, shown_cities
from .support.sql import sql_sent

NOW = datetime(2027, 6, 1, 12, 0, tzinfo=timezone.utc)
DAY = timedelta(days=1)
ROW = re.compile(r'<tr id="pledge-(\d+)">')
# Accepted unless said otherwise; days before NOW. Update period 182 days, grace 30.
SILENCES = {
    "Fresh": {"accepted": 30},  # up to date: accepted a month ago
    "Quiet": {"accepted": 200},  # due, never received
    "Silent": {"accepted": 400},  # overdue, never received
    "Reporting": {"accepted": 400, "reported": 90},  # up to date
    "Late": {"accepted": 500, "reported": 190},  # due
    "Lapsed": {"accepted": 600, "reported": 250},  # overdue
    "Done": {"accepted": 600, "stage": "fulfilled"},  # owes no update
    "Waiting": {"state": "submitted"},  # not accepted
}
DUE = {"Quiet", "Silent", "Late", "Lapsed"}
OVERDUE = {"Silent", "Lapsed"}
NEVER = {"Quiet", "Silent"}


def pledge_values(city, spec, number):
    accepted = spec.get("accepted")
    reported = spec.get("reported")
    return {
        "reference": f"CTA-2026-{number:04d}", "city": city, "country_code": spec.get("country",
                                                                                      "FR"),
        "region": spec.get("region", "Europe"), "title": f"Pledge of {city}",
        "summary": spec.get("summary", "Language courses for newcomers."),
        "review_state": spec.get("state", "accepted"), "furthest_step": 5,
        "submitted_at": NOW - timedelta(days=(accepted or 0) + 10, hours=number),
        "accepted_at": NOW - accepted * DAY if accepted is not None else None,
        "last_report_at": NOW - reported * DAY if reported is not None else None,
        "implementation_stage": spec.get("stage", "planning"),
    }


def store(app, silences, first_number=1):
    """Pledges stored straight in the database; {city: id}."""
    ids = {}
    with app.app_context():
        for number, (city, spec) in enumerate(silences.items(), start=first_number):
            pledge = Pledge(**pledge_values(city, spec, number))
            pledge.action_areas = [PledgeActionArea(area="migration-governance")]
            db.session.add(pledge)
            db.session.flush()
            ids[city] = pledge.id
        db.session.commit()
    return ids


class SilentQueue:
    def __init__(self, app):
        self.app = app
        self.maria = create_coordinator(app, email="maria@uclg.example", name="Maria")
        self.ids = store(app, SILENCES)
        self.cities = {pledge_id: city for city, pledge_id in self.ids.items()}

    def maria_signed_in(self):
        return signed_in_client(self.app, self.maria)

    def cities_in(self, html):
        return {self.cities[int(pledge_id)] for pledge_id in ROW.findall(html)}


@pytest.fixture(scope="module")
def silences(seeded_app_factory):
    return seeded_app_factory(SilentQueue)


@pytest.fixture
def travel(monkeypatch):
    """travel(moment): the queue's now is that moment from then on (NOW to begin with)."""

    def to(moment):
        monkeypatch.setattr(queue_rows, "utcnow", lambda: moment)

    to(NOW)
    return to


def page_of(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response, unescape(response.get_data(as_text=True))


def row_of(html, pledge_id):
    row = html[html.index(f'<tr id="pledge-{pledge_id}">'):]
    return row[:row.index("</tr>")]


def report_cell(html, pledge_id):
    cell = row_of(html, pledge_id)
    cell = cell[cell.index('<td class="queue-table__report">'):]
    return " ".join(re.sub(r"<[^>]+>", " ", cell[:cell.index("</td>")]).split())


def badges(html, pledge_id):
    return re.findall(r'<span class="badge update update--(\w+)">([^<]+)</span>',
                      row_of(html, pledge_id))


def tab_count(html, label):
    match = re.search(rf">{re.escape(label)} <span class=\"badge\">([\d+]+)</span>", html)
    return match.group(1)


# --- what the queue shows -----------------------------------------------------------------


def test_a_coordinator_sees_which_accepted_pledges_went_silent(silences, travel):
    _response, html = page_of(silences.maria_signed_in(), "/triage/?state=all")
    ids = silences.ids
    assert "<th scope=\"col\">Last report</th>" in html
    assert report_cell(html, ids["Fresh"]) == "Never Up to date"
    assert badges(html, ids["Quiet"]) == [("due", "Update due"),
                                          ("never", "No update ever received")]
    assert badges(html, ids["Silent"]) == [("overdue", "Update overdue"),
                                           ("never", "No update ever received")]
    assert report_cell(html, ids["Reporting"]) == "3 months ago Up to date"
    assert report_cell(html, ids["Late"]) == "6 months ago Update due"
    assert report_cell(html, ids["Lapsed"]) == "8 months ago Update overdue"
    assert report_cell(html, ids["Done"]) == "Never"  # fulfilled: owes no update
    assert report_cell(html, ids["Waiting"]) == "– No report expected"
    assert "An update is due 182 days after the last report" in html
    assert "and overdue 30 days later" in html


def test_a_pledges_own_page_says_what_its_queue_row_says_of_its_updates(silences, travel):
    maria = silences.maria_signed_in()
    pages = {city: page_of(maria, f"/triage/pledges/{silences.ids[city]}")[1]
             for city in ("Quiet", "Lapsed", "Reporting", "Waiting")}
    assert '<strong id="last-report">Never</strong>' in pages["Quiet"]
    assert re.findall(r'update--(\w+)">([^<]+)<', pages["Quiet"]) == [
        ("due", "Update due"), ("never", "No update ever received")]
    assert '<strong id="last-report">8 months ago</strong>' in pages["Lapsed"]
    assert re.findall(r'update--(\w+)">([^<]+)<', pages["Lapsed"]) == [
        ("overdue", "Update overdue")]
    assert re.findall(r'update--(\w+)">', pages["Reporting"]) == ["up_to_date"]
    assert 'id="last-report"' not in pages["Waiting"]  # not accepted: no update expected


def test_the_update_filters_list_them_and_their_tabs_count_them(silences, travel):
    maria = silences.maria_signed_in()
    _response, html = page_of(maria, "/triage/?state=all")
    assert [tab_count(html, label) for label in
            ("Update due", "Update overdue", "No update ever received")] == ["4", "2", "2"]
    for value, expected in (("due", DUE), ("overdue", OVERDUE), ("never", NEVER)):
        _response, html = page_of(maria, f"/triage/?update={value}")
        assert silences.cities_in(html) == expected, value
        # The state tabs follow the update filter; the update tabs keep their counts.
        assert tab_count(html, "All") == tab_count(html, "Accepted") == str(len(expected))
        assert tab_count(html, "Submitted") == "0"
        assert tab_count(html, "Update due") == "4"
        assert re.search(rf'href="/triage/\?update={value}" hx-get="[^"]+" aria-current="true"',
                         html)
        assert f'<option selected value="{value}">' in html


def test_update_tabs_keep_the_other_filters_and_count_under_them(silences, travel):
    maria = silences.maria_signed_in()
    _response, html = page_of(maria, "/triage/?state=submitted&region=Europe")
    assert tab_count(html, "Update due") == "0"  # no submitted pledge owes an update
    assert 'href="/triage/?state=submitted&region=Europe&update=overdue"' in html
    _response, html = page_of(maria, "/triage/?update=overdue&region=Africa")
    assert silences.cities_in(html) == set() and tab_count(html, "Update overdue") == "0"
    _response, html = page_of(maria, "/triage/?update=overdue&q=language")
    assert silences.cities_in(html) == OVERDUE
    assert tab_count(html, "Update overdue") == "2" and tab_count(html, "Update due") == "4"
    # "Any" goes back to every pledge and keeps the rest of the view.
    assert '<a href="/triage/?q=language" hx-get="/triage/?q=language">Any</a>' in html


def test_with_htmx_an_update_tab_swaps_the_results_and_keeps_the_form_in_step(silences,
                                                                              travel):
    maria = silences.maria_signed_in()
    response, html = page_of(maria, "/triage/?update=never", **{"HX-Request": "true"})
    assert "<html" not in html and silences.cities_in(html) == NEVER
    assert response.headers["HX-Push-Url"] == "/triage/?update=never"
    # The form's select is sent out of band, so the next change of the form keeps the tab.
    field = html[html.index('<div class="queue-update" id="queue-update-field" '
                            'hx-swap-oob="true">'):]
    assert '<option selected value="never">No update ever received</option>' in \
        field[:field.index("</select>")]
    _response, html = page_of(maria, "/triage/?update=never")
    assert html.startswith("<!doctype html>")
    assert '<div class="queue-update" id="queue-update-field">' in html
    assert '<label class="label" for="update">Progress updates</label>' in html


def test_an_update_value_not_understood_is_said_so_and_left_out(silences, travel):
    _response, html = page_of(silences.maria_signed_in(), "/triage/?update=sometimes")
    assert "There is no update state “sometimes”: that filter was left out." in html
    assert silences.cities_in(html) == set(SILENCES)
    _response, html = page_of(silences.maria_signed_in(), "/triage/?update=Never")
    assert silences.cities_in(html) == NEVER and "no update state" not in html


@pytest.mark.parametrize("query", ["update=", "update=%00", "update=DUE", "update=never%0A",
                                   "update=due&update=never", "update=" + "x" * 5000,
                                   "update=due&q=%22", "update=overdue&page=99"])
def test_odd_update_values_are_never_an_error(silences, travel, query):
    maria = silences.maria_signed_in()
    for url in (f"/triage/?{query}", f"/triage/export.csv?{query}"):
        assert maria.get(url).status_code == 200, url
    assert maria.get(f"/triage/?{query}", headers={"HX-Request": "true"}).status_code == 200


# --- time travels -------------------------------------------------------------------------


def test_a_city_that_stops_reporting_goes_due_then_overdue_and_a_report_clears_it(
        app, make_coordinator, sign_in, travel):
    ids = store(app, {"Lyon": {"accepted": 0}}, first_number=101)
    maria = sign_in(make_coordinator(email="maria@uclg.example"))

    def seen(moment):
        travel(moment)
        _response, html = page_of(maria, "/triage/?state=all")
        due, overdue, never = (tab_count(html, label) for label in (
            "Update due", "Update overdue", "No update ever received"))
        return report_cell(html, ids["Lyon"]), (due, overdue, never)

    assert seen(NOW) == ("Never Up to date", ("0", "0", "0"))
    assert seen(NOW + 182 * DAY - timedelta(seconds=1))[1] == ("0", "0", "0")
    assert seen(NOW + 182 * DAY) == ("Never Update due No update ever received",
                                     ("1", "0", "1"))
    assert seen(NOW + 212 * DAY) == ("Never Update overdue No update ever received",
                                     ("1", "1", "1"))
    with app.app_context():  # the city sends a progress report
        db.session.get(Pledge, ids["Lyon"]).last_report_at = NOW + 213 * DAY
        db.session.commit()
    assert seen(NOW + 216 * DAY) == ("3 days ago Up to date", ("0", "0", "0"))
    assert seen(NOW + 213 * DAY + 182 * DAY) == ("6 months ago Update due", ("1", "0", "0"))


def test_the_period_and_the_grace_are_settings(silences, travel, monkeypatch):
    maria = silences.maria_signed_in()
    monkeypatch.setitem(silences.app.config, "UPDATE_GRACE_DAYS", 0)
    _response, html = page_of(maria, "/triage/?update=overdue")
    assert silences.cities_in(html) == DUE  # no grace: due is overdue
    assert "and overdue 0 days later" in html
    monkeypatch.setitem(silences.app.config, "REMINDER_UPDATE_EVERY_DAYS", 365)
    _response, html = page_of(maria, "/triage/?update=due")
    assert silences.cities_in(html) == {"Silent"}  # Lapsed reported 250 days ago


def test_the_filters_agree_with_the_rules_at_the_boundaries(app, make_coordinator, sign_in,
                                                           travel):
    """Pledges a second either side of each boundary: SQL lists exactly those the rules do."""
    second = timedelta(seconds=1)
    moments = [182 * DAY - second, 182 * DAY, 182 * DAY + second,
               212 * DAY - second, 212 * DAY, 212 * DAY + second]
    specs = {}
    for number, ago in enumerate(moments):
        specs[f"Accepted {number}"] = {"accepted_at": NOW - ago}
        specs[f"Reported {number}"] = {"accepted_at": NOW - 900 * DAY, "last_report_at": NOW - ago}
    with app.app_context():
        for number, (city, spec) in enumerate(specs.items(), start=200):
            values = pledge_values(city, {"accepted": 0}, number) | spec
            db.session.add(Pledge(**values))
        db.session.commit()
        stored = db.session.query(Pledge).filter(Pledge.city.in_(specs)).all()
        facts = {pledge.id: UpdateFacts.of(pledge) for pledge in stored}
    maria = sign_in(make_coordinator(email="maria@uclg.example"))
    rules = UpdateRules()
    for value in ("due", "overdue", "never"):
        _response, html = page_of(maria, f"/triage/?update={value}")
        expected = {pledge_id for pledge_id, fact in facts.items()
                    if update_state(fact, rules, NOW).is_listed_by(value)}
        assert {int(i) for i in ROW.findall(html)} == expected, value
        assert tab_count(html, "Accepted") == str(len(expected))
    listed = {value: sum(update_state(fact, rules, NOW).is_listed_by(value)
                         for fact in facts.values()) for value in ("due", "overdue", "never")}
    assert listed == {"due": 10, "overdue": 4, "never": 5}  # the boundaries are in


# --- downloads ----------------------------------------------------------------------------


def test_downloads_carry_the_last_report_and_the_update_state(silences, travel):
    response = silences.maria_signed_in().get("/triage/export.csv?update=due")
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.get_data().decode("utf-8")[1:])))
    header, body = rows[0], rows[1:]
    assert header[-2:] == ["Last report", "Update state"]
    exported = {row[1]: dict(zip(header, row, strict=True)) for row in body}
    assert set(exported) == DUE
    assert exported["Silent"]["Last report"] == ""
    assert exported["Silent"]["Update state"] == "Update overdue; No update ever received"
    assert exported["Late"]["Last report"] == (NOW - 190 * DAY).date().isoformat()
    assert exported["Late"]["Update state"] == "Update due"
    every = silences.maria_signed_in().get("/triage/export.csv?state=all")
    rows = {row[1]: row for row in csv.reader(io.StringIO(every.get_data().decode()[1:]))}
    assert rows["Waiting"][-2:] == ["", ""] and rows["Fresh"][-1] == "Up to date"
    assert rows["Done"][-1] == ""


# --- what it costs ------------------------------------------------------------------------


def queries(app, client, url):
    with app.app_context(), sql_sent(app) as statements:
        page_of(client, url)
    return len(statements)


def test_the_update_filters_and_tabs_cost_the_same_queries_for_few_rows_or_many(
        app, make_coordinator, sign_in, travel):
    store(app, {"Quiet": {"accepted": 200}, "Silent": {"accepted": 400}}, first_number=300)
    maria = sign_in(make_coordinator(email="maria@uclg.example"))
    urls = ("/triage/?state=all", "/triage/?update=due", "/triage/?update=never&region=Europe",
            "/triage/?q=language", "/triage/?update=overdue&q=language")
    few = [queries(app, maria, url) for url in urls]
    store(app, {f"{city} {i}": {"accepted": days} for i in range(30)
                for city, days in (("Quiet", 200), ("Silent", 400))}, first_number=400)
    assert [queries(app, maria, url) for url in urls] == few
    # The update tabs are counted in the statement that counts the state tabs, and the update
    # filter is a condition: neither is a query of its own.
    assert few == [few[0]] * len(urls)


def tabs_of(maria, url):
    _response, html = page_of(maria, url)
    return {label: (tab_count(html, label) if f">{label} <span" in html else None)
            for label in ("Update due", "Update overdue", "No update ever received")}


def test_a_search_matching_very_many_counts_no_update_tab_unless_one_is_chosen(
        app, make_coordinator, sign_in, travel):
    store(app, {f"Silent {i}": {"accepted": 400} for i in range(6)}, first_number=500)
    store(app, {f"Quiet {i}": {"accepted": 200} for i in range(2)}, first_number=510)
    maria = sign_in(make_coordinator(email="maria@uclg.example"))
    app.config["TRIAGE_SEARCH_COUNT_LIMIT"] = 4
    assert tabs_of(maria, "/triage/?q=language") == dict.fromkeys(
        ("Update due", "Update overdue", "No update ever received"))  # as the state tabs
    assert tabs_of(maria, "/triage/?q=language&update=overdue") == {
        "Update due": "4+", "Update overdue": "4+", "No update ever received": "4+"}
    _response, html = page_of(maria, "/triage/?q=language&update=overdue")
    assert len(ROW.findall(html)) == 4 and "more than 4 pledges" in html
    app.config["TRIAGE_SEARCH_COUNT_LIMIT"] = 10
    expected = {"Update due": "8", "Update overdue": "6", "No update ever received": "8"}
    assert tabs_of(maria, "/triage/?q=language") == expected
    assert tabs_of(maria, "/triage/?q=language&update=never") == expected
    assert tabs_of(maria, "/triage/?q=language&state=submitted") == dict.fromkeys(expected, "0")


# --- in a browser ---------------------------------------------------------------------------


def silent_queue_in_a_browser(app, contact_factory, make_coordinator, javascript):
    store(app, {"Quiet": SILENCES["Quiet"], "Reporting": SILENCES["Reporting"],
                "Lapsed": SILENCES["Lapsed"],
                "Silent": {**SILENCES["Silent"], "country": "SN", "region": "Africa"}},
          first_number=600)
    return coordinator_at_the_queue(contact_factory, make_coordinator, javascript)


@pytest.mark.browser
def test_with_javascript_a_coordinator_lists_the_overdue_in_place(
        app, contact_factory, live_server, make_coordinator, travel):
    contact = silent_queue_in_a_browser(app, contact_factory, make_coordinator, True)
    page = contact.page
    assert axe_violations(page) == []
    page.evaluate("window.__noReload = true")

    page.get_by_role("link", name=re.compile("^Update overdue")).click()
    expect(page.locator("#queue-summary")).to_have_text(re.compile("^2 pledges"))
    assert shown_cities(page) == ["Lapsed", "Silent"]
    page.wait_for_url(re.compile(r"/triage/\?update=overdue$"))
    assert page.input_value("#update") == "overdue"  # the form follows the tab
    expect(page.locator("#queue-update-tabs a[aria-current=true]")).to_have_text(
        "Update overdue 2")

    page.select_option("#region", "Africa")  # the update filter stays
    expect(page.locator("#queue-summary")).to_have_text(re.compile("^1 pledge"))
    assert shown_cities(page) == ["Silent"]
    page.wait_for_url(re.compile(r"/triage/\?region=Africa&update=overdue$"))
    expect(page.locator("#queue-update-tabs a").nth(1)).to_have_text("Update due 1")
    assert axe_violations(page) == []
    assert page.evaluate("window.__noReload === true"), "a full page load happened"


@pytest.mark.browser
def test_without_javascript_the_update_filter_is_a_form_choice(
        app, contact_factory, live_server, make_coordinator, travel):
    contact = silent_queue_in_a_browser(app, contact_factory, make_coordinator, False)
    page = contact.page
    page.select_option("#update", label="No update ever received")
    page.get_by_role("button", name="Show the pledges").click()
    page.wait_for_url(re.compile(r"update=never"))
    assert shown_cities(page) == ["Quiet", "Silent"]
    page.get_by_role("link", name=re.compile("^Update due")).click()
    page.wait_for_url(re.compile(r"update=due$"))
    assert shown_cities(page) == ["Lapsed", "Quiet", "Silent"]
