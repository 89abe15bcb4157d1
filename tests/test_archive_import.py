"""A coordinator imports the old inbox and its spreadsheet: messages land on the pledge of
their contact or thread, the rest wait in the tray; the same file twice creates nothing new,
and an import emails nobody."""
import re
from datetime import datetime, timezone
from io import BytesIO

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import OperationalError

from intake.clock import as_utc
from intake.extensions import db
from intake.inbound import archive, ingest
from intake.models import ArchiveImport, InboundMessage, OutboxEmail, Pledge

from .support.archive import eml_zip, mbox_bytes, old_inbox
from .support.client import drain_queue
from .support.inbound import nested_too_deep
from .support.triage import sent_pledge


@pytest.fixture
def coordinator(app, sign_in, make_coordinator):
    app.config["WTF_CSRF_ENABLED"] = False  # these tests are about imports, not form tokens
    return sign_in(make_coordinator())


@pytest.fixture
def city_pledge(app):
    pledge_id = sent_pledge(app)
    with app.app_context():
        return pledge_id, db.session.get(Pledge, pledge_id).reference


def upload(client, data, filename):
    return client.post("/triage/imports", data={"archive": (BytesIO(data), filename)},
                       content_type="multipart/form-data")


def count(app, model, *where):
    with app.app_context():
        return db.session.scalar(select(func.count()).select_from(model).where(*where))


def where_messages_landed(app):
    with app.app_context():
        rows = db.session.scalars(select(InboundMessage).order_by(InboundMessage.message_id))
        return {m.message_id: (m.pledge_id, m.matched_by, m.from_someone_new, m.machine,
                               m.tray_state) for m in rows}


def test_an_old_inbox_imported_twice_lands_once_on_the_right_pledges(
        app, coordinator, city_pledge, tmp_path):
    pledge_id, reference = city_pledge
    emails_before = count(app, OutboxEmail)
    data = mbox_bytes(old_inbox(reference), tmp_path)

    response = upload(coordinator, data, "old-inbox.mbox")
    assert response.status_code == 303
    page = response.headers["Location"]
    drain_queue(app)

    landed = where_messages_landed(app)
    assert landed["first@prefeitura.example"] == (pledge_id, "import", False, None, None)
    # a colleague in CC and a forward from another department: on the thread, someone new
    assert landed["colleague@prefeitura.example"] == (pledge_id, "thread", True, None, None)
    assert landed["forward@saude.example"] == (pledge_id, "thread", True, None, None)
    assert landed["away@prefeitura.example"] == (pledge_id, "import", False, "auto_reply", None)
    # a stranger quoting the city's reference, and the answer to him: together, in the tray
    for message_id in ("stranger@elsewhere.example", "answer@mayorsmechanism.example",
                       "istanbul@ibb.example"):
        assert landed[message_id] == (None, None, False, None, "unmatched")
    with app.app_context():
        first = db.session.scalars(select(InboundMessage).where(
            InboundMessage.message_id == "istanbul@ibb.example")).one()
        assert first.subject == "İstanbul’un taahhüdü"
        assert first.from_name == "Çağlar Öztürk"
        assert as_utc(first.sent_at) == datetime(2019, 3, 7, 9, 30, tzinfo=timezone.utc)

    shown = coordinator.get(page).get_data(as_text=True)
    assert "7 of 7 done (100 %)" in shown
    assert "New messages: 7. Already here: 0." in shown

    again = upload(coordinator, data, "old-inbox-copy.mbox")
    assert again.headers["Location"] == page  # the first import, not a new one
    followed = coordinator.get(page).get_data(as_text=True)
    assert "This file was imported before: nothing new was created." in followed

    # the same messages in another file (a folder of .eml files, zipped): nothing new either
    upload(coordinator, eml_zip(list(reversed(old_inbox(reference)))), "inbox.zip")
    drain_queue(app)
    assert where_messages_landed(app) == landed
    assert count(app, ArchiveImport) == 2
    assert count(app, Pledge) == 1
    assert count(app, OutboxEmail) == emails_before  # an import emails nobody


