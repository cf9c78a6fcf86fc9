"""Where a workspace keeps its things: the warehouse, the app database, secrets, the column mapping.

One folder holds a department's workspace (``STOCKTAKE_HOME``, by default the demo's folder); each
path can be moved elsewhere by its own environment variable, e.g. the app database to PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from dataclasses import dataclass
from pathlib import Path

from stocktake.metrics.catalogue import DEFAULT_CATALOGUE

DEMO_HOME = Path("stocktake-demo")
DEMO_MAPPING = Path(__file__).parent / "demo" / "mapping.yaml"


@dataclass(frozen=True)
class Settings:
    home: Path
    database_url: str
    mapping: Path = DEMO_MAPPING
    catalogue: Path = DEFAULT_CATALOGUE
    #: Send the session cookie over HTTPS only (set it behind a TLS proxy).
    secure_cookies: bool = False

    @property
    def warehouse(self) -> Path:
        return self.home / "warehouse.duckdb"

    @property
    def secrets(self) -> Path:
        return self.home / "secrets"

    @property
    def pseudonym_key(self) -> Path:
        return self.secrets / "pseudonym.key"

    def session_secret(self) -> str:
        """The key that signs session cookies: made once, kept beside the pseudonymisation key."""
        path = self.secrets / "session.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip()


def load_settings(home: Path | None = None) -> Settings:
    """Settings from the environment; ``home`` (e.g. from a command-line option) wins over it."""
    env = os.environ
    home = Path(home or env.get("STOCKTAKE_HOME") or DEMO_HOME).resolve()
    return Settings(
        home=home,
        database_url=env.get("STOCKTAKE_DATABASE_URL") or f"sqlite:///{home / 'workspace.sqlite'}",
        mapping=Path(env.get("STOCKTAKE_MAPPING") or DEMO_MAPPING),
        catalogue=Path(env.get("STOCKTAKE_CATALOGUE") or DEFAULT_CATALOGUE),
        secure_cookies=env.get("STOCKTAKE_SECURE_COOKIES", "") == "1",
    )
