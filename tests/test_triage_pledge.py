"""Coordinators work on a pledge: assign, ask, decide, follow implementation, never overwrite
each other, and everything they do is on the record."""
import re
from html import unescape
from html.parser import HTMLParser

from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEntry, Note, StatusChange

from .support.client import ContactBrowser, drain_queue, outbox_rows
from .support.triage import CoordinatorBrowser, load, sent_pledge, tracker_path

CONTACT = "ana.souza@prefeitura.example"


def coordinator(make_coordinator, sign_in, email="maria@uclg.example", role="coordinator",
                name="Maria"):
    account = make_coordinator(email=email, role=role, name=name)
    return account, CoordinatorBrowser(sign_in(account))


def test_a_coordinator_sees_every_answer_and_the_timeline(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    page = maria.open(pledge_id)
    assert page.status_code == 200
    for answer in ("São Paulo", "Welcome centre for newcomers", "Ricardo Nunes",
                   "Visits recorded by the centre", "R$250,000.00"):
        assert answer in maria.text
    assert "review state Draft → Submitted" in maria.text
    assert ("Email “Acknowledgement of a sent pledge” to ana.souza@prefeitura.example"
            in maria.text)


def test_the_timeline_is_in_words_in_the_coordinators_language(app, make_coordinator, sign_in,
                                                              mailbox):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    maria.act(pledge_id, "request-information", {"questions": "Which districts first?"})
    drain_queue(app)  # the emails go out: "sent"
    maria.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "fr"
    maria.open(pledge_id)
    timeline = unescape(maria.text[maria.text.index('id="timeline"'):])
    timeline = timeline[:timeline.index("</ol>")]
    assert "E-mail « Demande d'informations »" in timeline.replace("\u00a0", " ")
    assert ">envoyé<" in timeline
    for code in ("information_request", "acknowledgement", ">sent<", "pending",
                 "information_requested", "System", "City contact"):
        assert code not in timeline, code


def test_a_draft_or_unknown_pledge_is_not_found(app, make_coordinator, sign_in):
    ContactBrowser(app.test_client()).complete_steps(upto="city")
    _account, maria = coordinator(make_coordinator, sign_in)
    assert maria.open(1).status_code == 404
    assert maria.open(999).status_code == 404


def test_a_coordinator_assigns_a_pledge_and_it_is_audited(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    account, maria = coordinator(make_coordinator, sign_in)
    response = maria.act(pledge_id, "assign", {"assignee": str(account.id)})
    assert response.status_code == 303
    assert load(app, pledge_id).assignee_id == account.id
    maria.open(pledge_id)
    assert 'id="assignee-name">Maria<' in maria.text
    with app.app_context():
        entry = db.session.scalars(select(AuditEntry).filter_by(action="assigned")).one()
        assert entry.actor_label == "Maria" and entry.before["assignee_id"] is None
        assert entry.after["assignee_id"] == account.id


def test_accepting_with_a_message_tells_the_city(app, make_coordinator, sign_in, mailbox):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    maria.act(pledge_id, "state", {"target": "in_review"})
    maria.open(pledge_id)
    response = maria.act(pledge_id, "state", {"target": "accepted",
                                              "message": "Welcome aboard, São Paulo!"})
    assert response.status_code == 303
    pledge = load(app, pledge_id)
    assert pledge.review_state == "accepted" and pledge.implementation_stage == "planning"
    drain_queue(app)
    [news] = [m for m in mailbox.to(CONTACT) if "News about" in m["Subject"]]
    text = news.get_body(preferencelist=("plain",)).get_content()
    assert "Accepted" in text and "Welcome aboard, São Paulo!" in text
    assert "http://pledges.test/track/" in text
    with app.app_context():
        changes = db.session.scalars(select(StatusChange.to_state).order_by(StatusChange.id))
        assert list(changes) == ["submitted", "in_review", "accepted"]


def test_no_review_state_is_chosen_beforehand_so_one_click_emails_nobody(
        app, make_coordinator, sign_in, mailbox):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    maria.open(pledge_id)
    select = maria.text[maria.text.index('<select class="select" id="target"'):]
    select = select[:select.index("</select>")]
    assert "required" in select[:select.index(">")]
    assert re.search(r'<option value="">Choose a state</option>', select)
    assert "selected" not in select
    drain_queue(app)
    before = len(outbox_rows(app))

    response = maria.act(pledge_id, "state", {"target": ""})  # "Change the state" at once

    assert response.status_code == 422 and "Choose the new state." in maria.text
    assert load(app, pledge_id).review_state == "submitted"
    assert len(outbox_rows(app)) == before


def test_every_control_of_the_pledge_page_has_a_name_of_its_own(app, make_coordinator,
                                                                sign_in):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    maria.act(pledge_id, "state", {"target": "accepted"})
    maria.open(pledge_id)
    controls = Controls()
    controls.feed(maria.text)
    assert controls.controls, "no control found"
    for tag, attrs in controls.controls:
        name = attrs.get("aria-label") or controls.labels.get(attrs.get("id"))
        if tag == "button":
            continue  # named by their text (checked below)
        assert attrs.get("id") and controls.ids.count(attrs["id"]) == 1, (tag, attrs)
        assert name, f"{tag} {attrs} has no label"
    assert all(text.strip() for text in controls.button_texts)
    assert len(controls.label_targets) == len(set(controls.label_targets))


class Controls(HTMLParser):
    """The form controls of a page (but hidden inputs), every id, and the labels' targets."""

    def __init__(self):
        super().__init__()
        self.controls, self.ids, self.labels, self.label_targets = [], [], {}, []
        self.button_texts, self.label_for, self.in_button = [], None, False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if "id" in attrs:
            self.ids.append(attrs["id"])
        if tag == "label" and attrs.get("for"):
            self.label_for = attrs["for"]
            self.label_targets.append(attrs["for"])
            self.labels[attrs["for"]] = ""
        if tag in ("select", "textarea", "button") or (
                tag == "input" and attrs.get("type") != "hidden"):
            self.controls.append((tag, attrs))
        if tag == "button":
            self.in_button = True
            self.button_texts.append("")

    def handle_endtag(self, tag):
        if tag == "label":
            self.label_for = None
        if tag == "button":
            self.in_button = False

    def handle_data(self, data):
        if self.label_for:
            self.labels[self.label_for] += data
        if self.in_button:
            self.button_texts[-1] += data


def test_a_refused_move_is_explained_and_changes_nothing(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    response = maria.act(pledge_id, "state", {"target": "withdrawn"})
    assert response.status_code == 422
    assert "Not a valid choice" in maria.text or "cannot be moved" in maria.text
    assert load(app, pledge_id).review_state == "submitted"


def test_the_second_of_two_coordinators_gets_a_conflict_and_nothing_is_overwritten(
        app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _maria_account, maria = coordinator(make_coordinator, sign_in)
    _li_account, li = coordinator(make_coordinator, sign_in, email="li@iom.example", name="Li")
    maria.open(pledge_id)
    li.open(pledge_id)
    assert maria.act(pledge_id, "state", {"target": "accepted"}).status_code == 303
    response = li.act(pledge_id, "state", {"target": "declined", "message": "No."})
    assert response.status_code == 409
    assert "Someone else changed this pledge" in li.text
    assert load(app, pledge_id).review_state == "accepted"
    assert [r.kind for r in outbox_rows(app) if r.kind == "status_changed"] == ["status_changed"]


def test_the_request_information_round_trip(app, make_coordinator, sign_in, mailbox):
    pledge_id = sent_pledge(app)
    account, maria = coordinator(make_coordinator, sign_in)
    maria.act(pledge_id, "assign", {"assignee": str(account.id)})
    maria.open(pledge_id)
    response = maria.act(pledge_id, "request-information",
                         {"questions": "Which districts will the centre serve?"})
    assert response.status_code == 303
    assert load(app, pledge_id).review_state == "information_requested"
    drain_queue(app)
    [asked] = [m for m in mailbox.to(CONTACT) if "Questions about" in m["Subject"]]
    text = asked.get_body(preferencelist=("plain",)).get_content()
    assert "Which districts will the centre serve?" in text
    link = next(word for word in text.split() if "/track/" in word)
    city = ContactBrowser(app.test_client())
    city.get(link.removeprefix("http://pledges.test"))
    assert "Which districts will the centre serve?" in city.text
    form_action = link.removeprefix("http://pledges.test") + "/questions/"
    question_id = city.text.split(form_action)[1].split('"')[0]
    response = city.post(form_action + question_id,
                         {f"q{question_id}-answer": "Sé and Mooca first, then all."})
    assert response.status_code == 303
    assert load(app, pledge_id).review_state == "in_review"
    drain_queue(app)
    [told] = mailbox.to("maria@uclg.example")
    assert "The city answered" in told["Subject"]
    assert "Sé and Mooca first" in told.get_body(preferencelist=("plain",)).get_content()
    maria.open(pledge_id)
    assert "The city answered:" in maria.text and "Sé and Mooca first" in maria.text


def test_internal_notes_stay_internal(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    maria.act(pledge_id, "notes", {"body": "Call the mayor's office before deciding."})
    maria.open(pledge_id)
    assert "Call the mayor&#39;s office before deciding." in maria.text
    city_page = app.test_client().get(tracker_path(app, pledge_id))
    assert "Call the mayor" not in city_page.get_data(as_text=True)
    with app.app_context():
        assert db.session.scalars(select(Note)).one().author_label == "Maria"


def test_a_duplicate_is_detected_and_merged(app, make_coordinator, sign_in):
    first = sent_pledge(app)
    second = sent_pledge(app, pledge={"title": "A welcome centre for newcomers"})
    _account, maria = coordinator(make_coordinator, sign_in)
    maria.open(second)
    assert "Possible duplicates" in maria.text
    response = maria.act(second, "merge", {"original": str(first)})
    assert response.status_code == 303
    merged = load(app, second)
    assert merged.review_state == "merged" and merged.merged_into_id == first
    assert load(app, first).review_state == "submitted"


def test_implementation_progress_is_recorded_once_accepted(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    refused = maria.act(pledge_id, "stage", {"stage": "fulfilled", "narrative": "Done"})
    assert refused.status_code == 422
    maria.act(pledge_id, "state", {"target": "accepted"})
    maria.open(pledge_id)
    response = maria.act(pledge_id, "stage", {"stage": "in-progress",
                                              "narrative": "The centre opened in March."})
    assert response.status_code == 303
    assert load(app, pledge_id).implementation_stage == "in-progress"
    city_page = app.test_client().get(tracker_path(app, pledge_id)).get_data(as_text=True)
    assert "The centre opened in March." in city_page
    assert 'id="stage">In progress<' in city_page


def test_a_partner_may_read_but_not_change(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _account, partner = coordinator(make_coordinator, sign_in, email="p@partner.example",
                                    role="partner")
    partner.open(pledge_id)
    assert partner.page.status_code == 200
    assert "Change the state" not in partner.text
    for action in ("assign", "state", "request-information", "notes", "stage", "merge"):
        response = partner.client.post(f"/triage/pledges/{pledge_id}/{action}", data={})
        assert response.status_code in (400, 403), action  # CSRF first, then the role
    response = partner.post(f"/triage/pledges/{pledge_id}/state",
                            {"version": "1", "target": "accepted"})  # the page's token
    assert response.status_code == 403
    assert load(app, pledge_id).review_state == "submitted"


def test_bad_input_on_a_pledge_page_is_explained_and_kept(app, make_coordinator, sign_in):
    pledge_id = sent_pledge(app)
    _account, maria = coordinator(make_coordinator, sign_in)
    response = maria.act(pledge_id, "request-information", {"questions": ""})
    assert response.status_code == 422
    assert "Write the questions to ask the city." in maria.text
    maria.open(pledge_id)
    long_note = "x" * 4001
    response = maria.act(pledge_id, "notes", {"body": long_note})
    assert response.status_code == 422 and "Use 4000 characters or fewer." in maria.text
    assert long_note in maria.text
