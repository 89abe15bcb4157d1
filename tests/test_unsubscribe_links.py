"""An unsubscribe link says nothing about whom it is for, and cannot be forged; links sent
before this change keep working."""
import base64
import binascii
import re
from datetime import datetime, timedelta, timezone

from itsdangerous import URLSafeSerializer

from .support.client import ContactBrowser, drain_queue

CONTACT = "ana.souza@prefeitura.example"


def reminder_link(app, runner, mailbox):
    ContactBrowser(app.test_client()).complete_steps(upto="areas")
    moment = datetime.now(timezone.utc) + timedelta(days=3, hours=1)
    result = runner.invoke(args=["reminders", "sweep", "--now", moment.isoformat()])
    assert result.exit_code == 0, result.output
    drain_queue(app)
    [reminder] = [m for m in mailbox.to(CONTACT) if "waiting for you" in m["Subject"]]
    header = reminder["List-Unsubscribe"].strip("<>")
    text = reminder.get_body(preferencelist=("plain",)).get_content()
    assert header in text  # the same link in the body
    return header.removeprefix("http://pledges.test")


def every_decoding(token):
    """What the token reads as, decoded every way someone might try."""
    readings = [token]
    for piece in re.split(r"[.]", token) + [token]:
        for padding in ("", "=", "=="):
            for decode in (base64.urlsafe_b64decode, base64.b64decode):
                try:
                    readings.append(decode(piece + padding).decode("latin-1"))
                except (binascii.Error, ValueError):
                    pass
    return readings


def test_an_unsubscribe_link_does_not_carry_the_address(app, runner, mailbox):
    path = reminder_link(app, runner, mailbox)
    token = path.removeprefix("/unsubscribe/")
    for reading in every_decoding(token):
        assert "ana.souza" not in reading.lower() and "prefeitura" not in reading.lower()

    page = app.test_client().get(path)
    assert page.status_code == 200 and "Stop reminder emails?" in page.get_data(as_text=True)
    done = app.test_client().post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == 200
    assert "You will get no more reminders" in done.get_data(as_text=True)


def test_an_altered_unsubscribe_link_is_refused(app, runner, mailbox):
    path = reminder_link(app, runner, mailbox)
    flipped = path[:-6] + ("A" if path[-6] != "A" else "B") + path[-5:]
    for altered in (flipped, path[:-4], path + "AAAA"):
        assert app.test_client().get(altered).status_code == 404
        assert app.test_client().post(altered).status_code == 404


def test_a_link_sent_before_the_change_still_unsubscribes(app, client):
    with app.app_context():
        old_token = URLSafeSerializer(app.config["SECRET_KEY"],
                                      salt="unsubscribe-reminders").dumps(CONTACT)
    assert client.get(f"/unsubscribe/{old_token}").status_code == 200
    done = client.post(f"/unsubscribe/{old_token}")
    assert "You will get no more reminders" in done.get_data(as_text=True)
    forged = URLSafeSerializer("another-secret", salt="unsubscribe-reminders").dumps(CONTACT)
    assert client.get(f"/unsubscribe/{forged}").status_code == 404
