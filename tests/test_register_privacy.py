"""The register never holds personal data: pledges sent through the real form by focal points
with distinctive names, addresses and phones, accepted by a coordinator who wrote internal
notes and asked questions, then every register page, the feed and both downloads are read for
any of it. A city that stops the publication of its pledge, or withdraws it, takes it out of
all of them at once (the feed's ETag included)."""
import re

import pytest
from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEntry, InformationRequest, Pledge, SupportOffer
from intake.pledges import actions
from intake.pledges.audit import Actor

from .support.browser import Browser
from .support.register import sent_report
from .support.triage import sent_pledge, tracker_path

CONTACTS = [
    {"city": "Lyon", "country": "FR", "focal_name": "Zéphyrine Quillfeather",
     "focal_role": "Cheffe de la Quillerie", "focal_email": "zephyrine.quill@mairie-lyon.example",
     "focal_phone": "+33 4 72 10 30 30"},
    {"city": "Dakar", "country": "SN", "focal_name": "Thaddeus Okonkwo-Birch",
     "focal_role": "Head of Birchwork", "focal_email": "t.okonkwo-birch@ville-dakar.example",
     "focal_phone": "+221 33 849 77 01"},
    {"city": "Bogotá", "country": "CO", "focal_name": "Ximena Arrowroot",
     "focal_role": "Directora de Arrurruz", "focal_email": "ximena.arrowroot@bogota.example",
     "focal_phone": "+57 601 381 3000"},
]
COORDINATOR = "Quentin Marbleworth"
NOTE = "Internal: the deputy mayor prefers we wait for the budget vote (zebra-nimbus)."
QUESTION = "Internal question about the marmalade-quokka procurement?"
PARTNER_OFFER = {"organisation": "Fondation Orme", "kind": "funding",
                 "offer": "A grant (offer text kept private: walrus-lantern).",
                 "contact_name": "Ottoline Vexbridge", "contact_email": "o.vexbridge@orme.example",
                 "language": "fr"}


class CityBrowser(Browser):
    """The city on its private status page, without JavaScript."""

    def __init__(self, client, path):
        super().__init__(client)
        self.path = path

    def publication(self, choice):
        self.get(self.path)
        return self.post(f"{self.path}/publication", {"choice": choice})

    def withdraw(self):
        self.get(self.path)
        return self.post(f"{self.path}/withdraw", {"confirm": "y", "reason": "Budget cut."})


def accept(app, pledge_id, coordinator_id):
    actor = Actor("coordinator", coordinator_id, COORDINATOR)
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        actions.add_note(pledge, NOTE, actor)
        actions.request_information(pledge, QUESTION, actor)
        actions.change_review_state(pledge, "accepted", actor,
                                    message="Welcome aboard, Zéphyrine Quillfeather.")
        db.session.commit()
        return pledge.reference


@pytest.fixture
def world(app, make_coordinator):
    coordinator = make_coordinator(email="quentin@uclg.example", name=COORDINATOR)
    pledges = {}
    for contact in CONTACTS:
        pledge_id = sent_pledge(app, city=dict(contact), pledge={"title": f"Welcome centre of "
                                                                 f"{contact['city']}"})
        pledges[contact["city"]] = {"id": pledge_id,
                                    "reference": accept(app, pledge_id, coordinator.id)}
    sent_report(app, pledges["Lyon"]["reference"], done="Opened the centre.")
    with app.app_context():  # a partner's offer: its contact is never public either
        db.session.add(SupportOffer(pledge_id=pledges["Dakar"]["id"], **PARTNER_OFFER))
        db.session.commit()
    return pledges


def forbidden_strings():
    found = [COORDINATOR, NOTE, QUESTION, "zebra-nimbus", "marmalade-quokka", "Welcome aboard",
             "walrus-lantern", PARTNER_OFFER["contact_name"], PARTNER_OFFER["contact_email"]]
    for contact in CONTACTS:
        found += [contact["focal_name"], contact["focal_role"], contact["focal_email"],
                  contact["focal_phone"], contact["focal_phone"].replace(" ", "")]
        found += contact["focal_name"].split()
    return found


def every_register_answer(app, client):
    """{what: text} of every list page (one pledge a page), each pledge page linked from the
    list and its offer page, the support sought, the data page, the feed and both
    downloads."""
    app.config["REGISTER_PAGE_SIZE"] = 1
    answers, url = {}, "/register"
    while url:
        text = client.get(url.replace("&amp;", "&")).get_data(as_text=True)
        answers[url] = text
        following = re.search(r'<a href="([^"]+)" hx-get="[^"]+" rel="next">', text)
        url = following.group(1) if following else None
    linked = re.findall(r'href="/register/(CTA-\d{4}-\d{4})"', " ".join(answers.values()))
    for reference in set(linked):
        answers[reference] = client.get(f"/register/{reference}").get_data(as_text=True)
        offer_page = f"/register/{reference}/offer-support"
        answers[offer_page] = client.get(offer_page).get_data(as_text=True)
    answers["htmx"] = client.get("/register", headers={"HX-Request": "true"}).get_data(
        as_text=True)
    for path in ("/register/support-sought", "/register/data", "/register/feed.atom",
                 "/register/pledges.csv", "/register/pledges.json"):
        answers[path] = client.get(path).get_data(as_text=True)
    return answers


