"""Front-end files are compressed once and kept, not on every request (``web.assets``)."""

from __future__ import annotations

import gzip

from stocktake.web import assets

PLOTLY = "/plotly/plotly-basic.min.js"


def test_a_file_is_compressed_once_and_served_whole(clients, monkeypatch):
    calls = []
    real = gzip.compress
    monkeypatch.setattr(assets.gzip, "compress", lambda data, **kw: calls.append(1) or real(data, **kw))
    viewer = clients["viewer"]
    first = viewer.get(PLOTLY, headers={"Accept-Encoding": "gzip, br"})
    second = viewer.get(PLOTLY, headers={"Accept-Encoding": "gzip"})
    plain = viewer.get(PLOTLY, headers={"Accept-Encoding": "identity"})
    assert first.headers["content-encoding"] == "gzip" and first.headers["vary"] == "Accept-Encoding"
    assert first.content == second.content == plain.content  # httpx unzips: the same file
    assert "content-encoding" not in plain.headers
    assert len(calls) <= 1  # made at most once in this test (kept from an earlier one otherwise)
    assert first.headers["cache-control"] == "public, max-age=86400"  # the headers' middleware still runs


def test_a_small_file_and_an_unchanged_one_are_left_alone(clients):
    viewer = clients["viewer"]
    first = viewer.get("/static/chart.js", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in first.headers  # under a kilobyte
    etag = viewer.get(PLOTLY).headers["etag"]
    assert viewer.get(PLOTLY, headers={"If-None-Match": etag, "Accept-Encoding": "gzip"}).status_code == 304


def test_gzip_refused_by_quality_zero_is_not_sent_and_each_copy_has_its_own_tag(clients):
    viewer = clients["viewer"]
    refused = viewer.get(PLOTLY, headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "content-encoding" not in refused.headers
    zipped = viewer.get(PLOTLY, headers={"Accept-Encoding": "gzip"})
    assert zipped.headers["etag"] != refused.headers["etag"]
    again = viewer.get(PLOTLY, headers={"Accept-Encoding": "gzip", "If-None-Match": zipped.headers["etag"]})
    assert again.status_code == 304


def test_serve_without_the_frontend_installed_says_so_in_one_line(tmp_path, monkeypatch):
    """A clone whose npm packages were never installed: one line naming what to run, not a traceback
    around it (an outside check)."""
    from typer.testing import CliRunner

    from stocktake.cli import app
    from stocktake.web import app as web_app

    runner = CliRunner()
    home = tmp_path / "home"
    made = runner.invoke(app, ["init", str(home), "--department", "T&O", "--trust", "A Trust", "--yes"])
    assert made.exit_code == 0, made.output
    monkeypatch.setattr(web_app, "NODE_MODULES", tmp_path / "no_node_modules")
    result = runner.invoke(app, ["serve", "--home", str(home), "--port", "8799"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2, result.output
    assert "nhsuk is missing: run `make setup`" in said and "Traceback" not in said
    # a part install: the frontend there, htmx not (an outside check had a traceback)
    part = tmp_path / "part"
    frontend = part / "nhsuk-frontend" / "dist" / "nhsuk"
    (frontend / "assets").mkdir(parents=True)
    (frontend / "nhsuk-frontend.min.css").write_text("body{}")
    monkeypatch.setattr(web_app, "NODE_MODULES", part)
    result = runner.invoke(app, ["serve", "--home", str(home), "--port", "8799"])
    said = " ".join(result.output.split())
    assert result.exit_code == 2 and "htmx.org/dist is missing: run `make setup`" in said, result.output
