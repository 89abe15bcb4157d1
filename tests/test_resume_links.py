"""A city contact can stop and come back through a private link."""
import hashlib
import re
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select

from intake.extensions import db
from intake.models import AccessToken, Pledge

from .support.client import ContactBrowser, step_url

LINK = re.compile(r'id="resume-link" type="text" readonly value="([^"]+)"')


def save_and_leave(contact, slug="areas"):
    contact.complete_steps(upto="city") if slug != "city" else None
    response = contact.answer(slug, action="save_exit")
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/pledge/saved")
    contact.get("/pledge/saved")
    return LINK.search(contact.text).group(1)


def path_of(link):
    return link.removeprefix("http://pledges.test")


def test_a_contact_who_stops_after_step_two_gets_a_resume_link(contact):
    link = save_and_leave(contact)
    assert link.startswith("http://pledges.test/resume/")
    assert "Your answers have been saved" in contact.text
    assert "The link works for 30 days." in contact.text
    assert "We have also emailed a link to ana.souza@prefeitura.example" in contact.text


def test_the_link_brings_the_contact_back_to_the_next_step_in_a_new_browser(app, contact):
    link = save_and_leave(contact)
    elsewhere = ContactBrowser(app.test_client())
    page = elsewhere.get(path_of(link))
    assert page.status_code == 200
    assert "Continue my pledge" in elsewhere.text
    response = elsewhere.post(path_of(link), {})
    assert response.status_code == 303
    assert response.headers["Location"].endswith(step_url("commitment"))
    elsewhere.get(step_url("city"))
    assert 'value="São Paulo"' in elsewhere.text


def test_the_token_is_stored_only_as_a_hash(app, contact):
    link = save_and_leave(contact)
    raw = link.rsplit("/", 1)[1]
    with app.app_context():
        stored = db.session.scalars(select(AccessToken.token_hash)).all()
    assert stored == [hashlib.sha256(raw.encode()).hexdigest()]
    assert raw not in stored
    assert len(raw) >= 40


def test_opening_the_link_changes_nothing(app, contact):
    link = save_and_leave(contact)
    with app.app_context():
        before = db.session.scalar(select(Pledge.updated_at))
        tokens_before = db.session.scalar(select(func.count()).select_from(AccessToken))
    scanner = app.test_client()  # a mail scanner follows the link
    for _ in range(3):
        response = scanner.get(path_of(link))
        assert response.status_code == 200
    assert scanner.get(step_url("pledge")).status_code == 302  # the scanner got no access
    with app.app_context():
        assert db.session.scalar(select(Pledge.updated_at)) == before
        assert db.session.scalar(select(func.count()).select_from(AccessToken)) == tokens_before


def test_a_forged_link_gets_a_clear_page_and_no_data(app, contact):
    link = save_and_leave(contact)
    forged = path_of(link)[:-4] + ("AAAA" if not link.endswith("AAAA") else "BBBB")
    stranger = app.test_client()
    response = stranger.get(forged)
    assert response.status_code == 404
    body = response.get_data(as_text=True)
    assert "This link does not work" in body
    assert "São Paulo" not in body
    assert stranger.post(forged).status_code in (400, 404)


def test_a_forged_link_cannot_be_used_to_continue(app, contact):
    link = save_and_leave(contact)
    stranger = ContactBrowser(app.test_client())
    stranger.get("/")
    response = stranger.post(path_of(link) + "x", {})
    assert response.status_code == 404
    assert stranger.get(step_url("areas")).status_code == 302


def test_an_expired_link_says_so_and_shows_no_data(app, contact):
    link = save_and_leave(contact)
    with app.app_context():
        token = db.session.scalars(select(AccessToken)).one()
        token.expires_at = datetime.now(timezone.utc) - timedelta(minutes=1)
        db.session.commit()
    response = app.test_client().get(path_of(link))
    assert response.status_code == 410
    body = response.get_data(as_text=True)
    assert "This link has expired" in body and "São Paulo" not in body


def test_a_link_opens_its_own_pledge_only(app):
    first, second = ContactBrowser(app.test_client()), ContactBrowser(app.test_client())
    first_link = save_and_leave(first)
    second.get(step_url("city"))
    second.post(step_url("city"), {**second_city(), "action": "save_exit"})
    second.get("/pledge/saved")
    second_link = LINK.search(second.text).group(1)
    assert first_link != second_link
    visitor = ContactBrowser(app.test_client())
    visitor.get(path_of(second_link))
    assert "Lyon" in visitor.text and "São Paulo" not in visitor.text
    visitor.post(path_of(second_link), {})
    visitor.get(step_url("city"))
    assert 'value="Lyon"' in visitor.text and "São Paulo" not in visitor.text


def second_city():
    from .support.client import CITY_ANSWERS
    return {**CITY_ANSWERS, "city": "Lyon", "country": "FR", "focal_email": "x@lyon.example"}


def test_a_contact_can_ask_for_a_fresh_link(contact):
    first = save_and_leave(contact)
    contact.post("/pledge/saved/new-link", {})
    contact.get("/pledge/saved")
    second = LINK.search(contact.text).group(1)
    assert second != first


def test_a_link_to_a_sent_pledge_shows_its_reference_and_status(app, contact):
    link = save_and_leave(contact)
    contact.complete_steps()
    contact.submit()
    page = app.test_client().get(path_of(link), follow_redirects=True)
    assert page.request.path.startswith("/track/")  # the status tracker
    body = page.get_data(as_text=True)
    assert re.search(r"CTA-\d{4}-\d{4}", body)
    assert "Submitted" in body
    assert "Continue my pledge" not in body
