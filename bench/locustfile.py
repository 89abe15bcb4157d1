"""The people of bench/load_mixed.py, for Locust: city contacts filling in the pledge form with
1-3 s of thought between pages, cities polling their tracker's status, coordinators filtering
the triage queue. Started by load_mixed.py (`locust --headless`), which seeds what they need
and names it in the JSON file given by LOAD_SEED (tracker links, coordinator accounts).

With LOAD_FLOOR=1 the same people walk the same pages of the bare floor app (floor_app.py),
which answers every one of them with a page of the same size: forms are not checked there, so
the walk goes on whatever a page holds."""
import itertools
import json
import os
import random
import re
import sys
import uuid
from pathlib import Path

from locust import HttpUser, between, task

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
sys.path.insert(0, str(Path(__file__).resolve().parent))
from load_names import QUEUE_VIEWS, endpoint  # noqa: E402
from tests.support.browser import csrf_token_in  # noqa: E402
from tests.support.client import ANSWERS, STEP_SLUGS, step_url  # noqa: E402

SEED = json.loads(Path(os.environ["LOAD_SEED"]).read_text())
FLOOR = os.environ.get("LOAD_FLOOR") == "1"
TRACKERS = itertools.cycle(SEED["trackers"])
COORDINATORS = itertools.cycle(SEED["coordinators"])

def csrf_of(response):
    return csrf_token_in(response.text or "") or ""


def what_came(response):
    """Where a redirect pointed, or the page's title: what tells one failure from another."""
    if response.headers.get("Location"):
        return " to " + response.headers["Location"].split("?")[0]
    title = re.search(r"<title>(.*?)</title>", response.text or "", re.S)
    return f" ({' '.join(title.group(1).split())[:80]})" if title else ""


class Visitor(HttpUser):
    abstract = True

    def fetch(self, method, path, **kwargs):
        """One request, counted under its endpoint; a 303 is not followed (the caller opens
        the next page itself, as a browser does at once)."""
        name = endpoint(method, path)
        expected = kwargs.pop("expected", (200, 303))
        with self.client.request(method, path, name=name, allow_redirects=False,
                                 catch_response=True, **kwargs) as response:
            if response.status_code == 0:  # no answer at all: the connection's error
                response.failure(repr(response.error))
            elif response.status_code not in expected and not FLOOR:
                response.failure(f"HTTP {response.status_code}{what_came(response)}")
            else:
                response.success()
        return response

    def follow(self, response, fallback):
        """The page a 303 points to (on the floor: the page the app would have shown)."""
        location = response.headers.get("Location") if not FLOOR else None
        return self.fetch("GET", location or fallback)


class CityContact(Visitor):
    """Fills in a whole pledge, thinking 1-3 s before each answer, sends it, starts another."""
    weight = 6
    wait_time = between(1, 3)

    @task
    def send_a_pledge(self):
        self.client.cookies.clear()
        address = f"load-{uuid.uuid4().hex[:12]}@city.example"
        self.fetch("GET", "/")
        page = self.fetch("GET", step_url("city"))
        for number, slug in enumerate(STEP_SLUGS):
            self.think()
            data = dict(ANSWERS[slug], action="continue", csrf_token=csrf_of(page))
            if slug == "city":
                data["focal_email"] = address
            answer = self.fetch("POST", step_url(slug), data=data)
            next_page = (step_url(STEP_SLUGS[number + 1]) if number + 1 < len(STEP_SLUGS)
                         else "/pledge/review")
            page = self.follow(answer, next_page)
        self.think()
        sent = self.fetch("POST", "/pledge/review", data={
            "consent_contact": "y", "consent_publish": "y", "csrf_token": csrf_of(page)})
        self.follow(sent, "/pledge/confirmation")

    def think(self):
        self.wait()


class Tracker(Visitor):
    """A city that sent its pledge: opens its tracker, then its status panel refreshes."""
    weight = 3
    wait_time = between(4, 6)

    def on_start(self):
        self.token = next(TRACKERS)
        self.fetch("GET", f"/track/{self.token}")

    @task
    def poll_the_status(self):
        self.fetch("GET", f"/track/{self.token}/status", headers={"HX-Request": "true"},
                   expected=(200, 286))


class Coordinator(Visitor):
    """Signs in once, then filters the queue, a few seconds between views."""
    weight = 1
    wait_time = between(2, 5)

    def on_start(self):
        email, password = next(COORDINATORS)
        page = self.fetch("GET", "/login")
        self.fetch("POST", "/login", data={"email": email, "password": password,
                                           "csrf_token": csrf_of(page)}, expected=(303,))

    @task
    def filter_the_queue(self):
        self.fetch("GET", "/triage/" + random.choice(list(QUEUE_VIEWS)))
