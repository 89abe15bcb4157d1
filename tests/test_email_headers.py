"""A line break that reached the database in a one-line field (a city name, posted raw) cannot
block an email: every header value is folded to one line, so the coordinators' notification
of the pledge still arrives, with a single-line subject and no header added."""
import pytest
from sqlalchemy import select

from intake.email.message import single_line
from intake.extensions import db
from intake.models import Pledge

from .support.client import ContactBrowser, drain_queue, outbox_rows

COORDINATORS = "coordinators@mayorsmechanism.example"
CONTACT = "ana.souza@prefeitura.example"
RAW_CITY = "São Paulo\r\nBcc: victim@elsewhere.example\r\n\r\nSubject:\x0bfree\x1f\x7fmoney"


def set_city(app, city):
    """As if the city had been posted raw, straight to the database."""
    with app.app_context():
        pledge = db.session.scalars(select(Pledge)).one()
        pledge.city = city
        db.session.commit()
        return pledge.reference


def test_a_city_with_line_breaks_still_gets_the_coordinators_notification_through(
        app, mailbox):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps()
    assert contact.submit().status_code == 303
    reference = set_city(app, RAW_CITY)
    drain_queue(app)

    # Sent, but for the draft's link, no longer needed once the pledge was sent.
    assert {row.status for row in outbox_rows(app)} == {"sent", "skipped"}
    [notification] = mailbox.to(COORDINATORS)
    subject = notification["Subject"]
    assert subject == (f"New pledge {reference} from São Paulo Bcc: victim@elsewhere.example "
                       "Subject: free money")
    assert "\n" not in subject and "\r" not in subject
    assert notification["Bcc"] is None
    assert len(notification.get_all("Subject")) == 1
    assert len(mailbox.to(CONTACT)) == 1  # the city's acknowledgement went too
    assert mailbox.to("victim@elsewhere.example") == []
    assert len(mailbox.received) == 2


def test_a_city_at_its_length_limit_with_a_line_break_after_each_word_keeps_every_word(
        app, mailbox):
    contact = ContactBrowser(app.test_client())
    contact.complete_steps()
    contact.submit()
    set_city(app, "Ciudad\r\n" * 15)  # 120 characters, the column's limit
    drain_queue(app)
    [notification] = mailbox.to(COORDINATORS)
    subject = notification["Subject"]  # longer than a header line: the mail library folds it
    assert subject.partition(" from ")[2] == " ".join(["Ciudad"] * 15)  # no word split


@pytest.mark.parametrize(("value", "expected"), [
    ("São Paulo\r\nBcc: victim@elsewhere.example", "São Paulo Bcc: victim@elsewhere.example"),
    ("  Lyon\n\n\t", "Lyon"),
    ("A\x00B\x0bC\x1fD\x7fE\x85F\u2028G\u2029H", "A B C D E F G H"),
    ("Rabat  \u00a0 Salé", "Rabat Salé"),
    ("", ""),
    (None, ""),
])
def test_header_values_are_folded_to_one_line(value, expected):
    assert single_line(value) == expected


def test_header_values_are_cut_past_their_length_limit():
    folded = single_line("x" * 1000)
    assert len(folded) == 250 and folded.endswith("...")
    assert single_line("y" * 1000, max_length=None) == "y" * 1000
