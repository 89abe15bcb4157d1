"""What a city attaches is kept safely: allowed types under the size limit, stored under the
instance folder by a name of our own; anything else is only named, kept out, with a note."""
from pathlib import Path

from sqlalchemy import select

from intake.extensions import db
from intake.models import AuditEntry

from .support.inbound import city_reply, email, receive, stored
from .support.triage import sent_pledge

PDF = b"%PDF-1.4 the budget"


def test_an_allowed_file_is_kept_outside_the_web_root_by_a_name_of_our_own(app):
    pledge_id = sent_pledge(app)
    message = stored(app, receive(app, city_reply(app, pledge_id, attachments=[
        ("../../Orçamento 2027.pdf", "application/pdf", PDF)])))
    [kept] = message.attachments
    assert (kept.filename, kept.content_type, kept.size, kept.kept_out) == (
        "Orçamento 2027.pdf", "application/pdf", len(PDF), None)
    path = Path(app.instance_path) / "attachments" / kept.stored_name
    assert path.read_bytes() == PDF
    assert "Orçamento" not in kept.stored_name and "." not in kept.stored_name
    assert not str(path).startswith(app.static_folder)


def test_a_refused_type_or_a_file_over_the_limit_is_kept_out_with_a_note(app):
    app.config["INBOUND_ATTACHMENT_MAX_BYTES"] = 1000
    pledge_id = sent_pledge(app)
    message = stored(app, receive(app, city_reply(app, pledge_id, attachments=[
        ("setup.exe", "application/octet-stream", b"MZ..."),
        ("scan.pdf", "application/pdf", b"%PDF" + b"0" * 2000),
        ("notes.txt", "text/plain", b"A short note."),
    ])))
    assert [(a.filename, a.kept_out, a.stored_name is None) for a in message.attachments] == [
        ("setup.exe", "type_refused", True), ("scan.pdf", "too_big", True),
        ("notes.txt", None, False)]
    with app.app_context():
        notes = db.session.scalars(select(AuditEntry).where(
            AuditEntry.action == "inbound_attachment_kept_out")).all()
        assert [(n.pledge_id, n.after["filename"], n.after["kept_out"]) for n in notes] == [
            (pledge_id, "setup.exe", "type_refused"), (pledge_id, "scan.pdf", "too_big")]


def test_attachments_of_a_message_in_the_tray_are_kept_too(app):
    message = stored(app, receive(app, email(sender="new@ayuntamiento.example", attachments=[
        ("carta.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
         b"PK...")])))
    assert message.tray_state == "unmatched"
    assert [(a.filename, a.kept_out) for a in message.attachments] == [("carta.docx", None)]
