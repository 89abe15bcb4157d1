"""Whose fault a failed send is: a table of SMTP replies, by stage and enhanced status code, and
the exceptions smtplib raises at each stage. Only a refusal of that recipient suppresses it."""
import smtplib
import socket

import pytest
from flask_mail import BadHeaderError

from intake.email import faults
from intake.email.faults import (
    AUTH,
    CONNECT,
    DATA,
    EHLO,
    MAIL_FROM,
    MESSAGE,
    RCPT_TO,
    RECIPIENT,
    SETUP,
    TEMPORARY,
    classify_exception,
    classify_reply,
)

REPLIES = [
    # Our sending setup: nothing said about the recipient yet, or a policy refusal of us.
    (CONNECT, 554, "5.7.1 Client host rejected: blocked", SETUP),
    (CONNECT, 421, "4.3.2 Service shutting down", SETUP),
    (EHLO, 550, "5.7.1 Go away", SETUP),
    (AUTH, 535, "5.7.8 Authentication credentials invalid", SETUP),
    (AUTH, 535, "Incorrect authentication data", SETUP),
    (AUTH, 454, "4.7.0 Temporary authentication failure", SETUP),
    (MAIL_FROM, 550, "5.7.1 Sender address rejected: not owned by user", SETUP),
    (MAIL_FROM, 553, "5.1.8 Sender address rejected: domain not found", SETUP),
    (MAIL_FROM, 554, "5.7.1 Relay access denied", SETUP),
    (MAIL_FROM, 550, "Sender rejected", SETUP),
    (MAIL_FROM, 452, "4.3.1 Insufficient system storage", SETUP),
    (MAIL_FROM, 550, "5.4.5 Daily sending quota exceeded", SETUP),
    (RCPT_TO, 554, "5.7.1 Relay access denied", SETUP),
    (RCPT_TO, 550, "5.7.1 Unauthenticated senders not allowed", SETUP),
    (RCPT_TO, 553, "5.1.7 Bad sender's mailbox address syntax", SETUP),
    (RCPT_TO, 452, "4.5.3 Too many recipients", SETUP),
    (RCPT_TO, 452, "Insufficient system storage", SETUP),
    (RCPT_TO, 421, "4.4.2 Connection dropped", SETUP),
    (RCPT_TO, 554, "Transaction failed", SETUP),
    (DATA, 554, "5.7.1 Message rejected: SPF check failed", SETUP),
    (DATA, 550, "5.7.26 Unauthenticated email is not accepted", SETUP),
    (DATA, 451, "4.4.5 Sending rate exceeded, slow down", SETUP),
    (DATA, 554, "Transaction failed", SETUP),
    (DATA, 550, "Message refused", SETUP),
    # A refusal of that recipient, for good: suppressed.
    (RCPT_TO, 550, "5.1.1 <ana@city.example>: Recipient address rejected: User unknown",
     RECIPIENT),
    (RCPT_TO, 550, "5.1.2 Host or domain name not found", RECIPIENT),
    (RCPT_TO, 553, "5.1.3 Bad destination mailbox address syntax", RECIPIENT),
    (RCPT_TO, 550, "5.1.10 Recipient address has null MX", RECIPIENT),
    (RCPT_TO, 550, "Requested action not taken: mailbox unavailable", RECIPIENT),
    (RCPT_TO, 551, "User not local", RECIPIENT),
    (DATA, 550, "5.1.1 No such user here", RECIPIENT),
    (DATA, 550, "5.1.2 Bad destination system address", RECIPIENT),
    (DATA, 550, "5.1.10 Null MX", RECIPIENT),
    # The recipient's side, for now: tried again, nobody suppressed.
    (RCPT_TO, 450, "4.2.1 Mailbox busy", TEMPORARY),
    (RCPT_TO, 450, "4.7.1 Greylisted, try again later", TEMPORARY),
    (RCPT_TO, 452, "4.2.2 The email account that you tried to reach is over quota",
     TEMPORARY),
    (RCPT_TO, 552, "5.2.2 Mailbox full", TEMPORARY),
    (RCPT_TO, 550, "5.2.1 Mailbox disabled", TEMPORARY),
    (DATA, 451, "4.3.0 Mailbox busy, try again later", TEMPORARY),
    (DATA, 451, "busy", TEMPORARY),
    (DATA, 552, "5.2.2 Mailbox full", TEMPORARY),
    # This message as it is: failed at once, nobody suppressed.
    (DATA, 552, "5.3.4 Message too big for system", MESSAGE),
    (DATA, 554, "5.6.0 Message content rejected", MESSAGE),
]


