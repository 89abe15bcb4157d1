"""A line break or a control character typed into a one-line field never gets past the form:
it is refused with a message next to the field, what was typed is shown again, and nothing of
it is stored, so nothing of it can reach an email header, a file name or a CSV cell. Text areas
keep their newlines.

The forms are found by walking every form class of the app, so a new form cannot be missed:
a form with a one-line field needs a story below that posts it."""
import re
from html import unescape

import pytest
import wtforms
from markupsafe import escape
from sqlalchemy import String, select

from intake.extensions import db
from intake.models import Coordinator, InformationRequest, Note, OutboxEmail, Pledge
from intake.web.fields import plain_text, single_line, single_line_problem

from .support.client import ANSWERS, CITY_ANSWERS, STEP_SLUGS, ContactBrowser, step_url
from .support.forms import fields_of, intake_form_classes
from .support.inbound import received
from .support.matching import OFFER_ANSWERS, PartnerBrowser, offer_path, published_pledge
from .support.triage import CoordinatorBrowser, sent_pledge, tracker_path

LINE_BREAK = "Use a single line, without line breaks."
CONTROL = "Remove the invisible control characters from this answer."
# Each post puts one of these in every one-line field of a form at once.
BAD_VALUES = [
    ("Lyon\r\nBcc: victim@example.org", LINE_BREAK),  # a header injection
    ("Lyon\nLyon", LINE_BREAK),
    ("Lyon\rLyon", LINE_BREAK),
    ("Lyon\r\n", LINE_BREAK),  # trailing: the strip filter must not hide it
    ("Lyon\u2028Lyon", LINE_BREAK),  # Unicode's line separator: str.splitlines() splits on it
    ("Lyon\x85Lyon", LINE_BREAK),  # NEL, likewise
    ("Ly\x0bon", LINE_BREAK),
    ("Ly\ton", CONTROL),
    ("Ly\x1b[2Jon", CONTROL),
    ("Ly\x00on", CONTROL),
    ("Ly\x7fon", CONTROL),
    ("Ly\x9bon", CONTROL),
]
ADMIN = "admin@mayorsmechanism.example"
PASSWORD = "correct horse battery staple"


# --- finding every form and its one-line fields -------------------------------------------------


def is_one_line(field):
    widget = field.widget
    return isinstance(widget, wtforms.widgets.Input) and field.type != "CSRFTokenField" \
        and widget.input_type not in ("radio", "checkbox", "submit", "file", "hidden")


def is_hidden(field):
    return field.type == "HiddenField"


def build(app, form_class):
    with app.test_request_context():
        return form_class(formdata=None, meta={"csrf": False})


# Fields with a rule of their own, and where that rule is tested.
OWN_RULES = {
    ("CityStepForm", "website"): "the honeypot: anything in it refuses the page calmly: "
                                 "test_a_filled_in_honeypot_is_refused_calmly_and_nothing_is_"
                                 "saved_or_sent",
    ("CityStepForm", "shown_at"): "a signed moment, else the page counts as sent too fast: "
                                  "test_a_step_one_sent_too_fast_is_refused_calmly_then_goes_"
                                  "through",
    ("OfferForm", "website"): "the honeypot of the offer of support: "
                              "test_a_filled_in_honeypot_or_a_post_too_fast_is_refused_calmly",
    ("OfferForm", "shown_at"): "a signed moment, else the offer counts as sent too fast: "
                               "test_a_filled_in_honeypot_or_a_post_too_fast_is_refused_calmly",
    ("LiftForm", "address"): "must name a suppression that exists and may be lifted, else "
                             "nothing changes: test_an_unsubscribe_is_not_lifted_by_an_admin",
    ("LiftForm", "scope"): "one of the liftable scopes, else nothing changes: "
                           "test_an_unsubscribe_is_not_lifted_by_an_admin",
    ("SignInForm", "password"): "compared with a hash, never stored or shown: "
                                "test_a_password_with_a_line_break_is_only_a_wrong_password",
    ("SignInForm", "next"): "a local path or nothing: "
                            "test_a_next_path_with_a_line_break_is_ignored",
    ("ReportForm", "form_key"): "names the form (a key we could not have made is replaced by a "
                                "new one), so that a second click sends once: "
                                "test_send_clicked_twice_sends_once, test_a_forged_form_key_is_"
                                "replaced",
    ("RegisterFilterForm", "q"): "a search, folded to words as the queue's: "
                                 "test_any_query_string_gets_the_register_never_a_server_error",
    ("PublicationForm", "choice"): "stop or publish, else the post is refused: "
                                   "test_a_publication_choice_the_tracker_does_not_offer_is_"
                                   "refused",
    ("QueueFilterForm", "q"): "a search, folded to words: "
                              "test_a_search_with_control_characters_is_folded_into_words",
    ("QueueFilterForm", "state"): "one of the review states, else ignored: "
                                  "test_a_search_with_control_characters_is_folded_into_words",
}
VERSIONED = "version"  # the pledge's version: test_a_version_with_a_line_break_is_a_conflict


def checked_one_line_fields(app, form_class):
    """The one-line fields in which the form itself must refuse bad text."""
    form = build(app, form_class)
    return [field for field in fields_of(form)
            if is_one_line(field) and (form_class.__name__, field.name) not in OWN_RULES]


# --- how each form is posted -------------------------------------------------------------------


def city_step(app, make_coordinator, sign_in):
    contact = ContactBrowser(app.test_client())
    contact.get(step_url("city"))
    base = {**CITY_ANSWERS, "co_cities-0-city": "Lyon", "co_cities-0-country": "FR"}
    return contact, step_url("city"), base


def pledge_page(slug):
    """A page of the pledge, its pages before it answered."""
    def open_page(app, make_coordinator, sign_in):
        contact = ContactBrowser(app.test_client())
        contact.complete_steps(upto=STEP_SLUGS[STEP_SLUGS.index(slug) - 1])
        contact.get(step_url(slug))
        return contact, step_url(slug), dict(ANSWERS[slug])
    return open_page


def email_my_link(app, make_coordinator, sign_in):
    contact = ContactBrowser(app.test_client())
    contact.get("/pledge/email-my-link")
    return contact, "/pledge/email-my-link", {"email": "ana.souza@prefeitura.example"}


def support_offer(app, make_coordinator, sign_in):
    _pledge_id, reference = published_pledge(app)
    partner = PartnerBrowser(app.test_client())
    partner.get(offer_path(reference))
    return partner, offer_path(reference), dict(OFFER_ANSWERS)


def admin_browser(app, make_coordinator, sign_in, url):
    admin = make_coordinator(ADMIN, role="admin", password=PASSWORD)
    browser = ContactBrowser(sign_in(admin))
    browser.get(url)
    return browser, admin


def sign_in_page(app, make_coordinator, sign_in):
    make_coordinator(ADMIN, role="admin", password=PASSWORD)
    browser = ContactBrowser(app.test_client())
    browser.get("/login")
    return browser, "/login", {"email": ADMIN, "password": PASSWORD, "next": ""}


def new_account(app, make_coordinator, sign_in):
    browser, _admin = admin_browser(app, make_coordinator, sign_in, "/admin/coordinators/new")
    return browser, "/admin/coordinators/new", {
        "email": "new.person@mayorsmechanism.example", "name": "New Person",
        "role": "coordinator", "password": "a long enough passphrase",
        "confirm": "a long enough passphrase"}


def password_reset(app, make_coordinator, sign_in):
    other = make_coordinator("other@mayorsmechanism.example", password=PASSWORD)
    browser, _admin = admin_browser(app, make_coordinator, sign_in,
                                    f"/admin/coordinators/{other.id}")
    return browser, f"/admin/coordinators/{other.id}/password", {
        "password": "a new long passphrase", "confirm": "a new long passphrase"}


