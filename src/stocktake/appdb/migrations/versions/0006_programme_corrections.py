"""programme records corrected and withdrawn, and each evaluation's invited participants frozen at upload
(ADR 0031, addendum)

Revision ID: 0006
Revises: 0005

Participants and evaluations gain the three withdrawal columns of ADR 0024 (named foreign keys, so
the downgrade can drop them on SQLite and PostgreSQL). An evaluation keeps the codes of the
participants enrolled when it was uploaded (``invited_codes``, a JSON list), so that adding people
later cannot change its response rates; evaluations from before this migration are frozen with the
cohort as it stands now, the best that can be known.
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None

WITHDRAWABLE = ("programme_participants", "programme_evaluations")


def upgrade() -> None:
    for table in WITHDRAWABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
            batch_op.create_foreign_key(f"fk_{table}_withdrawn_by", "users", ["withdrawn_by"], ["id"])
    with op.batch_alter_table("programme_evaluations", schema=None) as batch_op:
        batch_op.add_column(sa.Column("invited_codes", sa.Text(), nullable=True))
    bind = op.get_bind()
    evaluations = bind.execute(sa.text("SELECT id, cohort_id FROM programme_evaluations")).all()
    for evaluation_id, cohort_id in evaluations:
        codes = bind.execute(
            sa.text("SELECT code FROM programme_participants WHERE cohort_id = :c ORDER BY code"),
            {"c": cohort_id},
        ).scalars()
        bind.execute(
            sa.text("UPDATE programme_evaluations SET invited_codes = :codes WHERE id = :id"),
            {"codes": json.dumps(list(codes)), "id": evaluation_id},
        )


def downgrade() -> None:
    with op.batch_alter_table("programme_evaluations", schema=None) as batch_op:
        batch_op.drop_column("invited_codes")
    for table in reversed(WITHDRAWABLE):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_withdrawn_by", type_="foreignkey")
            batch_op.drop_column("withdrawn_reason")
            batch_op.drop_column("withdrawn_by")
            batch_op.drop_column("withdrawn_at")
