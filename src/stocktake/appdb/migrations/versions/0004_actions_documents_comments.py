"""audit action plans, documents attached to decisions and comments on measures and projects (ADR 0028)

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def _withdrawable(table: str) -> list:
    """The columns of a record withdrawn rather than deleted (``models.Withdrawable``), its foreign key
    to ``users`` named as migration 0003 names them."""
    return [
        sa.Column("withdrawn_at", sa.DateTime(), nullable=True),
        sa.Column("withdrawn_by", sa.Integer(), nullable=True),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["withdrawn_by"], ["users.id"], name=f"fk_{table}_withdrawn_by"),
    ]


def upgrade() -> None:
    op.create_table(
        "audit_actions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cycle_id", sa.Integer(), nullable=False),
        sa.Column("what", sa.Text(), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        *_withdrawable("audit_actions"),
        sa.ForeignKeyConstraint(["cycle_id"], ["audit_cycles.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("audit_actions", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_audit_actions_cycle_id"), ["cycle_id"], unique=False)

    op.create_table(
        "decision_documents",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("decision_id", sa.Integer(), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=False),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        *_withdrawable("decision_documents"),
        sa.ForeignKeyConstraint(["decision_id"], ["decisions.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("decision_documents", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_decision_documents_decision_id"), ["decision_id"], unique=False)

    op.create_table(
        "comments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_kind", sa.String(length=20), nullable=False),
        sa.Column("subject_id", sa.String(length=80), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        *_withdrawable("comments"),
        sa.ForeignKeyConstraint(["author_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.create_index("ix_comments_subject", ["subject_kind", "subject_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("comments", schema=None) as batch_op:
        batch_op.drop_index("ix_comments_subject")
    op.drop_table("comments")
    with op.batch_alter_table("decision_documents", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_decision_documents_decision_id"))
    op.drop_table("decision_documents")
    with op.batch_alter_table("audit_actions", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_audit_actions_cycle_id"))
    op.drop_table("audit_actions")
