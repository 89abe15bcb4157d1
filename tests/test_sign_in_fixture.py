"""The fixtures other triage tests rely on."""


def test_a_signed_in_coordinator_reaches_the_queue(app, make_coordinator, sign_in):
    client = sign_in(make_coordinator())
    assert client.get("/triage/").status_code == 200


def test_a_visitor_is_sent_to_sign_in(client):
    response = client.get("/triage/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]
