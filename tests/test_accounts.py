"""Coordinator accounts, as the people who use them: signing in and out, being slowed down and
locked out, the admins' account pages, and creating accounts from the command line."""
import json
import re
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from intake.accounts import commands, failures, sign_in
from intake.accounts.coordinators import hash_password
from intake.accounts.lockout import Attempts
from intake.extensions import db, get_redis
from intake.models import AuditEntry, Coordinator

from .support.accounts import SignInBrowser

PASSWORD = "correct horse battery staple"
OTHER_PASSWORD = "a different long passphrase"
NEW_PASSWORD = "tangerine submarine orchestra"
COORDINATOR = "coordinator@mayorsmechanism.example"
ADMIN = "admin@mayorsmechanism.example"
UNKNOWN = "nobody@mayorsmechanism.example"
NOT_RIGHT = "The email address or password is not right."


@pytest.fixture
def browser(app):
    """Someone at the sign-in page, not signed in yet."""
    return SignInBrowser(app.test_client())


@pytest.fixture
def coordinator(make_coordinator):
    return make_coordinator(email=COORDINATOR, password=PASSWORD, name="Cora Ordinator")


@pytest.fixture
def admin(make_coordinator):
    return make_coordinator(email=ADMIN, role="admin", password=PASSWORD, name="Ada Min")


@pytest.fixture
def admin_browser(app, admin):
    browser = SignInBrowser(app.test_client())
    assert browser.sign_in(ADMIN, PASSWORD).status_code == 303
    return browser


def account(app, email):
    with app.app_context():
        found = db.session.scalar(select(Coordinator).where(Coordinator.email == email))
        if found is not None:
            db.session.expunge(found)
        return found


def audit(app, action=None):
    with app.app_context():
        query = select(AuditEntry).order_by(AuditEntry.id)
        if action:
            query = query.where(AuditEntry.action == action)
        entries = db.session.scalars(query).all()
        db.session.expunge_all()
        return entries


def guesser_counts(app, email, ip="127.0.0.1"):
    """The failures counted against one guesser: this address, from the test client's IP."""
    with app.app_context():
        return failures.load_counts(email, ip).guesser


def rewind(app, email, seconds):
    """Travel in time: the last failures (and any locks) of an address, from every IP, and of
    every IP, happened earlier."""
    with app.app_context():
        redis = get_redis()
        keys = [failures.address_key(email), *redis.scan_iter(failures.KEY_PREFIX + "ip:*")]
        for key in keys:
            for field, value in redis.hgetall(key).items():
                stored = json.loads(value)
                for name in ("last_failed_at", "locked_until"):
                    if stored.get(name):
                        moment = datetime.fromisoformat(stored[name])
                        stored[name] = (moment - timedelta(seconds=seconds)).isoformat()
                redis.hset(key, field, json.dumps(stored))


def fail_until_answered(app, browser, email, times):
    """Wrong passwords, each after waiting what the last answer asked; the last answer."""
    for _ in range(times):
        rewind(app, email, 61)
        browser.sign_in(email, OTHER_PASSWORD)
    return browser.page


# --- signing in -----------------------------------------------------------------


def test_a_coordinator_signs_in_and_lands_on_the_queue(app, browser, coordinator):
    page = browser.get("/login")
    assert page.status_code == 200
    assert '<label class="label" for="email">Email address</label>' in browser.text
    assert '<label class="label" for="password">Password</label>' in browser.text

    response = browser.sign_in(" Coordinator@MayorsMechanism.example ", PASSWORD)

    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/"
    assert browser.get("/triage/").status_code == 200
    signed_in = account(app, COORDINATOR)
    assert signed_in.last_login_at is not None
    [entry] = audit(app, "sign_in")
    assert (entry.actor_type, entry.actor_id, entry.coordinator_id) == (
        "coordinator", signed_in.id, signed_in.id)