def privacy_search(app, make_coordinator, sign_in):
    browser, _admin = admin_browser(app, make_coordinator, sign_in, "/admin/privacy")
    return browser, "/admin/privacy", {"email": "nobody@city.example"}


def privacy_erasure(app, make_coordinator, sign_in):
    browser, _admin = admin_browser(app, make_coordinator, sign_in, "/admin/privacy")
    return browser, "/admin/privacy/erase/confirmed", {"email": "nobody@city.example",
                                                        "confirm": "y"}


def progress_report(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    triage = CoordinatorBrowser(sign_in(make_coordinator()))
    triage.act(pledge_id, "state", {"target": "accepted", "message": ""})
    assert triage.page.status_code == 303
    path = tracker_path(app, pledge_id) + "/report"
    city = ContactBrowser(app.test_client())
    city.get(path)
    key = re.search(r'name="form_key" type="hidden" value="([^"]+)"', city.text).group(1)
    return city, path, {"form_key": key, "stage": "in-progress", "done": "Opened the centre.",
                        "share_delivered": "40", "action": "send"}


def inbox_message(form, base):
    """A coordinator on an email of the tray, about to link it to a pledge or make a draft."""
    def open_message(app, make_coordinator, sign_in):
        message_id = received(app)
        answers = dict(base)
        if form == "link":
            pledge_id = sent_pledge(app)
            with app.app_context():
                answers["reference"] = db.session.get(Pledge, pledge_id).reference
        browser = ContactBrowser(sign_in(make_coordinator()))
        browser.get(f"/triage/inbox/{message_id}")
        return browser, f"/triage/inbox/{message_id}/{form}", answers
    return open_message


# Every form with a one-line field the form must check; the walk below fails for any other.
STORIES = {
    "LinkForm": inbox_message("link", {}),
    "DraftForm": inbox_message("draft", {"city": "Lyon", "language": "fr"}),
    "ReportForm": progress_report,
    "ContactForm": privacy_search,
    "EraseForm": privacy_erasure,
    "CityStepForm": city_step,
    "CommitmentStepForm": pledge_page("commitment"),
    "DatesStepForm": pledge_page("dates"),
    "BudgetStepForm": pledge_page("budget"),
    "EmailLinkForm": email_my_link,
    "OfferForm": support_offer,
    "SignInForm": sign_in_page,
    "NewAccountForm": new_account,
    "PasswordResetForm": password_reset,
}


def test_every_form_with_a_one_line_field_is_posted_below(app):
    needing = {cls.__name__ for cls in intake_form_classes()
               if checked_one_line_fields(app, cls)}
    # CoPledgingCityForm is the row of the city step's joint pledge: posted with CityStepForm.
    missing = needing - set(STORIES) - {"CoPledgingCityForm"}
    assert not missing, f"add a story to STORIES for {sorted(missing)}"
    assert set(STORIES) <= needing


def test_every_one_line_field_is_checked_as_a_single_line_and_every_text_area_keeps_newlines(app):
    checked = 0
    for form_class in intake_form_classes():
        form = build(app, form_class)
        for field in fields_of(form):
            if is_hidden(field):
                known = (form_class.__name__, field.name) in OWN_RULES \
                    or field.name == VERSIONED
                assert known, f"{form_class.__name__}.{field.name}: a hidden field needs its rule"
            elif is_one_line(field) and (form_class.__name__, field.name) not in OWN_RULES:
                assert single_line in field.validators, f"{form_class.__name__}.{field.name}"
                checked += 1
            elif field.type == "TextAreaField":
                assert plain_text in field.validators, f"{form_class.__name__}.{field.name}"
                assert single_line not in field.validators
    assert checked >= 21  # the fields of the stories below, at least


@pytest.fixture(params=sorted(STORIES))
def story(request):
    return request.param, STORIES[request.param]


def field_error(page, field_id):
    found = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">'
                      r'<span class="visually-hidden">[^<]*</span> ([^<]*)</p>', page)
    return unescape(found.group(1)) if found else None


