"""The public register: anyone, signed in or not, finds the published pledges, filters and
searches them, pages and sorts them, with or without JavaScript, and opens a pledge's page at
its stable address."""
import re
from datetime import datetime, timezone

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from markupsafe import escape

from intake.triage.queue_query import search_text

from .support.register import references_listed, sent_report, stored_pledge
from .support.sql import sql_sent

CSRF = re.compile(r'"X-CSRFToken": "[^"]+"|name="csrf_token" (?:type="hidden" )?value="[^"]+"')


def listed(client, query=""):
    response = client.get("/register" + query)
    assert response.status_code == 200
    return references_listed(response.get_data(as_text=True))


def test_the_register_shows_accepted_pledges_whose_city_consented_and_nothing_else(app, client):
    published = stored_pledge(app, city="Lyon")
    stored_pledge(app, city="Nantes", consent_publish=False)
    for state in ("submitted", "in_review", "information_requested", "declined", "withdrawn",
                  "merged"):
        stored_pledge(app, city=f"City {state}", review_state=state)
    assert listed(client) == [published]


def test_anyone_opens_the_register_from_the_home_page_and_the_site_navigation(app, client):
    home = client.get("/").get_data(as_text=True)
    assert 'id="register-link"' in home and 'href="/register"' in home
    assert 'class="public-nav"' in client.get("/pledge/step/city").get_data(as_text=True)


FILTERED = [
    ("?area=climate-resilience", "Dakar"),
    ("?region=Africa", "Dakar"),
    ("?country=sn", "Dakar"),
    ("?stage=in-progress", "Dakar"),
    ("?support=funding", "Dakar"),
    ("?objective=gcm-15", "Dakar"),
    ("?objective=gcr-2", "Dakar"),
    ("?q=dakar", "Dakar"),
    ("?q=sao", "São Paulo"),  # accent-insensitive, as the queue's search
    ("?q=bibliotheque", "São Paulo"),  # a word of the summary
    ("?q=mangroves", "Dakar"),  # a word of the title
    ("?region=Africa&support=funding&q=mangroves", "Dakar"),
]


@pytest.fixture
def three_cities(app):
    return {
        "Dakar": stored_pledge(app, city="Dakar", country="SN", areas=("climate-resilience",),
                               implementation_stage="in-progress", support_sought=["funding"],
                               gcm_objectives=[15], gcr_objectives=[2],
                               title="Mangroves against floods"),
        "São Paulo": stored_pledge(app, city="São Paulo", country="BR",
                                   summary="Une bibliothèque pour les nouveaux arrivants.",
                                   support_sought=["technical"], gcm_objectives=[16]),
        "Lyon": stored_pledge(app, city="Lyon", country="FR"),
    }


@pytest.mark.parametrize(("query", "city"), FILTERED)
def test_each_filter_and_the_search_narrow_the_register(client, three_cities, query, city):
    assert listed(client, query) == [three_cities[city]]


def test_a_filter_the_register_does_not_know_is_left_out(client, three_cities):
    assert len(listed(client, "?area=nowhere&region=Atlantis&sort=random&page=x")) == 3


def test_nothing_matches_says_so_with_a_way_back(client, three_cities):
    page = client.get("/register?q=zeppelin").get_data(as_text=True)
    assert "No published pledge matches these filters." in page
    assert 'id="register-empty"' in page


def test_the_filter_form_shows_the_filters_of_the_address(client, three_cities):
    page = client.get("/register?region=Africa&q=mangroves").get_data(as_text=True)
    assert re.search(r'<option selected value="Africa">|<option value="Africa" selected>', page)
    assert 'value="mangroves"' in page


def day(month):
    return datetime(2026, month, 1, tzinfo=timezone.utc)


def test_sorting_newest_first_by_city_and_by_the_latest_report(app, client):
    oldest = stored_pledge(app, city="Zagreb", accepted_at=day(1))
    middle = stored_pledge(app, city="Accra", accepted_at=day(2))
    newest = stored_pledge(app, city="Medellín", accepted_at=day(3))
    sent_report(app, oldest, sent_at=day(6))
    sent_report(app, middle, sent_at=day(5))
    assert listed(client) == [newest, middle, oldest]
    assert listed(client, "?sort=city") == [middle, newest, oldest]
    assert listed(client, "?sort=reported") == [oldest, middle, newest]  # never reported last


