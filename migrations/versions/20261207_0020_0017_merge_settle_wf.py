"""Join two parallel changes into one head: the 2021/2023 grid factors (settle, rows only) and
the incoming ESCO's consent on amendments (wf, columns of contract_amendments). They touch
different tables, so their order does not matter; this revision changes nothing.

Revision ID: 0017
Revises: 0016_settle, 0016_wf
Create Date: 2026-12-07 00:20
"""

revision = "0017"
down_revision = ("0016_settle", "0016_wf")
branch_labels = None
depends_on = None


def upgrade() -> None:
    pass


def downgrade() -> None:
    pass
