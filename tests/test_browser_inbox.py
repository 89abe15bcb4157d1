"""The coordinators' inbox in a browser (Debian's Chromium through Playwright): a coordinator
links a waiting email to its pledge, with JavaScript and without; the tray, a message and the
spam page neither scroll sideways on a phone nor have a violation axe-core can find, in English,
French and Spanish."""
import pytest
from playwright.sync_api import expect

from intake.extensions import db
from intake.models import InboundAttachment, Pledge

from .support.chromium import assert_each_page_fits_a_phone_and_passes_axe
from .support.inbound import first_email, received
from .support.triage import sent_pledge

MARIA = "maria@uclg.example"


@pytest.mark.browser
@pytest.mark.parametrize("javascript", [True, False], ids=["with-js", "without-js"])
def test_a_coordinator_links_a_waiting_email_to_its_pledge(app, make_coordinator,
                                                           coordinator_factory, javascript):
    make_coordinator(email=MARIA, name="Maria")
    pledge_id = sent_pledge(app)
    received(app)
    with app.app_context():
        reference = db.session.get(Pledge, pledge_id).reference
    page = coordinator_factory(MARIA, javascript=javascript)
    page.get_by_role("link", name="Inbox (1)").click()
    page.get_by_role("link", name="Our city wants to pledge").click()
    expect(page.locator("#main h1")).to_have_text("Our city wants to pledge")
    page.get_by_label("Pledge reference").fill(reference)
    page.get_by_role("button", name="Link to this pledge").click()
    expect(page.locator(".notice")).to_have_text(f"The message is now on pledge {reference}.")
    expect(page.get_by_role("link", name="Inbox (0)")).to_be_visible()
    page.goto(f"/triage/pledges/{pledge_id}")
    expect(page.locator("#timeline")).to_contain_text(
        "Email received from marie.dupont@mairie-lyon.example")


def inbox_pages(app):
    """The tray (with a machine's message), a message with its HTML part and attachments, and
    the spam page with one message in it."""
    message_id = received(app, first_email(html=(
        "<p>Hello, <b>Lyon</b> would like to join: "
        "<a href='https://lyon.example/a-very-long-address/of-a-plan/for-welcoming-people'>"
        "https://lyon.example/a-very-long-address/of-a-plan/for-welcoming-people</a></p>")))
    received(app, first_email(message_id="<ooo@city.example>", subject="Absence: back on Monday"),
             machine="auto_reply")
    received(app, first_email(message_id="<spam@spam.example>", subject="Cheap offers"),
             tray_state="spam")
    with app.app_context():
        db.session.add_all([
            InboundAttachment(inbound_message_id=message_id, filename="Plan d'accueil.pdf",
                              content_type="application/pdf", size=2048, stored_name="abc"),
            InboundAttachment(inbound_message_id=message_id, filename="video.mp4", size=9 ** 9,
                              content_type="video/mp4", kept_out="too_big")])
        db.session.commit()
    return ["/triage/inbox", f"/triage/inbox/{message_id}", "/triage/inbox/spam"]


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_the_inbox_pages_fit_a_phone_and_pass_axe(app, make_coordinator, coordinator_factory,
                                                   language):
    make_coordinator(email=MARIA, name="Maria")
    paths = inbox_pages(app)
    page = coordinator_factory(MARIA, language, width=320, height=640)
    assert_each_page_fits_a_phone_and_passes_axe(page, paths, language)