def test_signing_in_returns_to_the_page_asked_for(app, browser, coordinator):
    asked = browser.get("/triage/?region=africa")
    assert asked.status_code == 302
    login_url = asked.headers["Location"]
    assert login_url.startswith("/login?next=")

    browser.get(login_url)
    assert "Please sign in to see this page." in browser.text
    assert 'name="next" type="hidden" value="/triage/?region=africa"' in browser.text
    response = browser.post("/login", {"email": COORDINATOR, "password": PASSWORD,
                                       "next": "/triage/?region=africa"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/?region=africa"


@pytest.mark.parametrize("next_path", [
    "https://evil.example/", "//evil.example/", "/\\evil.example", "/\t/evil.example",
    "javascript:alert(1)", "evil.example", "/login",
])
def test_an_off_site_next_leads_to_the_queue_instead(app, browser, coordinator, next_path):
    browser.get("/login")
    response = browser.post("/login", {"email": COORDINATOR, "password": PASSWORD,
                                       "next": next_path})
    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/"


def test_a_signed_in_coordinator_opening_sign_in_goes_to_the_queue(app, browser, coordinator):
    browser.sign_in(COORDINATOR, PASSWORD)
    response = browser.get("/login")
    assert response.status_code == 302
    assert response.headers["Location"] == "/triage/"


def test_an_unknown_address_and_a_wrong_password_get_the_same_answer(app, browser,
                                                                     coordinator, monkeypatch):
    checked = []
    original = sign_in.check_password_hash

    def spy(stored_hash, password):
        checked.append(stored_hash)
        return original(stored_hash, password)

    monkeypatch.setattr(sign_in, "check_password_hash", spy)
    monkeypatch.setattr("intake.accounts.coordinators.check_password_hash", spy)

    wrong = browser.sign_in(COORDINATOR, OTHER_PASSWORD)
    wrong_problem = browser.problem()
    unknown = browser.sign_in(UNKNOWN, OTHER_PASSWORD)
    unknown_problem = browser.problem()

    assert wrong.status_code == unknown.status_code == 422
    assert wrong_problem == unknown_problem == f"There is a problem {NOT_RIGHT}"
    assert 'href="#email"' in browser.text and 'aria-invalid="true"' in browser.text
    # A real scrypt hash was checked both times: the two answers take about as long.
    assert len(checked) == 2 and all(h.startswith("scrypt:") for h in checked)
    assert browser.get("/triage/").status_code == 302

    failed = audit(app, "sign_in_failed")
    assert [entry.actor_type for entry in failed] == ["system", "system"]
    assert failed[0].coordinator_id == coordinator.id
    assert failed[0].after["email"] == COORDINATOR
    assert failed[1].coordinator_id is None and "email" not in failed[1].after
    everything = json.dumps([[e.before, e.after] for e in audit(app)])
    assert OTHER_PASSWORD not in everything and UNKNOWN not in everything


def test_an_empty_form_is_answered_field_by_field(app, browser):
    browser.get("/login")
    response = browser.post("/login", {"email": "", "password": ""})
    assert response.status_code == 422
    assert '<a href="#email">Enter your email address.</a>' in browser.text
    assert '<a href="#password">Enter your password.</a>' in browser.text
    assert audit(app) == []


def test_a_deactivated_account_cannot_sign_in_and_is_told_nothing_more(app, browser,
                                                                      make_coordinator):
    make_coordinator(email="gone@mayorsmechanism.example", password=PASSWORD)
    with app.app_context():
        row = db.session.scalar(select(Coordinator).where(
            Coordinator.email == "gone@mayorsmechanism.example"))
        row.active = False
        db.session.commit()

    response = browser.sign_in("gone@mayorsmechanism.example", PASSWORD)

    assert response.status_code == 422
    assert browser.problem() == f"There is a problem {NOT_RIGHT}"
    assert browser.get("/triage/").status_code == 302


# --- slowed down, then locked out ---------------------------------------------------


def test_repeated_failures_slow_down_the_next_attempts(app, browser, coordinator):
    for _ in range(2):
        assert browser.sign_in(COORDINATOR, OTHER_PASSWORD).status_code == 422
    third = browser.sign_in(COORDINATOR, OTHER_PASSWORD)
    assert third.status_code == 429
    assert third.headers["Retry-After"] == "2"
    assert browser.problem() == (f"There is a problem {NOT_RIGHT} "
                                 "Wait 2 seconds before you try again.")

    # Even the right password is refused while the wait lasts (and not checked at all).
    too_soon = browser.sign_in(COORDINATOR, PASSWORD)
    assert too_soon.status_code == 429
    assert "Wait 2 seconds" in browser.problem()
    assert guesser_counts(app, COORDINATOR).failures == 3
    assert audit(app, "sign_in_refused")[0].after["reason"] == "wait"

    rewind(app, COORDINATOR, 2)
    fourth = browser.sign_in(COORDINATOR, OTHER_PASSWORD)
    assert "Wait 4 seconds" in browser.problem(), fourth

    rewind(app, COORDINATOR, 4)
    assert browser.sign_in(COORDINATOR, PASSWORD).status_code == 303
    assert guesser_counts(app, COORDINATOR) == Attempts()  # the count starts afresh


def test_ten_failures_lock_the_account_until_an_admin_unlocks_it(app, coordinator, admin,
                                                                 admin_browser):
    browser = SignInBrowser(app.test_client())
    locked = fail_until_answered(app, browser, COORDINATOR, 10)
    assert locked.status_code == 429
    assert browser.problem() == (
        "There is a problem Too many attempts to sign in with this email address have failed. "
        "Try again in 15 minutes, or ask an administrator to unlock your account.")
    rewind(app, COORDINATOR, 120)  # long past any slowdown: the lock still holds
    assert browser.sign_in(COORDINATOR, PASSWORD).status_code == 429
    assert "Try again in 13 minutes" in browser.problem()

    admin_browser.get("/admin/coordinators")
    row = re.search(r'<tr id="account-%d">.*?</tr>' % coordinator.id, admin_browser.text, re.S)
    assert "<strong>Locked</strong>" in row.group(0)
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert "Unlock the account" in admin_browser.text
    response = admin_browser.post(f"/admin/coordinators/{coordinator.id}/unlock")
    assert response.status_code == 303
    [entry] = audit(app, "account_unlocked")
    assert entry.before["failed_logins"] == 10 and entry.after == {"failed_logins": 0,
                                                                    "locked_until": None}

    assert browser.sign_in(COORDINATOR, PASSWORD).status_code == 303


def test_a_lock_ends_by_itself_after_the_lock_time(app, browser, coordinator):
    fail_until_answered(app, browser, COORDINATOR, 10)
    assert guesser_counts(app, COORDINATOR).locked_until is not None
    rewind(app, COORDINATOR, 14 * 60)
    assert browser.sign_in(COORDINATOR, PASSWORD).status_code == 429
    assert "Try again in 1 minute," in browser.problem()

    rewind(app, COORDINATOR, 61)
    assert browser.sign_in(COORDINATOR, PASSWORD).status_code == 303
    assert guesser_counts(app, COORDINATOR) == Attempts()


def test_a_lock_and_a_slowdown_read_the_same_for_an_address_without_an_account(
        app, coordinator):
    """Otherwise ten guesses would tell which addresses have an account."""
    known, unknown = SignInBrowser(app.test_client()), SignInBrowser(app.test_client())
    answers = {COORDINATOR: [], UNKNOWN: []}
    for _ in range(11):
        for browser, email in ((known, COORDINATOR), (unknown, UNKNOWN)):
            browser.sign_in(email, OTHER_PASSWORD)
            answers[email].append((browser.page.status_code, browser.problem()))
            browser.sign_in(email, OTHER_PASSWORD)  # at once: too soon after a slowdown
            answers[email].append((browser.page.status_code, browser.problem()))
            rewind(app, email, 61)
    assert answers[COORDINATOR] == answers[UNKNOWN]
    assert answers[UNKNOWN][-1][0] == 429 and "Too many attempts" in answers[UNKNOWN][-1][1]

    rewind(app, UNKNOWN, 15 * 60)
    unknown.sign_in(UNKNOWN, OTHER_PASSWORD)
    assert unknown.problem() == f"There is a problem {NOT_RIGHT}"


def test_signing_in_still_works_while_redis_is_down(app_factory, make_coordinator):
    """Redis only counts the failures of addresses without an account."""
    make_coordinator(email=COORDINATOR, password=PASSWORD)
    browser = SignInBrowser(app_factory(REDIS_URL="redis://127.0.0.1:1/0",
                                        HEALTH_TIMEOUT_SECONDS=1).test_client())
    assert browser.sign_in(UNKNOWN, OTHER_PASSWORD).status_code == 422
    assert browser.problem() == f"There is a problem {NOT_RIGHT}"
    assert browser.sign_in(COORDINATOR, PASSWORD).status_code == 303


# --- signing out, and sessions that end -------------------------------------------------


def test_a_coordinator_signs_out(app, browser, coordinator):
    browser.sign_in(COORDINATOR, PASSWORD)
    browser.get("/triage/")
    assert "Sign out (Cora Ordinator)" in browser.text

    response = browser.post("/logout")

    assert response.status_code == 303
    assert response.headers["Location"] == "/"
    assert browser.get("/triage/").status_code == 302
    assert [entry.action for entry in audit(app)] == ["sign_in", "sign_out"]
    with browser.client.session_transaction() as session:
        assert ("message", "You have signed out.") in session["_flashes"]


def test_signing_out_when_signed_out_just_goes_home(browser):
    browser.get("/login")
    response = browser.post("/logout")
    assert response.status_code == 303 and response.headers["Location"] == "/"


def test_a_password_reset_ends_the_accounts_sessions(app, coordinator, admin_browser):
    theirs = SignInBrowser(app.test_client())
    theirs.sign_in(COORDINATOR, PASSWORD)
    assert theirs.get("/triage/").status_code == 200

    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    response = admin_browser.post(f"/admin/coordinators/{coordinator.id}/password",
                                  {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303

    assert theirs.get("/triage/").status_code == 302
    assert theirs.sign_in(COORDINATOR, PASSWORD).status_code == 422
    assert theirs.sign_in(COORDINATOR, NEW_PASSWORD).status_code == 303
    [entry] = audit(app, "password_reset")
    assert entry.actor_label == "Ada Min" and entry.coordinator_id == coordinator.id
    everything = json.dumps([[e.before, e.after] for e in audit(app)])
    assert NEW_PASSWORD not in everything and PASSWORD not in everything


def test_an_admin_resetting_their_own_password_stays_signed_in(app, admin, admin_browser):
    admin_browser.get(f"/admin/coordinators/{admin.id}")
    response = admin_browser.post(f"/admin/coordinators/{admin.id}/password",
                                  {"password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert admin_browser.get("/admin/coordinators").status_code == 200
    assert SignInBrowser(app.test_client()).sign_in(ADMIN, NEW_PASSWORD).status_code == 303


def test_deactivation_ends_the_accounts_sessions_until_reactivated(app, coordinator,
                                                                   admin_browser):
    theirs = SignInBrowser(app.test_client())
    theirs.sign_in(COORDINATOR, PASSWORD)

    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert admin_browser.post(
        f"/admin/coordinators/{coordinator.id}/deactivate").status_code == 303
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert '<dd class="summary__value" id="account-status">Deactivated</dd>' in \
        admin_browser.text

    assert theirs.get("/triage/").status_code == 302
    assert theirs.sign_in(COORDINATOR, PASSWORD).status_code == 422
    assert theirs.problem() == f"There is a problem {NOT_RIGHT}"

    assert admin_browser.post(
        f"/admin/coordinators/{coordinator.id}/reactivate").status_code == 303
    assert theirs.sign_in(COORDINATOR, PASSWORD).status_code == 303
    assert [(e.before, e.after) for e in audit(app) if e.action.startswith("account_")] == [
        ({"active": True}, {"active": False, "sessions_ended": True}),
        ({"active": False}, {"active": True})]


# --- the admins' account pages ------------------------------------------------------------


def test_an_admin_sees_every_account(app, coordinator, make_coordinator, admin_browser):
    make_coordinator(email="partner@iom.example", role="partner", password=PASSWORD)
    page = admin_browser.get("/admin/coordinators")
    assert page.status_code == 200
    rows = re.findall(r"<tr id=\"account-\d+\">(.*?)</tr>", admin_browser.text, re.S)
    cells = [re.findall(r"<td>(.*?)</td>", row, re.S) for row in rows]
    assert [re.sub(r"<[^>]+>", "", c[0]) for c in cells] == [
        ADMIN, COORDINATOR, "partner@iom.example"]
    assert [c[2] for c in cells] == ["Administrator", "Coordinator", "Partner (read only)"]
    assert [c[3] for c in cells] == ["Active"] * 3
    assert re.search(r"\d{4}, \d{1,2}:\d{2}:\d{2}\W[AP]M$", cells[0][4])  # the reader's way
    assert cells[1][4] == "Never"
    assert [c[5] for c in cells] == ["No"] * 3


def test_an_admin_creates_an_account_that_can_sign_in(app, admin_browser):
    admin_browser.get("/admin/coordinators/new")
    for label in ("Email address", "Name (optional)", "Role", "Initial password",
                  "Type the password again"):
        assert f">{label}</label>" in admin_browser.text
    response = admin_browser.post("/admin/coordinators/new", {
        "email": " New.Person@UCLG.example ", "name": "New Person", "role": "partner",
        "password": NEW_PASSWORD, "confirm": NEW_PASSWORD})
    assert response.status_code == 303
    created = account(app, "new.person@uclg.example")
    assert (created.name, created.role, created.active) == ("New Person", "partner", True)
    assert response.headers["Location"] == f"/admin/coordinators/{created.id}"
    admin_browser.get(response.headers["Location"])
    assert "The account of new.person@uclg.example is ready." in admin_browser.text

    [entry] = audit(app, "account_created")
    assert entry.actor_label == "Ada Min"
    assert entry.after == {"email": "new.person@uclg.example", "name": "New Person",
                           "role": "partner", "active": True, "language": "en"}
    assert SignInBrowser(app.test_client()).sign_in("new.person@uclg.example",
                                                    NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize("changes, anchor, message", [
    ({"email": "not-an-address"}, "email", "Enter an email address in the right format"),
    ({"email": COORDINATOR.upper()}, "email", "An account with this email address already"),
    ({"email": ""}, "email", "Enter the email address."),
    ({"password": "short", "confirm": "short"}, "password", "Use at least 12 characters"),
    ({"confirm": "something else entirely"}, "confirm", "The two passwords are not the same."),
    ({"role": "superuser"}, "role", "Not a valid choice"),
])
def test_a_new_account_must_follow_the_rules(app, coordinator, admin_browser, changes, anchor,
                                             message):
    admin_browser.get("/admin/coordinators/new")
    data = {"email": "new@mmc.example", "name": "", "role": "coordinator",
            "password": NEW_PASSWORD, "confirm": NEW_PASSWORD, **changes}
    response = admin_browser.post("/admin/coordinators/new", data)
    assert response.status_code == 422
    summary = admin_browser.problem()
    assert summary.startswith("There is a problem") and message in summary
    assert f'<a href="#{anchor}">' in admin_browser.text
    assert f'id="{anchor}-error"' in admin_browser.text
    assert NEW_PASSWORD not in admin_browser.text  # a password is never sent back
    assert audit(app, "account_created") == []


def test_an_admin_changes_a_role(app, coordinator, admin_browser):
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    assert '<label class="label" for="role">Role</label>' in admin_browser.text
    response = admin_browser.post(f"/admin/coordinators/{coordinator.id}/role",
                                  {"role": "partner"})
    assert response.status_code == 303
    assert account(app, COORDINATOR).role == "partner"
    admin_browser.get(response.headers["Location"])
    assert f"{COORDINATOR} is now: Partner (read only)." in admin_browser.text
    [entry] = audit(app, "role_changed")
    assert (entry.before, entry.after) == ({"role": "coordinator"}, {"role": "partner"})


def test_an_admin_cannot_demote_or_deactivate_themselves(app, admin, admin_browser):
    admin_browser.get(f"/admin/coordinators/{admin.id}")
    assert "You cannot change your own role." in admin_browser.text
    assert "Deactivate the account" not in admin_browser.text

    response = admin_browser.post(f"/admin/coordinators/{admin.id}/role", {"role": "partner"})
    assert response.status_code == 409
    assert '<a href="#role">You cannot change your own role.' in admin_browser.text

    response = admin_browser.post(f"/admin/coordinators/{admin.id}/deactivate")
    assert response.status_code == 409
    assert "You cannot deactivate your own account." in admin_browser.text

    still = account(app, ADMIN)
    assert (still.role, still.active) == ("admin", True)
    assert admin_browser.get("/admin/coordinators").status_code == 200
    assert [e.action for e in audit(app)] == ["sign_in"]


def test_a_reset_password_must_follow_the_rules(app, coordinator, admin_browser):
    admin_browser.get(f"/admin/coordinators/{coordinator.id}")
    response = admin_browser.post(f"/admin/coordinators/{coordinator.id}/password",
                                  {"password": "short", "confirm": "short"})
    assert response.status_code == 422
    assert '<a href="#password">Use at least 12 characters for the password.</a>' in \
        admin_browser.text
    assert audit(app, "password_reset") == []


def test_an_unknown_account_page_is_not_found(admin_browser):
    assert admin_browser.get("/admin/coordinators/999999").status_code == 404


ADMIN_PAGES = [("get", "/admin/coordinators"), ("get", "/admin/coordinators/new"),
               ("get", "/admin/coordinators/{id}"), ("post", "/admin/coordinators/new"),
               ("post", "/admin/coordinators/{id}/role"),
               ("post", "/admin/coordinators/{id}/deactivate"),
               ("post", "/admin/coordinators/{id}/reactivate"),
               ("post", "/admin/coordinators/{id}/password"),
               ("post", "/admin/coordinators/{id}/unlock")]


@pytest.mark.parametrize("role", ["coordinator", "partner"])
def test_coordinators_and_partners_cannot_open_the_admin_pages(app, make_coordinator, role):
    someone = make_coordinator(email=f"{role}@mmc.example", role=role, password=PASSWORD)
    browser = SignInBrowser(app.test_client())
    browser.sign_in(someone.email, PASSWORD)
    for method, path in ADMIN_PAGES:
        path = path.format(id=someone.id)
        if method == "get":
            assert browser.get(path).status_code == 403, path
        else:
            browser.get("/triage/")
            assert browser.post(path, {"role": "admin"}).status_code == 403, path
    assert account(app, someone.email).role == role


def test_visitors_are_sent_to_sign_in_from_the_admin_pages(app, coordinator, browser):
    for method, path in ADMIN_PAGES:
        path = path.format(id=coordinator.id)
        response = browser.get(path) if method == "get" else browser.post(path)
        assert response.status_code == 302, path
        assert response.headers["Location"].startswith("/login?next="), path


@pytest.mark.parametrize("path", ["/login", "/logout", "/admin/coordinators/new",
                                  "/admin/coordinators/{id}/deactivate"])
def test_every_form_needs_its_security_token(app, coordinator, admin_browser, path):
    response = admin_browser.post(path.format(id=coordinator.id),
                                  {"email": COORDINATOR, "password": PASSWORD}, token=False)
    assert response.status_code == 400
    assert account(app, COORDINATOR).active
    assert admin_browser.get("/admin/coordinators").status_code == 200  # still signed in


# --- the command line ----------------------------------------------------------------------


def test_the_command_line_creates_an_account_from_a_piped_password(app, runner):
    result = runner.invoke(args=["coordinators", "create", "Lead@MMC.example",
                                 "--name", "Lead Coordinator"], input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert "Created the coordinator account lead@mmc.example." in result.output
    created = account(app, "lead@mmc.example")
    assert (created.role, created.name, created.active) == ("coordinator", "Lead Coordinator",
                                                            True)
    [entry] = audit(app, "account_created")
    assert (entry.actor_type, entry.actor_label) == ("system", "Command line")
    assert NEW_PASSWORD not in json.dumps(entry.after)
    assert SignInBrowser(app.test_client()).sign_in("lead@mmc.example",
                                                    NEW_PASSWORD).status_code == 303


@pytest.mark.parametrize("options, role", [(["--admin"], "admin"),
                                           (["--role", "partner"], "partner"),
                                           (["--admin", "--role", "admin"], "admin")])
def test_the_command_line_sets_the_role(app, runner, options, role):
    result = runner.invoke(args=["coordinators", "create", "first@uclg.example", *options],
                           input=NEW_PASSWORD + "\n")
    assert result.exit_code == 0, result.output
    assert account(app, "first@uclg.example").role == role


def test_the_command_line_asks_twice_at_a_terminal(app, runner, monkeypatch):
    monkeypatch.setattr(commands, "stdin_is_terminal", lambda: True)
    result = runner.invoke(args=["coordinators", "create", "tty@uclg.example"],
                           input=f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n")
    assert result.exit_code == 0, result.output
    assert "Password:" in result.output and "Type the password again:" in result.output
    assert NEW_PASSWORD not in result.output  # hidden input
    assert account(app, "tty@uclg.example") is not None


@pytest.mark.parametrize("args, password, message", [
    (["taken@uclg.example"], NEW_PASSWORD, "An account with this email address already exists"),
    (["TAKEN@uclg.example"], NEW_PASSWORD, "An account with this email address already exists"),
    (["new@uclg.example"], "short", "Use at least 12 characters for the password."),
    (["new@uclg.example"], "", "Enter the password."),
    (["not-an-address"], NEW_PASSWORD, "Enter an email address in the right format"),
    (["new@uclg.example", "--admin", "--role", "partner"], NEW_PASSWORD,
     "--admin contradicts --role partner"),
    (["new@uclg.example", "--role", "owner"], NEW_PASSWORD, "Invalid value for '--role'"),
])
def test_the_command_line_explains_what_is_wrong(app, runner, make_coordinator, args, password,
                                                 message):
    make_coordinator(email="taken@uclg.example", password=PASSWORD)
    result = runner.invoke(args=["coordinators", "create", *args], input=password + "\n")
    assert result.exit_code != 0
    assert message in result.output
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(Coordinator)) == 1
    assert audit(app, "account_created") == []


# --- the passwords stored ------------------------------------------------------------------


def test_outside_tests_each_account_gets_a_password_hash_of_its_own(app, app_factory):
    """The tests reuse one scrypt hash per password (TEST_PASSWORD_HASHES); an app that is not
    testing ignores that setting and salts every hash afresh."""
    with app.app_context():
        assert hash_password(NEW_PASSWORD) == hash_password(NEW_PASSWORD)
    live = app_factory(TESTING=False, TEST_PASSWORD_HASHES={})
    with live.app_context():
        first, second = hash_password(NEW_PASSWORD), hash_password(NEW_PASSWORD)
    assert first.startswith("scrypt:") and second.startswith("scrypt:") and first != second
    assert live.config["TEST_PASSWORD_HASHES"] == {}
