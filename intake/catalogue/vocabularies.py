"""The answers the pledge form's questions allow: (code, label) pairs, labels translated."""
from ..extensions import lazy_gettext as _l

MARRAKECH_ANSWERS = [
    ("yes", _l("Yes")),
    ("no", _l("No")),
    ("unsure", _l("I don't know")),
]
LANGUAGES = [("en", "English"), ("fr", "Français"), ("es", "Español")]
COMMITMENT_KINDS = [("policy", _l("A policy")), ("programme", _l("A programme"))]
COMMITMENT_NOVELTY = [
    ("new", _l("New")),
    ("existing", _l("Existing, continued")),
    ("expanded", _l("Existing, expanded")),
]
TARGET_GROUPS = [
    ("all", _l("All migrants and refugees")),
    ("women-children", _l("Women and children")),
    ("unaccompanied-minors", _l("Unaccompanied minors")),
    ("refugees", _l("Refugees and asylum seekers")),
    ("undocumented", _l("Undocumented migrants")),
    ("climate-displaced", _l("Climate-displaced people")),
    ("disabilities", _l("Persons with disabilities")),
    ("older-persons", _l("Older persons")),
    ("returnees", _l("Returning migrants")),
    ("idps", _l("Internally displaced people")),
]
FUNDING_STATUSES = [
    ("secured", _l("Fully secured")),
    ("partial", _l("Partly secured")),
    ("seeking", _l("Not yet secured")),
]
SUPPORT_TYPES = [
    ("funding", _l("Funding")),
    ("technical", _l("Technical assistance")),
    ("peer-exchange", _l("Peer exchange with other cities")),
    ("partnerships", _l("Partnerships")),
    ("data", _l("Data and research")),
]
# By name, for templates: {{ pledge.funding_status|vocabulary_label("funding_statuses") }}.
VOCABULARIES = {
    "marrakech_answers": MARRAKECH_ANSWERS,
    "languages": LANGUAGES,
    "commitment_kinds": COMMITMENT_KINDS,
    "commitment_novelty": COMMITMENT_NOVELTY,
    "target_groups": TARGET_GROUPS,
    "funding_statuses": FUNDING_STATUSES,
    "support_types": SUPPORT_TYPES,
}


def label(vocabulary, code):
    """The label of a code in a vocabulary (a list of pairs, or its name); an unknown code is
    shown as it is."""
    pairs = VOCABULARIES[vocabulary] if isinstance(vocabulary, str) else vocabulary
    return dict(pairs).get(code, code)


def label_of(code, vocabulary):
    """The template filter: the code first."""
    return label(vocabulary, code)
