"""The register's open data: an Atom feed that feed readers parse, CSV and JSON downloads that
hold exactly the published pledges with exactly the columns the data dictionary names, and a
stated licence."""
import csv
import io
import json
from datetime import datetime, timezone

import feedparser
import pytest

from intake.register import queries
from intake.register.open_data import COLUMN_NAMES, REPORT_FIELDS

from .support.register import pledge_id, sent_report, stored_pledge
from .support.sql import sql_sent


@pytest.fixture
def register(app):
    published = [stored_pledge(app, city="Lyon"),
                 stored_pledge(app, city="Dakar", country="SN", co_cities=[("Thiès", "SN")],
                               support_sought=["funding", "data"], gcm_objectives=[2, 15]),
                 stored_pledge(app, city="Quito", country="EC", ongoing=True)]
    hidden = [stored_pledge(app, city="Nantes", consent_publish=False),
              stored_pledge(app, city="Rennes", review_state="withdrawn"),
              stored_pledge(app, city="Brest", review_state="submitted")]
    report = sent_report(app, published[1], sent_at=datetime(2026, 11, 1, tzinfo=timezone.utc))
    sent_report(app, published[1], state="draft", done="A draft the city has not sent.")
    return {"published": published, "hidden": hidden, "report": report}


def parsed_csv(client):
    response = client.get("/register/pledges.csv")
    assert response.status_code == 200 and response.is_streamed
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return list(csv.reader(io.StringIO(response.get_data(as_text=True).lstrip("\ufeff"))))


def parsed_json(client):
    response = client.get("/register/pledges.json")
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/json"
    return json.loads(response.get_data(as_text=True))


def test_the_feed_is_atom_with_new_pledges_and_reports_newest_first(app, client, register):
    response = client.get("/register/feed.atom")
    assert response.mimetype == "application/atom+xml"
    feed = feedparser.parse(response.get_data())
    assert feed.version == "atom10" and not feed.bozo
    ids = [entry.id for entry in feed.entries]
    dakar = f"http://pledges.test/register/{register['published'][1]}"
    assert ids[0] == f"{dakar}#report-{register['report']}"  # the newest
    assert set(ids[1:]) == {f"http://pledges.test/register/{reference}"
                            for reference in register["published"]}
    assert [entry.updated_parsed for entry in feed.entries] == sorted(
        (entry.updated_parsed for entry in feed.entries), reverse=True)
    assert all(entry.link.startswith("http://pledges.test/register/") for entry in feed.entries)
    assert not any(reference in response.get_data(as_text=True)
                   for reference in register["hidden"])


def test_feed_entries_keep_their_ids_as_new_ones_arrive(app, client, register):
    before = {entry.id for entry in feedparser.parse(client.get("/register/feed.atom").data)
              .entries}
    stored_pledge(app, city="Porto", country="PT", accepted_at=datetime(2026, 12, 1,
                                                                       tzinfo=timezone.utc))
    after = feedparser.parse(client.get("/register/feed.atom").data)
    assert before < {entry.id for entry in after.entries}
    assert "Porto" in after.entries[0].title


def test_the_feed_keeps_the_newest_fifty_entries(app, client):
    for number in range(53):
        stored_pledge(app, city=f"City {number}")
    feed = feedparser.parse(client.get("/register/feed.atom").data)
    assert len(feed.entries) == 50 and not feed.bozo


def test_an_empty_register_has_a_valid_feed(client):
    feed = feedparser.parse(client.get("/register/feed.atom").data)
    assert feed.version == "atom10" and not feed.bozo and feed.entries == []


def test_register_pages_name_their_feed(client, register):
    for path in ("/register", f"/register/{register['published'][0]}", "/register/data"):
        page = client.get(path).get_data(as_text=True)
        assert '<link rel="alternate" type="application/atom+xml" href="/register/feed.atom"' \
            in page


def test_the_csv_holds_exactly_the_published_pledges_with_the_dictionary_s_columns(
        client, register):
    header, *rows = parsed_csv(client)
    assert tuple(header) == COLUMN_NAMES
    assert sorted(row[0] for row in rows) == sorted(register["published"])
    dakar = dict(zip(header, next(r for r in rows if r[0] == register["published"][1]),
                     strict=True))
    assert dakar["support_sought"] == "funding; data"
    assert dakar["co_pledging_cities"] == "Thiès (SN)"
    assert dakar["gcm_objectives"] == "2; 15"
    [report] = json.loads(dakar["progress_reports"])
    assert set(report) == {field.name for field in REPORT_FIELDS}
    assert report["sent_on"] == "2026-11-01"


