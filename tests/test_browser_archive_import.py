"""The archive imports on a phone, in English, French and Spanish (Debian's Chromium through
Playwright): no page scrolls sideways at 320 px or has a violation axe-core can find; and an
import's page left open follows the import to its end without a reload."""
import pytest
from playwright.sync_api import expect

from intake.extensions import db
from intake.inbound import archive, archive_csv

from .support.archive import mbox_bytes, old_inbox
from .support.chromium import assert_each_page_fits_a_phone_and_passes_axe
from .support.client import drain_queue

MARIA = "maria@uclg.example"
SHEET = ("Ref;City;Country;Focal point;E-mail;Pledge title;Date\n"
         ";Montréal;CA;Émilie Côté;emilie.cote@montreal.example;Accueil des nouveaux arrivants "
         "dans chaque arrondissement de la ville;2019-01-15\n")


def started(app, data, filename):
    with app.app_context():
        found, _new = archive.start(filename, data, app.instance_path, check=archive_csv.check)
        db.session.commit()
        return found.id


@pytest.mark.browser
@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_no_imports_page_scrolls_sideways_on_a_phone(app, make_coordinator, coordinator_factory,
                                                    language, tmp_path):
    make_coordinator(email=MARIA, name="Maria")
    mail_id = started(app, mbox_bytes(old_inbox("CTA-2019-0001"), tmp_path), "old-inbox.mbox")
    with app.app_context():
        archive.run(mail_id, app.instance_path)
    sheet_id = started(app, SHEET.encode(), "pledges.csv")
    page = coordinator_factory(MARIA, language, width=320, height=640)
    assert_each_page_fits_a_phone_and_passes_axe(
        page, ("/triage/imports", f"/triage/imports/{mail_id}", f"/triage/imports/{sheet_id}"),
        language)


@pytest.mark.browser
def test_an_import_page_left_open_shows_the_import_finish(app, make_coordinator,
                                                          coordinator_factory, tmp_path):
    app.config["ARCHIVE_POLL_SECONDS"] = 1
    make_coordinator(email=MARIA, name="Maria")
    page = coordinator_factory(MARIA)
    page.goto("/triage/imports")
    page.set_input_files("#archive", files=[{
        "name": "old-inbox.mbox", "mimeType": "application/mbox",
        "buffer": mbox_bytes(old_inbox("CTA-2019-0001"), tmp_path)}])
    page.get_by_role("button", name="Upload and import").click()
    expect(page.locator("#import-state")).to_have_text("Waiting to start")
    drain_queue(app)
    expect(page.locator("#import-state")).to_have_text("Done")
    expect(page.locator("#import-count")).to_have_text("7 of 7 done (100 %)")
