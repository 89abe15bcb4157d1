"""A city reports progress on its accepted pledge through its private link: from the update
reminder's link to the report form, sent once, shown in its status page's history and on the
coordinators' timeline, the stage moved forward (never back) and audited."""
import re
from datetime import date, datetime, timedelta, timezone
from html import unescape

import feedparser
import pytest
from babel.dates import format_date
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from markupsafe import escape
from sqlalchemy import select

from intake.clock import as_utc
from intake.extensions import db
from intake.models import AuditEntry, InformationRequest, Note, Pledge, ProgressReport, StatusChange
from intake.pledges import progress
from intake.reminders import planning

from .support.client import PLEDGE_ANSWERS, ContactBrowser, drain_queue, outbox_rows
from .support.concurrency import at_once, held_together, post_with, same_browser
from .support.triage import CoordinatorBrowser, load, sent_pledge, tracker_path

CONTACT = "ana.souza@prefeitura.example"
COORDINATORS = "coordinators@mayorsmechanism.example"
DAY = timedelta(days=1)
REPORT = {
    "stage": "in-progress",
    "done": "The centre opened in March; 4 advisers hired.",
    "results": "1,250 visits recorded in the first six months.",
    "share_delivered": "40",
    "evidence_links": "https://prefeitura.example/centre\nhttp://news.example/opening",
    "help_needed": "Advice on case management software.",
}


def sweep(runner, moment):
    result = runner.invoke(args=["reminders", "sweep", "--now", moment.isoformat()])
    assert result.exit_code == 0, result.output
    return int(re.match(r"(\d+) reminder", result.output).group(1))


def accepted_pledge(app, make_coordinator, sign_in):
    """A pledge the city sent and a coordinator accepted; returns its id and the coordinator."""
    pledge_id = sent_pledge(app)
    maria = CoordinatorBrowser(sign_in(make_coordinator(email="maria@uclg.example",
                                                        name="Maria")))
    response = maria.act(pledge_id, "state", {"target": "accepted", "message": ""})
    assert response.status_code == 303
    maria.open(pledge_id)
    return pledge_id, maria


def report_page(app, pledge_id):
    city = ContactBrowser(app.test_client())
    path = tracker_path(app, pledge_id) + "/report"
    city.get(path)
    assert city.page.status_code == 200
    return city, path


def form_key(city):
    return re.search(r'name="form_key" type="hidden" value="([^"]+)"', city.text).group(1)


def send(city, path, changes=None, action="send"):
    data = {**REPORT, **(changes or {}), "form_key": form_key(city), "action": action}
    return city.post(path, {key: value for key, value in data.items() if value is not None})


def checked_stage(page):
    radios = re.findall(r'<input[^>]*name="stage"[^>]*>', page)
    return [re.search(r'value="([^"]+)"', r).group(1) for r in radios if "checked" in r][0]


def field_error(page, field_id):
    found = re.search(rf'<p class="error-message" id="{re.escape(field_id)}-error">'
                      r'<span class="visually-hidden">[^<]*</span> ([^<]*)</p>', page)
    return unescape(found.group(1)) if found else None


def reports(app, **filters):
    with app.app_context():
        rows = db.session.scalars(select(ProgressReport).filter_by(**filters)
                                  .order_by(ProgressReport.id)).all()
        db.session.expunge_all()
        return rows


def plain_text(message):
    return message.get_body(preferencelist=("plain",)).get_content()


# --- the round trip ------------------------------------------------------------------------------


