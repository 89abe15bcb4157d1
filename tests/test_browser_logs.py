"""No private token reaches a log line: a whole browser run (the intake, coming back through the
private link, the status page polling) leaves the tokens it used out of every log record."""
import logging
import re
import sys
import time

import pytest
from playwright.sync_api import expect

from .support.chromium import CAIRO
from .support.client import ALIGNMENT_ANSWERS, PLEDGE_ANSWERS

TOKEN_IN_URL = re.compile(r"/(?:resume|track|unsubscribe)/([^/?#\s]+)")


def records_mentioning(caplog, text):
    return [record for record in caplog.records if text in record.getMessage()]


def wait_for_record(caplog, text, seconds=10):
    """The server logs a request just after answering it."""
    deadline = time.monotonic() + seconds
    while not records_mentioning(caplog, text):
        assert time.monotonic() < deadline, f"no log record mentions {text!r}"
        time.sleep(0.05)


@pytest.mark.browser
def test_no_token_appears_in_the_log_of_a_whole_browser_run(app, contact_factory, live_server,
                                                           caplog):
    caplog.set_level(logging.DEBUG)
    app.config["TRACKER_POLL_SECONDS"] = 1

    # The intake, stopped half-way with "Save and come back later".
    first_visit = contact_factory(javascript=True)
    page = first_visit.page
    page.goto("/pledge/step/city")
    first_visit.answer_step("city", CAIRO, "/pledge/step/areas")
    first_visit.fill_areas()
    first_visit.press("Save and come back later")
    first_visit.wait_for_path("/pledge/saved")
    link = page.locator("input#resume-link").input_value()

    # Back through the private link, in another browser, to the end.
    later = contact_factory(javascript=True)
    page = later.page
    page.goto(link)
    later.press("Continue my pledge")
    later.wait_for_path("/pledge/step/commitment")
    later.answer_step("pledge", PLEDGE_ANSWERS, "/pledge/step/alignment")
    later.answer_step("alignment", ALIGNMENT_ANSWERS, "/pledge/review")
    later.send_pledge()

    # The status page, through the same link, and one refresh of its status.
    tracker = contact_factory(javascript=True)
    page = tracker.page
    page.goto(link)
    page.wait_for_url(re.compile(re.escape(live_server) + r"/track/[^/]+$"))
    with page.expect_response(re.compile(r"/track/[^/]+/status$"), timeout=10_000) as polled:
        pass
    assert polled.value.status == 200
    expect(page.locator("#status")).to_have_text("Submitted")
    wait_for_record(caplog, "/status HTTP")

    tokens = {token for contact in (first_visit, later, tracker)
              for _method, url, _kind in contact.requests
              for token in TOKEN_IN_URL.findall(url)}
    tokens.add(link.rsplit("/", 1)[1])
    assert len(tokens) >= 1 and all(len(token) >= 40 for token in tokens), tokens

    # The requests were logged, with their tokens masked...
    for logged in ("GET /resume/… HTTP", "POST /resume/… HTTP", "GET /track/… HTTP",
                   "GET /track/…/status HTTP"):
        assert records_mentioning(caplog, logged), logged
    # ... and no token is in any record, nor in the captured log as written out.
    for record in caplog.records:
        message = record.getMessage()
        for token in tokens:
            assert token not in message, (record.name, message)
    for token in tokens:
        assert token not in caplog.text


def test_an_error_the_app_logs_about_a_token_page_names_no_token(app, caplog):
    """Flask logs an exception with the path it happened on."""
    token = "Zm9yZ2V0LW1lLW5vdC1hLXJlYWwtdG9rZW4tYnV0LWxvbmc"
    with app.test_request_context(f"/track/{token}/status"):
        try:
            raise RuntimeError("boom")
        except RuntimeError:
            app.log_exception(sys.exc_info())
    [record] = [r for r in caplog.records if r.name == app.logger.name]
    assert record.getMessage() == "Exception on /track/…/status [GET]"
    assert token not in caplog.text
