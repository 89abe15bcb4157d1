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


def test_a_file_named_in_encoded_words_as_some_mail_programs_send_keeps_its_name(app):
    raw = (b"From: =?utf-8?q?Jo=C3=A3o_Lima?= <joao@prefeitura.example>\r\n"
           b"Subject: =?utf-8?q?Or=C3=A7amento?=\r\n"
           b"Message-ID: <named-in-words@prefeitura.example>\r\n"
           b"MIME-Version: 1.0\r\n"
           b'Content-Type: multipart/mixed; boundary="b"\r\n\r\n'
           b"--b\r\nContent-Type: text/plain; charset=utf-8\r\n\r\nSegue.\r\n"
           b'--b\r\nContent-Type: application/pdf; name="=?utf-8?b?T3LDp2FtZW50by5wZGY=?="\r\n'
           b'Content-Disposition: attachment; filename="=?utf-8?b?T3LDp2FtZW50by5wZGY=?="\r\n'
           b"Content-Transfer-Encoding: base64\r\n\r\nJVBERi0xLjQ=\r\n--b--\r\n")
    message = stored(app, receive(app, raw))
    assert (message.from_name, message.subject, message.text_body.strip()) == (
        "João Lima", "Orçamento", "Segue.")
    assert [(a.filename, a.size, a.kept_out) for a in message.attachments] == [
        ("Orçamento.pdf", len(b"%PDF-1.4"), None)]
