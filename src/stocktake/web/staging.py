"""Where an upload waits to be confirmed (an extract's preview, a sample extract's mapping review):
``HOME/staging``, private, each left unconfirmed for over an hour deleted at the next upload."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

#: How long a staged upload waits for its confirmation.
STAGED_SECONDS = 3600


def staging_root(settings) -> Path:
    """The home's staging folder, made private on first use."""
    root = settings.home / "staging"
    root.mkdir(mode=0o700, parents=True, exist_ok=True)
    return root


def staged(settings) -> Path:
    """The staging folder with whatever waited too long removed."""
    root = staging_root(settings)
    cutoff = time.time() - STAGED_SECONDS
    for folder in root.iterdir():
        if folder.is_dir() and folder.stat().st_mtime < cutoff:
            shutil.rmtree(folder, ignore_errors=True)
    return root
