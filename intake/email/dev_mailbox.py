"""Development only: an SMTP server on loopback that keeps each message as a file, and a page
that lists them, so a newcomer running `make run` can read the emails the app sends."""
import socket
import time
import uuid
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller


class SaveToFolder:
    def __init__(self, folder):
        self.folder = Path(folder)
        self.folder.mkdir(parents=True, exist_ok=True)

    async def handle_DATA(self, server, session, envelope):
        name = f"{time.time():.6f}-{uuid.uuid4().hex[:8]}.eml"
        (self.folder / name).write_bytes(envelope.original_content or envelope.content)
        return "250 Message accepted for delivery"


def refuse_a_taken_port(port):
    """An OSError at once when something listens on the port: aiosmtpd's own start would
    wait out its ready timeout (5 s) before saying so."""
    with socket.socket() as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as asyncio binds
        probe.bind(("127.0.0.1", port))


def serve(folder, port):
    refuse_a_taken_port(port)
    controller = Controller(SaveToFolder(folder), hostname="127.0.0.1", port=port)
    controller.start()
    print(f"Development mail server on 127.0.0.1:{port}, saving to {folder}", flush=True)
    try:
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        controller.stop()


def list_messages(folder, limit=100):
    files = sorted(Path(folder).glob("*.eml"), reverse=True)[:limit]
    return [(path.name, read_message(path)) for path in files]


def read_message(path):
    return message_from_bytes(Path(path).read_bytes(), policy=policy.default)


def parts(message):
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    return (text.get_content() if text else ""), (html.get_content() if html else "")
