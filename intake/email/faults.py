"""Whose fault a failed send is, read from the SMTP stage it came at and the reply's enhanced
status code (RFC 3463, "5.1.1"). Only a rejection of that recipient suppresses the address; a
fault of our own sending setup (authentication, sender, relay policy, quota, an unreachable
server) is an alert, never a blacklist.

Four kinds of fault, each with what the outbox does about it:

- "recipient": the recipient's server refused that address for good (5.1.x at RCPT TO, or a
  hard bounce 5.1.1/5.1.2/5.1.10 at DATA): the row fails and the address is suppressed.
- "setup": our side is refused or cannot get through (anything at the greeting, EHLO, STARTTLS,
  AUTH or MAIL FROM; 5.7.x policy and relay refusals; 421; our quota; a server that does not
  answer): the row is retried within the attempt limit, nobody is suppressed, and /healthz
  says email is degraded.
- "temporary": the recipient's side cannot take it now (4xx at RCPT TO or DATA, a mailbox
  full): retried within the attempt limit, nobody suppressed.
- "message": this message cannot be sent as it is (it raised while being built, the mail
  library refused a header, 5.6.x content or 5.3.4 size refusals): the row fails at once
  (trying again would fail the same way), nobody suppressed.

Plain functions of (stage, code, text) and of an exception: no app, no database.
"""
import re
import smtplib
from dataclasses import dataclass

from ..extensions import lazy_gettext as _l

# The stages of an SMTP dialogue, as smtplib reports them (one exception type per stage).
CONNECT = "CONNECT"  # the server's greeting
EHLO = "EHLO"  # EHLO/HELO and STARTTLS
AUTH = "AUTH"
MAIL_FROM = "MAIL FROM"
RCPT_TO = "RCPT TO"
DATA = "DATA"
SESSION = "SESSION"  # a reply smtplib does not tie to a command (STARTTLS, a bare response)
CONNECTION = "CONNECTION"  # no reply at all: refused, timed out, hung up
BUILD = "BUILD"  # before any SMTP: the message could not be made

RECIPIENT, SETUP, TEMPORARY, MESSAGE = "recipient", "setup", "temporary", "message"

FAULT_LABELS = {
    RECIPIENT: _l("Refused by the recipient's server"),
    SETUP: _l("Our mail setup was refused or could not get through"),
    TEMPORARY: _l("The recipient's server could not take it for now"),
    MESSAGE: _l("The message could not be built or was refused as it is"),
}

DETAIL_MAX_LENGTH = 1500
ENHANCED_CODE = re.compile(r"^\s*([245])\.(\d{1,3})\.(\d{1,3})(?!\d)")
# Stages before any recipient is named: whatever goes wrong there is about us and our server.
SETUP_STAGES = frozenset({CONNECT, EHLO, AUTH, MAIL_FROM, SESSION, CONNECTION})
# Hard bounces: no such mailbox (5.1.1), no such domain (5.1.2), the domain takes no mail
# (5.1.10, a null MX). Any 5.1.x at RCPT TO is about the address, except the two about the
# sender's address (5.1.7, 5.1.8).
HARD_BOUNCES = frozenset({"5.1.1", "5.1.2", "5.1.10"})
SENDER_ADDRESS_CODES = frozenset({"5.1.7", "5.1.8"})
# Our side's quota or capacity: insufficient system storage (x.3.1), congestion or sending
# rate (x.4.5), too many recipients (x.5.3).
OUR_QUOTA_CODES = frozenset({"3.1", "4.5", "5.3"})
MESSAGE_CODES = frozenset({"5.3.4", "5.2.3"})  # message too big for the system / the mailbox


class SetupFailure(Exception):
    """Raised by our own sending code when our setup cannot do its part (the DKIM key cannot
    sign): retried and alerted on like an SMTP refusal of our setup."""


@dataclass(frozen=True)
class Fault:
    kind: str  # RECIPIENT, SETUP, TEMPORARY or MESSAGE
    stage: str
    code: int | None = None  # the SMTP reply code, when there was a reply
    status: str | None = None  # the enhanced status code, when the reply had one
    detail: str = ""  # the server's text, or the exception's
    detail_type: str = "Error"  # the exception's name, when there was no reply

    @property
    def suppresses(self):
        return self.kind == RECIPIENT

    @property
    def retries(self):
        return self.kind in (SETUP, TEMPORARY)

    @property
    def alerts(self):
        """A fault of our sending setup: shown on /healthz and the email problems page."""
        return self.kind == SETUP

    @property
    def head(self):
        """What happened, without the server's words: "535 5.7.8 at AUTH"."""
        said = self.detail_type if self.code is None else \
            " ".join(str(part) for part in (self.code, self.status) if part)
        return f"{said} at {self.stage}"

    @property
    def reason(self):
        """The row's last error: the head, then the server's (or the exception's) words."""
        return f"{self.head}: {self.detail}" if self.detail else self.head


