"""The metric page's chart drawn on the server (ADR 37): shown at once, with no script, and replaced by
Plotly's; the same values, for signed-in staff only, and nothing in it can run."""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET

METRIC = "hipfx_surgery_36h"
ATTACK = '<script>alert("x")</script>'


def test_the_page_shows_the_server_drawn_chart_until_plotly_draws_its_own(clients):
    page = clients["viewer"].get(f"/metrics/{METRIC}").text
    chart = re.search(r'<div id="chart"[^>]*>(.*?)</div>', page, re.S)[1]
    assert f'<img class="chart-static" src="/metrics/{METRIC}/chart.svg"' in chart
    image = clients["viewer"].get(f"/metrics/{METRIC}/chart.svg")
    assert image.headers["content-type"] == "image/svg+xml" and image.headers["cache-control"] == "no-store"
    svg = ET.fromstring(image.content)  # well-formed
    words = " ".join(t.text or "" for t in svg.iter("{http://www.w3.org/2000/svg}text"))
    assert "Hip fracture surgery within 36 hours of arrival" in words  # text, as ADR 33 draws it
    assert clients[None].get(f"/metrics/{METRIC}/chart.svg", follow_redirects=False).status_code in (303, 401)
    assert clients["viewer"].get("/metrics/no_such_measure/chart.svg").status_code == 404


def test_a_label_an_editor_typed_is_text_in_the_image(clients):
    editor = clients["editor"]
    answer = editor.post(
        f"/metrics/{METRIC}/annotations",
        data={"dated": "2024-01-01", "label": f"Trial {ATTACK}", "csrf_token": editor.csrf},
        follow_redirects=False,
    )
    assert answer.status_code == 303
    image = clients["viewer"].get(f"/metrics/{METRIC}/chart.svg").content
    assert b"<script" not in image and b"&lt;script&gt;" in image
