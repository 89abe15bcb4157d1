"""Coordinators work through the queue of sent pledges: tabs per review state, filters, search,
sorting and paging in a link they can share, bulk assignment and state changes, and exports
for the review forums.

Stories that only read the queue share pledges seeded once for the module (a SeededQueue, on a
database of its own); stories that change pledges, or need a queue of their own, get `app`,
emptied after each test."""
import csv
import io
import itertools
import re
from datetime import datetime, timedelta, timezone
from html import unescape
from urllib.parse import parse_qs, urlsplit

import pytest
from babel.dates import format_date
from openpyxl import load_workbook
from playwright.sync_api import expect
from sqlalchemy import select

from intake.catalogue.regions import region_of
from intake.extensions import db
from intake.models import AuditEntry, Pledge, PledgeActionArea
from intake.pledges import actions
from intake.triage import queue_query

from .support.accounts import create_coordinator, signed_in_client
from .support.chromium import coordinator_at_the_queue, shown_cities
from .support.client import ContactBrowser
from .support.sql import sql_sent
from .support.triage import CoordinatorBrowser, sent_pledge

NOW = datetime.now(timezone.utc).replace(microsecond=0)
ROW = re.compile(r'<tr id="pledge-(\d+)">')
BAD_VALUES = [
    "state=draft", "state=approved", "state=", "area=parking", "region=Mars", "country=ZZ",
    "country=%C3%A9", "assignee=somebody", "assignee=%C2%B2", "assignee=99999999999999",
    "page=0", "page=-1", "page=two", "page=%C2%B2", "page=" + "9" * 5000, "sort=budget",
    "sort=city&dir=sideways", "mine=maybe", "overdue=%00", "q=" + "x" * 5000,
    "q=%22", "q=%22%22%22*", "q=AND%20OR%20NOT", "q=NEAR(a%20b)", "q=a%3A*%7Cb%20%26%20!c",
    "q=%27)%20OR%201%3D1%20--", "q=%F0%9F%8C%8D", "q=city%3Alyon", "q=-", "q=%5E%24",
    "state=submitted&state=accepted", "area=&region=&country=&assignee=&q=",
]
_references = itertools.count(1)


# --- the people and the pledges -------------------------------------------------------------


def coordinator(make_coordinator, sign_in, email="maria@uclg.example", role="coordinator",
                name="Maria"):
    account = make_coordinator(email=email, role=role, name=name)
    return account, CoordinatorBrowser(sign_in(account))


class SeededQueue:
    """Pledges stored once for the stories that only read them, on an app and a database of
    their own (seeded_app_factory), and Maria, the coordinator who reads them."""

    def __init__(self, app, seed):
        self.app = app
        self.maria = create_coordinator(app, email="maria@uclg.example", name="Maria")
        self.pledges = seed(app, self.maria)

    def maria_signed_in(self):
        """Maria in a browser of her own: no story sees the cookies of another."""
        return CoordinatorBrowser(signed_in_client(self.app, self.maria))


def seeded_queue(seeded_app_factory, seed):
    """A SeededQueue; seed(app, maria) stores its pledges and returns what the stories need
    to know of them (SeededQueue.pledges)."""
    return seeded_app_factory(lambda app: SeededQueue(app, seed))


def add_pledges(app, *specs):
    """Sent pledges stored straight in the database, as many as a story needs; returns their
    ids. A spec gives what differs from a plain submitted pledge."""
    ids = []
    with app.app_context():
        for spec in specs:
            spec = dict(spec)
            areas = spec.pop("areas", ["migration-governance"])
            number = next(_references)
            spec.setdefault("country_code", "FR")
            values = {
                "reference": f"CTA-2026-{number:04d}",
                "review_state": "submitted",
                "submitted_at": NOW - timedelta(hours=number),
                "city": f"City {number}",
                "title": f"Pledge number {number}",
                "summary": "Language courses for newcomers.",
                "commitment": "Open two more classes.",
                "implementation_stage": "planning",
                "region": region_of(spec["country_code"]),
                "furthest_step": 5,
                **spec,
            }
            pledge = Pledge(**values)
            pledge.action_areas = [PledgeActionArea(area=area) for area in areas]
            db.session.add(pledge)
            db.session.flush()
            ids.append(pledge.id)
        db.session.commit()
    return ids


def page_of(client, url, **headers):
    response = client.get(url, headers=headers)
    assert response.status_code == 200, response.get_data(as_text=True)[:2000]
    return response, response.get_data(as_text=True)


def shown_ids(client, url):
    _response, html = page_of(client, url)
    return [int(pledge_id) for pledge_id in ROW.findall(html)]


def tab_count(html, label):
    match = re.search(rf">{re.escape(label)} <span class=\"badge\">(\d+)</span>", html)
    return int(match.group(1))


def flashes_after(client, response):
    """Follow a redirect the way the browser does and return the page's text."""
    assert response.status_code == 303
    return unescape(client.get(response.headers["Location"]).get_data(as_text=True))


def load(app, pledge_id):
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        db.session.expunge(pledge)
        return pledge


# --- what the queue shows -----------------------------------------------------------------