def one_line(text):
    text = text.decode("utf-8", "replace") if isinstance(text, bytes) else str(text or "")
    return " ".join(text.split())[:DETAIL_MAX_LENGTH]


def enhanced_status(text):
    """ "5.1.1" from "5.1.1 No such user", or None."""
    match = ENHANCED_CODE.match(one_line(text))
    return ".".join(match.groups()) if match else None


def classify_reply(stage, code, text=""):
    """The fault an SMTP reply (other than 2xx/3xx) at that stage stands for."""
    detail = one_line(text)
    status = enhanced_status(detail)
    if status:
        detail = detail[len(status):].strip()
    return Fault(_kind_of_reply(stage, code, status), stage, code, status, detail)


def _kind_of_reply(stage, code, status):
    permanent = 500 <= code < 600 if code else (status or "").startswith("5")
    subject_detail = status.split(".", 1)[1] if status else None  # "1.1" of "5.1.1"
    if stage in SETUP_STAGES or code == 421:
        return SETUP  # nothing about the recipient has been said yet, or the server hangs up
    if subject_detail in OUR_QUOTA_CODES or (code == 452 and status is None):
        return SETUP
    if not permanent:
        return TEMPORARY  # greylisting (4.7.1) included: the recipient's side, for now
    if status in MESSAGE_CODES or (status or "").startswith("5.6."):
        return MESSAGE
    if (status or "").startswith("5.7."):
        return SETUP  # security or policy: relaying denied, our sender not authenticated...
    if stage == RCPT_TO:
        return _permanent_at_rcpt(code, status)
    if stage == DATA and status in HARD_BOUNCES:
        return RECIPIENT
    if (status or "").startswith("5.2.") or (status is None and code == 552):
        return TEMPORARY  # the mailbox is full or disabled: no blacklist for that
    return SETUP  # a refusal we cannot pin on the recipient is never a blacklist


def _permanent_at_rcpt(code, status):
    if status is None:
        # RFC 5321: 550 mailbox unavailable, 551 user not local, 553 mailbox name not
        # allowed, 501 a malformed address; 552 is storage, 554 a policy refusal.
        if code in (501, 550, 551, 553):
            return RECIPIENT
        return TEMPORARY if code == 552 else SETUP
    if status in SENDER_ADDRESS_CODES:
        return SETUP
    if status.startswith("5.1."):
        return RECIPIENT
    if status.startswith("5.2."):
        return TEMPORARY
    return SETUP


def classify_exception(error):
    """The fault behind an exception raised while handing a message to SMTP (Flask-Mail's
    Connection.send over smtplib): the exception's type tells the stage."""
    if isinstance(error, SetupFailure):
        return Fault(SETUP, BUILD, detail=one_line(error), detail_type=type(error).__name__)
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(error.recipients.values()), (None, ""))
        return classify_reply(RCPT_TO, code, text)
    if isinstance(error, smtplib.SMTPResponseException):
        stage = _stage_of(error)
        return classify_reply(stage, error.smtp_code, error.smtp_error)
    if isinstance(error, (smtplib.SMTPException, OSError)):
        # No reply to read: refused, timed out, hung up, TLS, AUTH not offered...
        stage = EHLO if isinstance(error, smtplib.SMTPNotSupportedError) else CONNECTION
        return Fault(SETUP, stage, detail=one_line(error), detail_type=type(error).__name__)
    return build_fault(error)


def _stage_of(error):
    for kind, stage in ((smtplib.SMTPConnectError, CONNECT), (smtplib.SMTPHeloError, EHLO),
                        (smtplib.SMTPAuthenticationError, AUTH),
                        (smtplib.SMTPSenderRefused, MAIL_FROM), (smtplib.SMTPDataError, DATA)):
        if isinstance(error, kind):
            return stage
    return SESSION


def build_fault(error):
    """Anything raised while making the message (a template error, a header the mail library
    refuses, a bug): this message fails as it is."""
    return Fault(MESSAGE, BUILD, detail=one_line(error) or repr(error),
                 detail_type=type(error).__name__)


def fault_label(kind):
    return FAULT_LABELS.get(kind, kind or "–")


def head_of(reason):
    """The head of a stored reason ("535 5.7.8 at AUTH"), without the server's words."""
    return (reason or "").split(": ", 1)[0]
