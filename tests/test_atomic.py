"""Outputs written whole or not at all, and written *through* what is not a file (/dev/null, a pipe):
replacing /dev/null with a file, as root, broke the machine (issue 26's outsiders ran into it)."""

from __future__ import annotations

import os
import stat
import threading
from pathlib import Path

from typer.testing import CliRunner

from stocktake.atomic import is_special, move_into_place, staging_folder
from stocktake.cli import app

ENGLAND = (
    Path(__file__).resolve().parents[2] / "shared" / "fixtures" / "waitinglist" / "england_rtt_monthly.csv"
)


def _pipe(tmp_path: Path) -> tuple[Path, list[bytes], threading.Thread]:
    fifo = tmp_path / "out.csv"
    os.mkfifo(fifo)
    received: list[bytes] = []
    reader = threading.Thread(target=lambda: received.append(fifo.read_bytes()), daemon=True)
    reader.start()
    return fifo, received, reader


def test_a_pipe_is_written_through_and_stays_a_pipe(tmp_path):
    fifo, received, reader = _pipe(tmp_path)
    assert is_special(fifo) and staging_folder(fifo) != tmp_path
    staged = tmp_path / "staged"
    staged.write_bytes(b"month,waiting\n")
    move_into_place(staged, fifo)
    reader.join(timeout=10)
    assert received == [b"month,waiting\n"] and not staged.exists()
    assert stat.S_ISFIFO(fifo.stat().st_mode)


def test_a_file_is_still_renamed_over():
    assert not is_special(ENGLAND) and staging_folder(ENGLAND) == ENGLAND.parent


def test_a_projection_written_to_a_pipe_leaves_the_pipe_a_pipe(tmp_path):
    fifo, received, reader = _pipe(tmp_path)
    result = CliRunner().invoke(
        app,
        ["waitinglist", "project", str(ENGLAND), "--since", "2021-04", "--months", "3", "--out", str(fifo)],
    )
    reader.join(timeout=30)
    assert result.exit_code == 0, result.output
    assert stat.S_ISFIFO(fifo.stat().st_mode)
    assert received and received[0].decode().startswith("month,waiting,waiting_low,waiting_high")
    assert not [p for p in tmp_path.iterdir() if p != fifo]  # nothing staged left beside it
    assert len(received[0].decode().splitlines()) == 4  # the header and three months