def test_an_imports_page_shows_its_progress_and_polls_only_while_it_runs(
        app, coordinator, city_pledge, tmp_path):
    _pledge_id, reference = city_pledge
    page = upload(coordinator, mbox_bytes(old_inbox(reference), tmp_path),
                  "inbox.mbox").headers["Location"]

    waiting = coordinator.get(page).get_data(as_text=True)
    assert "Waiting to start" in waiting
    assert 'hx-trigger="every 3s"' in waiting
    assert "Refresh the progress" in waiting  # a plain link, for a browser without JavaScript
    partial = coordinator.get(page, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert partial.lstrip().startswith('<div id="import-progress"')
    assert "<html" not in partial

    drain_queue(app)
    done = coordinator.get(page, headers={"HX-Request": "true"}).get_data(as_text=True)
    assert "7 of 7 done" in done
    assert "hx-trigger" not in done  # finished: the polling stops
    assert "inbox.mbox" in coordinator.get("/triage/imports").get_data(as_text=True)


def test_an_import_stopped_mid_batch_keeps_the_batches_before_and_run_again_stores_each_once(
        app, city_pledge, tmp_path, monkeypatch):
    pledge_id, reference = city_pledge
    data = mbox_bytes(old_inbox(reference), tmp_path)
    receive_batch, batches_read = ingest.receive_batch, []

    def the_database_fails_in_the_second_batch(raws, via, **options):
        stored = receive_batch(raws, via, **options)
        batches_read.append(len(raws))
        if len(batches_read) == 2:
            raise OperationalError("INSERT", {}, Exception("the database went away"))
        return stored

    with app.app_context():
        found, _new = archive.start("inbox.mbox", data, app.instance_path)
        db.session.commit()
        found_id = found.id
        monkeypatch.setattr(ingest, "receive_batch", the_database_fails_in_the_second_batch)
        assert archive.run(found_id, app.instance_path, commit_every=3) == "failed"
        monkeypatch.undo()
        assert count(app, InboundMessage) == 3  # the first batch, committed with its progress
        assert archive.run(found_id, app.instance_path, commit_every=3) == "done"
        stopped_then_done = db.session.get(ArchiveImport, found_id)
        assert (stopped_then_done.done, stopped_then_done.created) == (7, 7)
    assert count(app, InboundMessage) == 7
    assert count(app, InboundMessage, InboundMessage.pledge_id == pledge_id) == 4


def test_a_message_that_cannot_be_read_is_noted_and_the_import_goes_on(
        app, coordinator, city_pledge, tmp_path):
    pledge_id, reference = city_pledge
    messages = old_inbox(reference)
    data = mbox_bytes(messages, tmp_path)
    broken = b"From MAILER-DAEMON Thu Jan  1 00:00:00 1970\n" + nested_too_deep("deep@broken")
    first_three = mbox_bytes(messages[:3], tmp_path)
    data = first_three + broken + b"\n" + data[len(first_three):]

    page = upload(coordinator, data, "with-a-broken-one.mbox").headers["Location"]
    drain_queue(app)

    shown = coordinator.get(page).get_data(as_text=True)
    assert "8 of 8 done (100 %)" in shown
    assert "New messages: 7. Already here: 0." in shown
    assert "1 message of the file could not be read and was left out" in shown
    assert "Message 4 of the file:" in shown and "RecursionError" in shown
    assert count(app, InboundMessage) == 7
    assert count(app, InboundMessage, InboundMessage.pledge_id == pledge_id) == 4


@pytest.mark.parametrize("data, filename, message", [
    (b"Dear all,\nthis is not mail.\n", "notes.txt",
     "This file is not an mbox file, a zip of .eml files or a CSV file."),
    (b"PK\x03\x04 broken", "inbox.zip", "This zip file is damaged: it cannot be opened."),
    (b"only one line\n", "sheet.csv", "This CSV file has no header row and data rows to import."),
])
def test_a_file_that_cannot_be_imported_is_refused_with_why_and_nothing_changes(
        app, coordinator, city_pledge, data, filename, message):
    response = upload(coordinator, data, filename)
    assert response.status_code == 400
    shown = response.get_data(as_text=True)
    assert message in shown
    assert 'href="#archive"' in shown  # the error summary points at the file field
    assert count(app, ArchiveImport) == 0
    assert count(app, Pledge) == 1


def test_an_upload_without_a_file_asks_for_one(app, coordinator):
    response = coordinator.post("/triage/imports", data={})
    assert response.status_code == 400
    assert "Choose a file to import." in response.get_data(as_text=True)


SHEET = """Ref;City;Country;Focal point;E-mail;Pledge title;Date
{reference};São Paulo;BR;Ana Souza;ana.souza@prefeitura.example;Welcome centre;2018-12-10
;SÃO PAULO;BR;Ana Souza;ANA.SOUZA@prefeitura.example;Welcome centre (copy);2018-12-11
;Montréal;CA;Émilie Côté;emilie.cote@montreal.example;Accueil des nouveaux arrivants;2019-01-15
;İstanbul;TR;Çağlar Öztürk;caglar@ibb.example;Göçmenlerle dayanışma;15/02/2019
"""


def mapping_of(page_html):
    """What the preview's selects propose, column by column (the selected option of each)."""
    return dict(re.findall(r'<select[^>]*name="(column_\d+)".*?<option selected value="([^"]*)"',
                           page_html, re.S))


def test_a_spreadsheet_is_previewed_mapped_then_imported_once_as_drafts(
        app, coordinator, city_pledge):
    _pledge_id, reference = city_pledge
    emails_before = count(app, OutboxEmail)
    data = SHEET.format(reference=reference).encode()

    page = upload(coordinator, data, "pledges.csv").headers["Location"]
    preview = coordinator.get(page).get_data(as_text=True)
    assert "Which field is in each column?" in preview
    assert "Émilie Côté" in preview and "4 rows in all" in preview
    guessed = mapping_of(preview)
    assert guessed == {"column_0": "reference", "column_1": "city", "column_2": "country_code",
                       "column_3": "focal_name", "column_4": "focal_email",
                       "column_5": "title", "column_6": "sent_at"}

    coordinator.post(f"{page}/mapping", data=guessed)
    drain_queue(app)
    shown = coordinator.get(page).get_data(as_text=True)
    assert "4 of 4 done" in shown
    assert "New draft pledges: 2. Already here: 2." in shown
    with app.app_context():
        drafts = db.session.scalars(select(Pledge).where(Pledge.review_state == "draft")
                                    .order_by(Pledge.id)).all()
        assert [(p.city, p.country_code, p.focal_email, p.next_reminder_at) for p in drafts] == [
            ("Montréal", "CA", "emilie.cote@montreal.example", None),
            ("İstanbul", "TR", "caglar@ibb.example", None)]
        assert as_utc(drafts[1].created_at) == datetime(2019, 2, 15, tzinfo=timezone.utc)

    # the same sheet again: refused; saved again with the rows reordered: nothing new
    assert upload(coordinator, data, "pledges.csv").headers["Location"] == page
    lines = data.decode().splitlines()
    reordered = "\n".join([lines[0], *reversed(lines[1:])]).encode()
    second = upload(coordinator, reordered, "pledges-2.csv").headers["Location"]
    coordinator.post(f"{second}/mapping", data=guessed)
    drain_queue(app)
    shown_again = coordinator.get(second).get_data(as_text=True)
    assert "New draft pledges: 0. Already here: 4." in shown_again
    assert count(app, Pledge) == 3
    assert count(app, OutboxEmail) == emails_before  # an import emails nobody


def test_a_mapping_that_gives_one_field_to_two_columns_is_refused_with_why(
        app, coordinator, city_pledge):
    _pledge_id, reference = city_pledge
    page = upload(coordinator, SHEET.format(reference=reference).encode(),
                  "pledges.csv").headers["Location"]
    chosen = {**mapping_of(coordinator.get(page).get_data(as_text=True)),
              "column_3": "city"}  # the focal point's name given as the city, twice

    response = coordinator.post(f"{page}/mapping", data=chosen)
    assert response.status_code == 400
    shown = response.get_data(as_text=True)
    why = ("“City” is chosen for more than one column: choose it for one column only, and "
           "“Do not import” for the others.")
    assert shown.count(why) == 4  # beside each of the two columns, and linked to each from
    assert 'href="#column_1"' in shown and 'href="#column_3"' in shown  # the error summary
    assert mapping_of(shown) == chosen  # what she chose is kept, to change one of them
    with app.app_context():
        assert db.session.scalars(select(ArchiveImport.state)).one() == "mapping"
    assert count(app, Pledge) == 1


@pytest.mark.parametrize("language, heading, hint", [
    ("fr", "Importer l’ancienne archive", "Choisissez un fichier à importer."),
    ("es", "Importar el archivo antiguo", "Elija un archivo para importar."),
])
def test_a_coordinator_reads_the_imports_page_in_her_language(
        app, coordinator, language, heading, hint):
    headers = {"Accept-Language": language}
    assert heading in coordinator.get("/triage/imports", headers=headers).get_data(as_text=True)
    refused = coordinator.post("/triage/imports", data={}, headers=headers)
    assert hint in refused.get_data(as_text=True)
