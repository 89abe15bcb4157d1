"""Coordinator sessions end on the server, and nobody elsewhere can lock a coordinator out:
a copied session cookie opens nothing once its session has ended; guessing is slowed and
locked per guesser (an address from one IP) and per IP, never for the owner elsewhere."""
import hashlib
import re
from datetime import timedelta

import pytest
from sqlalchemy import delete, select

from intake.extensions import db
from intake.models import AuditEntry, CoordinatorSession

from .support.accounts import SignInBrowser
from .test_accounts import (
    ADMIN,
    COORDINATOR,
    NEW_PASSWORD,
    NOT_RIGHT,
    OTHER_PASSWORD,
    PASSWORD,
    rewind,
)

ATTACKER_IP = "203.0.113.66"
OWNER_IP = "198.51.100.7"


@pytest.fixture(autouse=True)
def no_sessions_of_earlier_tests(app):
    """Each test's accounts start without sessions (on SQLite a new account may reuse the id of
    one an earlier test made)."""
    def clear():
        with app.app_context():
            db.session.execute(delete(CoordinatorSession))
            db.session.commit()
    clear()
    yield
    clear()


@pytest.fixture
def coordinator(make_coordinator):
    return make_coordinator(email=COORDINATOR, password=PASSWORD, name="Cora Ordinator")


@pytest.fixture
def admin(make_coordinator):
    return make_coordinator(email=ADMIN, role="admin", password=PASSWORD, name="Ada Min")


def browser_at(app, ip):
    """A browser on another network: every request comes from this IP."""
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = ip
    return SignInBrowser(client)


def signed_in(app, email=COORDINATOR, ip="127.0.0.1"):
    browser = browser_at(app, ip)
    assert browser.sign_in(email, PASSWORD).status_code == 303
    assert browser.get("/triage/").status_code == 200
    return browser


def copy_of_cookie(browser):
    """What a thief takes: the session cookie as it stands."""
    return browser.client.get_cookie("session").value


def replay(app, cookie):
    """The copied cookie, in another browser."""
    thief = app.test_client()
    thief.set_cookie("session", cookie)
    return thief


def audit(app, action):
    with app.app_context():
        entries = db.session.scalars(select(AuditEntry).where(AuditEntry.action == action)
                                     .order_by(AuditEntry.id)).all()
        db.session.expunge_all()
        return entries


def session_rows(app, coordinator_id):
    with app.app_context():
        rows = db.session.scalars(select(CoordinatorSession).where(
            CoordinatorSession.coordinator_id == coordinator_id)
            .order_by(CoordinatorSession.id)).all()
        db.session.expunge_all()
        return rows


# --- a session that has ended opens nothing ------------------------------------------------


def test_a_session_cookie_replayed_after_sign_out_opens_nothing(app, coordinator):
    browser = signed_in(app)
    stolen = copy_of_cookie(browser)
    assert replay(app, stolen).get("/triage/").status_code == 200  # the copy works, so far

    assert browser.post("/logout").status_code == 303

    thief = replay(app, stolen)
    for path in ("/triage/", "/triage/pledges/1", "/triage/export.csv"):
        response = thief.get(path)
        assert response.status_code == 302 and "/login" in response.headers["Location"], path
    assert browser.get("/triage/").status_code == 302
    [row] = session_rows(app, coordinator.id)
    assert row.ended_at is not None and row.ended_reason == "signed_out"


def test_signing_out_ends_only_that_session(app, coordinator):
    office, laptop = signed_in(app), signed_in(app, ip=OWNER_IP)
    office.post("/logout")
    assert office.get("/triage/").status_code == 302
    assert laptop.get("/triage/").status_code == 200


def test_a_session_cookie_replayed_after_a_password_change_opens_nothing(app, coordinator,
                                                                          admin):
    theirs = signed_in(app)
    stolen = copy_of_cookie(theirs)
    admin_browser = signed_in(app, ADMIN)
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert admin_browser.post(f"/admin/coordinators/{coordinator.id}/password",
                              {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}
                              ).status_code == 303

    assert replay(app, stolen).get("/triage/").status_code == 302
    assert theirs.get("/triage/").status_code == 302
    assert {row.ended_reason for row in session_rows(app, coordinator.id)} == {
        "password_changed"}
    assert admin_browser.get("/admin/coordinators").status_code == 200  # the admin's goes on


