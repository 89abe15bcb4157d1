"""Private links are secrets: the session cookie holds only the pledge's id and the hash of the
link, the link is shown once in the browser that made it, and a city can stop every other link
from its status page."""
import hashlib
import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import AccessToken, AuditEntry

from .support.client import ContactBrowser, step_url
from .support.triage import sent_pledge, tracker_path

LINK = re.compile(r'id="resume-link" type="text" readonly value="([^"]+)"')
TOKEN = re.compile(r"/(?:resume|track)/([A-Za-z0-9_\-]{20,})")
SESSION_KEYS = {"pledge_id", "link_hash", "csrf_token", "language", "_permanent", "_flashes",
                "_fresh", "_id"}  # the last four: Flask and Flask-Login bookkeeping


def session_of(app, client):
    """What the browser's session cookie holds, decoded, and the cookie as sent."""
    cookie = client.get_cookie("session")
    if cookie is None:
        return {}, ""
    serializer = app.session_interface.get_signing_serializer(app)
    return serializer.loads(cookie.value), cookie.value


def shown_link(contact):
    found = LINK.search(contact.text)
    return found.group(1) if found else None


def path_of(link):
    return link.removeprefix("http://pledges.test")


def tokens_in_database(app):
    with app.app_context():
        return db.session.scalars(select(AccessToken.token_hash)).all()


def test_the_session_cookie_holds_only_the_pledge_id_and_a_link_hash(app, contact):
    seen_tokens, cookies = set(), []

    def look():
        session, raw_cookie = session_of(app, contact.client)
        cookies.append((session, raw_cookie))
        seen_tokens.update(TOKEN.findall(contact.text))

    contact.answer("city")
    look()
    contact.answer("areas", action="save_exit")
    look()
    contact.get("/pledge/saved")
    first = shown_link(contact)
    look()
    contact.post("/pledge/saved/new-link", {})
    contact.get("/pledge/saved")
    second = shown_link(contact)
    look()
    elsewhere = ContactBrowser(app.test_client())
    elsewhere.get(path_of(first))
    elsewhere.post(path_of(first), {})
    session, raw_cookie = session_of(app, elsewhere.client)
    cookies.append((session, raw_cookie))

    assert first and second and first != second
    seen_tokens.update({first.rsplit("/", 1)[1], second.rsplit("/", 1)[1]})
    hashes = tokens_in_database(app)
    for session, raw_cookie in cookies:
        assert set(session) <= SESSION_KEYS, session
        assert isinstance(session["pledge_id"], int)
        assert session["link_hash"] in hashes
        for token in seen_tokens:
            assert token not in raw_cookie and token not in repr(session)
    assert cookies[-1][0]["link_hash"] == hashlib.sha256(
        first.rsplit("/", 1)[1].encode()).hexdigest()  # the link it came back through


def test_the_link_is_shown_once_and_a_new_one_can_be_made(app, contact):
    contact.complete_steps(upto="city")
    contact.answer("areas", action="save_exit")
    contact.get("/pledge/saved")
    first = shown_link(contact)
    assert first is not None

    contact.get("/pledge/saved")  # reloaded, or opened later by someone at the same computer
    assert shown_link(contact) is None
    assert "a private link is shown only once, right after it is made" in contact.text
    assert "Make a new private link" in contact.text

    contact.post("/pledge/saved/new-link", {})
    contact.get("/pledge/saved")
    second = shown_link(contact)
    assert second is not None and second != first
    for link in (first, second):  # the old link keeps working
        assert app.test_client().get(path_of(link)).status_code == 200


def test_saving_and_leaving_again_shows_a_new_link(app, contact):
    contact.complete_steps(upto="city")
    contact.answer("areas", action="save_exit")
    contact.get("/pledge/saved")
    first = shown_link(contact)
    contact.get(step_url("pledge"))
    contact.answer("areas", action="save_exit")
    contact.get("/pledge/saved")
    again = shown_link(contact)
    assert again is not None and again != first
    assert len(tokens_in_database(app)) == 2


def test_a_browser_from_before_keeps_its_draft_without_the_raw_link(app, contact):
    """A session written before links were kept as hashes held the raw link."""
    contact.answer("city", action="save_exit")
    contact.get("/pledge/saved")
    raw = shown_link(contact).rsplit("/", 1)[1]
    with contact.client.session_transaction() as session:
        session.pop("link_hash")
        session["resume_token"] = raw
    assert contact.get(step_url("city")).status_code == 200
    assert 'value="São Paulo"' in contact.text
    session, raw_cookie = session_of(app, contact.client)
    assert "resume_token" not in session and raw not in raw_cookie
    assert session["link_hash"] == hashlib.sha256(raw.encode()).hexdigest()


# --- stopping the other private links -------------------------------------------------------


def test_a_city_stops_every_other_private_link_from_its_status_page(app):
    pledge_id = sent_pledge(app)
    kept, *others = [tracker_path(app, pledge_id) for _ in range(3)]
    city = ContactBrowser(app.test_client())
    city.get(kept)
    assert "Stop all other private links" in city.text
    before = len(tokens_in_database(app))

    response = city.post(kept + "/stop-other-links", {})

    assert response.status_code == 303 and response.headers["Location"] == kept
    page = city.get(kept)
    assert page.status_code == 200
    stopped = before - 1  # every link the form and the emails made, but this one
    assert f"{stopped} other private links have stopped working. This one still works." in \
        city.text
    for other in others:
        response = app.test_client().get(other)
        assert response.status_code == 410
        assert "This link has expired" in response.get_data(as_text=True)
        assert app.test_client().get(other + "/status").status_code == 410
    with app.app_context():
        [entry] = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "private_links_stopped")).all()
        assert (entry.actor_type, entry.pledge_id, entry.after) == (
            "city", pledge_id, {"stopped": stopped})

    # Links in the emails sent from now on work.
    assert app.test_client().get(tracker_path(app, pledge_id)).status_code == 200
    city.post(kept + "/stop-other-links", {})
    city.get(kept)
    assert "1 other private link has stopped working." in city.text


def test_stopping_the_other_links_ends_a_browser_working_through_one(app, contact):
    contact.complete_steps()
    contact.submit()
    assert contact.get("/pledge/confirmation").status_code == 200
    with app.app_context():
        pledge_id = db.session.scalar(select(AccessToken.pledge_id))
    kept = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(kept)
    city.post(kept + "/stop-other-links", {})

    response = contact.get("/pledge/confirmation")
    assert response.status_code == 302  # this browser's link stopped: the pledge is not shown
    assert contact.get("/pledge/confirmation", follow_redirects=True).request.path == "/"


def test_stopping_links_needs_the_forms_security_token_and_a_working_link(app):
    pledge_id = sent_pledge(app)
    kept = tracker_path(app, pledge_id)
    other = tracker_path(app, pledge_id)
    stranger = app.test_client()
    assert stranger.post(kept + "/stop-other-links").status_code == 400  # no security token
    assert stranger.get(other).status_code == 200
    city = ContactBrowser(app.test_client())
    city.get(kept)
    assert city.post("/track/forged-link-token/stop-other-links", {}).status_code == 404
    assert stranger.get(other).status_code == 200
