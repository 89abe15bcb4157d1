"""The health check names the state of each dependency; a database outage loses no answers."""
import pytest

from .support.client import CITY_ANSWERS, ContactBrowser, step_url

UNREACHABLE_DATABASE = "postgresql://nobody@127.0.0.1:1/none?connect_timeout=2"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


# /healthz/ready is the readiness probe's name for the same checks.
HEALTH_CHECKS = pytest.mark.parametrize("path", ["/healthz", "/healthz/ready"])


@HEALTH_CHECKS
def test_health_is_ok_when_the_database_and_redis_answer(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok", "database": "ok", "redis": "ok",
                                   "email": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


@HEALTH_CHECKS
def test_health_is_503_naming_redis_when_redis_is_down(app_factory, path):
    app = app_factory(REDIS_URL=UNREACHABLE_REDIS, HEALTH_TIMEOUT_SECONDS=1)
    response = app.test_client().get(path)
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "database": "ok",
                                   "redis": "unavailable", "email": "ok"}


def test_health_is_503_naming_the_database_when_it_is_down(app_factory):
    app = app_factory(database_url=UNREACHABLE_DATABASE)
    response = app.test_client().get("/healthz")
    assert response.status_code == 503
    assert response.get_json()["database"] == "unavailable"
    assert response.get_json()["redis"] == "ok"


def test_liveness_answers_while_the_database_and_redis_are_down(app_factory):
    """A restart cures neither outage: an orchestrator's liveness probe must not ask them."""
    app = app_factory(database_url=UNREACHABLE_DATABASE, REDIS_URL=UNREACHABLE_REDIS,
                      HEALTH_TIMEOUT_SECONDS=1)
    client = app.test_client()
    assert client.get("/healthz").status_code == 503
    response = client.get("/healthz/live")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert response.headers["Cache-Control"] == "no-store"


def test_a_contact_keeps_every_answer_when_the_database_is_down(app_factory):
    app = app_factory(database_url=UNREACHABLE_DATABASE)
    contact = ContactBrowser(app.test_client())
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "action": "continue"})
    assert response.status_code == 503
    assert "We could not save your answers just now" in contact.text
    for typed in ("São Paulo", "Ricardo Nunes", "Ana.Souza@prefeitura.example"):
        assert f'value="{typed}"' in contact.text


def test_a_page_that_needs_the_database_says_it_is_unavailable(app, app_factory):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps(upto="city")
    with contact.client.session_transaction() as session:
        cookie_session = dict(session)
    broken = app_factory(database_url=UNREACHABLE_DATABASE)
    browser = broken.test_client()
    with browser.session_transaction() as session:
        session.update(cookie_session)
    response = browser.get(step_url("areas"))
    assert response.status_code == 503
    assert "The service is unavailable for a moment" in response.get_data(as_text=True)
