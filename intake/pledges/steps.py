"""The pledge form's steps, their order, and which step a pledge may open. No HTTP here."""
from dataclasses import dataclass

from ..extensions import lazy_gettext as _l


@dataclass(frozen=True)
class Step:
    number: int
    slug: str
    title: object  # a lazy string


# The pledge itself is asked on four short pages of one topic each: what the city will do, when,
# the results it expects, and the money and help it needs.
STEPS = (
    Step(1, "city", _l("City and contact")),
    Step(2, "areas", _l("Action areas")),
    Step(3, "commitment", _l("What you pledge")),
    Step(4, "dates", _l("When it will happen")),
    Step(5, "results", _l("Results and progress")),
    Step(6, "budget", _l("Budget and support")),
    Step(7, "alignment", _l("Alignment with the Global Compacts")),
    Step(8, "check", _l("Check your answers")),
)
STEPS_BY_SLUG = {step.slug: step for step in STEPS}
PLEDGE_STEPS = STEPS[2:6]
# The one page the pledge was asked on before it was split: old links lead to its first page.
FORMER_SLUGS = {"pledge": PLEDGE_STEPS[0].slug}
CHECK_ANSWERS_STEP = STEPS[-1]
QUESTION_STEPS = STEPS[:-1]
LAST_QUESTION_STEP = QUESTION_STEPS[-1].number


def step_by_number(number):
    return STEPS[number - 1]


def question_step(slug):
    """The question step of that slug, or None (check your answers is not a question step)."""
    step = STEPS_BY_SLUG.get(slug)
    return step if step is not None and step is not CHECK_ANSWERS_STEP else None


def can_open_step(pledge, number):
    """A step may be opened once every step before it has been saved: no skipping by URL."""
    furthest = pledge.furthest_step if pledge else 0
    if number == CHECK_ANSWERS_STEP.number:
        return furthest >= LAST_QUESTION_STEP
    return number <= furthest + 1


def incomplete_steps(pledge):
    """The steps kept with "Save and come back later" before their answers were complete, in
    order (see answers.keep_step_for_later)."""
    kept = (pledge.incomplete_steps or {}) if pledge else {}
    return [step for step in QUESTION_STEPS if step.slug in kept]


def next_step_to_complete(pledge):
    """The first step left incomplete, else the step after the furthest one saved."""
    furthest = pledge.furthest_step if pledge else 0
    numbers = [furthest + 1, *(step.number for step in incomplete_steps(pledge))]
    return step_by_number(min(*numbers, CHECK_ANSWERS_STEP.number))


def record_step_saved(pledge, number):
    pledge.furthest_step = max(pledge.furthest_step or 0, number)


def is_editable(pledge):
    return pledge.review_state == "draft"
