"""A city contact's browser without JavaScript, the answers it gives, and the `contact`
fixture; running the queued jobs and reading the outbox as a test sees them."""
import pytest
from rq import SimpleWorker
from sqlalchemy import select

from intake.email.enqueue import email_queue
from intake.extensions import db, get_redis
from intake.models import OutboxEmail
from intake.pledges.answers import PLEDGE_FIELDS

from .browser import Browser

CITY_ANSWERS = {
    "city": "São Paulo",
    "country": "BR",
    "leader_name": "Ricardo Nunes",
    "leader_title": "Mayor",
    "marrakech_signatory": "yes",
    "focal_name": "Ana Souza",
    "focal_role": "Head of Migrant Policy",
    "focal_email": "Ana.Souza@prefeitura.example",
    "focal_phone": "+55 11 3113-8000",
    "language": "en",
}
AREAS_ANSWERS = {"action_areas": ["essential-services", "inclusion-social-cohesion"]}
PLEDGE_ANSWERS = {
    "title": "Welcome centre for newcomers",
    "summary": "A one-stop centre where newcomers find housing, health and school advice.",
    "commitment": "Open and staff a welcome centre in the city centre.",
    "commitment_kind": "programme",
    "commitment_novelty": "expanded",
    "target_groups": ["refugees", "women-children"],
    "target_groups_other": "",
    "start_date": "2027-01-15",
    "end_date": "2029-12-31",
    "expected_results": "10,000 newcomers advised each year.",
    "progress_measures": "Visits recorded by the centre, reported every six months.",
    "budget_amount": "250000",
    "budget_currency": "BRL",
    "funding_status": "partial",
    "support_sought": ["technical", "peer-exchange"],
    "support_details": "Advice on case management software.",
    "implementation_stage": "planning",
}
ALIGNMENT_ANSWERS = {"gcm_objectives": ["15", "16"], "gcr_objectives": ["2"]}
# The pledge is asked on four pages (commitment, dates, results, budget): each page's share of
# PLEDGE_ANSWERS. "pledge" names the four pages together in answer() and complete_steps().
PLEDGE_SLUGS = tuple(PLEDGE_FIELDS)
PAGE_ANSWERS = {slug: {name: PLEDGE_ANSWERS[name] for name in names if name in PLEDGE_ANSWERS}
                for slug, names in PLEDGE_FIELDS.items()}
ANSWERS = {"city": CITY_ANSWERS, "areas": AREAS_ANSWERS, **PAGE_ANSWERS,
           "alignment": ALIGNMENT_ANSWERS}
STEP_SLUGS = ("city", "areas", *PLEDGE_SLUGS, "alignment")


def page_of(name):
    """The pledge page that asks that question."""
    return next(slug for slug, names in PLEDGE_FIELDS.items() if name in names)


def step_url(slug):
    return f"/pledge/step/{slug}"


class ContactBrowser(Browser):
    """A city contact filling in the pledge form (from the introduction page, at "/")."""

    def answer(self, slug, changes=None, action="continue", **kwargs):
        """Open a step, then send its answers (the valid ones, with any changes). "pledge":
        the pledge's four pages in turn, each with the changes to its own questions, up to the
        first one that is not saved (its errors on screen)."""
        if slug == "pledge":
            return self.answer_pledge(changes, action, **kwargs)
        self.get(step_url(slug))
        data = {**ANSWERS.get(slug, {}), **(changes or {}), "action": action}
        return self.post(step_url(slug), data, **kwargs)

    def answer_pledge(self, changes=None, action="continue", **kwargs):
        changes = changes or {}
        for slug in PLEDGE_SLUGS:
            mine = {name: value for name, value in changes.items() if page_of(name) == slug}
            response = self.answer(slug, mine, action, **kwargs)
            if response.status_code != 303:
                return response
        return response

    def complete_steps(self, upto="alignment", answers=None):
        """Every step answered in order, up to that one ("pledge": up to the pledge's last page):
        the first step opened, then each step's answers (the valid ones, with the changes given
        per slug, "pledge" spread over its pages) posted in turn, without opening each next
        page in between (the redirect after each step is not followed: what a step shows is
        told by the tests of each step). Returns the last step's answer (a 303)."""
        upto = PLEDGE_SLUGS[-1] if upto == "pledge" else upto
        answers = answers or {}
        pledge_changes = answers.get("pledge") or {}
        self.get(step_url("city"))
        token = self.csrf_token()
        for slug in STEP_SLUGS:
            changes = answers.get(slug) or {name: value for name, value in pledge_changes.items()
                                            if slug in PLEDGE_SLUGS and page_of(name) == slug}
            data = {**ANSWERS.get(slug, {}), **changes, "action": "continue", "csrf_token": token}
            self.page = self.client.post(step_url(slug), data=data)
            assert self.page.status_code == 303, (slug, self.text[:2000])
            if slug == upto:
                break
        return self.page

    def send_in_one_go(self, answers=None):
        """The whole pledge sent from one sitting (see complete_steps), consents given: for
        tests about what happens once a pledge is sent, at half the requests."""
        self.complete_steps(answers=answers)
        self.page = self.client.post("/pledge/review", data={
            "consent_contact": "y", "consent_publish": "y", "csrf_token": self.csrf_token()})
        assert self.page.status_code == 303, self.text[:2000]
        return self.page

    def submit(self, consent_publish=True):
        self.get("/pledge/review")
        data = {"consent_contact": "y"}
        if consent_publish:
            data["consent_publish"] = "y"
        return self.post("/pledge/review", data)


@pytest.fixture
def contact(client):
    """A city contact in a browser without JavaScript."""
    return ContactBrowser(client)


class BurstWorker(SimpleWorker):
    """RQ's SimpleWorker, minus the pub/sub channel on which RQ's own commands (stop a job,
    shut down) reach a worker: nobody sends one to a test's worker, and stopping its listener
    thread waits up to a second whenever the thread went back to waiting for the next one."""

    def subscribe(self):
        pass


def drain_queue(app):
    """Run the queued jobs the way the worker does, with RQ's SimpleWorker in burst mode."""
    with app.app_context():
        worker = BurstWorker([email_queue()], connection=get_redis())
        worker.work(burst=True, logging_level="WARNING")


def outbox_rows(app, **filters):
    with app.app_context():
        query = select(OutboxEmail).filter_by(**filters).order_by(OutboxEmail.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows
