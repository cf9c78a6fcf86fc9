"""Files an editor keeps in the department's home (expected counts, other trusts' figures): written
whole and private, the one replaced withdrawn beside them, never deleted (ADR 34, ADR 39).

The shared part of ``files.expected`` and ``files.peer_figures``: how a file is written, how a
withdrawn one is named, how an id becomes a file's name, how a damaged one is moved out of the way,
and how a kept file is named in a message (from the home, never an absolute path: pages show them).
"""

from __future__ import annotations

import os
import re
from datetime import datetime
from pathlib import Path

#: Where a replaced file goes: withdrawn, never deleted.
WITHDRAWN = "withdrawn"
_ID = re.compile(r"[a-z0-9][a-z0-9_]{0,99}")


def is_id(text: str) -> bool:
    """Whether ``text`` is a measure's or dimension's id (lower case, digits and _): safe in a path."""
    return bool(_ID.fullmatch(text))


def free_stamp(folder: Path, stem: str, at: datetime) -> str:
    """The withdrawn file's stamp (its keeping time), numbered when another has the same second."""
    stamp, number = at.strftime("%Y%m%dT%H%M%S"), 1
    candidate = stamp
    while (folder / f"{stem}.{candidate}.csv").exists():
        number += 1
        candidate = f"{stamp}-{number}"
    return candidate


def private_folders(*folders: Path) -> None:
    """Make each folder (outermost first) readable by the home's account only, whatever the umask."""
    for folder in folders:
        folder.mkdir(mode=0o700, exist_ok=True)


def write_whole(path: Path, content: bytes) -> None:
    """The file is the old one or the new one, never half of either; 0600, as the home's files are."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as out:
            out.write(content)
            out.flush()
            os.fsync(out.fileno())
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)


def from_home(home: Path, path: Path) -> str:
    """``path`` as named in a message: from the home (``peers/figures/x.json``), so that no page, log
    or command shows where the home lies on the server; its name alone when it is not in the home."""
    try:
        return Path(path).resolve().relative_to(Path(home).resolve()).as_posix()
    except (ValueError, OSError):
        return Path(path).name


def in_the_way(named: str) -> str:
    """What is said of a folder where a kept file should be (``named`` from the home), and the fix."""
    return f"{named}: a folder where a kept file should be; move or rename it, then keep the file again"


def withdraw_damaged(
    folder: Path, stem: str, problem: str, *, who: str, at: datetime, replaced_by: str
) -> None:
    """Move a kept file that cannot be read (its ``.csv``, its ``.json``, either) to withdrawn/ byte
    for byte, as ``<stem>.damaged.<stamp>.csv`` and ``.json`` (not read back as a withdrawn file),
    with a note (``.txt``) saying what was wrong and who replaced it when: never deleted, and never
    in the way of the file that replaces it (issue 28)."""
    private_folders(folder / WITHDRAWN)
    damaged = f"{stem}.damaged"
    stamp = free_stamp(folder / WITHDRAWN, damaged, at)
    for suffix in (".csv", ".json"):
        source = folder / f"{stem}{suffix}"
        if source.is_file():
            target = folder / WITHDRAWN / f"{damaged}.{stamp}{suffix}"
            try:
                write_whole(target, source.read_bytes())
                source.unlink()
            except OSError:  # cannot be read at all (EIO): moved as it is, still never in the way
                os.replace(source, target)
    note = (
        f"Damaged: {problem}\nWithdrawn by {who} at {at.isoformat(timespec='seconds')}, "
        f"when {replaced_by} was kept in its place.\n"
    )
    write_whole(folder / WITHDRAWN / f"{damaged}.{stamp}.txt", note.encode())