def test_a_city_reports_progress_from_the_reminders_link_and_the_coordinators_see_it(
        app, runner, mailbox, make_coordinator, sign_in):
    pledge_id, maria = accepted_pledge(app, make_coordinator, sign_in)
    accepted = as_utc(load(app, pledge_id).accepted_at)
    assert sweep(runner, accepted + 183 * DAY) == 1
    drain_queue(app)
    [reminder] = [m for m in mailbox.to(CONTACT) if "report progress" in m["Subject"]]
    link = re.search(r"http://pledges\.test(/track/[^/\s]+/report)\b", plain_text(reminder))
    assert link, plain_text(reminder)

    city = ContactBrowser(app.test_client())
    city.get(link.group(1))
    assert city.page.status_code == 200
    assert "Report progress" in city.text
    assert PLEDGE_ANSWERS["progress_measures"] in city.text  # the pledge's own measures
    assert checked_stage(city.text) == "planning"  # where the pledge stands, to start from
    sent = send(city, link.group(1))
    assert sent.status_code == 303
    tracker = sent.headers["Location"]
    assert tracker.endswith(link.group(1).removesuffix("/report"))

    city.get(tracker)
    assert "Thank you: your progress report was sent to the coordinators." in city.text
    history = city.text.split('id="progress-reports"', 1)[1]
    today = format_date(datetime.now(timezone.utc).date(), "medium", locale="en")  # "Dec 2, 2026"
    assert f"Progress report of {today}" in history
    assert "The centre opened in March; 4 advisers hired." in history
    assert "40%" in history
    assert ('<a href="https://prefeitura.example/centre" rel="nofollow noopener">'
            'https://prefeitura.example/centre</a>') in history
    assert '<strong id="stage">In progress</strong>' in city.text

    pledge = load(app, pledge_id)
    assert pledge.implementation_stage == "in-progress"
    assert as_utc(pledge.last_report_at).date() == datetime.now(timezone.utc).date()
    assert pledge.last_update_at == pledge.last_report_at
    # The next update reminder counts from this report.
    assert as_utc(pledge.next_reminder_at) == as_utc(pledge.last_report_at) + 182 * DAY
    with app.app_context():
        change = db.session.scalars(select(StatusChange).filter_by(
            pledge_id=pledge_id, axis="implementation")).one()
        assert (change.from_state, change.to_state, change.actor_label) == \
            ("planning", "in-progress", "City contact")
        audited = set(db.session.scalars(select(AuditEntry.action).filter_by(
            pledge_id=pledge_id)))
        assert {"progress_report_sent", "implementation_stage_changed"} <= audited

    drain_queue(app)
    [told] = [m for m in mailbox.to(COORDINATORS) if "Progress report received" in m["Subject"]]
    assert pledge.reference in told["Subject"]
    assert f"http://pledges.test/triage/pledges/{pledge_id}" in plain_text(told)
    assert "The centre opened in March" in plain_text(told)

    maria.open(pledge_id)
    timeline = maria.text.split('id="timeline"', 1)[1]
    assert "The city sent a progress report:" in timeline
    assert "The centre opened in March; 4 advisers hired." in timeline
    assert '<strong id="stage-name">In progress</strong>' in maria.text
    assert 'href="http://news.example/opening" rel="nofollow noopener"' in timeline
    assert "City contact: implementation Planning → In progress" in unescape(timeline)

    # The public register shows the report, dated, on the pledge's page and in its feed.
    visitor = app.test_client()
    register_page = visitor.get(f"/register/{pledge.reference}").get_data(as_text=True)
    reports = register_page.split('id="reports"', 1)[1]
    assert f"Progress report of {today}" in reports
    assert "The centre opened in March; 4 advisers hired." in reports
    assert "In progress" in reports
    feed = feedparser.parse(visitor.get("/register/feed.atom").get_data())
    assert any("The centre opened in March" in (entry.get("summary") or "")
               for entry in feed.entries), [entry.get("summary") for entry in feed.entries]


def test_the_report_reaches_the_assignee_when_there_is_one(app, make_coordinator, sign_in):
    pledge_id, maria = accepted_pledge(app, make_coordinator, sign_in)
    assigned = maria.act(pledge_id, "assign",
                         {"assignee": str(_coordinator_id(app, "maria@uclg.example"))})
    assert assigned.status_code == 303
    city, path = report_page(app, pledge_id)
    assert send(city, path).status_code == 303
    [row] = outbox_rows(app, kind="progress_report_received")
    assert row.recipient == "maria@uclg.example"