def test_an_admin_changing_their_own_password_ends_their_other_sessions(app, admin):
    here, elsewhere = signed_in(app, ADMIN), signed_in(app, ADMIN, ip=OWNER_IP)
    stolen = copy_of_cookie(here)
    here.get(f"/admin/coordinators/{admin.id}")
    assert here.post(f"/admin/coordinators/{admin.id}/password",
                     {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD}).status_code == 303

    assert here.get("/admin/coordinators").status_code == 200  # this browser, in a new session
    assert elsewhere.get("/triage/").status_code == 302
    assert replay(app, stolen).get("/triage/").status_code == 302


def test_a_session_cookie_replayed_after_deactivation_opens_nothing_even_once_reactivated(
        app, coordinator, admin):
    theirs = signed_in(app)
    stolen = copy_of_cookie(theirs)
    admin_browser = signed_in(app, ADMIN)
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert admin_browser.post(
        f"/admin/coordinators/{coordinator.id}/deactivate").status_code == 303
    assert replay(app, stolen).get("/triage/").status_code == 302

    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert admin_browser.post(
        f"/admin/coordinators/{coordinator.id}/reactivate").status_code == 303
    assert replay(app, stolen).get("/triage/").status_code == 302
    assert theirs.get("/triage/").status_code == 302
    assert theirs.sign_in(COORDINATOR, PASSWORD).status_code == 303  # a new session


def test_a_session_unused_for_too_long_ends(app, coordinator):
    browser = signed_in(app)
    with app.app_context():
        row = db.session.scalars(select(CoordinatorSession)).one()
        row.last_seen_at = row.last_seen_at - app.config["COORDINATOR_SESSION_IDLE"]
        db.session.commit()
    assert browser.get("/triage/").status_code == 302


def test_a_session_in_use_is_noted_as_seen(app, coordinator):
    browser = signed_in(app)
    with app.app_context():
        row = db.session.scalars(select(CoordinatorSession)).one()
        earlier = row.last_seen_at - timedelta(hours=2)
        row.last_seen_at = earlier
        db.session.commit()
    assert browser.get("/triage/").status_code == 200
    [row] = session_rows(app, coordinator.id)
    assert row.last_seen_at > earlier + timedelta(hours=1)


def test_the_session_id_is_stored_only_as_a_hash(app, coordinator):
    browser = signed_in(app)
    with browser.client.session_transaction() as session:
        user_id = session["_user_id"]
    assert user_id.startswith("s:") and str(coordinator.id) not in user_id.split(":", 1)[0]
    secret = user_id.removeprefix("s:")
    [row] = session_rows(app, coordinator.id)
    assert secret != row.token_hash and len(secret) >= 40
    assert row.token_hash == hashlib.sha256(secret.encode()).hexdigest()


def test_an_admin_sees_an_accounts_sessions_and_ends_them(app, coordinator, admin):
    office = signed_in(app, ip="192.0.2.10")
    laptop = signed_in(app, ip=OWNER_IP)
    admin_browser = signed_in(app, ADMIN)

    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    rows = re.findall(r'<tr id="session-(\d+)">(.*?)</tr>', admin_browser.text, re.S)
    assert len(rows) == 2
    assert "192.0.2.10" in admin_browser.text and OWNER_IP in admin_browser.text
    office_row = next(number for number, cells in rows if "192.0.2.10" in cells)

    response = admin_browser.post(
        f"/admin/coordinators/{coordinator.id}/sessions/{office_row}/end")
    assert response.status_code == 303
    assert office.get("/triage/").status_code == 302
    assert laptop.get("/triage/").status_code == 200
    [entry] = audit(app, "session_ended")
    assert entry.actor_label == "Ada Min" and entry.coordinator_id == coordinator.id

    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert admin_browser.post(
        f"/admin/coordinators/{coordinator.id}/sessions/end").status_code == 303
    assert laptop.get("/triage/").status_code == 302
    [entry] = audit(app, "sessions_ended")
    assert entry.after == {"sessions_ended": 1}
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert "No browser is signed in to this account." in admin_browser.text
    assert admin_browser.get("/admin/coordinators").status_code == 200


# --- guessing is slow, and locks only the guesser ------------------------------------------