def test_pages_of_the_register_hold_every_pledge_once(app, client):
    app.config["REGISTER_PAGE_SIZE"] = 2
    references = [stored_pledge(app, city=f"City {n}") for n in range(5)]
    seen = listed(client) + listed(client, "?page=2") + listed(client, "?page=3")
    assert sorted(seen) == sorted(references)
    page = client.get("/register?page=2").get_data(as_text=True)
    assert "Page 2 of 3" in page and 'rel="next"' in page and 'rel="prev"' in page
    assert listed(client, "?page=99") == listed(client, "?page=3")  # past the end: the last


@pytest.mark.parametrize("sort", ["", "city", "reported"])
def test_every_page_follows_the_one_before_in_every_order_ties_included(app, client, sort):
    """The back half of the register is read from the other end of its index: the pages
    still follow each other, each pledge once, with ties (same day, same city, never
    reported) broken the same way on every page."""
    app.config["REGISTER_PAGE_SIZE"] = 2
    references = [stored_pledge(app, city=("Accra", "Lima")[n % 2], accepted_at=day(1 + n % 3))
                  for n in range(7)]
    for reference in references[:3]:
        sent_report(app, reference, sent_at=day(4))
    query = f"?sort={sort}&" if sort else "?"
    whole = listed(client, f"{query}page=1") + listed(client, f"{query}page=2") + \
        listed(client, f"{query}page=3") + listed(client, f"{query}page=4")
    assert sorted(whole) == sorted(references)
    app.config["REGISTER_PAGE_SIZE"] = 7  # one page, read from the front
    assert listed(client, query.rstrip("?&")) == whole


def test_the_filters_live_in_the_page_links(app, client):
    app.config["REGISTER_PAGE_SIZE"] = 1
    for n in range(3):
        stored_pledge(app, city=f"Dakar {n}", country="SN")
    page = client.get("/register?country=SN&sort=city").get_data(as_text=True)
    assert "/register?country=SN&amp;sort=city&amp;page=2" in page


def test_htmx_gets_the_results_alone_and_a_plain_request_the_whole_page(app, client,
                                                                        three_cities):
    full = client.get("/register?region=Africa")
    swapped = client.get("/register?region=Africa", headers={"HX-Request": "true"})
    assert "<html" in full.get_data(as_text=True)
    body = swapped.get_data(as_text=True)
    assert "<html" not in body and 'id="register-summary"' in body
    assert references_listed(body) == [three_cities["Dakar"]]
    assert swapped.headers["HX-Push-Url"] == "/register?region=Africa"
    assert "HX-Request" in full.headers["Vary"] and "HX-Request" in swapped.headers["Vary"]
    # The whole page includes the same results partial, and its form works without JavaScript.
    assert 'id="register-results"' in full.get_data(as_text=True)
    assert 'action="/register" method="get"' in full.get_data(as_text=True)


def test_a_history_restore_gets_the_whole_page(client, three_cities):
    restored = client.get("/register", headers={"HX-Request": "true",
                                                "HX-History-Restore-Request": "true"})
    assert "<html" in restored.get_data(as_text=True)


def test_a_pledge_has_a_citable_page_with_its_text_marked_in_its_language(app, client):
    reference = stored_pledge(app, city="Montréal", country="CA", language="fr",
                              title="Accueil des nouveaux arrivants",
                              co_cities=[("Laval", "CA")], gcm_objectives=[16])
    sent_report(app, reference, done="Le centre a ouvert.", language="fr")
    response = client.get(f"/register/{reference}")
    page = response.get_data(as_text=True)
    assert response.status_code == 200
    assert f"http://pledges.test/register/{reference}" in page
    assert re.search(r'<div lang="fr" id="pledge-text">', page)
    assert "Laval" in page and "Le centre a ouvert." in page and "Mayor of Montréal" in page
    assert 'type="application/atom+xml"' in page
    assert client.get(f"/register/{reference.lower()}").status_code == 200


