"""A real SMTP server on loopback (aiosmtpd) whose answers a test can script: accept, refuse
for a while (451), refuse for good (550), or say nothing at all; one for the run, its mailbox
emptied for each test that asks for it."""
import asyncio
import socket
import threading
import time
from email import message_from_bytes, policy

import pytest
from aiosmtpd.controller import Controller


def free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


class ScriptedMailbox:
    def __init__(self):
        self.received = []  # parsed messages, in order of delivery
        self.raw = []  # the same, as the bytes that came over the wire
        self.answers = []  # answers for the next DATA commands, then "250"; a 421 hangs up
        self.stall_seconds = 0
        self.stalling = threading.Event()  # set once a message waits on the stall
        self.sessions = []  # one per EHLO: the server side of each client connection
        self.quits = 0

    def reset(self):
        self.received.clear()
        self.raw.clear()
        self.answers.clear()
        self.stall_seconds = 0
        self.stalling.clear()
        self.sessions.clear()
        self.quits = 0

    async def handle_EHLO(self, server, session, envelope, hostname, responses):
        self.sessions.append(server)
        session.host_name = hostname  # what aiosmtpd does itself when there is no hook
        return responses

    async def handle_QUIT(self, server, session, envelope):
        self.quits += 1
        return "221 Bye"

    async def handle_DATA(self, server, session, envelope):
        if self.stall_seconds:  # the client gives up first; what it left behind is dropped
            self.stalling.set()
            await asyncio.sleep(self.stall_seconds)
            return "421 4.4.2 Timed out"
        answer = self.answers.pop(0) if self.answers else "250 OK"
        if answer.startswith("421"):  # "closing transmission channel" (RFC 5321): it does
            asyncio.get_running_loop().call_later(0.05, server.transport.close)
        if answer.startswith("250"):
            message = message_from_bytes(envelope.content, policy=policy.default)
            self.received.append(message)
            self.raw.append(envelope.original_content or envelope.content)
        return answer

    def to(self, address):
        return [m for m in self.received if m["To"] == address]


class SmtpServer:
    def __init__(self):
        self.mailbox = ScriptedMailbox()
        self.port = free_port()
        self.controller = Controller(self.mailbox, hostname="127.0.0.1", port=self.port)

    def __enter__(self):
        self.controller.start()
        return self

    def __exit__(self, *exc):
        self.mailbox.stall_seconds = 0
        self.controller.stop()

    def hang_up_on_everyone(self):
        """What a mail server does to connections left idle too long: close them."""
        for session in self.mailbox.sessions:
            self.controller.loop.call_soon_threadsafe(session.transport.close)
        time.sleep(0.2)


@pytest.fixture(scope="session")
def smtp_server():
    with SmtpServer() as server:
        yield server


@pytest.fixture
def mailbox(smtp_server):
    smtp_server.mailbox.reset()
    return smtp_server.mailbox
