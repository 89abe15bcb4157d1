"""The app's own LMTP listener (INBOUND_LMTP_PORT): a mail server delivers to it, and each
message goes through ingest.receive and is committed before the answer 250. Recipients
outside INBOUND_ADDRESS's domain are refused (550); a message over INBOUND_MAX_MESSAGE_BYTES
is refused (552, by aiosmtpd); when the database cannot store it the answer is 451, so that
the sending server keeps it and tries again."""
import asyncio

from aiosmtpd.controller import Controller
from aiosmtpd.lmtp import LMTP

from ..extensions import db
from .ingest import receive


class InboundHandler:
    def __init__(self, app):
        self.app = app
        address = app.config.get("INBOUND_ADDRESS") or ""
        self.domain = address.rpartition("@")[2].lower() or None

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):
        if self.domain is None or address.rpartition("@")[2].lower() != self.domain:
            return "550 5.1.1 No such recipient here"
        envelope.rcpt_tos.append(address)
        return "250 2.1.5 OK"

    async def handle_DATA(self, server, session, envelope):
        answer = await asyncio.to_thread(self._store, envelope.original_content
                                         or envelope.content)
        # LMTP answers DATA once per accepted recipient; the message is stored once for all.
        return "\r\n".join([answer] * max(1, len(envelope.rcpt_tos)))

    def _store(self, raw):
        with self.app.app_context():
            try:
                receive(raw, via="lmtp")
                db.session.commit()
            except Exception as error:  # the database is down, or a bug: the sender retries
                db.session.rollback()
                self.app.logger.warning("Inbound email: an LMTP delivery was not stored: %s",
                                        error)
                return "451 4.3.0 Not stored just now, please try again later"
            finally:
                db.session.remove()
        return "250 2.0.0 Stored"


class LmtpListener(Controller):
    """Runs in a thread of its own: start(), then stop()."""

    def __init__(self, app, host="127.0.0.1", port=None):
        self.size_limit = app.config["INBOUND_MAX_MESSAGE_BYTES"]
        super().__init__(InboundHandler(app), hostname=host,
                         port=port or app.config["INBOUND_LMTP_PORT"])

    def factory(self):
        return LMTP(self.handler, data_size_limit=self.size_limit, decode_data=False,
                    ident="Pledge intake LMTP")
