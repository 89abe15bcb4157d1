"""Reference catalogues, copied from the Call to Local Action and the two Global Compacts.

Written as Python (not read from a data file) so that every title is extracted for translation.
"""
from ..extensions import lazy_gettext as _l


class ActionArea:
    def __init__(self, number, slug, title, summary):
        self.number, self.slug, self.title, self.summary = number, slug, title, summary


ACTION_AREAS = [
    ActionArea(
        1,
        'migration-governance',
        _l('Migration Governance'),
        _l(
            "Improve cities' internal, vertical and international migration governance. This includes inclusive decision-making, empowered migrants and refugees, and integrated planning across departments, sectors, and levels of government."
        ),
    ),
    ActionArea(
        2,
        'economic-opportunity',
        _l('Economic Opportunity'),
        _l(
            'Promote inclusive growth and the economic integration of migrants and refugees so they can thrive in their host communities and or contribute to the development of their origin cities.'
        ),
    ),
    ActionArea(
        3,
        'climate-resilience',
        _l('Climate Resilience'),
        _l(
            "Increase cities' resilience to the impacts of climate change and disasters, which disproportionately affect vulnerable migrants and refugees and cause further displacement."
        ),
    ),
    ActionArea(
        4,
        'essential-services',
        _l('Access to Essential Services'),
        _l(
            'Provide migrants and refugees with affordable housing, non-discriminatory access to quality education and health care services, among other city services regardless of legal status.'
        ),
    ),
    ActionArea(
        5,
        'inclusion-social-cohesion',
        _l('Inclusion and Social Cohesion'),
        _l(
            'Ensure the participation of migrants and refugees in the political, social, and cultural life of the city. Prevent and combat xenophobia, stereotypes, and misinformation.'
        ),
    ),
    ActionArea(
        6,
        'vulnerable-groups',
        _l('Vulnerable Groups'),
        _l(
            'Address and reduce the vulnerabilities of the most at-risk groups of migrants and refugees, including women and children, safeguarding their human rights and protecting them against exploitation.'
        ),
    ),
]
ACTION_AREAS_BY_SLUG = {area.slug: area for area in ACTION_AREAS}


def action_area_title(slug):
    area = ACTION_AREAS_BY_SLUG.get(slug)
    return area.title if area else slug


def action_area_summary(slug):
    area = ACTION_AREAS_BY_SLUG.get(slug)
    return area.summary if area else ""


# Objectives of the Global Compact for Safe, Orderly and Regular Migration (2018).
GCM_OBJECTIVES = {
    1: _l(
        'Collect and utilize accurate and disaggregated data as a basis for evidence-based policies'
    ),
    2: _l(
        'Minimize the adverse drivers and structural factors that compel people to leave their country of origin'
    ),
    3: _l(
        'Provide accurate and timely information at all stages of migration'
    ),
    4: _l(
        'Ensure that all migrants have proof of legal identity and adequate documentation'
    ),
    5: _l(
        'Enhance availability and flexibility of pathways for regular migration'
    ),
    6: _l(
        'Facilitate fair and ethical recruitment and safeguard conditions that ensure decent work'
    ),
    7: _l(
        'Address and reduce vulnerabilities in migration'
    ),
    8: _l(
        'Save lives and establish coordinated international efforts on missing migrants'
    ),
    9: _l(
        'Strengthen the transnational response to smuggling of migrants'
    ),
    10: _l(
        'Prevent, combat and eradicate trafficking in persons in the context of international migration'
    ),
    11: _l(
        'Manage borders in an integrated, secure and coordinated manner'
    ),
    12: _l(
        'Strengthen certainty and predictability in migration procedures for appropriate screening, assessment and referral'
    ),
    13: _l(
        'Use migration detention only as a measure of last resort and work towards alternatives'
    ),
    14: _l(
        'Enhance consular protection, assistance and cooperation throughout the migration cycle'
    ),
    15: _l(
        'Provide access to basic services for migrants'
    ),
    16: _l(
        'Empower migrants and societies to realize full inclusion and social cohesion'
    ),
    17: _l(
        'Eliminate all forms of discrimination and promote evidence-based public discourse to shape perceptions of migration'
    ),
    18: _l(
        'Invest in skills development and facilitate mutual recognition of skills, qualifications and competences'
    ),
    19: _l(
        'Create conditions for migrants and diasporas to fully contribute to sustainable development in all countries'
    ),
    20: _l(
        'Promote faster, safer and cheaper transfer of remittances and foster financial inclusion of migrants'
    ),
    21: _l(
        'Cooperate in facilitating safe and dignified return and readmission, as well as sustainable reintegration'
    ),
    22: _l(
        'Establish mechanisms for the portability of social security entitlements and earned benefits'
    ),
    23: _l(
        'Strengthen international cooperation and global partnerships for safe, orderly and regular migration'
    ),
}

# Objectives of the Global Compact on Refugees (2018).
GCR_OBJECTIVES = {
    1: _l('Ease pressures on host countries'),
    2: _l('Enhance refugee self-reliance'),
    3: _l('Expand access to third-country solutions'),
    4: _l('Support conditions in countries of origin for return in safety and dignity'),
}
