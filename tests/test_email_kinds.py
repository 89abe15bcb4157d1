"""Every kind of email, read in English, French and Spanish, as its recipient gets it: one plain
layout (inline styles, safe in dark mode) with the Mayors Mechanism's name at the top, a plain
text part with the same links, the help contact and a Reply-To to it, absolute links, a link to
the pledge in every coordinator's email, and how long a private link works."""
import re
from email import message_from_bytes, policy

import pytest
from flask_babel import force_locale, format_date, gettext
from markupsafe import escape

from intake.clock import utcnow
from intake.email import kinds, message
from intake.email.outbox import queue_email
from intake.extensions import db
from intake.models import InformationRequest, Pledge, ProgressReport, SupportOffer

from .support.register import sent_report, stored_pledge

CONTACT_EMAIL = "help@mayorsmechanism.example"
BASE_URL = "http://pledges.test"
LANGUAGES = ("en", "fr", "es")
HREF = re.compile(r'href="([^"]*)"')
URL = re.compile(r"https?://\S+")
STYLE = re.compile(r'style="([^"]*)"')
CONTACT_LINE = {"en": "Questions? Write to us:", "fr": "Des questions\u00a0? Écrivez-nous\u00a0:",
                "es": "¿Preguntas? Escríbanos:"}


def contexts(pledge, offer, report, request, other):
    """What the event that causes each kind of email writes on its row."""
    return {
        "resume_links": {"pledge_ids": [pledge.id, other.id]},
        "coordinator_digest": {"day": "2026-12-01", "pledges": [
            {"id": pledge.id, "reference": pledge.reference, "city": pledge.city,
             "title": pledge.title}]},
        "status_changed": {"message": "Welcome aboard.", "state": "accepted"},
        "information_request": {"questions": "Who runs the centre?"},
        "information_answered": {"questions": request.questions, "answer": "The city."},
        "reminder_update": {"milestone": "the 2027 review"},
        "progress_report_received": {"report_id": report.id},
        "pledge_withdrawn": {"reason": "A new council."},
        **{kind: {"offer_id": offer.id} for kind in kinds.OFFER_KINDS},
    }


def built_emails(app, language):
    """Each kind of email in the language, built as the worker builds it: ({kind: the parsed
    message}, the pledge's page in the triage)."""
    reference = stored_pledge(app, city="Lyon", country="FR")
    other = stored_pledge(app, city="Dakar", country="SN", review_state="draft")
    report_id = sent_report(app, reference)
    built = {}
    with app.app_context():
        pledge = db.session.query(Pledge).filter_by(reference=reference).one()
        offer = SupportOffer(pledge_id=pledge.id, organisation="Puentes", kind="funding",
                             offer="Two advisers for a year.", contact_email="lucia@p.example",
                             language="es", city_consented_at=utcnow())
        request = InformationRequest(pledge_id=pledge.id, questions="Who runs the centre?",
                                     requested_at=utcnow())
        db.session.add_all([offer, request])
        db.session.flush()
        context_of = contexts(pledge, offer, db.session.get(ProgressReport, report_id), request,
                              db.session.query(Pledge).filter_by(reference=other).one())
        for kind in kinds.SUBJECTS:
            row = queue_email(kind, f"{kind}@example.org", language, f"all:{kind}",
                              context=context_of.get(kind), pledge_id=pledge.id)
            db.session.flush()
            mail = message.build_message(row, message.email_context(row))
            built[kind] = message_from_bytes(mail.as_bytes(), policy=policy.default)
        page = f"{BASE_URL}/triage/pledges/{pledge.id}"
        db.session.rollback()
    return built, page


def parts(mail):
    return (mail.get_body(preferencelist=("plain",)).get_content(),
            mail.get_body(preferencelist=("html",)).get_content())


def test_every_kind_of_email_has_a_subject_and_a_label_for_the_coordinators():
    assert set(kinds.KIND_LABELS) <= set(kinds.SUBJECTS)
    assert set(kinds.SUBJECTS) - set(kinds.KIND_LABELS) <= {"resume_links"}


def has_both_parts_the_contact_and_a_reply_to_it(kind, mail, language, name, reason):
    text, html = parts(mail)
    assert mail["Reply-To"] == CONTACT_EMAIL, kind
    assert mail["Content-Language"] == language
    assert text.strip() and html.strip(), kind
    assert CONTACT_LINE[language] in text and CONTACT_EMAIL in text, kind
    assert f'<a href="mailto:{CONTACT_EMAIL}">{CONTACT_EMAIL}</a>' in html, kind
    assert name in text and reason in text, kind  # who writes, and why to them
    assert html.index(name) < html.index("<div", html.index(name)) < html.index(escape(reason))


def is_one_plain_layout_with_inline_styles_only(kind, html, language):
    assert f'<html lang="{language}" dir="ltr">' in html, kind
    assert '<meta name="color-scheme" content="light dark">' in html
    assert "<style" not in html and "class=" not in html, kind
    assert "<img" not in html and "<link" not in html and "url(" not in html, kind
    assert "max-width:600px" in html
    for style in STYLE.findall(html):  # a text colour always on a background colour
        if re.search(r"(^|;)\s*color:", style):
            assert "background-color:" in style, (kind, style)


def has_absolute_links_in_both_parts(kind, text, html):
    links = [link.replace("&amp;", "&") for link in HREF.findall(html)]
    assert links, kind
    for link in links:
        assert link.startswith((BASE_URL + "/", "mailto:")), (kind, link)
        if link.startswith(BASE_URL):
            assert link in text, (kind, link)
    assert all(url.startswith(BASE_URL + "/") for url in URL.findall(text)), kind


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_email_in_each_language_is_whole_and_trustworthy(app, language):
    """Both parts, the contact and a Reply-To to it, one layout, absolute links in both parts,
    a link to the pledge in every coordinator's email, and a private link's lifetime."""
    built, page = built_emails(app, language)
    with app.test_request_context(), force_locale(language):
        name = gettext("The Mayors Mechanism")
        reasons = {kind: str(kinds.reason(kind)) for kind in kinds.SUBJECTS}
        until = format_date(utcnow() + app.config["RESUME_TOKEN_LIFETIME"], "long")
    assert len({*reasons.values()}) == 3  # the city, the coordinators, a partner
    with_private_links = (*kinds.CITY_KINDS, "resume_links")
    for kind, mail in built.items():
        text, html = parts(mail)
        has_both_parts_the_contact_and_a_reply_to_it(kind, mail, language, name, reasons[kind])
        is_one_plain_layout_with_inline_styles_only(kind, html, language)
        has_absolute_links_in_both_parts(kind, text, html)
        if kind in kinds.COORDINATOR_KINDS:
            assert f'href="{page}"' in html and page in text, kind
        if kind in with_private_links:
            assert until in text and until in html, kind
            assert "30" in text.split(until)[0].rsplit("\n", 1)[-1], kind
        else:
            assert until not in text, kind
    if language == "en":
        assert (f"The link in this email works for 30 days, until {until}."
                in parts(built["resume_link"])[0])
        assert (f"The links in this email work for 30 days, until {until}."
                in parts(built["resume_links"])[0])
