"""Who gets what: every route of the app, as an anonymous visitor and as each role.

New routes must be classified here, or this test fails: nothing ships unchecked."""
import re

import pytest

from .support.triage import question_asked, sent_pledge, tracker_path

PUBLIC = {
    "public.home", "public.healthz",
    "public.liveness", "public.vendor_asset", "public.choose_language", "static",
    "public.favicon",
    "intake.start", "intake.step", "intake.review", "intake.saved", "intake.confirmation",
    "intake.new_pledge", "intake.new_link", "intake.follow", "intake.email_my_link",
    "intake.resume", "intake.continue_from_link", "tracker.track", "tracker.status",
    "tracker.answer", "tracker.withdraw", "tracker.withdrawal", "tracker.report",
    "tracker.stop_other_links", "tracker.answers",
    "emails.unsubscribe",
    "emails.unsubscribe_now", "accounts.login", "accounts.logout",
    "matching.offer_support", "matching.offer_thanks", "matching.support_sought",
    "tracker.answer_offer",
    "tracker.publication_choice", "register.index", "register.pledge", "register.feed",
    "register.pledges_csv", "register.pledges_json", "register.data",
}
DEVELOPMENT_ONLY = {"emails.dev_mailbox", "emails.dev_message"}  # 404 unless configured
SIGNED_IN_READ = {"triage.queue", "triage.pledge", "triage.export_csv", "triage.export_xlsx",
                  "email_problems.overview", "matching.partner_page"}
# Any role, on its own account only (the language of its emails).
SIGNED_IN_OWN = {"accounts.own_account", "accounts.change_own_language"}
COORDINATORS_CHANGE = {"triage.bulk", "triage.assign", "triage.change_state",
                       "triage.request_information", "triage.add_note", "triage.change_stage",
                       "triage.merge", "triage.comment_report", "triage.ask_about_report",
                       "matching.move", "matching.ask_city",
                       "inbox.link", "inbox.make_draft", "inbox.mark_spam", "inbox.not_spam",
                       "inbox.add_contact", "archive_import.upload",
                       "archive_import.choose_mapping", "archive_import.start_again"}
# Pages of coordinators that partners may not read (other partners' offers and contacts).
# The inbox holds strangers' emails and their attachments: coordinators only as well.
COORDINATORS_ONLY = {"matching.matches", "inbox.tray_page", "inbox.spam", "inbox.message_page",
                     "inbox.attachment", "archive_import.imports", "archive_import.one"}
ADMIN_ONLY_PREFIX = "/admin/"
ADMIN_ONLY = {"privacy.contact", "privacy.find", "privacy.export", "privacy.confirm_erase",
              "privacy.erase"}  # personal data: under ADMIN_ONLY_PREFIX as well
ROLES = ("anonymous", "partner", "coordinator", "admin")


def routes(app):
    for rule in app.url_map.iter_rules():
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            yield rule, method


def is_admin_route(rule):
    return rule.rule.startswith(ADMIN_ONLY_PREFIX) or rule.endpoint in ADMIN_ONLY


def test_every_route_is_classified(app):
    known = (PUBLIC | DEVELOPMENT_ONLY | SIGNED_IN_READ | SIGNED_IN_OWN | COORDINATORS_CHANGE
             | COORDINATORS_ONLY | ADMIN_ONLY)
    unclassified = {rule.endpoint for rule, _method in routes(app)
                    if rule.endpoint not in known and not is_admin_route(rule)}
    assert unclassified == set()


def sample_values(app, rule, world):
    values = {}
    for name in rule.arguments:
        values[name] = {
            "pledge_id": world["pledge_id"], "token": world["token"],
            "request_id": world["request_id"], "slug": "city", "name": "htmx.min.js",
            "filename": "app.css",
        }.get(name, world.get(name, 1))
    path = rule.rule
    for name, value in values.items():
        path = re.sub(r"<(?:[a-z]+:)?" + name + ">", str(value), path)
    return path


@pytest.fixture
def world(app, make_coordinator):
    app.config["WTF_CSRF_ENABLED"] = False  # this test is about roles, not form tokens
    pledge_id = sent_pledge(app)
    token_path = tracker_path(app, pledge_id)
    request_id = question_asked(app, pledge_id)
    accounts = {role: make_coordinator(email=f"{role}@mayorsmechanism.example", role=role)
                for role in ("partner", "coordinator", "admin")}
    return {"pledge_id": pledge_id, "token": token_path.rsplit("/", 1)[1],
            "request_id": request_id, "accounts": accounts,
            "coordinator_id": accounts["coordinator"].id}


def client_for(app, sign_in, world, role):
    if role == "anonymous":
        return app.test_client()
    return sign_in(world["accounts"][role])


def expected(rule, method, role):
    """'login' (sent to sign in), 403, 404, or 'ok' (anything but those and a server error)."""
    endpoint = rule.endpoint
    if endpoint in DEVELOPMENT_ONLY:
        return 404
    if endpoint in PUBLIC:
        return "ok"
    if role == "anonymous":
        return "login"
    if is_admin_route(rule):
        return "ok" if role == "admin" else 403
    if endpoint in COORDINATORS_CHANGE | COORDINATORS_ONLY:
        return 403 if role == "partner" else "ok"
    return "ok"


@pytest.mark.parametrize("role", ROLES)
def test_each_role_gets_what_it_should_on_every_route(app, sign_in, world, role):
    problems = []
    for rule, method in routes(app):
        path = sample_values(app, rule, world)
        client = client_for(app, sign_in, world, role)
        response = client.open(path, method=method, data={})
        response.close()  # a streamed download ends here, not whenever it is collected
        want = expected(rule, method, role)
        got = response.status_code
        location = response.headers.get("Location", "")
        if want == "login":
            ok = got == 302 and "/login" in location
        elif want == "ok":
            ok = got < 500 and got not in (401, 403) and "/login" not in location
        else:
            ok = got == want
        if not ok:
            problems.append(f"{method} {path} as {role}: {got} {location} (wanted {want})")
    assert problems == []
