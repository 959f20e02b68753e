"""Join the branches of this round into one head.

Eight pieces of work changed the schema in parallel, each on its own branch off 0012: session
versions and meter maxima (sec), notification keys and the scheduler lease (todo), meter
retirement and station owners (pages), settlement and grid factors (settle), calendars (cal),
the savings watch (watch), workflow row versions and signatures (wf), and meter column maps
(meterfiles). They touch different tables and columns, so their order does not matter; this
revision changes nothing and makes the history one line again from here on.

Revision ID: 0015
Revises: 0014_sec, 0013_todo, 0013_pages, 0014_settle, 0013_cal, 0013_watch, 0013_wf,
    0013_meterfiles
Create Date: 2026-12-06 21:10
"""

revision = "0015"
down_revision = (
    "0014_sec",
    "0013_todo",
    "0013_pages",
    "0014_settle",
    "0013_cal",
    "0013_watch",
    "0013_wf",
    "0013_meterfiles",
)
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