@pytest.mark.parametrize(("stage", "code", "text", "kind"), REPLIES)
def test_each_reply_is_told_apart_by_its_stage_and_enhanced_code(stage, code, text, kind):
    fault = classify_reply(stage, code, text.encode())
    assert fault.kind == kind
    assert fault.suppresses == (kind == RECIPIENT)
    assert fault.retries == (kind in (SETUP, TEMPORARY))
    assert fault.alerts == (kind == SETUP)


def test_the_reason_names_the_code_the_enhanced_code_and_the_stage():
    fault = classify_reply(AUTH, 535, b"5.7.8 Authentication\r\n credentials invalid")
    assert fault.status == "5.7.8"
    assert fault.head == "535 5.7.8 at AUTH"
    assert fault.reason == "535 5.7.8 at AUTH: Authentication credentials invalid"
    assert faults.head_of(fault.reason) == "535 5.7.8 at AUTH"
    assert classify_reply(MAIL_FROM, 550, "Sender rejected").reason == \
        "550 at MAIL FROM: Sender rejected"


EXCEPTIONS = [
    (smtplib.SMTPConnectError(554, b"5.7.1 No thanks"), SETUP, CONNECT),
    (smtplib.SMTPHeloError(501, b"5.5.4 Bad EHLO"), SETUP, EHLO),
    (smtplib.SMTPAuthenticationError(535, b"5.7.8 Bad credentials"), SETUP, AUTH),
    (smtplib.SMTPSenderRefused(550, b"5.7.1 Sender rejected", "pledges@example.org"), SETUP,
     MAIL_FROM),
    (smtplib.SMTPRecipientsRefused({"ana@city.example": (550, b"5.1.1 User unknown")}),
     RECIPIENT, RCPT_TO),
    (smtplib.SMTPRecipientsRefused({"ana@city.example": (554, b"5.7.1 Relay denied")}),
     SETUP, RCPT_TO),
    (smtplib.SMTPDataError(550, b"5.1.1 No such user"), RECIPIENT, DATA),
    (smtplib.SMTPDataError(554, b"5.7.1 Spam"), SETUP, DATA),
    (smtplib.SMTPResponseException(454, b"TLS not available"), SETUP, "SESSION"),
    (smtplib.SMTPNotSupportedError("SMTP AUTH extension not supported by server."), SETUP,
     EHLO),
    (smtplib.SMTPServerDisconnected("Connection unexpectedly closed"), SETUP, "CONNECTION"),
    (ConnectionRefusedError(111, "Connection refused"), SETUP, "CONNECTION"),
    (socket.timeout("timed out"), SETUP, "CONNECTION"),
    (BadHeaderError(), MESSAGE, "BUILD"),
    (UnicodeEncodeError("ascii", "São", 1, 2, "ordinal not in range"), MESSAGE, "BUILD"),
    (KeyError("city"), MESSAGE, "BUILD"),
]


@pytest.mark.parametrize(("error", "kind", "stage"), EXCEPTIONS,
                         ids=[type(error).__name__ for error, _, _ in EXCEPTIONS])
def test_the_stage_comes_from_the_exception_smtplib_raises(error, kind, stage):
    fault = classify_exception(error)
    assert (fault.kind, fault.stage) == (kind, stage)
    assert fault.reason  # every failure has a reason to show


def test_a_fault_without_a_reply_names_the_exception():
    fault = classify_exception(ConnectionRefusedError(111, "Connection refused"))
    assert fault.reason == "ConnectionRefusedError at CONNECTION: [Errno 111] Connection refused"
    assert faults.build_fault(RuntimeError("template bug")).reason == \
        "RuntimeError at BUILD: template bug"
