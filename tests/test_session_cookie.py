"""The session cookie of a browser working on a draft lasts 30 days (PERMANENT_SESSION_LIFETIME)
from when it was last written: written again when the session changes, and on the first page
a day or more after it was signed (intake/accounts/sessions.py), not on every page."""
from datetime import datetime, timedelta, timezone
from email.utils import parsedate_to_datetime

from intake.accounts import sessions

from .support.client import ContactBrowser, step_url


def session_cookie(response):
    """The Set-Cookie header of the session, or None when the response writes none."""
    cookies = [header for header in response.headers.getlist("Set-Cookie")
               if header.startswith("session=")]
    return cookies[0] if cookies else None


def expires(cookie):
    [date] = [part.partition("=")[2] for part in cookie.split("; ")
              if part.startswith("Expires=")]
    return parsedate_to_datetime(date)


def test_looking_at_a_draft_again_writes_no_cookie_but_a_change_of_language_does(app):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="areas")
    contact.get(step_url("city"))
    for _ in range(2):
        assert session_cookie(contact.get(step_url("areas"))) is None
    response = contact.post("/language", {"language": "fr", "next": step_url("areas")})
    assert session_cookie(response) is not None  # the session now holds the language


def test_a_day_after_it_was_signed_the_next_page_makes_the_cookie_last_30_days_more(
        app, monkeypatch):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="areas")
    contact.get(step_url("city"))
    a_day_later = datetime.now(timezone.utc) + timedelta(days=1, minutes=1)
    monkeypatch.setattr(sessions, "utcnow", lambda: a_day_later)
    cookie = session_cookie(contact.get(step_url("areas")))
    assert cookie is not None
    assert expires(cookie) - datetime.now(timezone.utc) > timedelta(days=29, hours=23)
    monkeypatch.undo()
    assert session_cookie(contact.get(step_url("areas"))) is None  # signed just now