def leaks(answers):
    return sorted({(where, word) for where, text in answers.items()
                   for word in forbidden_strings() if word.casefold() in text.casefold()})


def test_no_register_page_feed_or_download_holds_a_contact_a_note_or_a_coordinator(
        app, client, world):
    answers = every_register_answer(app, client)
    assert leaks(answers) == []
    for pledge in world.values():  # and the pledges themselves are there, everywhere
        for path in ("/register/feed.atom", "/register/pledges.csv", "/register/pledges.json"):
            assert pledge["reference"] in answers[path]
        assert pledge["reference"] in answers
    assert "Opened the centre." in answers[world["Lyon"]["reference"]]
    with app.app_context():  # the seeding did write what the scan looked for
        assert db.session.scalar(select(InformationRequest.questions)) == QUESTION


def appears_anywhere(app, client, reference):
    """Where the register shows this pledge: the list, its page, the feed, the downloads."""
    places = {"list": client.get("/register").get_data(as_text=True),
              "feed": client.get("/register/feed.atom").get_data(as_text=True),
              "csv": client.get("/register/pledges.csv").get_data(as_text=True),
              "json": client.get("/register/pledges.json").get_data(as_text=True),
              "support sought": client.get("/register/support-sought").get_data(as_text=True)}
    shown = {place for place, text in places.items() if reference in text}
    if client.get(f"/register/{reference}").status_code == 200:
        shown.add("page")
    return shown


EVERYWHERE = {"list", "feed", "csv", "json", "page", "support sought"}


def test_a_city_that_stops_publishing_its_pledge_leaves_the_register_at_once_and_may_return(
        app, client, world):
    lyon = world["Lyon"]
    city = CityBrowser(app.test_client(), tracker_path(app, lyon["id"]))
    assert appears_anywhere(app, client, lyon["reference"]) == EVERYWHERE
    city.get(city.path)
    assert "Stop publishing my pledge" in city.text

    assert city.publication("stop").status_code == 303
    assert appears_anywhere(app, client, lyon["reference"]) == set()
    assert appears_anywhere(app, client, world["Dakar"]["reference"]) == EVERYWHERE
    city.get(city.path)
    assert "Your pledge is no longer published in the public register." in city.text
    assert "Publish my pledge" in city.text

    city.publication("publish")
    assert appears_anywhere(app, client, lyon["reference"]) == EVERYWHERE
    with app.app_context():
        moves = db.session.scalars(select(AuditEntry.action).where(
            AuditEntry.pledge_id == lyon["id"], AuditEntry.action.like("publication_%"))
            .order_by(AuditEntry.id)).all()
    assert moves == ["publication_consent_withdrawn", "publication_consent_given"]


def test_a_second_click_changes_nothing_more(app, world):
    city = CityBrowser(app.test_client(), tracker_path(app, world["Lyon"]["id"]))
    city.publication("stop")
    city.publication("stop")
    city.get(city.path)
    assert "Your pledge was already not published in the public register." in city.text
    with app.app_context():
        assert db.session.query(AuditEntry).filter_by(
            action="publication_consent_withdrawn").count() == 1


def test_a_withdrawn_pledge_leaves_the_register_at_once(app, client, world):
    dakar = world["Dakar"]
    city = CityBrowser(app.test_client(), tracker_path(app, dakar["id"]))
    assert city.withdraw().status_code == 303
    assert appears_anywhere(app, client, dakar["reference"]) == set()
    city.get(city.path)
    assert "Publish my pledge" not in city.text  # a withdrawn pledge is not published again
    city.post(f"{city.path}/publication", {"choice": "publish"})  # a page left open before
    city.get(city.path)
    assert "The publication of this pledge can no longer be changed." in city.text
    assert appears_anywhere(app, client, dakar["reference"]) == set()


def test_a_feed_reader_asking_with_its_old_etag_gets_the_feed_without_the_pledge(
        app, client, world):
    lyon = world["Lyon"]
    first = client.get("/register/feed.atom")
    etag = first.headers["ETag"]
    assert client.get("/register/feed.atom", headers={"If-None-Match": etag}).status_code == 304
    CityBrowser(app.test_client(), tracker_path(app, lyon["id"])).publication("stop")
    again = client.get("/register/feed.atom", headers={"If-None-Match": etag})
    assert again.status_code == 200 and again.headers["ETag"] != etag
    assert lyon["reference"] not in again.get_data(as_text=True)


def test_a_publication_choice_the_tracker_does_not_offer_is_refused(app, client, world):
    city = CityBrowser(app.test_client(), tracker_path(app, world["Lyon"]["id"]))
    city.get(city.path)
    assert city.post(f"{city.path}/publication", {"choice": "stop\r\nBcc: x"}).status_code == 400
    assert appears_anywhere(app, client, world["Lyon"]["reference"]) == EVERYWHERE
