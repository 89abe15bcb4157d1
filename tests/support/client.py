"""A city contact's browser without JavaScript: it reads the security token from each page,
the way a real form post carries it."""
import re
from html import unescape

CSRF_INPUT = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"|'
                        r'name="csrf_token" value="([^"]+)"')

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
ANSWERS = {"city": CITY_ANSWERS, "areas": AREAS_ANSWERS, "pledge": PLEDGE_ANSWERS,
           "alignment": ALIGNMENT_ANSWERS}
STEP_SLUGS = ("city", "areas", "pledge", "alignment")


def step_url(slug):
    return f"/pledge/step/{slug}"


class ContactBrowser:
    def __init__(self, client):
        self.client = client
        self.page = None

    def get(self, url, **kwargs):
        self.page = self.client.get(url, **kwargs)
        return self.page

    def csrf_token(self):
        if self.page is None or b"csrf_token" not in self.page.data:
            self.get("/pledge")
        match = CSRF_INPUT.search(self.page.get_data(as_text=True))
        return unescape(match.group(1) or match.group(2))

    def post(self, url, data, headers=None, follow=False):
        data = {**data, "csrf_token": self.csrf_token()}
        self.page = self.client.post(url, data=data, headers=headers, follow_redirects=follow)
        return self.page

    def answer(self, slug, changes=None, action="continue", **kwargs):
        """Open a step, then send its answers (the valid ones, with any changes)."""
        self.get(step_url(slug))
        data = {**ANSWERS.get(slug, {}), **(changes or {}), "action": action}
        return self.post(step_url(slug), data, **kwargs)

    def complete_steps(self, upto="alignment"):
        for slug in STEP_SLUGS:
            response = self.answer(slug)
            assert response.status_code == 303, (slug, response.get_data(as_text=True)[:2000])
            if slug == upto:
                return response
        return response

    def submit(self, consent_publish=True):
        self.get("/pledge/review")
        data = {"consent_contact": "y"}
        if consent_publish:
            data["consent_publish"] = "y"
        return self.post("/pledge/review", data)

    @property
    def text(self):
        return self.page.get_data(as_text=True)


def drain_queue(app):
    """Run the queued jobs the way the worker does, with RQ's SimpleWorker in burst mode."""
    from rq import SimpleWorker

    from intake.email.enqueue import email_queue
    from intake.extensions import get_redis

    with app.app_context():
        worker = SimpleWorker([email_queue()], connection=get_redis())
        worker.work(burst=True, logging_level="WARNING")


def outbox_rows(app, **filters):
    from sqlalchemy import select

    from intake.extensions import db
    from intake.models import OutboxEmail

    with app.app_context():
        query = select(OutboxEmail).filter_by(**filters).order_by(OutboxEmail.id)
        rows = db.session.scalars(query).all()
        db.session.expunge_all()
        return rows
