"""Contacts write in English, French or Spanish: the language can be switched and is kept."""
import re

from .support.client import ContactBrowser, step_url


def test_the_browser_language_is_used_by_default(client):
    page = client.get("/pledge", headers={"Accept-Language": "es-ES,es;q=0.9"})
    assert '<html lang="es">' in page.get_data(as_text=True)


def test_english_is_the_fallback(client):
    page = client.get("/pledge", headers={"Accept-Language": "de"})
    assert '<html lang="en">' in page.get_data(as_text=True)


def test_a_chosen_language_is_remembered_across_pages(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/pledge")
    response = contact.post("/language", {"language": "fr", "next": step_url("city")})
    assert response.status_code == 303
    assert response.headers["Location"] == step_url("city")
    page = contact.get(step_url("city"))
    assert '<html lang="fr">' in contact.text
    assert "Français" in contact.text
    assert page.status_code == 200
    contact.get("/pledge", headers={"Accept-Language": "es"})
    assert '<html lang="fr">' in contact.text


def test_country_names_follow_the_language(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/pledge")
    contact.post("/language", {"language": "es", "next": "/pledge"})
    contact.get(step_url("city"))
    assert ">Alemania</option>" in contact.text


def test_the_language_switch_never_sends_the_visitor_elsewhere(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/pledge")
    for target in ("https://evil.example/", "//evil.example", "/\\evil.example",
                   "/\t/evil.example", "/pledge\r\nSet-Cookie: x=1"):
        response = contact.post("/language", {"language": "es", "next": target})
        assert response.headers["Location"] == "/"


def test_an_unknown_language_is_ignored(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/pledge")
    contact.post("/language", {"language": "xx", "next": "/pledge"})
    contact.get("/pledge")
    assert '<html lang="en">' in contact.text


def test_the_focal_points_language_defaults_to_the_page_language(app):
    contact = ContactBrowser(app.test_client())
    contact.get("/pledge")
    contact.post("/language", {"language": "es", "next": "/pledge"})
    contact.get(step_url("city"))
    assert re.search(r'<input checked id="language-\d" name="language"[^>]*value="es">',
                     contact.text)
