"""Where a workspace keeps its things: the warehouse, the app database, secrets, the column mapping;
and the web workspace's limits.

One folder, the home, holds a department's workspace, and every command finds its paths here (ADR 0013,
0017): ``--home``, else ``STOCKTAKE_HOME``, else the current folder when it is a home (holds
``stocktake.toml``, or is the demo's folder and nothing is loaded), else ``./stocktake`` once a
department's data are loaded there or ``stocktake init`` made it, else the demo's ``./stocktake-demo``.
Loading never falls back to the demo, so real data are never mixed with synthetic. Each path can be
moved elsewhere by its own option or environment variable, e.g. the app database to PostgreSQL. The
folder holds patient-level data, so it is private to the account that runs Stocktake (``private_home``).

A home made by ``stocktake init`` has a settings file, ``stocktake.toml`` (``read_home_file``): the
department's and trust's names, its sites, its catalogue and its mapping. Each setting is taken from,
first to last: a command's flag (``--mapping``, ``--catalogue``), the environment
(``STOCKTAKE_MAPPING``, ``STOCKTAKE_CATALOGUE``), the home's ``stocktake.toml``, the default (the
mapping: ``HOME/mapping.yaml`` when that file exists, else the demo's; the catalogue: T&O's).

This module imports nothing of Stocktake: every other module may import it.
"""

from __future__ import annotations

import os
import secrets
import tomllib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

#: A department's home when STOCKTAKE_HOME is not set.
DEPARTMENT_HOME = Path("stocktake")
#: The demo's home (``stocktake demo``), opened until a department's data are loaded.
DEMO_HOME = Path("stocktake-demo")
DEMO_MAPPING = Path(__file__).parent / "demo" / "mapping.yaml"
#: What ``stocktake demo`` writes beside its warehouse, and only it: its folder is then the home for
#: every command run inside it except loading (real data never go into the demo).
DEMO_MARKER = "effects.json"
#: The T&O catalogue (metrics.catalogue.DEFAULT_CATALOGUE names the same file; a test checks it).
DEFAULT_CATALOGUE = Path(__file__).parent / "metrics" / "catalogues" / "trauma_orthopaedics.yaml"
#: The catalogues Stocktake ships, each named by its file's stem (``catalogue = "trauma_orthopaedics"``).
CATALOGUES = DEFAULT_CATALOGUE.parent
WAREHOUSE = "warehouse.duckdb"
#: A department home's own settings file (``stocktake init`` writes it; its presence marks a home).
HOME_FILE = "stocktake.toml"
#: A home's mapping when its stocktake.toml names none and the file is there.
HOME_MAPPING = "mapping.yaml"
HOME_KEYS = ("department", "trust", "sites", "catalogue", "mapping", "names")
MB = 1024 * 1024
SMALL_NUMBERS = ("suppress", "show")
#: Files of a workspace that hold patient-level data or accounts.
PRIVATE_FILES = (
    "warehouse.duckdb",
    "warehouse.duckdb.wal",
    "workspace.sqlite",
    "workspace.sqlite-wal",
    "workspace.sqlite-shm",
)


class SettingsError(ValueError):
    """A setting from the environment or a home's stocktake.toml is not usable; the message names it
    and what it expects."""


