"""The browser is told to run only the app's own scripts, and a label an editor writes stays text.

The attack these stop (found on 2 December): a change-date label ``</script><script>…`` reached the
metric page's chart data unescaped and ran in an admin's browser, creating a new admin.
"""

from __future__ import annotations

import base64
import hashlib
import html
import json
import re

import pytest

METRIC = "hipfx_surgery_36h"
ATTACK = "</script><script>document.title='pwned'</script><img src=x onerror=alert(1)>"


def _policy(answer) -> dict[str, list[str]]:
    directives = (d.strip().split() for d in answer.headers["content-security-policy"].split(";"))
    return {d[0]: d[1:] for d in directives if d}


def _inline_scripts(page: str) -> list[str]:
    return re.findall(r"<script(?![^>]*\ssrc=)[^>]*>(.*?)</script>", page, flags=re.DOTALL)


@pytest.fixture(scope="module")
def attacked_page(clients) -> str:
    """The metric page after an editor put the attack in a change date, a project and a PDSA cycle."""
    editor = clients["editor"]
    token = editor.csrf
    editor.post(
        f"/metrics/{METRIC}/annotations", data={"dated": "2024-01-01", "label": ATTACK, "csrf_token": token}
    )
    project = editor.post(
        "/projects",
        data={"title": ATTACK, "aim": "a", "lead": "b", "csrf_token": token},
        follow_redirects=False,
    ).headers["location"]
    editor.post(f"{project}/measures", data={"metric_id": METRIC, "kind": "outcome", "csrf_token": token})
    editor.post(f"{project}/cycles", data={"title": ATTACK, "started_on": "2024-02-01", "csrf_token": token})
    return clients["admin"].get(f"/metrics/{METRIC}").text


def test_an_editors_label_never_becomes_markup_on_the_metric_page(attacked_page):
    assert "document.title='pwned'</script>" not in attacked_page
    assert "<img src=x" not in attacked_page
    assert not any("pwned" in script for script in _inline_scripts(attacked_page))


def test_the_label_still_reaches_the_chart_as_text(attacked_page):
    attribute = re.search(r'data-figure="([^"]*)"', attacked_page)[1]
    figure = json.loads(html.unescape(attribute))
    texts = [a["text"] for a in figure["layout"]["annotations"]]
    shown = html.escape(ATTACK, quote=False)  # Plotly reads a few tags (links too): it gets entities
    assert shown in texts  # the change date's own label, as typed
    assert f"PDSA: {shown} ({shown})" in texts
    assert not any("<" in text for text in texts)


def test_no_web_template_marks_data_safe():
    from stocktake.web import templating

    folder = templating.Path(templating.__file__).parent / "templates"
    for template in folder.glob("*.html"):
        assert not re.search(r"\|\s*safe\b", template.read_text()), template.name


def test_every_inline_script_on_a_page_is_allowed_by_hash_and_no_other_is(clients, attacked_page):
    answer = clients["admin"].get(f"/metrics/{METRIC}")
    script_src = _policy(answer)["script-src"]
    assert "'unsafe-inline'" not in script_src and "'unsafe-eval'" not in script_src
    allowed = {s.strip("'")[len("sha256-") :] for s in script_src if s.startswith("'sha256-")}
    inline = _inline_scripts(answer.text)
    assert inline, "the NHS.UK template's js-enabled script"
    for script in inline:
        assert base64.b64encode(hashlib.sha256(script.encode()).digest()).decode() in allowed
    for source in re.findall(r"<script[^>]*\ssrc=\"([^\"]+)\"", answer.text):
        assert source.startswith("/"), source  # the app's own files only


@pytest.mark.parametrize("path", ["/", f"/metrics/{METRIC}", "/projects", "/sign-in"])
def test_pages_forbid_framing_sniffing_referrers_and_caching(clients, path):
    answer = clients["viewer"].get(path)
    assert answer.status_code == 200
    assert _policy(answer)["frame-ancestors"] == ["'none'"]
    assert answer.headers["x-frame-options"] == "DENY"
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert answer.headers["referrer-policy"] == "same-origin"
    assert answer.headers["cache-control"] == "no-store"


def test_shared_assets_may_be_cached(clients):
    answer = clients["viewer"].get("/static/chart.js")
    assert answer.status_code == 200 and answer.headers["cache-control"] == "no-cache"  # ours: revalidated
    plotly = clients["viewer"].get("/plotly/plotly-basic.min.js")
    assert plotly.headers["cache-control"] == "public, max-age=86400"  # a pinned package's: kept a day


def test_assets_are_compressed_and_pages_are_not(clients):
    """Plotly's basic bundle is 1.2 MB (about 0.4 MB gzipped). Pages are never compressed (BREACH)."""
    plotly = clients["viewer"].get("/plotly/plotly-basic.min.js", headers={"Accept-Encoding": "gzip"})
    assert plotly.headers["content-encoding"] == "gzip"
    assert plotly.content.startswith(b"/**") and len(plotly.content) > 1_000_000  # httpx unzipped it
    page = clients["viewer"].get(f"/metrics/{METRIC}", headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in page.headers


def test_no_page_loads_anything_from_another_host(clients):
    page = clients["viewer"].get(f"/metrics/{METRIC}").text
    assert not re.findall(r"""(?:src|href)=["'](?:https?:)?//""", page)
    for sheet in re.findall(r'<link rel="stylesheet" href="([^"]+)"', page):
        css = clients["viewer"].get(sheet).text
        assert not re.search(r"url\((?:https?:)?//", css), sheet
    assert "font-family" in clients["viewer"].get("/styles/nhsuk-frontend.css").text


def test_behind_a_tls_proxy_the_session_cookie_is_secure(app):
    from fastapi.testclient import TestClient

    answer = TestClient(app, base_url="https://stocktake.trust.nhs.uk").get("/sign-in")
    cookie = answer.headers["set-cookie"].lower()
    assert "; secure" in cookie and "samesite=strict" in cookie
    assert answer.headers["strict-transport-security"].startswith("max-age=")
    plain = TestClient(app).get("/sign-in").headers["set-cookie"].lower()
    assert "; secure" not in plain  # plain http on a laptop keeps working


def test_the_chart_cannot_be_sent_to_plotlys_cloud(attacked_page):
    figure = json.loads(html.unescape(re.search(r'data-figure="([^"]*)"', attacked_page)[1]))
    assert figure["config"]["showSendToCloud"] is False
    assert figure["config"]["modeBarButtons"] == [["toImage"]]  # the one button: save as an image


@pytest.mark.parametrize("path", ["/waiting-list/", "/uploads/", "/metrics/"])
def test_a_forged_host_sends_no_one_elsewhere(clients, path):
    """A security check: "/waiting-list/" was redirected to http://evil.example/waiting-list, built
    from the request's Host header, before sign-in. A trailing slash is now not found."""
    for client in (clients["viewer"], clients[None]):
        answer = client.get(path, headers={"Host": "evil.example"}, follow_redirects=False)
        assert "evil.example" not in answer.headers.get("location", "")
        assert answer.status_code == 404
