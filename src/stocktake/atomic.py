"""A command's output written whole or not at all: staged in a temporary file, then moved into place.

Moved with ``os.replace`` when the target is a file or absent; written through when it is something
else a user may name as the output (``/dev/null``, ``/dev/stdout``, a pipe). Replacing those would
put an ordinary file in their place: run as root, ``--out /dev/null`` made /dev/null a file and broke
every program on the machine that wrote to it.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path


def is_special(path: Path) -> bool:
    """An existing output that is not a file: a device, a pipe (``/dev/stdout`` follows its link)."""
    path = Path(path)
    return path.exists() and not path.is_file() and not path.is_dir()


def staging_folder(path: Path) -> Path:
    """Where to stage ``path``: beside it (so the move is a rename), or the temporary folder for a
    special output (no one may make files in /dev)."""
    return Path(tempfile.gettempdir()) if is_special(path) else Path(path).parent


def move_into_place(temporary: Path, path: Path) -> None:
    """``temporary`` becomes ``path``: renamed over it, or written through a special output."""
    if is_special(path):
        with open(temporary, "rb") as source, open(path, "wb") as target:
            shutil.copyfileobj(source, target)
        os.unlink(temporary)
    else:
        os.replace(temporary, path)
