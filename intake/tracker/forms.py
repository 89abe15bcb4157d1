"""Forms of the city's status page: an answer to a coordinator's questions, withdrawal,
stopping the other private links, and a progress report."""
import re

from flask_wtf import FlaskForm
from wtforms import BooleanField, HiddenField, RadioField
from wtforms.validators import DataRequired, InputRequired, Optional, StopValidation

from ..extensions import lazy_gettext as _l
from ..pledges import progress
from ..pledges.answers import checked_values
from ..pledges.status import IMPLEMENTATION_STAGES
from ..web.fields import long_text, options, text


class AnswerForm(FlaskForm):
    answer = long_text(_l("Your answer"), 8000, DataRequired(message=_l("Write your answer.")),
                       rows=6)


class WithdrawForm(FlaskForm):
    confirm = BooleanField(_l("Yes, withdraw this pledge"),
                           validators=[DataRequired(message=_l(
                               "Tick the box to confirm that you want to withdraw."))])
    reason = long_text(_l("Why are you withdrawing it? (optional)"), 2000, Optional(), rows=3)


class StopOtherLinksForm(FlaskForm):
    """A button and its security token."""


# --- a progress report ----------------------------------------------------------------------

FORM_KEY = re.compile(r"[A-Za-z0-9_\-]{16,64}")


def evidence_links(value):
    """The links typed in the text area, one a line (empty lines left out)."""
    return [line.strip() for line in (value or "").splitlines() if line.strip()]


def share_in_range(form, field):
    problem = progress.share_problem(field.data)
    if problem:
        raise StopValidation(problem)


def links_are_web_addresses(form, field):
    problem = progress.links_problem(evidence_links(field.data))
    if problem:
        raise StopValidation(problem)


class ReportForm(FlaskForm):
    # Names the form, not the person: a second click on "Send" carries the same key.
    form_key = HiddenField()
    stage = RadioField(
        _l("Stage the pledge has reached"), choices=options(IMPLEMENTATION_STAGES.items()),
        validators=[InputRequired(message=_l("Choose the stage the pledge has reached."))],
        validate_choice=True)
    done = long_text(_l("What was done since the last report"), 8000,
                     DataRequired(message=_l("Say what was done since the last report.")),
                     rows=6)
    results = long_text(
        _l("Results against the measures your pledge named (optional)"), 8000, Optional(),
        description=_l("Figures where you have them: what you measured, and what it shows."),
        rows=5)
    share_delivered = text(
        _l("Share of the commitment delivered, in percent (optional)"), 3, Optional(),
        share_in_range, description=_l("A whole number from 0 to 100."), inputmode="numeric",
        autocomplete="off", spellcheck="false")
    evidence_links = long_text(
        _l("Links to evidence (optional)"), 2600, Optional(), links_are_web_addresses,
        description=_l("Web pages, reports or press articles: one link a line, up to "
                       "%(max)d, each starting with https:// or http://.",
                       max=progress.MAX_EVIDENCE_LINKS), rows=3)
    help_needed = long_text(
        _l("What help is still needed (optional)"), 4000, Optional(),
        description=_l("Funding, technical advice, peer exchange: what would move the pledge "
                       "forward."), rows=4)

    def answers(self):
        """The answers that passed their checks, as the domain takes them."""
        values = checked_values(self)
        values.pop("form_key", None)
        if "share_delivered" in values:
            share = values["share_delivered"]
            values["share_delivered"] = int(share) if share else None
        if "evidence_links" in values:
            values["evidence_links"] = evidence_links(values["evidence_links"])
        for name in ("done", "results", "help_needed"):
            if name in values:
                values[name] = values[name] or None
        return values

    def posted_key(self):
        """The key the page carried, if it is one we could have made; else a new one (which
        the form carries from then on)."""
        if not FORM_KEY.fullmatch(self.form_key.data or ""):
            self.form_key.data = progress.new_form_key()
        return self.form_key.data


def report_form_data(report):
    """A draft report's answers, for the form (a draft kept as typed: see typed_formdata)."""
    return {"stage": report.stage, "done": report.done, "results": report.results,
            "share_delivered": "" if report.share_delivered is None
            else str(report.share_delivered),
            "evidence_links": "\n".join(report.evidence_links or []),
            "help_needed": report.help_needed, "form_key": report.form_key}
