"""`stocktake programme evaluate` on a follow-up (level 3) survey that carries no reaction (level 1)
items: read with ``--level behaviour``, as the web reads a behaviour evaluation (issue 29's gaps)."""

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from stocktake.cli import app

runner = CliRunner()
LEVELS = ["Never", "Rarely", "Sometimes", "Often", "Always"]
SCALE = "missing: ['-', '']\nscales:\n  frequency: [Never, Rarely, Sometimes, Often, Always]\n"
DOMAINS = """domains:
  - name: The programme
    level: reaction
    scale: frequency
    items: [The sessions were useful]
  - name: Leading change
    level: behaviour
    scale: frequency
    items: [I run a huddle, I test a change]
"""


def _inputs(folder: Path) -> Path:
    """Twelve people: before 2 and 2, at the follow-up 3 and 3 (P01-P08) or 2 and 2 (P09-P12). The
    follow-up has no column for the reaction item."""
    people = [f"P{i:02d}" for i in range(1, 13)]
    before = pd.DataFrame(
        [[p, LEVELS[1], LEVELS[1]] for p in people], columns=["ID", "I run a huddle", "I test a change"]
    )
    after = pd.DataFrame(
        [[p, LEVELS[2 if i < 8 else 1], LEVELS[2 if i < 8 else 1]] for i, p in enumerate(people)],
        columns=["ID", "I run a huddle", "I test a change"],
    )
    before.to_csv(folder / "pre.csv", index=False)
    after.to_csv(folder / "followup.csv", index=False)
    (folder / "SCALE.yaml").write_text(SCALE)
    (folder / "DOMAINS.yaml").write_text(DOMAINS)
    return folder


def _run(folder: Path, *extra: str):
    args = ["programme", "evaluate", str(folder / "pre.csv"), str(folder / "followup.csv"), "--id", "ID"]
    args += ["--scale", str(folder / "SCALE.yaml"), "--domains", str(folder / "DOMAINS.yaml")]
    return runner.invoke(app, [*args, "--out", str(folder / "out"), *extra])


def test_a_follow_up_without_reaction_items_is_evaluated(tmp_path):
    folder = _inputs(tmp_path)
    result = _run(folder, "--level", "behaviour", "--labels", "before,follow-up", "--no-suppress")
    assert result.exit_code == 0, result.output
    domains = pd.read_csv(folder / "out" / "domains.csv").set_index("domain")
    assert list(domains.index) == ["Leading change"]  # the reaction domain is not a follow-up's
    row = domains.loc["Leading change"]
    # Differences: 1 x8 (2 → 3), 0 x4: mean 8/12.
    assert row["kirkpatrick_level"] == "behaviour" and row["paired"] == 12
    assert row["mean_difference"] == round(8 / 12, 4)
    items = pd.read_csv(folder / "out" / "items.csv")
    assert "The sessions were useful" not in set(items["item"])


def test_without_the_level_the_refusal_says_how_to_read_a_follow_up(tmp_path):
    folder = _inputs(tmp_path)
    result = _run(folder)
    assert result.exit_code == 2
    line = " ".join(result.output.split())
    assert "no column 'The sessions were useful'" in line and "--level behaviour" in line
    assert not (folder / "out").exists()


def test_an_unknown_level_is_refused_in_one_line(tmp_path):
    folder = _inputs(tmp_path)
    result = _run(folder, "--level", "results")
    assert result.exit_code == 2 and "--level results: one of learning, behaviour" in result.output
    assert not (folder / "out").exists()
