"""Which language a page is in: the reader's choice, else their browser's, else English."""
from flask import current_app, request, session
from flask_babel import get_locale

LANGUAGE_NAMES = {"en": "English", "fr": "Français", "es": "Español"}


def select_locale():
    chosen = session.get("language")
    if chosen in current_app.config["LANGUAGES"]:
        return chosen
    return request.accept_languages.best_match(current_app.config["LANGUAGES"]) or "en"


def current_language():
    return str(get_locale() or "en")


def remember_language(chosen):
    """Keep the reader's choice for the session; an unknown language is ignored."""
    if chosen in current_app.config["LANGUAGES"]:
        session["language"] = chosen
        session.permanent = True
