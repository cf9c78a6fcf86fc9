"""leadership programmes: cohorts, participants, modules, sessions, attendance, evaluation files and the
participants' QI projects (ADR 0031)

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _index(table: str, column: str) -> None:
    with op.batch_alter_table(table, schema=None) as batch_op:
        batch_op.create_index(batch_op.f(f"ix_{table}_{column}"), [column], unique=False)


def upgrade() -> None:
    op.create_table(
        "programmes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("completion_share", sa.Float(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_table(
        "programme_modules",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "name"),
    )
    _index("programme_modules", "programme_id")
    op.create_table(
        "programme_cohorts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=True),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("programme_id", "name"),
    )
    _index("programme_cohorts", "programme_id")
    op.create_table(
        "programme_participants",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=80), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("job_role", sa.String(length=200), nullable=False),
        sa.Column("service", sa.String(length=200), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(["cohort_id"], ["programme_cohorts.id"]),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("cohort_id", "code"),
    )
    _index("programme_participants", "cohort_id")
    _index("programme_participants", "user_id")
    op.create_table(
        "participant_projects",
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("project_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["programme_participants.id"]),
        sa.ForeignKeyConstraint(["project_id"], ["projects.id"]),
        sa.PrimaryKeyConstraint("participant_id", "project_id"),
    )
    op.create_table(
        "programme_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("module_id", sa.Integer(), nullable=False),
        sa.Column("held_on", sa.Date(), nullable=False),
        sa.ForeignKeyConstraint(["cohort_id"], ["programme_cohorts.id"]),
        sa.ForeignKeyConstraint(["module_id"], ["programme_modules.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("programme_sessions", "cohort_id")
    op.create_table(
        "programme_attendance",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("attended", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["participant_id"], ["programme_participants.id"]),
        sa.ForeignKeyConstraint(["session_id"], ["programme_sessions.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("session_id", "participant_id"),
    )
    _index("programme_attendance", "session_id")
    _index("programme_attendance", "participant_id")
    op.create_table(
        "programme_files",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("programme_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("filename", sa.String(length=200), nullable=False),
        sa.Column("content", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.Integer(), nullable=True),
        sa.Column("uploaded_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["programme_id"], ["programmes.id"]),
        sa.ForeignKeyConstraint(["uploaded_by"], ["users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("programme_files", "programme_id")
    op.create_table(
        "programme_evaluations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("cohort_id", sa.Integer(), nullable=False),
        sa.Column("level", sa.String(length=20), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("before_file_id", sa.Integer(), nullable=False),
        sa.Column("after_file_id", sa.Integer(), nullable=False),
        sa.Column("scale_file_id", sa.Integer(), nullable=False),
        sa.Column("domains_file_id", sa.Integer(), nullable=False),
        sa.Column("id_column", sa.String(length=200), nullable=False),
        sa.Column("unknown_as_missing", sa.Boolean(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(["after_file_id"], ["programme_files.id"]),
        sa.ForeignKeyConstraint(["before_file_id"], ["programme_files.id"]),
        sa.ForeignKeyConstraint(["cohort_id"], ["programme_cohorts.id"]),
        sa.ForeignKeyConstraint(["created_by"], ["users.id"]),
        sa.ForeignKeyConstraint(["domains_file_id"], ["programme_files.id"]),
        sa.ForeignKeyConstraint(["scale_file_id"], ["programme_files.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    _index("programme_evaluations", "cohort_id")


def downgrade() -> None:
    for table, columns in (
        ("programme_evaluations", ("cohort_id",)),
        ("programme_files", ("programme_id",)),
        ("programme_attendance", ("participant_id", "session_id")),
        ("programme_sessions", ("cohort_id",)),
        ("participant_projects", ()),
        ("programme_participants", ("user_id", "cohort_id")),
        ("programme_cohorts", ("programme_id",)),
        ("programme_modules", ("programme_id",)),
        ("programmes", ()),
    ):
        with op.batch_alter_table(table, schema=None) as batch_op:
            for column in columns:
                batch_op.drop_index(batch_op.f(f"ix_{table}_{column}"))
        op.drop_table(table)
