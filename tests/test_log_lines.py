"""Production logs are JSON lines a log collector reads, each naming its request's id (the
proxy's X-Request-ID, or a new one, sent back to the caller), and never a private token."""
import json
import logging
import re
import sys

from intake.config import from_environment
from intake.web.logs import JsonLines

TOKEN = "Zm9yZ2V0LW1lLW5vdC1hLXJlYWwtdG9rZW4tYnV0LWxvbmc"
UNREACHABLE_REDIS = "redis://127.0.0.1:1/0"


def json_lines(text):
    return [json.loads(line) for line in text.splitlines() if line.startswith("{")]


def test_production_logs_json_lines_and_development_plain_text(monkeypatch, tmp_path):
    monkeypatch.setenv("APP_ENV", "production")
    monkeypatch.delenv("LOG_FORMAT", raising=False)
    assert from_environment(str(tmp_path))["LOG_FORMAT"] == "json"
    monkeypatch.setenv("APP_ENV", "development")
    assert from_environment(str(tmp_path))["LOG_FORMAT"] == "text"
    monkeypatch.setenv("LOG_FORMAT", "JSON")
    assert from_environment(str(tmp_path))["LOG_FORMAT"] == "json"


def test_a_warning_during_a_request_is_one_json_line_with_the_proxys_request_id(
        app_factory, capsys):
    app = app_factory(LOG_FORMAT="json", REDIS_URL=UNREACHABLE_REDIS, HEALTH_TIMEOUT_SECONDS=1)
    capsys.readouterr()
    response = app.test_client().get("/healthz", headers={"X-Request-ID": "edge-4f2a.17"})
    assert response.status_code == 503
    assert response.headers["X-Request-ID"] == "edge-4f2a.17"
    [line] = [line for line in json_lines(capsys.readouterr().err)
              if line["message"].startswith("Health check: Redis unreachable")]
    assert line["level"] == "WARNING"
    assert line["logger"] == app.logger.name
    assert line["request_id"] == "edge-4f2a.17"
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}\+00:00", line["time"])


def test_a_request_without_a_sane_id_gets_a_new_one(client):
    made = client.get("/healthz/live").headers["X-Request-ID"]
    assert re.fullmatch(r"[0-9a-f]{32}", made)
    refused = client.get("/healthz/live", headers={"X-Request-ID": "<script> " + "x" * 200})
    assert re.fullmatch(r"[0-9a-f]{32}", refused.headers["X-Request-ID"])
    assert refused.headers["X-Request-ID"] != made


def test_json_lines_name_no_token_whatever_logger_wrote_them(app_factory, capsys):
    app = app_factory(LOG_FORMAT="json")
    capsys.readouterr()
    with app.test_request_context(f"/track/{TOKEN}/status"):
        try:
            raise RuntimeError(f"boom on /track/{TOKEN}/status")
        except RuntimeError:
            app.log_exception(sys.exc_info())
    logging.getLogger("rq.worker").warning("job for /unsubscribe/%s failed", TOKEN)
    written = capsys.readouterr().err
    assert TOKEN not in written
    lines = json_lines(written)
    [failure] = [line for line in lines if line["logger"] == app.logger.name]
    assert failure["message"] == "Exception on /track/…/status [GET]"
    assert failure["level"] == "ERROR"
    assert "RuntimeError: boom on /track/…/status" in failure["exception"]
    [worker] = [line for line in lines if line["logger"] == "rq.worker"]
    assert worker["message"] == "job for /unsubscribe/… failed"


def test_the_json_formatter_writes_one_line_per_record():
    record = logging.LogRecord("intake", logging.INFO, __file__, 1, "two\nlines", None, None)
    line = JsonLines().format(record)
    assert "\n" not in line
    assert json.loads(line)["message"] == "two\nlines"