def test_the_json_holds_exactly_the_published_pledges_with_the_dictionary_s_columns(
        client, register):
    data = parsed_json(client)
    assert data["metadata"]["licence"] == {
        "name": "CC BY 4.0", "url": "https://creativecommons.org/licenses/by/4.0/"}
    assert data["metadata"]["columns"] == list(COLUMN_NAMES)
    assert data["metadata"]["data_dictionary"] == "http://pledges.test/register/data"
    assert sorted(p["reference"] for p in data["pledges"]) == sorted(register["published"])
    assert all(tuple(p) == COLUMN_NAMES for p in data["pledges"])
    quito = next(p for p in data["pledges"] if p["city"] == "Quito")
    assert quito["ongoing"] is True and quito["progress_reports"] == []
    dakar = next(p for p in data["pledges"] if p["city"] == "Dakar")
    assert dakar["gcm_objectives"] == [2, 15]
    assert [r["done"] for r in dakar["progress_reports"]] == ["The centre opened."]


def test_the_downloads_read_in_batches_hold_every_published_pledge_once(app, client,
                                                                        monkeypatch):
    references = [stored_pledge(app, city=f"City {n}") for n in range(7)]
    stored_pledge(app, city="Hidden", consent_publish=False)
    monkeypatch.setattr(queries, "BATCH", 2)
    pledges = parsed_json(client)["pledges"]
    assert [p["reference"] for p in pledges] == references
    assert [row[0] for row in parsed_csv(client)[1:]] == references


def test_a_csv_cell_never_runs_as_a_spreadsheet_formula(app, client):
    stored_pledge(app, city="=HYPERLINK(\"http://evil.example\")", title="+SUM(A1:A9)",
                  summary="@cmd", support_details="-2+3")
    header, row = parsed_csv(client)
    cells = dict(zip(header, row, strict=True))
    assert cells["city"].startswith("'=") and cells["title"] == "'+SUM(A1:A9)"
    assert cells["summary"] == "'@cmd" and cells["support_details"] == "'-2+3"


def test_the_data_dictionary_names_every_column_with_its_meaning_type_and_example(client):
    page = client.get("/register/data").get_data(as_text=True)
    for name in COLUMN_NAMES + tuple(field.name for field in REPORT_FIELDS):
        assert f"<code>{name}</code>" in page
    assert "CC BY 4.0" in page and 'rel="license"' in page


def test_the_licence_is_a_setting_shown_on_the_register_and_in_the_json(app, client):
    app.config["REGISTER_LICENCE"] = "CC0 1.0"
    app.config["REGISTER_LICENCE_URL"] = "https://creativecommons.org/publicdomain/zero/1.0/"
    assert "CC0 1.0" in client.get("/register").get_data(as_text=True)
    assert "CC0 1.0" in client.get("/register/data").get_data(as_text=True)
    assert parsed_json(client)["metadata"]["licence"]["name"] == "CC0 1.0"


def test_a_download_is_streamed_even_to_a_client_that_accepts_gzip(app, client):
    stored_pledge(app, city="Lyon")
    response = client.get("/register/pledges.json", headers={"Accept-Encoding": "gzip"})
    assert response.is_streamed and "Content-Encoding" not in response.headers
    assert pledge_id(app, json.loads(response.get_data())["pledges"][0]["reference"])


def test_a_download_runs_the_same_queries_for_each_batch_whatever_the_pledges(app, client,
                                                                              monkeypatch):
    for n in range(6):
        sent_report(app, stored_pledge(app, city=f"City {n}", co_cities=[("Other", "FR")]))
    monkeypatch.setattr(queries, "BATCH", 2)
    with sql_sent(app) as statements:
        assert len(parsed_json(client)["pledges"]) == 6
    # Per batch of 2: the pledges, their areas, their co-pledging cities, their reports; then
    # the query that finds no more.
    assert len([s for s in statements if not s.startswith(("BEGIN", "SAVEPOINT"))]) == 3 * 4 + 1
