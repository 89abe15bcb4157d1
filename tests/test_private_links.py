"""Private links are secrets: the session cookie holds only the pledge's id and the hash of the
link, and the link is shown once in the browser that made it."""
import hashlib
import re

from sqlalchemy import select

from intake.extensions import db
from intake.models import AccessToken

from .support.client import ContactBrowser, step_url

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

