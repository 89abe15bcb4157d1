"""An old inbox as a mail export gives it (an mbox file), and the spreadsheet kept beside it."""
import io
import mailbox
import zipfile
from datetime import datetime, timezone
from email.message import EmailMessage
from email.utils import format_datetime, formataddr

CONTACT = "ana.souza@prefeitura.example"  # CITY_ANSWERS' focal email, as stored


MECHANISM = "Mayors Mechanism <mm@mayorsmechanism.example>"


def mail(message_id, sender, subject, body="Olá", to=MECHANISM, day=1, in_reply_to=None,
         references=(), cc=None, headers=None):
    message = EmailMessage()
    message["From"] = sender
    message["To"] = to
    if cc:
        message["Cc"] = cc
    message["Subject"] = subject  # non-ASCII ones are RFC 2047-encoded by the email package
    message["Date"] = format_datetime(datetime(2019, 3, day, 9, 30, tzinfo=timezone.utc))
    message["Message-ID"] = f"<{message_id}>"
    if in_reply_to:
        message["In-Reply-To"] = f"<{in_reply_to}>"
    if references:
        message["References"] = " ".join(f"<{found}>" for found in references)
    for name, value in (headers or {}).items():
        message[name] = value
    message.set_content(body)
    return message


def old_inbox(reference):
    """A thread with the city's contact (a reply by a colleague in CC, a forward from another
    department, an out-of-office), a stranger quoting the city's reference and the reply to
    him, and a new city writing for the first time."""
    ana = formataddr(("Ana Souza", CONTACT))
    return [
        mail("first@prefeitura.example", ana, "Notre engagement – São Paulo, deuxième étape",
             "Bonjour, voici notre engagement.", day=1),
        mail("colleague@prefeitura.example",
             formataddr(("Rui Lima", "rui.lima@prefeitura.example")),
             "Re: Notre engagement – São Paulo", "Eu acrescento o orçamento.", day=2,
             in_reply_to="first@prefeitura.example", references=["first@prefeitura.example"]),
        mail("forward@saude.example", formataddr(("Secretaria de Saúde", "saude@saude.example")),
             "Fwd: Notre engagement – São Paulo", "---------- Forwarded message ---------", day=3,
             references=["first@prefeitura.example", "colleague@prefeitura.example"]),
        mail("away@prefeitura.example", ana, "Ausente: Re: Notre engagement",
             "Estou fora do escritório.", day=4, headers={"Auto-Submitted": "auto-replied"}),
        mail("stranger@elsewhere.example", formataddr(("José Müller", "jose@elsewhere.example")),
             f"Question about {reference}", "Who do I ask?", day=5),
        mail("answer@mayorsmechanism.example", MECHANISM,
             f"Re: Question about {reference}", "Please write to your city.",
             to="jose@elsewhere.example", day=6, in_reply_to="stranger@elsewhere.example"),
        mail("istanbul@ibb.example", formataddr(("Çağlar Öztürk", "caglar@ibb.example")),
             "İstanbul’un taahhüdü", "Merhaba, taahhüdümüzü göndermek istiyoruz.", day=7),
    ]


def mbox_bytes(messages, folder):
    path = folder / "inbox.mbox"
    box = mailbox.mbox(path)
    for message in messages:
        box.add(message)
    box.flush()
    box.close()
    data = path.read_bytes()
    path.unlink()
    return data


def eml_zip(messages):
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for index, message in enumerate(messages):
            archive.writestr(f"inbox/{index:03d}.eml", message.as_bytes())
    return buffer.getvalue()
