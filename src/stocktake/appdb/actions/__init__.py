"""Every change to the workspace's records: keyword-only arguments, one transaction, one audit event.

The web routes and the CLI call these and nothing else to write, so no change escapes the audit
log. Audit events carry what was touched (a metric, a project) but never patient identifiers.
One module per family (accounts, charts, projects, audits, decisions; corrections, shared by
the edits and withdrawals of the last three); this package is their
public surface: ``from stocktake.appdb import actions; actions.create_user(...)``.
"""

from stocktake.appdb.actions.accounts import (
    ADDRESS_ATTEMPTS,
    FULL_NAME_LENGTH,
    PASSWORD_LENGTH,
    SESSION_LIFETIME,
    SESSION_SEEN_EVERY,
    SIGN_IN_ATTEMPTS,
    SIGN_IN_LOCK,
    USERNAME,
    SessionEnds,
    authenticate,
    change_password,
    create_user,
    end_session,
    keep_session,
    locked_out,
    reset_password,
    session_ends,
    session_user,
    set_role,
    start_session,
    unlock_user,
)
from stocktake.appdb.actions.audit_log import (
    REFUSALS_LOGGED_PER_MINUTE,
    acting_from,
    record,
    record_now,
    record_refusal,
)
from stocktake.appdb.actions.audits import add_audit_cycle, create_audit, edit_audit, edit_audit_cycle
from stocktake.appdb.actions.base import ActionError
from stocktake.appdb.actions.charts import (
    CHART_CHANGES,
    LARGEST_TARGET,
    add_annotation,
    remove_annotation,
    set_target,
)
from stocktake.appdb.actions.corrections import KINDS as CORRECTABLE
from stocktake.appdb.actions.corrections import history, withdraw
from stocktake.appdb.actions.decisions import edit_decision, record_decision
from stocktake.appdb.actions.mapping import save_mapping
from stocktake.appdb.actions.projects import (
    MEASURE_KINDS,
    PDSA_ACTS,
    add_change_idea,
    add_measure,
    add_pdsa_cycle,
    create_project,
    edit_pdsa_cycle,
    edit_project,
    set_progress,
)

__all__ = [
    "ADDRESS_ATTEMPTS",
    "CHART_CHANGES",
    "CORRECTABLE",
    "FULL_NAME_LENGTH",
    "LARGEST_TARGET",
    "MEASURE_KINDS",
    "PASSWORD_LENGTH",
    "PDSA_ACTS",
    "REFUSALS_LOGGED_PER_MINUTE",
    "SESSION_LIFETIME",
    "SESSION_SEEN_EVERY",
    "SIGN_IN_ATTEMPTS",
    "SIGN_IN_LOCK",
    "USERNAME",
    "ActionError",
    "SessionEnds",
    "acting_from",
    "add_annotation",
    "add_audit_cycle",
    "add_change_idea",
    "add_measure",
    "add_pdsa_cycle",
    "authenticate",
    "change_password",
    "create_audit",
    "create_project",
    "create_user",
    "edit_audit",
    "edit_audit_cycle",
    "edit_decision",
    "edit_pdsa_cycle",
    "edit_project",
    "end_session",
    "history",
    "keep_session",
    "locked_out",
    "record",
    "record_decision",
    "record_now",
    "record_refusal",
    "remove_annotation",
    "reset_password",
    "save_mapping",
    "session_ends",
    "session_user",
    "set_progress",
    "set_role",
    "set_target",
    "start_session",
    "unlock_user",
    "withdraw",
]
