"""A department's home as ``stocktake init`` makes it: its settings file, its folders, its own README.

The home is where every command looks when given no paths (``settings.default_home``); making it
once, with the department's and trust's names, means a clinical lead never types a path again.
An existing home is never overwritten (ADR 0017): it holds the warehouse and the pseudonymisation
key, and its settings say which mapping loaded them.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from stocktake.settings import (
    CATALOGUES,
    HOME_FILE,
    HOME_MAPPING,
    WAREHOUSE,
    SettingsError,
    catalogue_path,
    private_home,
    read_home_file,
)

#: The folders of a new home: the trust's files, the key kept apart, the reports written.
FOLDERS = ("extracts", "secrets", "reports")
README = "README.md"


class HomeError(ValueError):
    """A home cannot be made as asked; the message says what is there or what was expected."""


@dataclass(frozen=True)
class NewHome:
    """What ``stocktake init`` is told about a department."""

    department: str
    trust: str
    sites: tuple[str, ...] = ()
    #: A shipped catalogue's name (``trauma_orthopaedics``) or a path to a catalogue's .yaml file.
    catalogue: str = "trauma_orthopaedics"

    def __post_init__(self) -> None:
        named = [("department", self.department), ("trust", self.trust)] + [("site", s) for s in self.sites]
        for label, text in named:
            if not text.strip():
                raise HomeError(f"{label}: expected a name, not nothing")
            if not text.isprintable():
                raise HomeError(f"{label} {text!r}: expected a name on one line")
        seen = [s.strip().casefold() for s in self.sites]
        if len(set(seen)) < len(seen):
            raise HomeError(f"sites: each site once, not {', '.join(self.sites)}")


@dataclass(frozen=True)
class MadeHome:
    home: Path
    settings_file: Path
    #: What init made, relative to the home (folders end in "/"); what was there already is kept.
    made: tuple[str, ...]
    kept: tuple[str, ...]


def make_home(folder: Path, new: NewHome) -> MadeHome:
    """Make the home in ``folder`` (made if absent; private), or refuse, changing nothing, when a
    home is there already. ``stocktake.toml`` is written last, so a home half made is not yet one."""
    folder = Path(folder).resolve()
    settings_file = folder / HOME_FILE
    check_free(folder)
    try:
        catalogue = _catalogue_entry(new.catalogue, folder)
    except SettingsError as error:
        raise HomeError(str(error)) from None
    settings_text = _settings_text(new, catalogue)
    made, kept = [], []
    private_home(folder)  # umask 0o077 from here: every folder 0700, every file 0600
    for name in FOLDERS:
        (made if not (folder / name).exists() else kept).append(f"{name}/")
        (folder / name).mkdir(exist_ok=True)
    (folder / "secrets").chmod(0o700)
    if (folder / README).exists():
        kept.append(README)
    else:
        _write_atomically(folder / README, readme_text(new))
        made.append(README)
    _write_atomically(settings_file, settings_text)
    made.append(HOME_FILE)
    return MadeHome(folder, settings_file, tuple(made), tuple(kept))


def check_free(folder: Path) -> None:
    """Refuse a folder that is a home already (saying whose, and whether it holds data) or a file."""
    folder = Path(folder).resolve()
    if (folder / HOME_FILE).exists():
        raise HomeError(_already_a_home(folder))
    if folder.exists() and not folder.is_dir():
        raise HomeError(f"{folder}: a file is there; give a folder for the home")


def _already_a_home(folder: Path) -> str:
    try:
        told = read_home_file(folder)
        whose = ", ".join(n for n in (told.department, told.trust) if n) or "no names given"
    except SettingsError:
        whose = "its stocktake.toml unreadable"
    data = "with a warehouse" if (folder / WAREHOUSE).exists() else "no data loaded yet"
    return (
        f"{folder / HOME_FILE}: a home is already here ({whose}; {data}); nothing was changed. "
        f"Edit its {HOME_FILE} to change its settings, or give init another folder."
    )


def _catalogue_entry(catalogue: str, home: Path) -> str:
    """The catalogue as stocktake.toml names it: a shipped one by name (so the file survives a
    reinstall), else its path, relative to the home when inside it."""
    if (CATALOGUES / f"{catalogue}.yaml").is_file():
        return catalogue
    path = catalogue_path(catalogue, Path.cwd(), where="--catalogue")
    if not path.is_file():
        raise HomeError(f"--catalogue {catalogue}: no such file")
    path = path.resolve()
    return str(path.relative_to(home)) if path.is_relative_to(home) else str(path)


def _settings_text(new: NewHome, catalogue: str) -> str:
    sites = [s.strip() for s in new.sites]
    return f"""\
# This department's Stocktake home (made by `stocktake init`). Every command run here, or given
# --home or STOCKTAKE_HOME naming this folder, reads it. Paths are relative to this folder.
# A flag (--mapping, --catalogue) or the environment (STOCKTAKE_MAPPING, STOCKTAKE_CATALOGUE)
# wins over what is written here.

department = {_toml(new.department.strip())}
trust = {_toml(new.trust.strip())}
sites = {_toml(sites)}

# A catalogue Stocktake ships, by name, or a path to your own catalogue's .yaml file.
catalogue = {_toml(catalogue)}

# How the trust's extracts map onto Stocktake's datasets (`stocktake mapping suggest` drafts it).
mapping = {_toml(HOME_MAPPING)}
"""


def _toml(value: str | list[str]) -> str:
    """A TOML basic string or list of them: JSON's string escapes are TOML's."""
    return json.dumps(value, ensure_ascii=False)


def readme_text(new: NewHome) -> str:
    """The home's own README: what goes where, and the next three commands."""
    sites = ", ".join(s.strip() for s in new.sites) or "none named yet"
    return f"""\
# {new.department.strip()}, {new.trust.strip()}: Stocktake home

This folder is the department's Stocktake workspace (sites: {sites}). Run every command from
inside it (or give `--home` this folder, or set `STOCKTAKE_HOME` to it) and no paths are needed.
It holds patient-level data: it is readable by your account only. Keep it that way, and back it
up as you would any clinical record.

| what | where |
| --- | --- |
| the trust's extracts as exported (CSV, Excel, Parquet) | `extracts/` |
| how their columns and codes map onto Stocktake | `mapping.yaml` |
| the department's names, sites, catalogue and mapping | `stocktake.toml` |
| the loaded, pseudonymised data | `warehouse.duckdb` (made by the first ingest) |
| the pseudonymisation key: never copy it with the warehouse | `secrets/` |
| board reports | `reports/` |
| why a load was refused, row by row | `errors/` (made when a load is refused) |
| the web workspace's accounts, targets and notes | `workspace.sqlite` (made by `stocktake serve`) |

## Next

1. Copy one month (or more) of the trust's extracts into `extracts/`, then draft the mapping from
   them and check every line marked for review:

       stocktake mapping suggest extracts/ --out mapping.yaml

2. Load them (every row is checked first; a wrong row loads nothing and is listed in `errors/`):

       stocktake ingest

3. Write the board's stock-take into `reports/`:

       stocktake report

`stocktake serve` then opens the web workspace on this home; `stocktake users add NAME --role admin`
makes its first admin.
"""


def _write_atomically(path: Path, text: str) -> None:
    """Write to a temporary file beside ``path``, then rename: a reader sees all of it or none."""
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as file:
            file.write(text)
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise
