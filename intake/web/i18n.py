"""Which language a page is in: the reader's choice, else their browser's, else English; and
the language switch every page carries, which comes back to the page on screen."""
from functools import lru_cache
from typing import NamedTuple
from urllib.parse import urlsplit

from babel import support
from flask import current_app, g, request, session
from flask_babel import get_locale, refresh
from werkzeug.exceptions import HTTPException
from werkzeug.routing import RequestRedirect
from wtforms.i18n import messages_path

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}
# The name of the language buttons of a page whose form they send first (see LanguageSwitch).
SWITCH_LANGUAGE = "switch_language"


def select_locale():
    chosen = session.get("language")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def current_language():
    return str(get_locale() or "en")


def remember_language(chosen):
    """Keep the reader's choice for the session, and for the rest of this request; an unknown
    language is ignored."""
    if chosen in current_app.config["LANGUAGES"]:
        session["language"] = chosen
        session.permanent = True
        refresh()


class LanguageSwitch(NamedTuple):
    """What the language switch of a page names: `next`, the page on screen, where choosing a
    language comes back to; `saves`, the id of the page's form with answers not saved yet, if
    any: its language buttons then send that form (name SWITCH_LANGUAGE), whose view keeps
    what was typed before it shows the page again in the chosen language."""
    next: str
    saves: str | None = None


def switch_returns_to(url, saves=None):
    """The page this response shows is the one at `url` (the GET of a page shown again after a
    failed post, or the address an htmx swap pushes), with that form's answers to keep."""
    g.language_switch = LanguageSwitch(url, saves)


def declared_switch():
    return g.get("language_switch")


def language_switch():
    """The switch of the page being rendered: as its view declared it, else this address."""
    return declared_switch() or LanguageSwitch(page_address())


def page_address():
    """The page a request shows when its view says nothing: its own address for a GET or a
    post to an address that a GET answers too; for any other post, the nearest address above
    it that a GET answers (a form of /track/<token>/questions/7 is on /track/<token>)."""
    if request.method in ("GET", "HEAD"):
        return request.full_path.removesuffix("?")
    adapter = current_app.create_url_adapter(request)
    path = request.path
    while path not in ("", "/"):
        try:
            adapter.match(path, method="GET")
        except RequestRedirect as moved:  # the same page under its canonical address
            return urlsplit(moved.new_url).path
        except HTTPException:
            path = path.rstrip("/").rpartition("/")[0]
            continue
        return request.full_path.removesuffix("?") if path == request.path else path
    return "/"


@lru_cache(maxsize=8)
def _wtforms_catalogue(language):
    return support.Translations.load(messages_path(), [language], domain="wtforms")


class WtformsMessages:
    """WTForms' own messages ("Not a valid choice") in the page's language, for Flask-WTF, which
    would otherwise read their catalogue from disk again in every request that makes a form:
    read once per language and process."""

    def ugettext(self, string):
        return _wtforms_catalogue(current_language()).ugettext(string)

    def ungettext(self, singular, plural, n):
        return _wtforms_catalogue(current_language()).ungettext(singular, plural, n)


WTFORMS_MESSAGES = WtformsMessages()


def share_wtforms_messages():
    """Before each request: where Flask-WTF looks for this request's WTForms catalogue."""
    request.wtforms_translations = WTFORMS_MESSAGES
