"""Production mode (APP_ENV=production, or FLASK_ENV=production): secure cookies and HSTS, and no
start without a secret key and an https address. In every mode, no private page is stored by a
browser or a proxy."""
import pytest

from intake import create_app
from intake.config import ConfigurationError

from .support.accounts import SignInBrowser
from .support.client import ContactBrowser
from .support.triage import sent_pledge, tracker_path
from .test_accounts import PASSWORD

HTTPS = "https://pledges.test"


@pytest.fixture
def production(monkeypatch):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("FLASK_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)


def start(instance_path, database_url, **settings):
    """The app as a server starts it: settings from the environment, plus these."""
    return create_app({"SQLALCHEMY_DATABASE_URI": database_url, **settings},
                      instance_path=instance_path)


def test_production_refuses_to_start_without_a_secret_key(production, monkeypatch, tmp_path,
                                                          migrated_database):
    monkeypatch.setenv("BASE_URL", HTTPS)
    with pytest.raises(ConfigurationError) as refused:
        start(str(tmp_path), migrated_database)
    message = str(refused.value)
    assert message.startswith("APP_ENV=production, but the app cannot start: set SECRET_KEY")
    assert "BASE_URL" not in message
    assert not (tmp_path / "secret_key").exists()  # no key made up behind the operator's back


@pytest.mark.parametrize("base_url", ["http://pledges.example.org", None])
def test_production_refuses_to_start_without_an_https_base_url(production, monkeypatch,
                                                               tmp_path, migrated_database,
                                                               base_url):
    monkeypatch.setenv("SECRET_KEY", "a long production secret, from the vault")
    if base_url:
        monkeypatch.setenv("BASE_URL", base_url)
    else:
        monkeypatch.delenv("BASE_URL", raising=False)
    with pytest.raises(ConfigurationError) as refused:
        start(str(tmp_path), migrated_database)
    assert "set BASE_URL to the public https:// address" in str(refused.value)
    assert repr(base_url or "http://127.0.0.1:5000") in str(refused.value)


def test_flask_env_production_is_production_too(monkeypatch, tmp_path, migrated_database):
    monkeypatch.delenv("APP_ENV", raising=False)
    monkeypatch.delenv("SECRET_KEY", raising=False)
    monkeypatch.setenv("FLASK_ENV", "production")
    monkeypatch.setenv("BASE_URL", HTTPS)
    with pytest.raises(ConfigurationError, match="set SECRET_KEY"):
        start(str(tmp_path), migrated_database)


@pytest.fixture
def production_app(app, app_factory, monkeypatch):
    """Production settings, on the test database and Redis (`app` cleans them up)."""
    monkeypatch.setenv("APP_ENV", "production")
    return app_factory(BASE_URL=HTTPS)


def session_cookie(response):
    """The Set-Cookie header of the session cookie, as its attributes."""
    [cookie] = [header for header in response.headers.getlist("Set-Cookie")
                if header.startswith("session=")]
    return cookie.split("; ")


def test_in_production_the_cookies_are_secure_http_only_and_same_site_lax(production_app,
                                                                          make_coordinator):
    client = production_app.test_client()
    page = client.get("/pledge/step/city", base_url=HTTPS)
    assert page.status_code == 200
    cookie = session_cookie(page)
    for attribute in ("Secure", "HttpOnly", "SameSite=Lax"):
        assert attribute in cookie, cookie
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000; includeSubDomains"

    make_coordinator(email="c@mmc.example", password=PASSWORD)
    browser = SignInBrowser(production_app.test_client())
    response = browser.sign_in("c@mmc.example", PASSWORD)
    assert response.status_code == 303, browser.text
    signed_in = session_cookie(response)
    assert all(a in signed_in for a in ("Secure", "HttpOnly", "SameSite=Lax")), signed_in
    assert browser.get("/triage/").status_code == 200
    assert production_app.config["REMEMBER_COOKIE_SECURE"] is True
    assert production_app.config["REMEMBER_COOKIE_HTTPONLY"] is True
    assert production_app.config["REMEMBER_COOKIE_SAMESITE"] == "Lax"


def test_in_production_the_forms_of_a_page_that_sends_no_referrer_work(production_app):
    """A status page sends no referrer (its address holds the token): its forms post without
    one, over https."""
    pledge_id = sent_pledge(production_app)
    track = tracker_path(production_app, pledge_id).removeprefix(HTTPS)
    city = ContactBrowser(production_app.test_client())
    page = city.get(track)
    assert page.request.scheme == "https" and page.headers["Referrer-Policy"] == "no-referrer"
    response = city.post(track + "/stop-other-links", {})
    assert "Referer" not in response.request.headers
    assert response.status_code == 303


def test_in_development_there_is_no_hsts_nor_secure_cookie(app, client):
    page = client.get("/pledge/step/city")
    assert "Strict-Transport-Security" not in page.headers
    cookie = session_cookie(page)
    assert "Secure" not in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie


# --- private pages, in every mode --------------------------------------------------------


def test_every_private_page_says_no_store_and_public_ones_do_not(app, contact, sign_in,
                                                                make_coordinator):
    pledge_id = sent_pledge(app)
    track = tracker_path(app, pledge_id)
    coordinator = sign_in(make_coordinator(role="admin"))
    contact.answer("city", action="save_exit")
    contact_pages = ["/pledge/saved", "/pledge/step/city", "/pledge/step/areas",
                     "/pledge/review", "/pledge"]
    private = {"contact": contact_pages,
               "anyone": [track, track + "/status", track.replace("/track/", "/resume/"),
                          "/login", "/track/unknown-token", "/unsubscribe/unknown"],
               "coordinator": ["/triage/", f"/triage/pledges/{pledge_id}", "/triage/export.csv",
                               "/admin/coordinators", "/admin/coordinators/new"]}
    clients = {"contact": contact.client, "anyone": app.test_client(),
               "coordinator": coordinator}
    for who, paths in private.items():
        for path in paths:
            response = clients[who].get(path)
            assert response.status_code < 500, path
            assert response.headers.get("Cache-Control") == "no-store", (who, path)
    for path in ("/track/unknown-token", track, "/unsubscribe/unknown"):  # tokens in the address
        assert app.test_client().get(path).headers["Referrer-Policy"] == "no-referrer", path

    home = app.test_client().get("/")
    assert home.status_code == 200 and "no-store" not in home.headers.get("Cache-Control", "")
    asset = app.test_client().get("/static/app.css")
    assert "max-age=" in asset.headers["Cache-Control"]
    assert ContactBrowser(app.test_client()).get("/").headers["Referrer-Policy"] == "same-origin"