def test_an_unknown_and_an_unpublished_reference_get_the_same_not_found_page(app, client):
    unpublished = stored_pledge(app, city="Nantes", consent_publish=False)
    declined = stored_pledge(app, city="Rennes", review_state="declined")
    references = (unpublished, declined, "CTA-2026-9999")
    answers = [client.get(f"/register/{reference}") for reference in references]
    assert {answer.status_code for answer in answers} == {404}
    # Alike but for the address asked (which the language switch comes back to) and the
    # form token of the session.
    bodies = {CSRF.sub("", answer.get_data(as_text=True).replace(reference, "REFERENCE"))
              for answer, reference in zip(answers, references, strict=True)}
    assert len(bodies) == 1
    assert "No published pledge at this address" in bodies.pop()


def test_the_not_found_page_is_in_the_reader_s_language(client):
    page = client.get("/register/CTA-2026-9999", headers={"Accept-Language": "fr"})
    assert page.status_code == 404
    assert '<html lang="fr">' in page.get_data(as_text=True)
    assert 'href="/register"' in page.get_data(as_text=True)


def test_a_register_page_runs_the_same_queries_for_two_rows_as_for_twenty(app, client):
    for n in range(20):
        reference = stored_pledge(app, city=f"City {n}", areas=("essential-services",
                                                                 "vulnerable-groups"))
        sent_report(app, reference)
    counts = {}
    for size in (2, 20):
        app.config["REGISTER_PAGE_SIZE"] = size
        client.get("/register")  # the first request of a size warms up, unmeasured
        with sql_sent(app) as statements:
            assert len(listed(client)) == size
        counts[size] = len(statements)
    assert counts[2] == counts[20] <= 4


def test_register_answers_must_be_revalidated_by_any_cache(client, three_cities):
    for path in ("/register", f"/register/{three_cities['Lyon']}", "/register/data",
                 "/register/feed.atom"):
        assert client.get(path).headers["Cache-Control"] == "no-cache"


@settings(max_examples=40, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(q=st.text(max_size=250), area=st.text(max_size=30), country=st.text(max_size=4),
       objective=st.text(max_size=8), sort=st.text(max_size=10), page=st.text(max_size=12))
def test_any_query_string_gets_the_register_never_a_server_error(client, three_cities, q, area,
                                                                 country, objective, sort,
                                                                 page):
    response = client.get("/register", query_string={
        "q": q, "area": area, "country": country, "objective": objective, "sort": sort,
        "page": page})
    assert response.status_code == 200
    kept = search_text(q)
    if kept and str(escape(kept)) == kept:  # shown back in the search box, escaped
        assert f'value="{kept}"' in response.get_data(as_text=True)


def test_what_a_city_typed_is_shown_escaped_and_evidence_links_open_only_the_web(app, client):
    attack = '<script>alert("x")</script><b onmouseover="x">'
    reference = stored_pledge(app, city="Lyon", title=attack, summary=attack)
    sent_report(app, reference, evidence_links=["javascript:alert(1)", "https://ok.example/r"])
    for path in ("/register", f"/register/{reference}"):
        page = client.get(path).get_data(as_text=True)
        assert "<script>alert" not in page and "<b onmouseover" not in page
        assert str(escape('<script>alert("x")</script>')) in page
    page = client.get(f"/register/{reference}").get_data(as_text=True)
    assert 'href="javascript:' not in page and 'href="https://ok.example/r"' in page


def test_a_filter_matching_very_many_pledges_is_counted_up_to_a_limit(app, client):
    app.config.update(REGISTER_COUNT_LIMIT=3, REGISTER_PAGE_SIZE=2)
    for n in range(5):
        stored_pledge(app, city=f"Dakar {n}", country="SN")
    page = client.get("/register?country=SN").get_data(as_text=True)
    assert "More than 3 published pledges match these filters" in page
    assert "Page 1 of 2" in page
    assert len(listed(client, "?country=SN") + listed(client, "?country=SN&page=2")) == 3
    assert "5 published pledges;" in client.get("/register").get_data(as_text=True)
