"""Published pledges and progress reports for the register's stories, written straight to the
tables (the intake and triage stories cover how they get there); a reader of the register."""
import itertools
import re
from datetime import datetime, timedelta, timezone

from intake.catalogue.regions import region_of
from intake.extensions import db
from intake.models import CoPledgingCity, Pledge, PledgeActionArea, ProgressReport

NUMBERS = itertools.count(1)
ACCEPTED = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)


def stored_pledge(app, city="Lyon", country="FR", areas=("essential-services",),
                  review_state="accepted", consent_publish=True, accepted_at=None,
                  co_cities=(), **fields):
    """A sent pledge, accepted (by default) with the city's consent to publication; returns
    its reference."""
    number = next(NUMBERS)
    values = {
        "title": f"Welcome centre of {city}",
        "summary": f"A one-stop centre where newcomers to {city} find advice.",
        "commitment": "Open and staff a welcome centre.",
        "language": "en", "implementation_stage": "planning",
        "target_groups": ["refugees"], "support_sought": [], "gcm_objectives": [],
        "gcr_objectives": [], "leader_name": "Mayor of " + city, "leader_title": "Mayor",
        "focal_name": f"Focal {number}", "focal_email": f"focal{number}@city.example",
        "focal_phone": f"+33 1 00 00 {number:04d}",
        **fields,
    }
    sent = (accepted_at or ACCEPTED + timedelta(days=number)) - timedelta(days=10)
    with app.app_context():
        pledge = Pledge(reference=f"CTA-2026-{number:04d}", review_state=review_state,
                        furthest_step=5, city=city, country_code=country,
                        region=region_of(country), submitted_at=sent,
                        accepted_at=(accepted_at or ACCEPTED + timedelta(days=number))
                        if review_state == "accepted" else None,
                        consent_publish=consent_publish, consent_contact=True, **values)
        pledge.action_areas = [PledgeActionArea(area=area) for area in areas]
        pledge.co_pledging_cities = [CoPledgingCity(position=i, city=name, country_code=code)
                                     for i, (name, code) in enumerate(co_cities)]
        db.session.add(pledge)
        db.session.commit()
        return pledge.reference


def pledge_id(app, reference):
    with app.app_context():
        return db.session.query(Pledge.id).filter_by(reference=reference).scalar()


def sent_report(app, reference, sent_at=None, state="sent", **fields):
    """A progress report the city sent (or a draft, state="draft"); returns its id."""
    sent_at = sent_at or ACCEPTED + timedelta(days=200)
    with app.app_context():
        pledge = db.session.query(Pledge).filter_by(reference=reference).one()
        values = {"stage": "in-progress", "done": "The centre opened.",
                  "results": "2,400 newcomers advised.", "share_delivered": 40,
                  "evidence_links": ["https://city.example/r"],
                  "help_needed": "Funding for a second centre.", "language": "en", **fields}
        report = ProgressReport(pledge_id=pledge.id, state=state,
                                sent_at=sent_at if state == "sent" else None, **values)
        db.session.add(report)
        if state == "sent":
            pledge.last_report_at = sent_at
        db.session.commit()
        return report.id


def references_listed(html):
    """The references of the register list's rows, in order."""
    return re.findall(r'<span class="reference">(CTA-\d{4}-\d{4})</span>', html)
