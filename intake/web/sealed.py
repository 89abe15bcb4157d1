"""Values sealed with a key derived from SECRET_KEY (Fernet: AES in CBC mode with an HMAC), one
key per purpose: what a sealed value says cannot be read, and it cannot be forged or moved from
one purpose to another. For a secret that must travel or wait (an unsubscribe link, a private
link not yet shown), never for one that can be hashed instead."""
import base64
import re

from cryptography.fernet import Fernet, InvalidToken
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from flask import current_app

SEALED = re.compile(r"[A-Za-z0-9_-]+={0,2}")  # as made: nothing added, nothing after padding


def _box(purpose):
    secret = current_app.config["SECRET_KEY"]
    secret = secret if isinstance(secret, bytes) else secret.encode()
    cache = current_app.extensions.setdefault("intake_sealed_boxes", {})
    box = cache.get((purpose, secret))
    if box is None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                   info=b"intake sealed " + purpose.encode()).derive(secret)
        box = cache[(purpose, secret)] = Fernet(base64.urlsafe_b64encode(key))
    return box


def seal(purpose, text):
    """URL-safe text (letters, digits, "-", "_" and "=")."""
    return _box(purpose).encrypt(text.encode()).decode("ascii")


def unseal(purpose, sealed):
    """What was sealed for this purpose, or None for anything else."""
    if not sealed or len(sealed) > 1000 or not SEALED.fullmatch(sealed):
        return None
    try:
        return _box(purpose).decrypt(sealed.encode("ascii")).decode()
    except (InvalidToken, UnicodeError, ValueError):
        return None