@dataclass(frozen=True)
class HomeFile:
    """What a home's ``stocktake.toml`` says; a key left out is empty (None for a path)."""

    department: str = ""
    trust: str = ""
    sites: tuple[str, ...] = ()
    catalogue: Path | None = None
    mapping: Path | None = None
    names: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    mapping: Path = DEMO_MAPPING
    catalogue: Path = DEFAULT_CATALOGUE
    #: The department's and trust's names (a home's stocktake.toml); reports name their source by them.
    department: str = ""
    trust: str = ""
    sites: tuple[str, ...] = ()
    #: What people call a dimension's codes (``[names.consultant]`` in stocktake.toml): per
    #: dimension, (code, name) pairs; drill-downs show the names.
    names: tuple[tuple[str, tuple[tuple[str, str], ...]], ...] = ()
    #: Send the session cookie over HTTPS only (set it behind a TLS proxy).
    secure_cookies: bool = False
    #: A signed-in session unused for this long ends (shared ward PCs are left signed in).
    idle_timeout: timedelta = timedelta(minutes=30)
    #: The largest upload, and the largest body of any other request, in bytes.
    upload_limit: int = 100 * MB
    body_limit: int = 1 * MB
    #: Drill-downs: "suppress" shows values with 1–7 cases behind them as "*", as exports do;
    #: "show" shows them (a group of one is one patient's outcome).
    drilldown_small_numbers: str = "suppress"
    #: The address of a reverse proxy whose X-Forwarded-For and X-Forwarded-Proto are believed.
    #: None: no forwarded header is (any local client could send one and pose as any address,
    #: dodging sign-in throttling and writing what it likes into the audit log).
    trusted_proxy: str | None = None

    @property
    def warehouse(self) -> Path:
        return self.home / WAREHOUSE

    @property
    def department_mapping(self) -> Path:
        """Where the department's own column mapping is kept (the web's mapping page saves it here):
        the mapping these settings name, unless that is the demo's, when it is ``HOME/mapping.yaml``."""
        return self.home / HOME_MAPPING if self.mapping == DEMO_MAPPING else self.mapping

    @property
    def mapping_in_use(self) -> Path:
        """The mapping to read now: the department's once it exists (saved after these settings were
        read, by the mapping page), else ``mapping``."""
        return self.department_mapping if self.department_mapping.is_file() else self.mapping

    @property
    def extracts(self) -> Path:
        """Where the trust's extracts go: ``stocktake ingest`` reads here when given no folder."""
        return self.home / "extracts"

    @property
    def source(self) -> str:
        """The department and trust, as a report names its source ("" when the home does not say)."""
        return ", ".join(name for name in (self.department, self.trust) if name)

    @property
    def secrets(self) -> Path:
        return self.home / "secrets"

    @property
    def pseudonym_key(self) -> Path:
        return key_beside(self.warehouse)

    @property
    def reports(self) -> Path:
        """Where ``stocktake report`` writes when not told."""
        return self.home / "reports"

    @property
    def error_reports(self) -> Path:
        """Where ``stocktake ingest`` writes a refused load's error report when not told: inside the
        private home, as its rows come from patient-level extracts."""
        return self.home / "errors"

    def session_secret(self) -> str:
        """The key that signs session cookies: made once, kept beside the pseudonymisation key."""
        path = self.secrets / "session.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def key_beside(warehouse: Path) -> Path:
    """A warehouse's pseudonymisation key: in ``secrets/`` beside it, never in its own folder, so a
    copy of the warehouse alone cannot be re-linked to patients."""
    return warehouse.parent / "secrets" / "pseudonym.key"


def default_home(*, loading: bool = False) -> Path:
    """The home when none is given: STOCKTAKE_HOME; else the current folder when it is a home (holds
    stocktake.toml, or is the demo's folder and nothing is being loaded); else ./stocktake once a
    department's warehouse or settings file is there (or when loading, which must never put real data
    into the demo); else the demo's folder."""
    if named := os.environ.get("STOCKTAKE_HOME"):
        return Path(named)
    if Path(HOME_FILE).is_file():
        return Path.cwd()
    if not loading and Path(DEMO_MARKER).is_file() and Path(WAREHOUSE).is_file():
        return Path.cwd()  # inside the demo's folder: its warehouse, not a second demo made within it
    if loading or (DEPARTMENT_HOME / WAREHOUSE).exists() or (DEPARTMENT_HOME / HOME_FILE).exists():
        return DEPARTMENT_HOME
    return DEMO_HOME


def read_home_file(home: Path) -> HomeFile:
    """A home's ``stocktake.toml`` (nothing when there is none); paths in it are relative to the home.
    A malformed file raises SettingsError naming the file, the key and what was expected."""
    path = home / HOME_FILE
    if not path.is_file():
        return HomeFile()
    try:
        table = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError) as error:
        raise SettingsError(f"{path}: cannot read the home's settings ({error})") from error
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from error
    for key in table:
        if key not in HOME_KEYS:
            raise SettingsError(f"{path}: key {key!r}: not a setting (expected {', '.join(HOME_KEYS)})")
    sites = table.get("sites", [])
    if not isinstance(sites, list) or not all(isinstance(s, str) and s.strip() for s in sites):
        raise SettingsError(f"{path}: key 'sites': expected a list of site names, e.g. [\"General\"]")
    named, mapping = _text(path, table, "catalogue"), _text(path, table, "mapping")
    catalogue = catalogue_path(named, home, where=f"{path}: key 'catalogue'") if named else None
    if catalogue and not catalogue.is_file():
        raise SettingsError(f"{path}: key 'catalogue': expected a catalogue file, not {named!r} (none there)")
    return HomeFile(
        names=_names(path, table.get("names", {})),
        department=_text(path, table, "department"),
        trust=_text(path, table, "trust"),
        sites=tuple(s.strip() for s in sites),
        catalogue=catalogue,
        mapping=home / mapping if mapping else None,
    )


def catalogue_path(text: str, home: Path, *, where: str = "catalogue") -> Path:
    """A catalogue named as in stocktake.toml: a shipped one by name, else a ``.yaml`` file (relative
    to the home)."""
    if text.endswith((".yaml", ".yml")) or "/" in text or os.sep in text:
        return home / Path(text).expanduser()
    shipped = CATALOGUES / f"{text}.yaml"
    if not shipped.is_file():
        names = ", ".join(sorted(p.stem for p in CATALOGUES.glob("*.yaml")))
        raise SettingsError(f"{where}: expected a shipped catalogue ({names}) or a .yaml file, not {text!r}")
    return shipped