def input_tag(page, field_id):
    found = re.search(rf'<input[^>]*\bid="{re.escape(field_id)}"[^>]*>', page)
    return found.group(0) if found else ""


def assert_no_one_line_column_holds_a_line_break(app):
    """Every String column of every table is a one-line value: none holds a line break or a
    control character."""
    with app.app_context():
        for table in db.metadata.sorted_tables:
            columns = [column for column in table.columns if isinstance(column.type, String)
                       and not isinstance(column.type, db.Text)]
            if not columns:
                continue
            for row in db.session.execute(select(*columns)):
                for column, value in zip(columns, row, strict=True):
                    assert single_line_problem(value) is None, (table.name, column.name, value)


def counts(app):
    with app.app_context():
        return [db.session.scalar(select(db.func.count()).select_from(model))
                for model in (Pledge, OutboxEmail, Coordinator)]


def test_every_form_refuses_line_breaks_and_control_characters_in_every_one_line_field(
        app, make_coordinator, sign_in, story):
    name, open_form = story
    form_class = next(cls for cls in intake_form_classes() if cls.__name__ == name)
    fields = checked_one_line_fields(app, form_class)
    browser, url, base = open_form(app, make_coordinator, sign_in)
    before = counts(app)

    for bad, message in BAD_VALUES:
        response = browser.post(url, {**base, **{field.name: bad for field in fields}})
        assert response.status_code == 422, (name, repr(bad), response.status_code)
        page = browser.text
        for field in fields:
            assert field_error(page, field.id) == message, (name, field.name, repr(bad))
            if field.type != "PasswordField":  # a password is never shown again
                kept = bad.strip() if field.filters else bad
                assert f'value="{escape(kept)}"' in input_tag(page, field.id), \
                    (name, field.name, repr(bad))

    assert counts(app) == before  # no pledge, email or account came of it
    # The same form with good answers goes through: the refusals came from the bad text alone.
    accepted = browser.post(url, base)
    assert accepted.status_code in (200, 303), name
    assert "error-summary" not in browser.text, name
    assert_no_one_line_column_holds_a_line_break(app)


# --- the city's story, as the issue tells it ---------------------------------------------------


def test_a_city_name_with_a_line_break_is_refused_with_a_message_at_step_one(app, contact):
    contact.get(step_url("city"))
    response = contact.post(step_url("city"), {**CITY_ANSWERS, "city": "Lyon\r\nBcc: x@y.z"})
    assert response.status_code == 422
    assert 'href="#city"' in contact.text  # in the error summary, linked to the field
    assert field_error(contact.text, "city") == LINE_BREAK
    assert 'value="Lyon\r\nBcc: x@y.z"' in input_tag(contact.text, "city")
    assert 'value="Ricardo Nunes"' in contact.text  # the other answers are kept too
    with app.app_context():
        assert db.session.scalars(select(Pledge)).all() == []
    contact.post(step_url("city"), {**CITY_ANSWERS, "city": "Lyon"})
    assert contact.page.status_code == 303
    with app.app_context():
        assert db.session.scalars(select(Pledge.city)).all() == ["Lyon"]


def test_a_text_area_keeps_its_newlines_and_still_refuses_control_characters(app, contact):
    contact.complete_steps(upto="areas")
    summary = "First line.\r\nSecond line.\n\tIndented third line."
    contact.answer("pledge", {"summary": summary, "commitment": "Open a centre.\x00"})
    assert contact.page.status_code == 422
    assert field_error(contact.text, "summary") is None
    assert field_error(contact.text, "commitment") == CONTROL
    contact.answer("pledge", {"summary": summary})
    assert contact.page.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(Pledge.summary)) == summary.strip()