def test_100_wrong_passwords_from_another_ip_do_not_stop_the_owner_signing_in(app,
                                                                             coordinator):
    """The attacker waits out every slowdown and every lock it is told of, until 100 wrong
    passwords have been checked; the owner signs in at any moment in between."""
    attacker = browser_at(app, ATTACKER_IP)
    owner = browser_at(app, OWNER_IP)
    refusals = set()
    checked = 0
    while checked < 100:
        response = attacker.sign_in(COORDINATOR, OTHER_PASSWORD)
        assert response.status_code in (422, 429)
        checked = len(audit(app, "sign_in_failed"))
        if checked % 25 == 0 and response.status_code == 429:
            # Just after a failure: the owner, elsewhere, is not held up by it.
            assert owner.sign_in(COORDINATOR, PASSWORD).status_code == 303, owner.problem()
            assert owner.get("/triage/").status_code == 200
            owner.post("/logout")
        if "Retry-After" in response.headers and checked < 100:
            refusals.add(attacker.problem().split(". ")[0])
            rewind(app, COORDINATOR, int(response.headers["Retry-After"]) + 1)
    assert refusals >= {f"There is a problem {NOT_RIGHT[:-1]}",
                        "There is a problem Too many attempts to sign in with this email "
                        "address have failed"}, refusals

    # Right after its 100th wrong password, the guesser is refused even the right one...
    assert attacker.sign_in(COORDINATOR, PASSWORD).status_code == 429
    # ... while the owner, on their own network, signs in at once.
    response = owner.sign_in(COORDINATOR, PASSWORD)
    assert response.status_code == 303, owner.problem()
    assert owner.get("/triage/").status_code == 200


def test_wrong_passwords_from_many_places_slow_each_guesser_but_never_stop_the_owner(
        app, coordinator):
    places = 2 * app.config["LOGIN_ADDRESS_WARY_AFTER"]
    for number in range(places):
        guesser = browser_at(app, f"203.0.113.{number}")
        assert guesser.sign_in(COORDINATOR, OTHER_PASSWORD).status_code in (422, 429)
        assert NOT_RIGHT in guesser.problem()
    assert len(audit(app, "sign_in_failed")) == places  # every first guess was checked

    # Under attack, a guesser is slowed after its first failure, not its third...
    again = browser_at(app, "203.0.113.200")
    assert again.sign_in(COORDINATOR, OTHER_PASSWORD).status_code == 429
    assert again.problem() == (f"There is a problem {NOT_RIGHT} "
                               "Wait 2 seconds before you try again.")
    assert again.sign_in(COORDINATOR, PASSWORD).status_code == 429  # not even checked
    # ... but a first attempt from a new place is always checked: the owner gets in.
    owner = browser_at(app, OWNER_IP)
    assert owner.sign_in(COORDINATOR, PASSWORD).status_code == 303
    assert owner.get("/triage/").status_code == 200


def test_one_ip_trying_many_addresses_is_locked_out_but_others_are_not(app, coordinator):
    sprayer = browser_at(app, ATTACKER_IP)
    for number in range(app.config["LOGIN_NETWORK_LOCK_AFTER"]):
        sprayer.sign_in(f"guess{number}@mayorsmechanism.example", OTHER_PASSWORD)
    assert sprayer.page.status_code == 429
    assert sprayer.problem() == (
        "There is a problem Too many attempts to sign in have failed from your connection. "
        "Try again in 15 minutes.")
    assert sprayer.sign_in("another@mayorsmechanism.example", OTHER_PASSWORD).status_code == 429
    assert sprayer.sign_in(COORDINATOR, PASSWORD).status_code == 429
    assert audit(app, "sign_in_refused")[-1].after["reason"] == "network"

    assert browser_at(app, OWNER_IP).sign_in(COORDINATOR, PASSWORD).status_code == 303


def test_the_admin_page_counts_failures_from_everywhere_and_unlock_clears_them(app,
                                                                             coordinator,
                                                                             admin):
    attacker = browser_at(app, ATTACKER_IP)
    for _ in range(10):
        rewind(app, COORDINATOR, 61)
        attacker.sign_in(COORDINATOR, OTHER_PASSWORD)
    browser_at(app, OWNER_IP).sign_in(COORDINATOR, OTHER_PASSWORD)  # the owner mistypes once

    admin_browser = signed_in(app, ADMIN)
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert '<dd class="summary__value" id="account-failures">11</dd>' in admin_browser.text
    assert "Yes, for 1 place that failed too often, until" in admin_browser.text
    admin_browser.post(f"/admin/coordinators/{coordinator.id}/unlock")
    [entry] = audit(app, "account_unlocked")
    assert (entry.before["failed_logins"], entry.before["locked_places"]) == (11, 1)
    assert attacker.sign_in(COORDINATOR, PASSWORD).status_code == 303