def _names(path: Path, names) -> tuple[tuple[str, tuple[tuple[str, str], ...]], ...]:
    """``[names.consultant]`` tables: each a code = "name" per line."""
    if not isinstance(names, dict):
        raise SettingsError(f"{path}: key 'names': expected tables such as [names.consultant]")
    found = []
    for dimension, table in names.items():
        if not isinstance(table, dict) or not all(isinstance(v, str) and v.strip() for v in table.values()):
            raise SettingsError(
                f"{path}: key 'names.{dimension}': expected lines of code = \"name\" "
                '(e.g. C1234567 = "Ms A Khan")'
            )
        found.append((str(dimension), tuple((str(code), name.strip()) for code, name in table.items())))
    return tuple(found)


def _text(path: Path, table: dict, key: str) -> str:
    value = table.get(key, "")
    if not isinstance(value, str):
        raise SettingsError(f"{path}: key {key!r}: expected text in quotes, not {value!r}")
    return value.strip()


def private_files() -> None:
    """Make what this process creates from now on private to its account (umask 0o077: the
    warehouse, the SQLite app database and their journals, staging copies of uploads, DuckDB's
    temporary files). A umask rather than a chmod after each file: SQLite and DuckDB create their
    journals and temporary files themselves, whenever they need them."""
    os.umask(0o077)


def private_home(home: Path) -> None:
    """``private_files``, the workspace folder 0700 and the warehouse and database in it 0600."""
    private_files()
    home.mkdir(parents=True, exist_ok=True)
    home.chmod(0o700)
    for name in PRIVATE_FILES:
        if (home / name).is_file():
            (home / name).chmod(0o600)


def load_settings(home: Path | None = None, *, loading: bool = False, private: bool = True) -> Settings:
    """Settings from the environment; ``home`` (e.g. from ``--home``) wins over it (``default_home``).
    With ``private`` the home is made private (``private_home``) before anything is written to it;
    commands that only read pass False, so they create no folder."""
    env = os.environ
    home = Path(home or default_home(loading=loading)).resolve()
    told = read_home_file(home)
    if private:
        private_home(home)
    small_numbers = env.get("STOCKTAKE_DRILLDOWN_SMALL_NUMBERS") or "suppress"
    if small_numbers not in SMALL_NUMBERS:
        raise SettingsError(f"STOCKTAKE_DRILLDOWN_SMALL_NUMBERS: 'suppress' or 'show', not {small_numbers!r}")
    return Settings(
        home=home,
        database_url=env.get("STOCKTAKE_DATABASE_URL") or f"sqlite:///{home / 'workspace.sqlite'}",
        mapping=Path(env.get("STOCKTAKE_MAPPING") or told.mapping or _home_mapping(home)),
        # named as the flag and stocktake.toml name it: a shipped catalogue by name too (an outside check's
        # STOCKTAKE_CATALOGUE=elective_surgery had been opened as a file and blamed on --out)
        catalogue=catalogue_path(env["STOCKTAKE_CATALOGUE"], Path.cwd(), where="STOCKTAKE_CATALOGUE")
        if env.get("STOCKTAKE_CATALOGUE")
        else told.catalogue or DEFAULT_CATALOGUE,
        department=told.department,
        trust=told.trust,
        sites=told.sites,
        names=told.names,
        secure_cookies=env.get("STOCKTAKE_SECURE_COOKIES", "") == "1",
        idle_timeout=timedelta(minutes=_positive(env, "STOCKTAKE_IDLE_MINUTES", 30)),
        upload_limit=_positive(env, "STOCKTAKE_UPLOAD_LIMIT_MB", 100) * MB,
        drilldown_small_numbers=small_numbers,
        trusted_proxy=env.get("STOCKTAKE_TRUSTED_PROXY") or None,
    )


def demo_settings(home: Path | None = None) -> Settings:
    """The demo's settings: its home (default ``./stocktake-demo``), its own mapping and T&O's
    catalogue, whatever the environment names for a department's (the demo's synthetic exports are
    laid out as ``DEMO_MAPPING`` says, and its measures are T&O's)."""
    home = Path(home or DEMO_HOME).resolve()
    database_url = os.environ.get("STOCKTAKE_DATABASE_URL") or f"sqlite:///{home / 'workspace.sqlite'}"
    return Settings(home=home, database_url=database_url, mapping=DEMO_MAPPING, catalogue=DEFAULT_CATALOGUE)


def is_home(folder: Path) -> bool:
    """Whether a folder is a workspace's home: it holds a settings file, a warehouse, or the
    pseudonymisation key an ingest keeps in it (``key_beside``)."""
    folder = Path(folder)
    return any((folder / name).exists() for name in (HOME_FILE, WAREHOUSE, "secrets/pseudonym.key"))


def _home_mapping(home: Path) -> Path:
    return home / HOME_MAPPING if (home / HOME_MAPPING).is_file() else DEMO_MAPPING


def _positive(env, name: str, default: int) -> int:
    text = env.get(name) or str(default)
    if not text.isdigit() or int(text) == 0:
        raise SettingsError(f"{name}: a whole number above 0, not {text!r}")
    return int(text)
