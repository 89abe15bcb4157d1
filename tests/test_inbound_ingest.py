"""Every email that reaches the app is stored once, by its Message-ID, whatever path it took."""
from datetime import datetime, timezone
from email.message import EmailMessage

from sqlalchemy import func, select

from intake.clock import as_utc
from intake.extensions import db
from intake.inbound import ingest, matching
from intake.models import InboundMessage


def a_reply(message_id="<reply-1@city.example>", subject="Re: your pledge"):
    message = EmailMessage()
    message["From"] = "Ana Souza <ana.souza@prefeitura.example>"
    message["To"] = "pledges@mayorsmechanism.example"
    message["Cc"] = "Rui Lima <rui.lima@prefeitura.example>"
    message["Subject"] = subject
    message["Date"] = "Tue, 01 Dec 2026 10:00:00 -0300"
    message["Message-ID"] = message_id
    message["In-Reply-To"] = "<out-1@pledges.test>"
    message["References"] = "<out-0@pledges.test> <out-1@pledges.test>"
    message.set_content("Olá, here is the budget: 250 000 BRL.")
    message.add_alternative("<p>Olá, here is the <b>budget</b>.</p>", subtype="html")
    return message.as_bytes()


def test_a_reply_polled_twice_or_delivered_by_two_paths_is_stored_once(app):
    with app.app_context():
        first, new = ingest.receive(a_reply(), via="imap")
        db.session.commit()
        again, new_again = ingest.receive(a_reply(), via="lmtp")
        db.session.commit()
        assert (new, new_again) == (True, False)
        assert again.id == first.id
        assert db.session.scalar(select(func.count()).select_from(InboundMessage)) == 1


def test_what_is_kept_of_a_message(app):
    with app.app_context():
        message, _new = ingest.receive(a_reply(subject="Re:  Olá   São Paulo"), via="imap")
        db.session.commit()
        assert message.message_id == "reply-1@city.example"
        assert (message.from_address, message.from_name) == ("ana.souza@prefeitura.example",
                                                              "Ana Souza")
        assert message.cc_addresses == ["rui.lima@prefeitura.example"]
        assert message.subject == "Re: Olá São Paulo"
        assert as_utc(message.sent_at) == datetime(2026, 12, 1, 13, 0, tzinfo=timezone.utc)
        assert message.in_reply_to == "out-1@pledges.test"
        assert message.references == ["out-0@pledges.test", "out-1@pledges.test"]
        assert "250 000 BRL" in message.text_body
        assert "<b>budget</b>" in message.html_body
        assert message.tray_state == "unmatched"


def test_a_message_without_a_message_id_is_known_by_its_bytes(app):
    raw = b"From: someone@example.org\r\nSubject: hello\r\n\r\nNo id here.\r\n"
    with app.app_context():
        first, _ = ingest.receive(raw, via="lmtp")
        second, new = ingest.receive(raw, via="imap")
        db.session.commit()
        assert first.message_id.startswith("sha256-") and second.id == first.id and not new


def test_names_and_subjects_in_encoded_words_or_raw_utf8_are_read_as_written(app):
    encoded = (b'From: =?utf-8?q?Souza=2C_Ana?= <Ana.Souza@prefeitura.example>\r\n'
               b"To: =?iso-8859-1?q?Jos=E9?= <jose@mayorsmechanism.example>\r\n"
               b"Subject: =?iso-8859-1?q?R=E9ponse_?= =?utf-8?b?w6AgbGEg?=\r\n"
               b" =?utf-8?q?question_=C3=A7a?= ok\r\n"
               b"Message-ID: <encoded@prefeitura.example>\r\n"
               b"Content-Type: text/plain; charset=iso-8859-1\r\n"
               b"Content-Transfer-Encoding: quoted-printable\r\n\r\nD=E9j=E0 fait.\r\n")
    raw_utf8 = ("From: Çağlar Öztürk <caglar@ibb.example>\r\nSubject: İstanbul’un taahhüdü\r\n"
                "Message-ID: <raw@ibb.example>\r\n\r\nMerhaba\r\n").encode()
    with app.app_context():
        first, _new = ingest.receive(encoded, via="lmtp")
        second, _new = ingest.receive(raw_utf8, via="lmtp")
        db.session.commit()
        assert (first.from_name, first.from_address, first.to_addresses) == (
            "Souza, Ana", "ana.souza@prefeitura.example", ["jose@mayorsmechanism.example"])
        assert (first.subject, first.text_body.strip()) == ("Réponse à la question ça ok",
                                                           "Déjà fait.")
        assert (second.from_name, second.subject) == ("Çağlar Öztürk", "İstanbul’un taahhüdü")


def test_a_date_off_the_calendar_or_a_charset_that_is_not_text_still_stores_the_message(app):
    raw = (b"From: someone@example.org\r\nMessage-ID: <odd@example.org>\r\n"
           b"Date: Fri, 31 Dec 9999 23:59:59 -2359\r\n"
           b"Subject: =?idna?q?caf=E9?=\r\n\r\nStill here.\r\n")
    with app.app_context():
        message, new = ingest.receive(raw, via="lmtp")
        db.session.commit()
        assert new and (message.sent_at, message.subject) == (None, "café")
        assert message.text_body.strip() == "Still here."


def test_a_sender_name_longer_than_any_column_is_cut_not_refused(app):
    raw = (f"From: {'Secretaria Municipal ' * 20}<sec@prefeitura.example>\r\n"
           "Message-ID: <long-name@prefeitura.example>\r\n\r\nOlá\r\n").encode()
    with app.app_context():
        message, new = ingest.receive(raw, via="lmtp")
        db.session.commit()
        assert new and message.from_address == "sec@prefeitura.example"
        assert len(message.from_name) == 200 and message.from_name.startswith("Secretaria")


def test_a_message_stored_by_another_process_meanwhile_is_stored_once(app, monkeypatch):
    """The LMTP listener stores a reply while an IMAP poll, which had not found it stored
    yet, reads it with another: the poll writes the other one and counts that one as new."""
    read_lookups, other = matching.Known.of, a_reply(message_id="<other@city.example>")

    def the_listener_stores_it_meanwhile(*args, **options):
        monkeypatch.setattr(matching.Known, "of", read_lookups)
        with app.app_context():  # a session of its own, as another process has
            ingest.receive(a_reply(), via="lmtp")
            db.session.commit()
        return read_lookups(*args, **options)

    monkeypatch.setattr(matching.Known, "of", the_listener_stores_it_meanwhile)
    with app.app_context():
        received = ingest.receive_batch([a_reply(), other], via="imap")
        db.session.commit()
        assert [(message.message_id, new) for message, new in received] == [
            ("reply-1@city.example", False), ("other@city.example", True)]
        assert db.session.scalars(select(InboundMessage.via)
                                  .order_by(InboundMessage.id)).all() == ["lmtp", "imap"]
