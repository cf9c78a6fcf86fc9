"""Saving the department's column mapping: the file every upload reads, so a save is audited and the
mapping it replaces is kept beside it, dated, to undo a bad one by putting that file back."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import yaml
from pydantic import ValidationError
from sqlalchemy.orm import Session

from stocktake.appdb.actions import base
from stocktake.appdb.actions.audit_log import record
from stocktake.appdb.actions.base import ActionError, _transaction
from stocktake.appdb.models import User
from stocktake.ingest.mapping import Mapping
from stocktake.validation_messages import describe


def backup_name(path: Path, taken: set[str] | None = None) -> Path:
    """``mapping.yaml`` → ``mapping.yaml.20261202T101530.bak`` (UTC), numbered if that is taken."""
    stamp = base._now().strftime("%Y%m%dT%H%M%S")
    taken = taken if taken is not None else {p.name for p in path.parent.iterdir()}
    candidate, number = path.with_name(f"{path.name}.{stamp}.bak"), 1
    while candidate.name in taken:
        number += 1
        candidate = path.with_name(f"{path.name}.{stamp}-{number}.bak")
    return candidate


def backups(path: Path) -> list[Path]:
    """The mapping's dated backups, newest first."""
    if not path.parent.is_dir():
        return []
    return sorted(path.parent.glob(f"{path.name}.*.bak"), key=lambda p: p.name, reverse=True)


def _write_whole(path: Path, text: str) -> None:
    """The file is the old one or the new one, never half of either: a temporary file, then renamed."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        with temporary.open("w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def save_mapping(session: Session, *, by: User, path: Path, text: str) -> Path | None:
    """Write ``text`` as the department's mapping at ``path``, the old file kept as a dated backup
    beside it (returned; None when there was none). Refused, with nothing written, unless the text
    is a mapping the model accepts."""
    try:
        mapping = Mapping.model_validate(yaml.safe_load(text))
    except yaml.YAMLError as error:
        raise ActionError(f"mapping: not YAML ({error})") from error
    except ValidationError as error:
        raise ActionError(f"mapping: {describe(error)}") from error
    path = Path(path)
    backup = backup_name(path) if path.is_file() else None
    fields = sum(len(d.columns) for d in mapping.datasets.values())
    detail = f"{len(mapping.datasets)} dataset(s), {fields} fields: {', '.join(mapping.datasets)}"
    if backup is not None:
        detail += f"; the previous one kept as {backup.name}"
    with _transaction(session):
        record(session, user=by, action="mapping_saved", subject=f"mapping:{path.name}", detail=detail)
        session.flush()  # a database that refuses the event refuses before the file is touched
        if backup is not None:
            shutil.copy2(path, backup)
        _write_whole(path, text)
    return backup
