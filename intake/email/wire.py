"""An email as it goes on the wire: Flask-Mail's message, with the headers mail providers read
to the letter (List-Unsubscribe, RFC 2369 and RFC 8058) written as they are, never folded into
RFC 2047 encoded-words, and a DKIM signature when a key is configured (dkimpy).

The signer is built once, when the app starts: a key that is missing, unreadable or not a
private key stops the start with a message saying which setting to fix.
"""
from dataclasses import dataclass
from email.utils import parseaddr
from pathlib import Path

import dkim
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_private_key
from flask import current_app
from flask_mail import Message

from ..config import ConfigurationError
from .faults import SetupFailure

# What the signature covers: what the reader sees and what a provider acts on (RFC 8058 asks
# that List-Unsubscribe and List-Unsubscribe-Post be signed).
SIGNED_HEADERS = (b"From", b"To", b"Subject", b"Date", b"Message-ID", b"Reply-To",
                  b"List-Unsubscribe", b"List-Unsubscribe-Post", b"MIME-Version",
                  b"Content-Type", b"Content-Language", b"Auto-Submitted")


MIN_KEY_BITS = 1024


class VerbatimHeader(str):
    """A header value written on one line exactly as it is. Python's email policies refold a
    long plain value (a link without spaces becomes encoded-words); a value that has a `name`
    is taken for a header object, and its own fold() is used instead."""

    def __new__(cls, name, value):
        header = super().__new__(cls, value)
        header.name = name
        return header

    def fold(self, *, policy):
        return f"{self.name}: {self}{policy.linesep}"


@dataclass(frozen=True)
class DkimSigner:
    selector: str
    domain: str
    private_key: bytes  # PEM

    def signature(self, raw):
        """The DKIM-Signature header line for these bytes (to put before them)."""
        try:
            return dkim.sign(raw, self.selector.encode(), self.domain.encode(), self.private_key,
                             include_headers=list(SIGNED_HEADERS))
        except dkim.DKIMException as error:
            raise SetupFailure(f"DKIM signing failed: {error}") from error


class WireMessage(Message):
    """Flask-Mail's message, signed as it is turned into bytes (Flask-Mail sends as_bytes())."""

    signer = None

    def as_bytes(self):
        raw = super().as_bytes()
        return self.signer.signature(raw) + raw if self.signer else raw


def domain_of(address):
    """The domain of an address or of a (name, address) pair, lower case ("" if none)."""
    if isinstance(address, (tuple, list)):
        address = address[-1]
    return parseaddr(address or "")[1].rpartition("@")[2].lower()


def sender_domain(config):
    return domain_of(config["MAIL_DEFAULT_SENDER"]) or "localhost"


def message_id_domain(config):
    """MAIL_MESSAGE_ID_DOMAIN, else the sender's domain."""
    return config.get("MAIL_MESSAGE_ID_DOMAIN") or sender_domain(config)


def read_private_key(config):
    """The PEM of DKIM_PRIVATE_KEY, or of the file DKIM_PRIVATE_KEY_PATH names; None if neither
    is set."""
    if config.get("DKIM_PRIVATE_KEY"):
        return config["DKIM_PRIVATE_KEY"].replace("\\n", "\n").encode()
    path = config.get("DKIM_PRIVATE_KEY_PATH")
    if not path:
        return None
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise ConfigurationError(f"DKIM_PRIVATE_KEY_PATH: the DKIM key cannot be read "
                                 f"({error.strerror}): {path}") from error


def dkim_signer(config):
    """The signer the settings describe, or None when no key is set."""
    key = read_private_key(config)
    if key is None:
        return None
    if not config.get("DKIM_SELECTOR"):
        raise ConfigurationError("A DKIM key is set, but DKIM_SELECTOR is not: set it to the "
                                 "selector of the DNS record that publishes the public key "
                                 "(<selector>._domainkey.<domain>).")
    try:
        loaded = load_pem_private_key(key, password=None)
    except (ValueError, TypeError) as error:
        raise ConfigurationError("The DKIM key (DKIM_PRIVATE_KEY or DKIM_PRIVATE_KEY_PATH) is "
                                 "not an unencrypted PEM private key: " + str(error)) from error
    if not isinstance(loaded, rsa.RSAPrivateKey) or loaded.key_size < MIN_KEY_BITS:
        raise ConfigurationError(f"The DKIM key must be an RSA key of at least {MIN_KEY_BITS} "
                                 f"bits (2048 advised): receivers ignore smaller ones.")
    return DkimSigner(config["DKIM_SELECTOR"], config.get("DKIM_DOMAIN") or sender_domain(config),
                      key)


def new_message(**fields):
    message = WireMessage(**fields)
    message.signer = current_app.extensions.get("dkim_signer")
    return message


def init_app(app):
    app.extensions["dkim_signer"] = dkim_signer(app.config)