def _coordinator_id(app, email):
    from intake.models import Coordinator

    with app.app_context():
        return db.session.scalar(select(Coordinator.id).where(Coordinator.email == email))


# --- save and come back later --------------------------------------------------------------------


def test_a_half_filled_report_is_kept_as_typed_and_found_again(app, make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    saved = send(city, path, {"stage": None, "done": "Half of it written",
                              "share_delivered": "about half", "results": "",
                              "evidence_links": "www.example.org", "help_needed": ""},
                 action="save")
    assert saved.status_code == 303
    tracker = saved.headers["Location"]
    city.get(tracker)
    assert "Your report is saved as a draft." in city.text
    assert "Continue your report" in city.text
    assert reports(app, state="sent") == []
    assert outbox_rows(app, kind="progress_report_received") == []

    # Another day, through a fresh link: the page as it was left, problems not shown yet.
    city, path = report_page(app, pledge_id)
    assert "This is the draft you saved" in city.text
    assert "Half of it written" in city.text
    assert 'value="about half"' in city.text
    assert "www.example.org" in city.text
    assert "error-summary" not in city.text
    refused = send(city, path, {"stage": None, "done": "Half of it written",
                                "share_delivered": "about half",
                                "evidence_links": "www.example.org"})
    assert refused.status_code == 422
    assert field_error(city.text, "share_delivered").startswith("Enter the share delivered")
    sent = send(city, path, {"done": "All of it written now"})
    assert sent.status_code == 303
    [report] = reports(app)  # the draft became the report: no second row
    assert (report.state, report.done, report.share_delivered, report.typed) == \
        ("sent", "All of it written now", 40, None)
    assert report.evidence_links == ["https://prefeitura.example/centre",
                                     "http://news.example/opening"]


def test_a_city_that_switches_language_while_reporting_keeps_what_it_typed(
        app, make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    assert 'form="report-form" name="switch_language" value="es"' in city.text
    switched = city.post(path, {"done": "Half of it written", "share_delivered": "about half",
                                "form_key": form_key(city), "switch_language": "es"})
    assert switched.status_code == 303
    assert switched.headers["Location"] == path
    city.get(path)
    assert '<html lang="es">' in city.text
    assert "Half of it written" in city.text
    assert 'value="about half"' in city.text
    assert [report.state for report in reports(app)] == ["draft"]


def test_switching_language_on_an_untouched_report_starts_no_draft(
        app, make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    stage = checked_stage(city.text)  # preset from the pledge
    switched = city.post(path, {"stage": stage, "form_key": form_key(city),
                                "switch_language": "fr"})
    assert switched.headers["Location"] == path
    city.get(path)
    assert '<html lang="fr">' in city.text
    assert reports(app) == []


def test_a_complete_draft_is_kept_in_its_columns(app, make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    assert send(city, path, action="save").status_code == 303
    [draft] = reports(app)
    assert (draft.state, draft.share_delivered, draft.typed, draft.stage) == \
        ("draft", 40, None, "in-progress")
    city, path = report_page(app, pledge_id)
    assert "1,250 visits recorded" in city.text and 'value="40"' in city.text
    assert load(app, pledge_id).implementation_stage == "planning"  # a draft moves nothing


def test_saving_an_empty_report_is_explained(app, make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    empty = {name: "" for name in REPORT} | {"stage": None}
    assert send(city, path, empty, action="save").status_code == 422
    assert "There is nothing to save yet" in city.text
    assert reports(app) == []


# --- bad input -----------------------------------------------------------------------------------


BAD_ANSWERS = [
    ({"stage": None}, "stage", "Choose the stage the pledge has reached."),
    ({"stage": "abandoned"}, "stage", "Not a valid choice."),
    ({"done": "  "}, "done", "Say what was done since the last report."),
    ({"share_delivered": "101"}, "share_delivered", "Enter the share delivered as a whole "
     "number from 0 to 100, or leave it empty."),
    ({"share_delivered": "-5"}, "share_delivered", None),
    ({"share_delivered": "4.5"}, "share_delivered", None),
    ({"share_delivered": "forty"}, "share_delivered", None),
    ({"evidence_links": "javascript:alert(1)"}, "evidence_links", "Link 1 is not a web "
     "address: give each link in full, starting with https:// or http://."),
    ({"evidence_links": "https://ok.example\nftp://files.example/report"}, "evidence_links",
     "Link 2 is not a web address: give each link in full, starting with https:// or "
     "http://."),
    ({"evidence_links": "www.example.org"}, "evidence_links", None),
    ({"evidence_links": "https://"}, "evidence_links", None),
    ({"evidence_links": "\n".join(f"https://e.example/{n}" for n in range(6))},
     "evidence_links", "Give at most 5 links."),
    ({"results": "Visits\x00"}, "results", "Remove the invisible control characters from "
     "this answer."),
    ({"share_delivered": "4\r\n0"}, "share_delivered", "Use a single line, without line "
     "breaks."),
]


@pytest.mark.parametrize("changes, field_id, message", BAD_ANSWERS,
                         ids=[next(iter(c)) + ":" + repr(next(iter(c.values())))[:20]
                              for c, _f, _m in BAD_ANSWERS])
def test_every_bad_answer_is_refused_with_a_message_and_kept(
        app, make_coordinator, sign_in, changes, field_id, message):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    response = send(city, path, {**changes, "done": changes.get("done", "<b>Bold</b> work")})
    assert response.status_code == 422
    shown = field_error(city.text, field_id)
    assert shown is not None, city.text[:3000]
    if message:
        assert shown == message
    anchor = "stage-0" if field_id == "stage" else field_id  # a radio group: its first radio
    assert f'href="#{anchor}"' in city.text  # in the error summary, linked to the field
    assert "&lt;b&gt;Bold&lt;/b&gt; work" in city.text or "done" in changes  # kept, escaped
    for name, value in changes.items():
        if value and name not in ("stage",) and "\x00" not in value:
            assert unescape(value).strip() in unescape(city.text), name
    assert reports(app) == []
    assert load(app, pledge_id).implementation_stage == "planning"


def accepted_directly(app):
    """A sent pledge marked accepted in the database (quicker, for many examples)."""
    pledge_id = sent_pledge(app)
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        pledge.review_state, pledge.accepted_at = "accepted", datetime.now(timezone.utc)
        pledge.implementation_stage = "planning"
        db.session.commit()
    return pledge_id


def shown_back(typed):
    """What a refused page must show of an answer: all of it, unless it holds a control
    character (refused, and shown as the browser sent it)."""
    shown = typed.strip()
    return shown if shown and not any(ord(c) < 32 and c not in "\t\n\r" for c in shown) \
        else None


@settings(max_examples=25, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow])
@given(stage=st.sampled_from(["planning", "in-progress", "fulfilled", "", "back"]),
       done=st.text(max_size=300), share=st.text(max_size=6), links=st.text(max_size=200),
       action=st.sampled_from(["send", "save"]))
@example(stage="planning", done="Done.", share="²", links="", action="send")  # a digit to
@example(stage="planning", done="Done.", share="٤٠", links="", action="save")  # Unicode
def test_any_report_is_never_a_server_error_and_nothing_typed_is_lost(app, stage, done, share,
                                                                     links, action):
    city, path = report_page(app, accepted_directly(app))
    response = send(city, path, {"stage": stage, "done": done, "share_delivered": share,
                                 "evidence_links": links}, action=action)
    assert response.status_code in (303, 422)
    if response.status_code == 422:
        for typed in (done, share):
            if shown_back(typed) and "There is nothing to save yet" not in city.text:
                assert str(escape(shown_back(typed))) in city.text


def test_a_stage_going_back_is_refused_and_the_report_kept(app, make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    assert send(city, path).status_code == 303  # now in progress
    city, path = report_page(app, pledge_id)
    refused = send(city, path, {"stage": "planning", "done": "We paused to re-plan."})
    assert refused.status_code == 422
    assert field_error(city.text, "stage") == (
        "The stage cannot go back from “In progress” to “Planning”: choose “In progress” or "
        "a later stage. If the stage shown is wrong, tell the coordinators in your report.")
    assert "We paused to re-plan." in city.text
    assert len(reports(app, state="sent")) == 1
    assert load(app, pledge_id).implementation_stage == "in-progress"
    # Staying at the same stage is fine, and moves nothing on the implementation axis.
    assert send(city, path, {"stage": "in-progress", "done": "More visits."}).status_code == 303
    with app.app_context():
        moves = db.session.scalars(select(StatusChange.to_state).filter_by(
            pledge_id=pledge_id, axis="implementation")).all()
    assert moves == ["in-progress"]
    assert len(reports(app, state="sent")) == 2


def test_only_an_accepted_pledge_takes_reports(app):
    pledge_id = sent_pledge(app)
    path = tracker_path(app, pledge_id)
    city = ContactBrowser(app.test_client())
    response = city.get(path + "/report")
    assert response.status_code == 303 and response.headers["Location"].endswith(path)
    city.get(path)
    assert "Progress is reported once a pledge is accepted." in city.text
    assert "Report progress" not in city.text
    with app.app_context():
        with pytest.raises(progress.ReportRefused):
            progress.check_answers(db.session.get(Pledge, pledge_id), {"stage": "planning"})


# --- a second click ------------------------------------------------------------------------------


@pytest.mark.parametrize("htmx", [False, True], ids=["plain", "htmx"])
def test_send_clicked_twice_sends_once(app, make_coordinator, sign_in, htmx):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    second = same_browser(app, city)
    headers = {"HX-Request": "true"} if htmx else None
    data = {**REPORT, "form_key": form_key(city), "action": "send"}
    first, again = city.post(path, data, headers=headers), second.post(path, data,
                                                                       headers=headers)
    for response in (first, again):
        if htmx:
            assert response.status_code == 200
            assert response.headers["HX-Redirect"] == path.removesuffix("/report")
        else:
            assert response.status_code == 303
    pages = [browser.get(path.removesuffix("/report")).get_data(as_text=True)
             for browser in (city, second)]
    assert "Thank you: your progress report was sent to the coordinators." in pages[0]
    assert "Your progress report was sent. Thank you." in pages[1]  # what the first click did
    assert len(reports(app)) == 1
    assert len(outbox_rows(app, kind="progress_report_received")) == 1


def test_a_forged_form_key_is_replaced(app, make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    response = city.post(path, {**REPORT, "form_key": "bad\r\nkey", "action": "send"})
    assert response.status_code == 303
    [report] = reports(app)
    assert re.fullmatch(r"[A-Za-z0-9_\-]{24}", report.form_key)


def test_two_clicks_on_send_at_the_same_moment_send_once(app, make_coordinator, sign_in,
                                                         monkeypatch):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    second = same_browser(app, city)
    held_together(monkeypatch, progress, "send_report")
    data = {**REPORT, "form_key": form_key(city), "action": "send"}
    responses = at_once(post_with(city, path, data), post_with(second, path, data))
    assert [r.status_code for r in responses] == [303, 303]
    assert len(reports(app)) == 1
    assert len(outbox_rows(app, kind="progress_report_received")) == 1
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(StatusChange).where(
            StatusChange.axis == "implementation")) == 1


def test_a_report_sent_as_the_pledge_changes_goes_through_on_the_pledge_as_it_is_now(
        app, app_factory, make_coordinator, sign_in, monkeypatch):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    other_process = app_factory()  # a coordinator, or the reminder sweep, at that moment
    real_send, tries = progress.send_report, []

    def counted(pledge, *args, **kwargs):
        tries.append(pledge.version)
        return real_send(pledge, *args, **kwargs)

    def send_as_the_pledge_changes(pledge, *args, **kwargs):
        monkeypatch.setattr(progress, "send_report", counted)
        with other_process.app_context():
            db.session.get(Pledge, pledge_id).next_reminder_at = None
            db.session.commit()
        return counted(pledge, *args, **kwargs)

    monkeypatch.setattr(progress, "send_report", send_as_the_pledge_changes)
    assert send(city, path).status_code == 303
    assert len(tries) == 2  # refused as out of date, then sent on the pledge as it is now
    assert len(reports(app, state="sent")) == 1
    assert load(app, pledge_id).implementation_stage == "in-progress"


# --- the update reminder -------------------------------------------------------------------------


def test_the_update_reminder_before_a_milestone_says_which_forum_and_by_when(app, runner,
                                                                             mailbox):
    app.config["REVIEW_MILESTONES"] = [("IMRF 2028", date(2028, 5, 1))]
    pledge_id = sent_pledge(app)
    accepted = datetime(2027, 6, 1, tzinfo=timezone.utc)
    with app.app_context():
        pledge = db.session.get(Pledge, pledge_id)
        pledge.review_state, pledge.accepted_at = "accepted", accepted
        pledge.implementation_stage = "planning"
        planning.plan_reminders(pledge)
        db.session.commit()
    assert sweep(runner, accepted + 183 * DAY) == 1
    assert sweep(runner, datetime(2028, 4, 2, tzinfo=timezone.utc)) == 1
    drain_queue(app)
    first, before_milestone = [m for m in mailbox.to(CONTACT) if "report progress" in m["Subject"]]
    assert "IMRF" not in plain_text(first)
    wording = ("This update is for IMRF 2028: please send it by May 1, 2028, so that it can be "
               "reported there.")
    assert wording in plain_text(before_milestone)
    html = before_milestone.get_body(preferencelist=("html",)).get_content()
    assert wording in unescape(html)
    assert re.search(r'href="http://pledges\.test/track/[^"/]+/report"', html)


# --- the coordinators ----------------------------------------------------------------------------


def sent_report(app, make_coordinator, sign_in):
    pledge_id, maria = accepted_pledge(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    assert send(city, path).status_code == 303
    [report] = reports(app)
    return pledge_id, maria, report, path.removesuffix("/report")


def test_a_coordinator_comments_on_a_report_internally(app, make_coordinator, sign_in):
    pledge_id, maria, report, tracker = sent_report(app, make_coordinator, sign_in)
    maria.open(pledge_id)
    response = maria.act(pledge_id, f"reports/{report.id}/note",
                         {f"report{report.id}-note-version": _shown_version(maria),
                          f"report{report.id}-note-body": "Ask for the visit figures by area."})
    assert response.status_code == 303, maria.text[:2000]
    with app.app_context():
        note = db.session.scalars(select(Note)).one()
        assert (note.body, note.progress_report_id) == ("Ask for the visit figures by area.",
                                                       report.id)
    maria.open(pledge_id)
    assert "(on the progress report of" in maria.text
    city = ContactBrowser(app.test_client())
    city.get(tracker)
    assert "Ask for the visit figures" not in city.text  # internal


def test_an_empty_comment_is_explained_and_kept_beside_its_report(app, make_coordinator,
                                                                  sign_in):
    pledge_id, maria, report, _tracker = sent_report(app, make_coordinator, sign_in)
    maria.open(pledge_id)
    response = maria.act(pledge_id, f"reports/{report.id}/note",
                         {f"report{report.id}-note-version": _shown_version(maria),
                          f"report{report.id}-note-body": " "})
    assert response.status_code == 422
    assert field_error(maria.text, f"report{report.id}-note-body") == "Write the comment."
    assert "<details open>" in maria.text


def test_a_coordinator_asks_the_city_about_a_report_and_the_pledge_stays_accepted(
        app, make_coordinator, sign_in, mailbox):
    pledge_id, maria, report, tracker = sent_report(app, make_coordinator, sign_in)
    maria.open(pledge_id)
    response = maria.act(pledge_id, f"reports/{report.id}/question",
                         {f"report{report.id}-question-version": _shown_version(maria),
                          f"report{report.id}-question-questions": "How many visits by area?"})
    assert response.status_code == 303, maria.text[:2000]
    assert load(app, pledge_id).review_state == "accepted"
    drain_queue(app)
    assert [m for m in mailbox.to(CONTACT) if "Questions about" in m["Subject"]]

    city = ContactBrowser(app.test_client())
    city.get(tracker)
    assert "About your progress report of" in city.text
    assert "How many visits by area?" in city.text
    field = re.search(r'name="(q(\d+)-answer)"', city.text)
    answered = city.post(f"{tracker}/questions/{field.group(2)}",
                         {field.group(1): "Sé 400, Mooca 300."})
    assert answered.status_code == 303
    assert load(app, pledge_id).review_state == "accepted"
    with app.app_context():
        question = db.session.scalars(select(InformationRequest)).one()
        assert (question.answer, question.progress_report_id) == ("Sé 400, Mooca 300.",
                                                                 report.id)
    maria.open(pledge_id)
    assert "Sé 400, Mooca 300." in maria.text


def test_an_accepted_pledge_may_be_asked_about_without_a_report(app, make_coordinator,
                                                                sign_in):
    pledge_id, maria = accepted_pledge(app, make_coordinator, sign_in)
    response = maria.act(pledge_id, "request-information", {"questions": "Any news?"})
    assert response.status_code == 303
    pledge = load(app, pledge_id)
    assert pledge.review_state == "accepted"
    # Asked twice from the same page (a double click): a conflict, not a second question.
    maria.open(pledge_id)
    again = maria.act(pledge_id, "request-information", {"questions": "Any news?"},
                      version=str(pledge.version - 1))
    assert again.status_code == 409
    with app.app_context():
        assert db.session.scalar(select(db.func.count()).select_from(InformationRequest)) == 1


def test_a_report_of_another_pledge_is_not_found(app, make_coordinator, sign_in):
    pledge_id, maria, report, _tracker = sent_report(app, make_coordinator, sign_in)
    other = sent_pledge(app, city={"city": "Lyon", "country": "FR"})
    maria.open(other)
    response = maria.act(other, f"reports/{report.id}/note",
                         {f"report{report.id}-note-body": "Misplaced"})
    assert response.status_code == 404
    assert pledge_id != other


def _shown_version(browser):
    return re.search(r'name="version" type="hidden" value="(\d+)"', browser.text).group(1)


# --- what the register part reads --------------------------------------------------------------


def test_sent_reports_are_read_newest_first_and_drafts_never(app, make_coordinator, sign_in):
    pledge_id, _maria, first, _tracker = sent_report(app, make_coordinator, sign_in)
    city, path = report_page(app, pledge_id)
    send(city, path, {"stage": "fulfilled", "done": "Done."})
    city, path = report_page(app, pledge_id)
    send(city, path, {"done": "A draft, not sent."}, action="save")
    with app.app_context():
        newest, oldest = progress.sent_reports(pledge_id)
        assert (newest.stage, oldest.id) == ("fulfilled", first.id)
        many = progress.sent_reports_of([pledge_id, 999])
        assert [r.id for r in many[pledge_id]] == [newest.id, oldest.id]
        assert many[999] == []  # a pledge without a sent report (or none at all)
        assert progress.open_draft(db.session.get(Pledge, pledge_id)).done == \
            "A draft, not sent."


def test_a_report_paused_by_the_rate_limit_keeps_what_was_typed(app, app_factory,
                                                                make_coordinator, sign_in):
    pledge_id, _maria = accepted_pledge(app, make_coordinator, sign_in)
    limited = app_factory(RATE_LIMITS_ENABLED=True, RATE_LIMIT_TOKEN_PAGES="2 per minute")
    city, path = report_page(limited, pledge_id)  # the first of the two
    assert send(city, path, {"share_delivered": "400"}).status_code == 422
    paused = send(city, path, {"share_delivered": "400"})
    assert paused.status_code == 429 and "Retry-After" in paused.headers
    assert "This page was sent many times from your connection" in city.text
    assert 'value="400"' in city.text and REPORT["done"] in city.text
    assert reports(app) == []