def test_a_multi_line_answer_on_the_status_page_keeps_its_newlines(app, make_coordinator, sign_in):
    coordinator = make_coordinator()
    pledge_id = sent_pledge(app)
    triage = CoordinatorBrowser(sign_in(coordinator))
    triage.act(pledge_id, "request-information", {"questions": "Who?\r\nWhen?"})
    assert triage.page.status_code == 303
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    city.get(path)
    field = re.search(r'name="(q\d+-answer)"', city.text).group(1)
    question = field.partition("-")[0][1:]
    city.post(f"{path}/questions/{question}", {field: "The mayor.\r\nIn May."})
    assert city.page.status_code == 303
    with app.app_context():
        assert db.session.scalar(select(InformationRequest.answer)) == "The mayor.\r\nIn May."


# --- fields with a rule of their own -------------------------------------------------------------


def test_a_password_with_a_line_break_is_only_a_wrong_password(app, make_coordinator):
    make_coordinator(ADMIN, role="admin", password=PASSWORD)
    browser = ContactBrowser(app.test_client())
    browser.get("/login")
    response = browser.post("/login", {"email": ADMIN, "password": PASSWORD + "\r\n"})
    assert response.status_code == 422
    assert "The email address or password is not right." in browser.text
    assert PASSWORD not in browser.text
    browser.post("/login", {"email": ADMIN, "password": PASSWORD})
    assert browser.page.status_code == 303


def test_a_new_password_with_a_line_break_is_refused_from_the_command_line_too(app, runner):
    result = runner.invoke(args=["coordinators", "create", "cli@mayorsmechanism.example",
                                 "--name", "Line\nBreak"], input="a long enough passphrase\n")
    assert result.exit_code != 0
    result = runner.invoke(args=["coordinators", "create", "cli@mayorsmechanism.example"],
                           input="a long\tenough passphrase\n")
    assert result.exit_code != 0
    assert CONTROL in result.output
    with app.app_context():
        assert db.session.scalars(select(Coordinator)).all() == []


def test_a_next_path_with_a_line_break_is_ignored(app, make_coordinator):
    make_coordinator(ADMIN, role="admin", password=PASSWORD)
    browser = ContactBrowser(app.test_client())
    browser.get("/login")
    response = browser.post("/login", {"email": ADMIN, "password": PASSWORD,
                                       "next": "/triage/\r\nSet-Cookie: x=1"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/triage/"
    assert "Set-Cookie: x=1" not in str(response.headers)


def test_a_version_with_a_line_break_is_a_conflict_and_changes_nothing(
        app, make_coordinator, sign_in):
    coordinator = make_coordinator()
    pledge_id = sent_pledge(app)
    with app.app_context():
        version = db.session.get(Pledge, pledge_id).version
    triage = CoordinatorBrowser(sign_in(coordinator))
    triage.act(pledge_id, "notes", {"body": "A note."}, version=f"{version}\r\n")
    assert triage.page.status_code == 409
    assert "Someone else changed this pledge" in triage.text
    with app.app_context():
        assert db.session.get(Pledge, pledge_id).version == version
        assert db.session.scalars(select(Note)).all() == []


def test_a_search_with_control_characters_is_folded_into_words(app, make_coordinator, sign_in):
    coordinator = make_coordinator()
    sent_pledge(app, city={**CITY_ANSWERS, "city": "Lyon", "country": "FR"})
    client = sign_in(coordinator)
    for query in ("Lyon\r\n", "Ly\x00on", "\x1b[2J Lyon", "Lyon\u2028", "Lyon\x85"):
        response = client.get("/triage/", query_string={"q": query, "state": "x\r\n"})
        assert response.status_code == 200, repr(query)
        body = response.get_data(as_text=True)
        shown = re.search(r'<input[^>]*\bname="q"[^>]*>', body).group(0)
        assert single_line_problem(unescape(shown)) is None, repr(query)
    found = client.get("/triage/", query_string={"q": "Lyon\r\n"}).get_data(as_text=True)
    assert re.search(r'name="q"[^>]*value="Lyon"', found)
    assert "CTA-" in found  # the pledge of Lyon is found
