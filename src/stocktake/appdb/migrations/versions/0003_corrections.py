"""governance records corrected with history and withdrawn rather than deleted (ADR 0024)

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

#: The records that can be corrected and withdrawn: projects, PDSA cycles, audits, audit cycles and
#: decisions. Their foreign keys to ``users`` are named so that the downgrade can drop them.
WITHDRAWABLE = ("projects", "pdsa_cycles", "clinical_audits", "audit_cycles", "decisions")


def upgrade() -> None:
    op.create_table(
        "record_changes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("record_kind", sa.String(length=20), nullable=False),
        sa.Column("record_id", sa.Integer(), nullable=False),
        sa.Column("field", sa.String(length=80), nullable=False),
        sa.Column("old_value", sa.Text(), nullable=True),
        sa.Column("new_value", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.Integer(), nullable=False),
        sa.Column("changed_at", sa.DateTime(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["changed_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("record_changes", schema=None) as batch_op:
        batch_op.create_index("ix_record_changes_record", ["record_kind", "record_id"], unique=False)
    for table in WITHDRAWABLE:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("withdrawn_at", sa.DateTime(), nullable=True))
            batch_op.add_column(sa.Column("withdrawn_by", sa.Integer(), nullable=True))
            batch_op.add_column(sa.Column("withdrawn_reason", sa.Text(), nullable=True))
            batch_op.create_foreign_key(f"fk_{table}_withdrawn_by", "users", ["withdrawn_by"], ["id"])


def downgrade() -> None:
    for table in reversed(WITHDRAWABLE):
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_constraint(f"fk_{table}_withdrawn_by", type_="foreignkey")
            batch_op.drop_column("withdrawn_reason")
            batch_op.drop_column("withdrawn_by")
            batch_op.drop_column("withdrawn_at")
    with op.batch_alter_table("record_changes", schema=None) as batch_op:
        batch_op.drop_index("ix_record_changes_record")
    op.drop_table("record_changes")
