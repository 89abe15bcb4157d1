"""the pledge asked on four pages instead of one

Revision ID: 0016
Revises: 0015

Step 3 ("pledge") became steps 3 to 6 ("commitment", "dates", "results", "budget"), so the
steps after it moved up by three. Drafts already in the database follow: furthest_step counts
in the new steps (a draft that had saved the old step 3 has saved all four new pages), and a
step 3 kept as typed ("Save and come back later", pledge.incomplete_steps) is kept as typed on
each of the four pages, every answer on the page that asks it. The downgrade does the reverse:
a pledge page saved without the others no longer counts, and the four pages kept as typed make
one old step 3 again, the answers of its complete pages taken from their columns.

The names are written out here, not imported: a migration must keep meaning what it meant.
No schema change; rows are updated in place (the search index triggers of 0003 only refresh).
"""
import sqlalchemy as sa
from alembic import op

revision = '0016'
down_revision = '0015'
branch_labels = None
depends_on = None

OLD_SLUG = "pledge"
OLD_STEP = 3
# The pages as they were when this migration was written, copied on purpose: a migration must
# not change when intake/pledges/answers.py later does.
PAGES = {
    "commitment": ("title", "summary", "commitment", "commitment_kind", "commitment_novelty",
                   "target_groups", "target_groups_other"),
    "dates": ("start_date", "end_date", "ongoing", "implementation_stage"),
    "results": ("expected_results", "progress_measures"),
    "budget": ("budget_amount", "budget_currency", "funding_status", "support_sought",
               "support_details"),
}
MOVED_BY = len(PAGES) - 1  # the old step 3's later steps (4, 5) are now 7, 8
LIST_FIELDS = ("target_groups", "support_sought")
FIELDS = [name for names in PAGES.values() for name in names]

pledge = sa.table(
    "pledge",
    sa.column("id", sa.Integer),
    sa.column("furthest_step", sa.Integer),
    sa.column("incomplete_steps", sa.JSON),
    *(sa.column(name) for name in FIELDS if name not in LIST_FIELDS),
    *(sa.column(name, sa.JSON) for name in LIST_FIELDS),
)


def page_of(name):
    return next((slug for slug, names in PAGES.items() if name in names), "commitment")


def split(typed):
    """The old step 3 as typed, {field: [values]}: each page's share of it."""
    pages = {slug: {} for slug in PAGES}
    for name, values in typed.items():
        pages[page_of(name)][name] = values
    return pages


def as_typed(row, names):
    """Stored answers written as the form would send them, for a page that was complete."""
    typed = {}
    for name in names:
        value = getattr(row, name)
        if name in LIST_FIELDS:
            typed[name] = [str(item) for item in value or []]
        elif name == "ongoing":
            if value:
                typed[name] = ["y"]
        elif value is not None:
            typed[name] = [value.isoformat() if hasattr(value, "isoformat") else str(value)]
        elif name not in ("commitment_kind", "commitment_novelty", "funding_status",
                          "implementation_stage", "budget_currency"):
            typed[name] = [""]
    return {name: values for name, values in typed.items() if values}


def kept_rows(bind):
    return bind.execute(sa.select(pledge).where(pledge.c.incomplete_steps.is_not(None))).all()


def upgrade():
    bind = op.get_bind()
    bind.execute(pledge.update().where(pledge.c.furthest_step >= OLD_STEP)
                 .values(furthest_step=pledge.c.furthest_step + MOVED_BY))
    for row in kept_rows(bind):
        kept = dict(row.incomplete_steps or {})
        if OLD_SLUG not in kept:
            continue
        pages = split(kept.pop(OLD_SLUG) or {})
        bind.execute(pledge.update().where(pledge.c.id == row.id)
                     .values(incomplete_steps={**kept, **pages}))


def downgrade():
    bind = op.get_bind()
    for row in kept_rows(bind):
        kept = dict(row.incomplete_steps or {})
        if not any(slug in kept for slug in PAGES):
            continue
        typed = {}
        for slug, names in PAGES.items():
            typed.update(kept.pop(slug) if slug in kept else as_typed(row, names))
        bind.execute(pledge.update().where(pledge.c.id == row.id)
                     .values(incomplete_steps={**kept, OLD_SLUG: typed}))
    last_page = OLD_STEP + MOVED_BY
    bind.execute(pledge.update()
                 .where(pledge.c.furthest_step >= OLD_STEP, pledge.c.furthest_step < last_page)
                 .values(furthest_step=OLD_STEP - 1))
    bind.execute(pledge.update().where(pledge.c.furthest_step >= last_page)
                 .values(furthest_step=pledge.c.furthest_step - MOVED_BY))