def test_a_coordinator_sees_each_sent_pledge_and_no_draft(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    ContactBrowser(app.test_client()).complete_steps(upto="city")  # a draft, not in the queue
    _account, maria = coordinator(make_coordinator, sign_in)

    response, html = page_of(maria, "/triage/")

    assert [int(i) for i in ROW.findall(html)] == [pledge_id]
    sent = load(app, pledge_id)
    assert f'href="/triage/pledges/{pledge_id}">{sent.reference}</a>' in html
    for shown in ("São Paulo", "Brazil", "Americas", "Access to Essential Services",
                  "Inclusion and Social Cohesion", "Submitted", "Planning", "Nobody",
                  format_date(sent.submitted_at, "medium", locale="en"),
                  "Welcome centre for newcomers"):
        assert shown in html
    assert tab_count(html, "All") == 1 and tab_count(html, "Submitted") == 1


def test_a_french_coordinator_reads_days_in_french_and_the_downloads_keep_iso_days(
        app, make_coordinator, sign_in):
    [pledge_id] = add_pledges(app, {"submitted_at": datetime(2026, 3, 5, 9, tzinfo=timezone.utc)})
    _account, maria = coordinator(make_coordinator, sign_in)
    _response, html = page_of(maria, "/triage/", **{"Accept-Language": "fr"})
    row = html[html.index(f'<tr id="pledge-{pledge_id}">'):]
    assert "<td>5 mars 2026</td>" in row[:row.index("</tr>")]
    [_header, exported] = csv_rows(export_rows(maria, "/triage/export.csv"))
    assert "2026-03-05" in exported


def test_tabs_count_the_pledges_of_each_review_state(app, make_coordinator, sign_in):
    add_pledges(app, *[{"review_state": state} for state in
                       ["submitted"] * 3 + ["in_review"] * 2 + ["accepted", "declined"]])
    add_pledges(app, {"review_state": "draft", "reference": None, "submitted_at": None})
    _account, maria = coordinator(make_coordinator, sign_in)

    _response, html = page_of(maria, "/triage/?state=all")
    assert [tab_count(html, label) for label in
            ("To do", "All", "Submitted", "In review", "Accepted", "Declined", "Withdrawn")] == \
        [5, 7, 3, 2, 1, 1, 0]
    assert ('<a href="/triage/?state=all" hx-get="/triage/?state=all" aria-current="page">All'
            in html)

    _response, html = page_of(maria, "/triage/?state=in_review")
    assert len(ROW.findall(html)) == 2
    assert 'aria-current="page">In review <span class="badge">2</span>' in html
    assert tab_count(html, "All") == 7  # the other tabs keep their counts


def test_tab_counts_follow_the_other_filters(app, make_coordinator, sign_in):
    add_pledges(app, {"country_code": "SN"}, {"country_code": "SN", "review_state": "accepted"},
                {"country_code": "FR"})
    _account, maria = coordinator(make_coordinator, sign_in)
    _response, html = page_of(maria, "/triage/?region=Africa")
    assert tab_count(html, "All") == 2
    assert tab_count(html, "Submitted") == 1 and tab_count(html, "Accepted") == 1
    assert 'href="/triage/?state=accepted&amp;region=Africa"' in html


def test_the_queue_opens_on_what_is_waiting_on_us_and_for_me_or_nobody(
        app, make_coordinator, sign_in):
    maria, browser = coordinator(make_coordinator, sign_in)
    ahmed = make_coordinator(email="ahmed@iom.example", name="Ahmed")
    nobody_s, mine, answered, ahmeds, asked, accepted, declined = add_pledges(
        app, {"review_state": "submitted"}, {"review_state": "in_review", "assignee_id": maria.id},
        {"review_state": "in_review"}, {"review_state": "submitted", "assignee_id": ahmed.id},
        {"review_state": "information_requested"}, {"review_state": "accepted"},
        {"review_state": "declined", "assignee_id": maria.id})

    _response, html = page_of(browser, "/triage/")

    assert sorted(int(i) for i in ROW.findall(html)) == sorted([nobody_s, mine, answered])
    assert re.search(r'<a href="/triage/" hx-get="/triage/" aria-current="page">To do '
                     r'<span class="badge">3</span>', html)
    assert tab_count(html, "All") == 7
    assert 'id="queue-state" value="todo"' in html
    assert '<details class="queue-filters__more" id="queue-more">' in html  # folded away
    _response, filtered = page_of(browser, "/triage/?state=todo&region=Europe")
    assert '<details class="queue-filters__more" id="queue-more" open>' in filtered
    # Sorting or paging stays on "To do"; any filter, or "All", shows every state.
    assert sorted(shown_ids(browser, "/triage/?sort=city&dir=asc")) == \
        sorted([nobody_s, mine, answered])
    assert len(shown_ids(browser, "/triage/?state=all")) == 7
    assert len(shown_ids(browser, "/triage/?region=Europe")) == 7
    assert shown_ids(browser, "/triage/?state=todo&assignee=none&sort=reference") == \
        [nobody_s, answered]


@pytest.fixture(scope="module")
def lyon_dakar_quito(seeded_app_factory):
    """Lyon, Maria's; Dakar, Ahmed's and accepted; Quito, nobody's."""

    def seed(app, maria):
        ahmed = create_coordinator(app, email="ahmed@iom.example", name="Ahmed")
        add_pledges(app,
                    {"city": "Lyon", "country_code": "FR", "assignee_id": maria.id,
                     "areas": ["climate-resilience", "essential-services"]},
                    {"city": "Dakar", "country_code": "SN", "assignee_id": ahmed.id,
                     "review_state": "accepted", "areas": ["climate-resilience"]},
                    {"city": "Quito", "country_code": "EC", "areas": ["economic-opportunity"]})

    return seeded_queue(seeded_app_factory, seed)


@pytest.mark.parametrize("query, expected", [
    ("area=climate-resilience", {"Lyon", "Dakar"}),
    ("region=Africa", {"Dakar"}),
    ("country=EC", {"Quito"}),
    ("country=ec", {"Quito"}),
    ("assignee=none", {"Quito"}),
    ("mine=1", {"Lyon"}),
    ("region=Europe&area=climate-resilience", {"Lyon"}),
    ("region=Europe&area=economic-opportunity", set()),
    ("state=accepted&region=Africa", {"Dakar"}),
])
def test_each_filter_narrows_the_queue(lyon_dakar_quito, query, expected):
    _response, html = page_of(lyon_dakar_quito.maria_signed_in(), f"/triage/?{query}")
    cities = {city for city in ("Lyon", "Dakar", "Quito") if f"<td>{city}</td>" in html}
    assert cities == expected
    if not expected:
        assert "No pledge matches these filters." in html


def test_a_coordinator_filters_by_a_colleague(app, make_coordinator, sign_in):
    _maria, client = coordinator(make_coordinator, sign_in)
    ahmed = make_coordinator(email="ahmed@iom.example", name="Ahmed")
    add_pledges(app, {"city": "Dakar", "assignee_id": ahmed.id}, {"city": "Lyon"})
    _response, html = page_of(client, f"/triage/?assignee={ahmed.id}")
    assert "<td>Dakar</td>" in html and "<td>Lyon</td>" not in html
    assert f'<option selected value="{ahmed.id}">Ahmed</option>' in html
    assert "<td>Ahmed</td>" in html


def test_pledges_waiting_too_long_are_marked_and_can_be_listed_alone(
        app, make_coordinator, sign_in):
    now = datetime.now(timezone.utc)  # not the module's NOW: a run may cross midnight
    three_weeks = now - timedelta(days=21)  # 15 working days
    late, fresh, decided = add_pledges(
        app, {"city": "Late", "submitted_at": three_weeks},
        {"city": "Fresh", "submitted_at": now},
        {"city": "Decided", "submitted_at": three_weeks, "review_state": "accepted"})
    _account, maria = coordinator(make_coordinator, sign_in)

    _response, html = page_of(maria, "/triage/?state=all")
    row = html[html.index(f'<tr id="pledge-{late}">'):]
    row = row[:row.index("</tr>")]
    assert '<td class="overdue">15 <span class="queue-table__late">overdue</span></td>' in row
    fresh_row = html[html.index(f'<tr id="pledge-{fresh}">'):]
    assert "<td>0</td>" in fresh_row[:fresh_row.index("</tr>")]
    decided_row = html[html.index(f'<tr id="pledge-{decided}">'):]
    assert "Not waiting" in decided_row[:decided_row.index("</tr>")]

    assert shown_ids(maria, "/triage/?overdue=1") == [late]
    app.config["FIRST_RESPONSE_WORKING_DAYS"] = 20
    assert shown_ids(maria, "/triage/?overdue=1") == []
    _response, html = page_of(maria, "/triage/")
    assert "overdue</span>" not in html and "more than 20 working days" in html


def test_days_waiting_count_working_days_only():
    friday = datetime(2026, 11, 27, 16, 0, tzinfo=timezone.utc)
    monday = datetime(2026, 11, 30, 9, 0, tzinfo=timezone.utc)
    pledge = Pledge(review_state="submitted", submitted_at=friday)
    assert queue_query.days_waiting(pledge, monday) == 1
    cutoff = queue_query.waiting_too_long_before(monday, 5)
    assert cutoff == datetime(2026, 11, 23, tzinfo=timezone.utc)  # sent before: 6+ days
    pledge.review_state = "accepted"
    assert queue_query.days_waiting(pledge, monday) is None


def test_days_waiting_count_every_weekday_after_the_day_sent():
    from intake.pledges import status

    def counted_day_by_day(sent, now):
        days, day = 0, sent.date()
        while day < now.date():
            day += timedelta(days=1)
            days += day.weekday() < 5
        return days if now > sent else 0

    start = datetime(2026, 1, 1, 15, 0, tzinfo=timezone.utc)
    for days in range(0, 400, 3):
        for hours in (0, 9, 20):
            sent = start + timedelta(days=days % 11, hours=hours)
            now = start + timedelta(days=days, hours=12)
            assert status.working_days_between(sent, now) == counted_day_by_day(sent, now), \
                (sent, now)


@pytest.mark.parametrize("target", [0, 1, 5, 12])
def test_the_waiting_too_long_filter_agrees_with_the_days_shown(target):
    now = datetime(2026, 12, 2, 10, 30, tzinfo=timezone.utc)
    cutoff = queue_query.waiting_too_long_before(now, target)
    for hours in range(0, 40 * 24, 5):
        sent = now - timedelta(hours=hours)
        pledge = Pledge(review_state="in_review", submitted_at=sent)
        assert (sent < cutoff) == (queue_query.days_waiting(pledge, now) > target), sent


# --- search ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def three_cities(seeded_app_factory):
    """Pledges from São Paulo (English), Lyon (French) and Bogotá (Spanish), sent for real."""
    return seeded_queue(seeded_app_factory, lambda app, _maria: {
        "São Paulo": sent_pledge(app),
        "Lyon": sent_pledge(
            app, city={"city": "Lyon", "country": "FR"},
            pledge={"title": "Accueil des réfugiés à Lyon",
                    "summary": "Un guichet unique pour les personnes réfugiées.",
                    "commitment": "Ouvrir une maison de l'accueil au centre-ville."}),
        "Bogotá": sent_pledge(
            app, city={"city": "Bogotá", "country": "CO"},
            pledge={"title": "Integración de personas migrantes",
                    "summary": "Centros de atención para la población migrante.",
                    "commitment": "Abrir tres centros de integración en la ciudad."}),
    })


@pytest.mark.parametrize("q, expected", [
    ("São", {"São Paulo"}),
    ("são paulo", {"São Paulo"}),
    ("réfugiés", {"Lyon"}),
    ("accue", {"Lyon"}),  # the beginning of a word is enough
    ("Integración", {"Bogotá"}),
    ("migrante", {"Bogotá"}),
    ("Bogotá", {"Bogotá"}),
    ("one-stop centre", {"São Paulo"}),  # words from the summary
    ("centre", {"São Paulo", "Lyon"}),  # title, summary or commitment
    ("welcome lyon", set()),  # every word must match
    ("zzz", set()),
])
def test_a_coordinator_searches_city_title_and_text(three_cities, q, expected):
    maria = three_cities.maria_signed_in()
    ids = shown_ids(maria, "/triage/?" + "q=" + q.replace(" ", "+"))
    sent = three_cities.pledges
    assert {city for city, pledge_id in sent.items() if pledge_id in ids} == expected
    assert len(ids) == len(expected)


def test_a_search_by_reference_finds_that_pledge(three_cities):
    maria, lyon = three_cities.maria_signed_in(), three_cities.pledges["Lyon"]
    reference = load(three_cities.app, lyon).reference
    assert shown_ids(maria, f"/triage/?q={reference.lower()}") == [lyon]


def test_a_search_finds_text_whether_or_not_accents_are_typed(three_cities):
    """SQLite's index folds accents (FTS5, remove_diacritics); PostgreSQL's reads the text
    through unaccent (migration 0005)."""
    maria = three_cities.maria_signed_in()
    for typed in ("Sao", "são", "SÃO Paulo", "sao paulo"):
        assert shown_ids(maria, "/triage/?q=" + typed.replace(" ", "+")) == [
            three_cities.pledges["São Paulo"]], typed


def test_search_words_cannot_carry_search_syntax():
    assert queue_query.search_words('lyon" OR "x*') == ["lyon", "OR", "x"]
    assert queue_query.sqlite_match(["São", "accue"]) == '"São"* "accue"*'
    assert queue_query.postgresql_tsquery(["são", "x"]) == "são:* & x:*"
    assert queue_query.search_words("a:*|b & !c <-> d") == ["a", "b", "c", "d"]
    assert queue_query.search_words("___ ---") == []


# --- sorting and paging ---------------------------------------------------------------------


def expected_order(specs, ids, sort, direction):
    """The order the queue promises, computed here from what was stored."""
    rows = [dict(spec, id=pledge_id) for spec, pledge_id in zip(specs, ids, strict=True)]
    ascending = direction == "asc"
    if sort == "city":
        rows.sort(key=lambda r: (r["city"].lower(), r["id"]), reverse=not ascending)
    elif sort == "submitted":
        rows.sort(key=lambda r: (r["submitted_at"], r["id"]), reverse=not ascending)
    elif sort == "waiting":
        waiting = [r for r in rows if r["review_state"] in ("submitted", "in_review")]
        others = [r for r in rows if r not in waiting]
        for group in (waiting, others):
            group.sort(key=lambda r: (r["submitted_at"], r["id"]), reverse=ascending)
        rows = waiting + others
    return [r["id"] for r in rows]


def sortable_pledges(app, count=31):
    """Pledges in several states, some sent at the very same moment (the id breaks ties)."""
    states = ["submitted", "accepted", "in_review", "declined", "information_requested"]
    cities = ["Zürich", "accra", "Montréal", "Bogotá", "lyon", "Abidjan", "Quito"]
    specs = [{"review_state": states[i % len(states)], "city": f"{cities[i % 7]} {i % 4}",
              "submitted_at": NOW - timedelta(days=i // 3), "country_code": "FR"}
             for i in range(count)]
    return specs, add_pledges(app, *specs)


@pytest.fixture(scope="module")
def sortable(seeded_app_factory):
    """sortable_pledges, once for the stories that page through them."""
    return seeded_queue(seeded_app_factory, lambda app, _maria: sortable_pledges(app))


@pytest.mark.parametrize("sort, direction", [
    ("submitted", "desc"), ("submitted", "asc"), ("waiting", "desc"), ("waiting", "asc"),
    ("city", "asc"), ("city", "desc"),
])
@pytest.mark.parametrize("reading", ["states merged", "filtered, states merged",
                                     "filtered, one query"])
def test_pages_follow_each_other_in_the_chosen_order(sortable, monkeypatch, sort, direction,
                                                     reading):
    """Every pledge once, in order, page after page, however the page is read (pages past
    the middle from the other end; by date, each state's own ordered list merged)."""
    specs, ids = sortable.pledges
    monkeypatch.setitem(sortable.app.config, "TRIAGE_QUEUE_PAGE_SIZE", 4)
    if reading == "filtered, states merged":
        monkeypatch.setattr(queue_query, "MERGE_FROM_TOTAL", 0)
    maria = sortable.maria_signed_in()
    region = "&region=Europe" if reading.startswith("filtered") else "&state=all"
    seen = []
    for page in range(1, 9):
        seen += shown_ids(maria, f"/triage/?sort={sort}&dir={direction}{region}&page={page}")
    assert seen == expected_order(specs, ids, sort, direction)


def test_a_state_tab_pages_in_order_too(sortable, monkeypatch):
    specs, ids = sortable.pledges
    monkeypatch.setitem(sortable.app.config, "TRIAGE_QUEUE_PAGE_SIZE", 2)
    maria = sortable.maria_signed_in()
    seen = []
    for page in range(1, 4):  # 6 accepted pledges, 2 a page
        seen += shown_ids(maria, f"/triage/?state=accepted&sort=waiting&page={page}")
    accepted = [(s, i) for s, i in zip(specs, ids, strict=True)
                if s["review_state"] == "accepted"]
    # Accepted pledges wait for nobody: "longest waiting first" leaves them oldest first.
    assert seen == expected_order([s for s, _i in accepted], [i for _s, i in accepted],
                                  "submitted", "asc")


@pytest.mark.parametrize("sort, direction", [("submitted", "desc"), ("waiting", "desc"),
                                             ("waiting", "asc"), ("city", "asc")])
@pytest.mark.parametrize("query", ["", "&state=todo&region=Europe"],
                         ids=["states merged", "filtered, one query"])
def test_the_to_do_tab_pages_in_order_too(sortable, monkeypatch, sort, direction, query):
    specs, ids = sortable.pledges
    monkeypatch.setitem(sortable.app.config, "TRIAGE_QUEUE_PAGE_SIZE", 3)
    maria = sortable.maria_signed_in()
    seen = []
    for page in range(1, 6):  # 13 pledges waiting on us, nobody's: 3 a page
        seen += shown_ids(maria, f"/triage/?sort={sort}&dir={direction}{query}&page={page}")
    waiting = [(s, i) for s, i in zip(specs, ids, strict=True)
               if s["review_state"] in ("submitted", "in_review")]
    assert len(waiting) == 13
    assert seen == expected_order([s for s, _i in waiting], [i for _s, i in waiting], sort,
                                  direction)


def test_sorting_by_reference(app, make_coordinator, sign_in):
    ids = add_pledges(app, {}, {}, {})
    _account, maria = coordinator(make_coordinator, sign_in)
    assert shown_ids(maria, "/triage/?sort=reference") == ids
    assert shown_ids(maria, "/triage/?sort=reference&dir=desc") == ids[::-1]


def test_a_long_queue_comes_fifty_pledges_a_page(app, make_coordinator, sign_in):
    ids = add_pledges(app, *[{} for _ in range(120)])
    _account, maria = coordinator(make_coordinator, sign_in)

    response, html = page_of(maria, "/triage/")
    first = [int(i) for i in ROW.findall(html)]
    assert first == ids[:50]  # newest first: the ids were sent an hour apart, oldest last
    assert "120 pledges: 1 to 50 shown, page 1 of 3." in html
    assert 'href="/triage/?page=2" hx-get="/triage/?page=2" rel="next"' in html
    assert "Previous page" not in html

    second = shown_ids(maria, "/triage/?page=2")
    _response, html = page_of(maria, "/triage/?page=3")
    third = [int(i) for i in ROW.findall(html)]
    assert second == ids[50:100] and third == ids[100:]
    assert "101 to 120 shown, page 3 of 3." in html and "Next page" not in html
    assert shown_ids(maria, "/triage/?page=99") == third  # past the end: the last page


# --- a search that matches very many pledges --------------------------------------------------
# Past TRIAGE_SEARCH_COUNT_LIMIT matches a search is not counted to its end: the queue says
# "more than" and lists that many, in the chosen order (read from an index in that order).


def housing_pledges(app, count=31):
    """sortable_pledges, two in three about housing, in France or Brazil, in two areas."""
    states = ["submitted", "accepted", "in_review", "declined", "information_requested"]
    cities = ["Zürich", "accra", "Montréal", "Bogotá", "lyon", "Abidjan", "Quito"]
    specs = [{"review_state": states[i % len(states)], "city": f"{cities[i % 7]} {i % 4}",
              "submitted_at": NOW - timedelta(days=i // 3),
              "country_code": ("FR", "BR")[i % 2],
              "areas": [("migration-governance", "essential-services")[i // 2 % 2]],
              "summary": "Social housing for newcomers." if i % 3 else "Language courses."}
             for i in range(count)]
    return specs, add_pledges(app, *specs)


@pytest.fixture(scope="module")
def housing(seeded_app_factory):
    """housing_pledges, once for the stories that search them."""
    return seeded_queue(seeded_app_factory, lambda app, _maria: housing_pledges(app))


def matches(spec, view):
    """Whether a pledge of housing_pledges is in the view (a query string)."""
    args = parse_qs(view)
    return ("housing" in spec["summary"]
            and spec["review_state"] == args.get("state", [spec["review_state"]])[0]
            and spec["country_code"] == args.get("country", [spec["country_code"]])[0]
            and args.get("area", spec["areas"])[0] in spec["areas"])


@pytest.mark.parametrize("sort, direction", [
    ("submitted", "desc"), ("submitted", "asc"), ("waiting", "desc"), ("waiting", "asc"),
    ("city", "asc"), ("city", "desc"),
])
@pytest.mark.parametrize("view, limit", [
    ("", 5),
    ("state=submitted", 5),  # the tab itself holds fewer than the limit: counted
    ("state=accepted", 2),  # the tab holds more too
    ("country=BR", 5),
    ("area=essential-services", 5),
])
@pytest.mark.parametrize("walk_rows", [queue_query.WALK_ROWS, 3])
def test_a_search_matching_very_many_lists_its_first_matches_in_order(
        housing, monkeypatch, sort, direction, view, limit, walk_rows):
    """Read in order from an index, or, when the matches are too sparse along it to reach
    the page within WALK_ROWS pledges, collected and sorted: the same pages."""
    monkeypatch.setattr(queue_query, "WALK_ROWS", walk_rows)
    specs, ids = housing.pledges
    monkeypatch.setitem(housing.app.config, "TRIAGE_QUEUE_PAGE_SIZE", 2)
    monkeypatch.setitem(housing.app.config, "TRIAGE_SEARCH_COUNT_LIMIT", limit)
    maria = housing.maria_signed_in()
    kept = [(spec, pledge_id) for spec, pledge_id in zip(specs, ids, strict=True)
            if matches(spec, view)]
    expected = expected_order([spec for spec, _id in kept], [i for _spec, i in kept],
                              sort, direction)[:limit]
    seen = []
    for page in range(1, 5):
        seen += shown_ids(maria, f"/triage/?q=housing&sort={sort}&dir={direction}&{view}"
                                 f"&page={page}")
    pages = -(-len(expected) // 2)
    assert seen[:len(expected)] == expected  # then the last page again, for pages past it
    assert len(seen) == len(expected) + (4 - pages) * (len(expected) - (pages - 1) * 2)


def test_a_search_matching_very_many_says_so_and_the_downloads_hold_every_match(
        housing, monkeypatch):
    specs, _ids = housing.pledges
    monkeypatch.setitem(housing.app.config, "TRIAGE_QUEUE_PAGE_SIZE", 2)
    monkeypatch.setitem(housing.app.config, "TRIAGE_SEARCH_COUNT_LIMIT", 5)
    maria = housing.maria_signed_in()

    _response, html = page_of(maria, "/triage/?q=housing")
    assert "More than 5 pledges: 1 to 2 shown, page 1 of 3 of the first 5." in html
    assert "This search matches more than 5 pledges: the first 5 are listed" in html
    assert re.search(r'>All <span class="badge">5\+</span>', html)
    assert ">Submitted</a>" in html  # not counted: no number rather than a wrong one
    _response, html = page_of(maria, "/triage/?q=housing&page=3")
    assert "5 to 5 shown, page 3 of 3 of the first 5." in html
    assert len(ROW.findall(html)) == 1

    _response, html = page_of(maria, "/triage/?q=housing&state=submitted")
    submitted = sum(1 for spec in specs if matches(spec, "state=submitted"))
    assert 0 < submitted <= 5
    assert f">Submitted <span class=\"badge\">{submitted}</span>" in html
    assert re.search(r'>All <span class="badge">5\+</span>', html) and ">Accepted</a>" in html
    assert f"{submitted} pledges: 1 to 2 shown" in html and "This search matches" not in html

    body = csv_rows(export_rows(maria, "/triage/export.csv?q=housing"))[1:]
    assert len(body) == sum(1 for spec in specs if matches(spec, ""))


def test_a_search_within_the_limit_is_counted_tab_by_tab(housing, monkeypatch):
    specs, _ids = housing.pledges
    found = sum(1 for spec in specs if matches(spec, ""))
    monkeypatch.setitem(housing.app.config, "TRIAGE_SEARCH_COUNT_LIMIT", found)
    maria = housing.maria_signed_in()
    _response, html = page_of(maria, "/triage/?q=housing")
    assert tab_count(html, "All") == found and f"{found} pledges: 1 to {found} shown" in html
    for state, label in (("submitted", "Submitted"), ("accepted", "Accepted")):
        assert tab_count(html, label) == sum(
            1 for spec in specs if matches(spec, f"state={state}"))
    assert "More than" not in html


def test_the_queue_runs_the_same_queries_for_few_rows_or_many(app, make_coordinator, sign_in):
    account, maria = coordinator(make_coordinator, sign_in)
    ahmed = make_coordinator(email="ahmed@iom.example", name="Ahmed")
    add_pledges(app, *[{"assignee_id": ahmed.id, "areas": ["climate-resilience"]}] * 3,
                {"assignee_id": account.id})  # Maria's one pledge to do

    def queries(url):
        with app.app_context(), sql_sent(app) as statements:
            page_of(maria, url)
        return statements

    few = queries("/triage/?state=all")
    add_pledges(app, *[{"assignee_id": ahmed.id, "areas": ["climate-resilience",
                                                            "vulnerable-groups"]}] * 45)
    many = queries("/triage/?state=all")
    assert len(few) == len(many) <= 8
    assert len(queries("/triage/")) == len(few)  # "To do" is counted with the other tabs
    assert len(queries("/triage/?region=Europe&area=climate-resilience&q=language")) == len(few)
    # 48 match: listed, not counted to the end; the page's ids are read in order on their own,
    # and the tab shown is counted on its own.
    app.config["TRIAGE_SEARCH_COUNT_LIMIT"] = 10
    assert len(queries("/triage/?q=language&sort=waiting")) == len(few) + 1
    assert len(queries("/triage/?q=language&state=submitted")) == len(few) + 2


# --- a view is a link -------------------------------------------------------------------


def test_a_filtered_view_is_a_link_to_share(app, make_coordinator, sign_in):
    maria, client = coordinator(make_coordinator, sign_in)
    _ahmed, colleague = coordinator(make_coordinator, sign_in, email="ahmed@iom.example",
                                    name="Ahmed")
    add_pledges(app, *[{"country_code": "SN", "city": f"Dakar {i}"} for i in range(3)],
                {"country_code": "FR", "city": "Lyon"})
    url = "/triage/?region=Africa&sort=city&dir=asc&q=language"
    _response, html = page_of(client, url)

    assert shown_ids(colleague, url) == [int(i) for i in ROW.findall(html)]
    assert len(ROW.findall(html)) == 3
    # The form is a plain GET form, so it works without JavaScript and fills the URL.
    assert re.search(r'<form class="queue-filters" id="queue-filters" action="/triage/" '
                     r'method="get"', html)
    assert '<option selected value="Africa">Africa</option>' in html
    assert 'value="language"' in html
    for label in ("Search", "Action area", "Region", "Country", "Assigned to", "Sort by"):
        assert re.search(rf'<label class="label" for="\w+">{label}</label>', html)
    # Tabs, sort links and exports keep the filters.
    assert 'href="/triage/?state=submitted&amp;region=Africa&amp;q=language&amp;sort=city' \
           '&amp;dir=asc"' in html
    assert 'href="/triage/export.csv?region=Africa&amp;q=language&amp;sort=city&amp;dir=asc"' \
           in html


def test_with_htmx_only_the_results_are_sent(app, make_coordinator, sign_in):
    add_pledges(app, {"country_code": "SN"}, {"country_code": "FR"})
    _account, maria = coordinator(make_coordinator, sign_in)

    response, html = page_of(maria, "/triage/?region=Africa&region=&country=",
                             **{"HX-Request": "true"})
    assert "<html" not in html and "queue-filters" not in html
    assert len(ROW.findall(html)) == 1
    assert "HX-Request" in response.headers["Vary"]
    assert response.headers["HX-Push-Url"] == "/triage/?region=Africa"
    # The form's hidden state and sort fields, and the summary, follow out of band.
    assert 'id="queue-state" value="all" hx-swap-oob="true"' in html
    assert 'id="queue-sort-fields" hx-swap-oob="true"' in html
    assert '<p id="queue-summary" hx-swap-oob="innerHTML">1 pledge' in html

    response, html = page_of(maria, "/triage/?region=Africa")
    assert html.startswith("<!doctype html>") and "HX-Request" in response.headers["Vary"]
    assert 'hx-get="/triage/" hx-target="#queue-results" hx-push-url="true"' in html
    assert 'hx-trigger="change, input changed delay:500ms from:#q, submit"' in html
    assert '<div id="queue-results" hx-target="this" hx-push-url="true"' in html


@pytest.fixture(scope="module")
def one_pledge(seeded_app_factory):
    """A queue of one plain pledge, for the stories about what a link may hold."""
    return seeded_queue(seeded_app_factory, lambda app, _maria: add_pledges(app, {}))


@pytest.mark.parametrize("query", BAD_VALUES)
def test_bad_filter_values_are_left_out_never_an_error(one_pledge, query):
    maria = one_pledge.maria_signed_in()
    for url in (f"/triage/?{query}", f"/triage/export.csv?{query}"):
        response = maria.get(url)
        assert response.status_code == 200, (url, response.get_data(as_text=True)[:1500])
    response = maria.get(f"/triage/?{query}", headers={"HX-Request": "true"})
    assert response.status_code == 200


def test_a_value_not_understood_is_said_so(one_pledge):
    maria = one_pledge.maria_signed_in()
    _response, html = page_of(maria, "/triage/?region=Mars&page=two&sort=budget&state=draft")
    html = unescape(html)
    for message in ("There is no region “Mars”: that filter was left out.",
                    "“two” is not a page number: the first page is shown.",
                    "Pledges cannot be sorted by “budget”",
                    "There is no review state “draft” in the queue"):
        assert message in html
    assert len(ROW.findall(html)) == 1


def test_a_visitor_is_sent_to_sign_in(app, client):
    for url in ("/triage/", "/triage/export.csv", "/triage/export.xlsx"):
        response = client.get(url)
        assert response.status_code == 302 and "/login" in response.headers["Location"]
    visitor = ContactBrowser(client)
    token = visitor.csrf_token()  # any page's form token: the sign-in check comes next
    response = client.post("/triage/bulk", data={"csrf_token": token, "action": "assign"})
    assert response.status_code == 302 and "/login" in response.headers["Location"]


# --- bulk actions ---------------------------------------------------------------------------


def test_a_coordinator_assigns_several_pledges_at_once(app, make_coordinator, sign_in):
    maria, client = coordinator(make_coordinator, sign_in)
    ahmed = make_coordinator(email="ahmed@iom.example", name="Ahmed")
    first, second, third = add_pledges(app, {}, {}, {})

    response = client.bulk({"action": "assign", "assignee": str(ahmed.id),
                            "pledge_ids": [str(first), str(second)],
                            "return_to": "region=Europe&sort=city&dir=asc&page=1"})

    assert response.status_code == 303
    location = urlsplit(response.headers["Location"])
    assert location.path == "/triage/"
    assert parse_qs(location.query) == {"region": ["Europe"], "sort": ["city"], "dir": ["asc"]}
    assert "2 pledges changed." in flashes_after(client, response)
    assert [load(app, i).assignee_id for i in (first, second, third)] == [ahmed.id,
                                                                          ahmed.id, None]
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).filter_by(action="assigned")).all()
        assert {e.pledge_id for e in entries} == {first, second}
        assert {e.actor_label for e in entries} == {"Maria"}


def test_a_coordinator_removes_the_assignee_of_several_pledges(app, make_coordinator,
                                                               sign_in):
    maria, client = coordinator(make_coordinator, sign_in)
    first, second = add_pledges(app, {"assignee_id": maria.id}, {"assignee_id": maria.id})
    response = client.bulk({"action": "assign", "assignee": "none",
                            "pledge_ids": [str(first), str(second)]})
    assert "2 pledges changed." in flashes_after(client, response)
    assert load(app, first).assignee_id is None and load(app, second).assignee_id is None


def test_a_refused_move_is_reported_by_reference_and_the_others_are_made(
        app, make_coordinator, sign_in):
    _maria, client = coordinator(make_coordinator, sign_in)
    sent, accepted = add_pledges(app, {}, {"review_state": "accepted"})
    accepted_reference = load(app, accepted).reference

    response = client.bulk({"action": "state", "target": "in_review",
                            "pledge_ids": [str(sent), str(accepted)]})

    page = flashes_after(client, response)
    assert "1 pledge changed." in page
    assert (f"{accepted_reference} was not changed: A pledge that is “Accepted” cannot be "
            f"moved to “In review”.") in page
    assert load(app, sent).review_state == "in_review"
    assert load(app, sent).first_response_at is not None
    assert load(app, accepted).review_state == "accepted"


def test_a_pledge_changed_since_the_list_was_shown_is_left_alone(app, make_coordinator,
                                                                  sign_in):
    maria, client = coordinator(make_coordinator, sign_in)
    first, second = add_pledges(app, {}, {})
    with app.app_context():  # someone else assigns the first one meanwhile
        pledge = db.session.get(Pledge, first)
        actions.assign(pledge, None, actions.audit.SYSTEM)
        pledge.city = "Changed"
        db.session.commit()
    response = client.bulk({"action": "assign", "assignee": str(maria.id),
                            "pledge_ids": [str(first), str(second)],
                            "seen": [f"{first}:1", f"{second}:1"]})
    page = flashes_after(client, response)
    assert "1 pledge changed." in page
    assert "someone else changed it since your list was shown" in page
    assert load(app, first).assignee_id is None and load(app, second).assignee_id == maria.id


def test_two_coordinators_at_the_same_moment_get_a_conflict_and_nothing_is_saved(
        app, make_coordinator, sign_in, monkeypatch):
    maria, client = coordinator(make_coordinator, sign_in)
    first, second = add_pledges(app, {}, {})
    assign = actions.assign

    def assign_while_another_saves(pledge, assignee, actor, now=None):
        if pledge.id == second:  # another coordinator's save lands between read and write
            table = Pledge.__table__
            db.session.execute(table.update().where(table.c.id == second)
                               .values(version=table.c.version + 1))
        return assign(pledge, assignee, actor, now)

    monkeypatch.setattr(actions, "assign", assign_while_another_saves)
    response = client.bulk({"action": "assign", "assignee": str(maria.id),
                            "pledge_ids": [str(first), str(second)]})
    page = flashes_after(client, response)
    assert "Someone else changed one of these pledges at the same moment. Nothing was saved" \
        in page
    assert load(app, first).assignee_id is None and load(app, second).assignee_id is None


def test_bulk_without_a_choice_says_what_is_missing(app, make_coordinator, sign_in):
    _maria, client = coordinator(make_coordinator, sign_in)
    [pledge_id] = add_pledges(app, {})
    cases = [({"action": "assign", "assignee": str(pledge_id)}, "Select at least one pledge"),
             ({"action": "assign", "pledge_ids": str(pledge_id)}, "Choose who to assign"),
             ({"action": "state", "pledge_ids": str(pledge_id), "target": "merged"},
              "Choose the review state"),
             ({"action": "delete", "pledge_ids": str(pledge_id)}, "Choose what to do"),
             ({"action": "assign", "assignee": "none", "pledge_ids": ["abc", "²"]},
              "Select at least one pledge")]
    for data, message in cases:
        assert message in flashes_after(client, client.bulk(data))
    assert load(app, pledge_id).review_state == "submitted"


def test_bulk_goes_back_to_the_queue_only(app, make_coordinator, sign_in):
    _maria, client = coordinator(make_coordinator, sign_in)
    [pledge_id] = add_pledges(app, {})
    response = client.bulk({"action": "assign", "assignee": "none",
                            "pledge_ids": str(pledge_id),
                            "return_to": "https://evil.example/?region=Mars&next=//evil"})
    assert response.headers["Location"] == "/triage/"


def test_with_htmx_a_bulk_action_reloads_the_page(app, make_coordinator, sign_in):
    _maria, client = coordinator(make_coordinator, sign_in)
    [pledge_id] = add_pledges(app, {})
    response = client.bulk({"action": "state", "target": "in_review",
                            "pledge_ids": str(pledge_id), "return_to": "state=submitted"},
                       headers={"HX-Request": "true"})
    assert response.status_code == 200
    assert response.headers["HX-Redirect"] == "/triage/?state=submitted"


def test_a_partner_reads_the_queue_but_cannot_act_on_it(app, make_coordinator, sign_in):
    [pledge_id] = add_pledges(app, {})
    _partner, client = coordinator(make_coordinator, sign_in, email="p@mmc.example",
                                   role="partner", name="Partner")
    _response, html = page_of(client, "/triage/")
    assert len(ROW.findall(html)) == 1
    assert 'name="pledge_ids"' not in html and "Change the state" not in html
    response = client.bulk({"action": "state", "target": "accepted",
                            "pledge_ids": str(pledge_id)})
    assert response.status_code == 403
    assert load(app, pledge_id).review_state == "submitted"


def test_bulk_without_the_form_token_is_refused(app, make_coordinator, sign_in):
    _maria, client = coordinator(make_coordinator, sign_in)
    [pledge_id] = add_pledges(app, {})
    response = client.post("/triage/bulk", {"action": "state", "target": "accepted",
                                            "pledge_ids": str(pledge_id)}, token=False)
    assert response.status_code == 400
    assert load(app, pledge_id).review_state == "submitted"


def test_the_bulk_form_carries_the_view_and_the_rows_versions(app, make_coordinator, sign_in):
    [pledge_id] = add_pledges(app, {})
    _maria, client = coordinator(make_coordinator, sign_in)
    _response, html = page_of(client, "/triage/?region=Europe&sort=city")
    assert '<form action="/triage/bulk" method="post" id="queue-bulk"' in html
    assert f'<input type="hidden" name="seen" value="{pledge_id}:1">' in html
    assert 'name="return_to" value="region=Europe&amp;sort=city&amp;dir=asc"' in html
    assert f'<label for="select-{pledge_id}"><span class="visually-hidden">Select CTA-' in html


# --- exports --------------------------------------------------------------------------------


def export_rows(client, url):
    response = client.get(url)
    assert response.status_code == 200
    return response


def csv_rows(response):
    text = response.get_data().decode("utf-8")
    assert text.startswith("\ufeff")
    return list(csv.reader(io.StringIO(text[1:])))


def xlsx_rows(response):
    sheet = load_workbook(io.BytesIO(response.get_data()), read_only=True).active
    return [["" if cell is None else cell for cell in row] for row in
            sheet.iter_rows(values_only=True)]


def test_exports_hold_exactly_the_filtered_pledges_of_every_page(app, make_coordinator,
                                                                  sign_in, monkeypatch):
    monkeypatch.setattr(queue_query, "EXPORT_BATCH", 7)  # read and written in several batches
    europe = add_pledges(app, *[{"country_code": "DE", "city": f"Berlin {i}",
                                 "gcm_objectives": ["15", "16"], "gcr_objectives": ["2"]}
                                for i in range(55)])
    add_pledges(app, *[{"country_code": "SN"} for _ in range(4)])
    _account, maria = coordinator(make_coordinator, sign_in)
    query = "region=Europe&sort=city&dir=asc&page=2"

    response = export_rows(maria, f"/triage/export.csv?{query}")
    assert response.mimetype == "text/csv"
    assert 'attachment; filename="pledges-' in response.headers["Content-Disposition"]
    rows = csv_rows(response)
    header, body = rows[0], rows[1:]
    assert header[:3] == ["Reference", "City", "Country"] and "GCM objectives" in header
    assert len(body) == 55
    with app.app_context():
        references = {db.session.get(Pledge, i).reference for i in europe}
    assert {row[0] for row in body} == references
    assert [row[1] for row in body] == sorted(row[1] for row in body)  # the queue's order
    first = dict(zip(header, body[0], strict=True))
    assert first["Country"] == "Germany" and first["Region"] == "Europe"
    assert first["Action areas"] == "Migration Governance"
    assert first["GCM objectives"] == "15, 16" and first["GCR objectives"] == "2"
    assert first["Review state"] == "Submitted" and first["Implementation stage"] == "Planning"

    response = export_rows(maria, f"/triage/export.xlsx?{query}")
    assert response.mimetype.endswith("spreadsheetml.sheet")
    assert xlsx_rows(response) == [[int(v) if v.isdigit() and column == 10 else v
                                    for column, v in enumerate(row)] for row in rows]


def test_an_export_of_a_real_pledge_reads_back_as_sent(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    [header, row] = csv_rows(export_rows(maria, "/triage/export.csv"))
    exported = dict(zip(header, row, strict=True))
    assert exported["Reference"] == load(app, pledge_id).reference
    assert exported["City"] == "São Paulo" and exported["Country"] == "Brazil"
    assert exported["Title"] == "Welcome centre for newcomers"
    assert exported["Action areas"] == "Access to Essential Services; Inclusion and Social " \
                                       "Cohesion"
    [xlsx_header, xlsx_row] = xlsx_rows(export_rows(maria, "/triage/export.xlsx"))
    assert dict(zip(xlsx_header, xlsx_row, strict=True))["City"] == "São Paulo"


def test_cells_a_spreadsheet_would_run_as_formulas_are_neutralised(app, make_coordinator,
                                                                    sign_in):
    add_pledges(app, {"city": "=HYPERLINK(\"http://evil.example\",\"x\")", "title": "+SUM(A1)",
                      "summary": "x"},
                {"city": "@cmd", "title": "-2+3"}, {"city": "Plain", "title": "Fine = good"})
    _account, maria = coordinator(make_coordinator, sign_in)
    rows = csv_rows(export_rows(maria, "/triage/export.csv?sort=city"))[1:]
    cities_titles = {(row[1], row[5]) for row in rows}
    assert cities_titles == {("'=HYPERLINK(\"http://evil.example\",\"x\")", "'+SUM(A1)"),
                             ("'@cmd", "'-2+3"), ("Plain", "Fine = good")}

    sheet = load_workbook(io.BytesIO(export_rows(maria, "/triage/export.xlsx").get_data())).active
    cells = [cell for row in sheet.iter_rows(min_row=2) for cell in row[:6]]
    assert all(cell.data_type != "f" for cell in cells)
    assert {cell.value for cell in cells} >= {"'=HYPERLINK(\"http://evil.example\",\"x\")",
                                              "'+SUM(A1)", "'@cmd", "'-2+3"}


def test_a_control_character_cannot_hide_a_formula_in_the_spreadsheet(app, make_coordinator,
                                                                      sign_in):
    add_pledges(app, {"city": "\x07=1+1", "title": "Bell\x01"})
    _account, maria = coordinator(make_coordinator, sign_in)
    sheet = load_workbook(io.BytesIO(export_rows(maria, "/triage/export.xlsx").get_data())).active
    city, title = sheet["B2"], sheet["F2"]
    assert (city.value, city.data_type, title.value) == ("'=1+1", "s", "Bell")
    [_header, row] = csv_rows(export_rows(maria, "/triage/export.csv"))
    assert row[1] == "\x07=1+1"  # a spreadsheet does not run it: it does not start with "="


# --- in a real browser ----------------------------------------------------------------------


@pytest.mark.browser
def test_with_javascript_filters_update_the_results_in_place(app, contact_factory, live_server,
                                                             make_coordinator):
    add_pledges(app, {"city": "Dakar", "country_code": "SN"},
                {"city": "Accra", "country_code": "GH", "review_state": "accepted"},
                {"city": "Lyon", "country_code": "FR", "summary": "Accueil des réfugiés"})
    contact = coordinator_at_the_queue(contact_factory, make_coordinator, javascript=True)
    page = contact.page
    page.evaluate("window.__noReload = true")

    page.select_option("#region", "Africa")
    expect(page.locator("#queue-summary")).to_have_text(re.compile("^2 pledges"))
    assert shown_cities(page) == ["Accra", "Dakar"]
    assert contact.path == "/triage/?region=Africa"

    page.get_by_role("link", name=re.compile("^Accepted")).click()
    expect(page.locator("#queue-summary")).to_have_text(re.compile("^1 pledge"))
    assert shown_cities(page) == ["Accra"]
    assert page.input_value("#queue-state") == "accepted"  # the form follows the tab
    page.select_option("#region", "")  # every region again, still on the tab
    expect(page.locator("#queue-tabs a").nth(1)).to_have_text("All 3")
    expect(page.locator("#queue-tabs a[aria-current=page]")).to_have_text("Accepted 1")
    page.wait_for_url(re.compile(r"/triage/\?state=accepted$"))

    page.get_by_role("link", name=re.compile("^All")).click()
    expect(page.locator("#queue-summary")).to_have_text(re.compile("^3 pledges"))
    page.fill("#q", "réfug")
    expect(page.locator("#queue-summary")).to_have_text(re.compile("^1 pledge"))
    assert shown_cities(page) == ["Lyon"]
    assert page.input_value("#q") == "réfug"  # the search box was not replaced
    assert page.evaluate("window.__noReload === true"), "a full page load happened"


@pytest.mark.browser
def test_without_javascript_the_form_and_the_bulk_actions_work(app, contact_factory,
                                                               live_server, make_coordinator):
    dakar, accra = add_pledges(app, {"city": "Dakar", "country_code": "SN"},
                               {"city": "Accra", "country_code": "GH"})
    add_pledges(app, {"city": "Lyon", "country_code": "FR"})
    contact = coordinator_at_the_queue(contact_factory, make_coordinator, javascript=False)
    page = contact.page

    page.select_option("#region", "Africa")
    page.get_by_role("button", name="Show the pledges").click()
    page.wait_for_url(re.compile(r"region=Africa"))
    assert shown_cities(page) == ["Accra", "Dakar"]

    page.check(f"#select-{dakar}")
    page.check(f"#select-{accra}")
    page.select_option("#bulk-assignee", label="Maria")
    page.get_by_role("button", name="Assign", exact=True).click()
    expect(page.locator(".notice")).to_have_text("2 pledges changed.")
    assert "region=Africa" in contact.path
    assert load(app, dakar).assignee_id is not None and load(app, accra).assignee_id is not None
