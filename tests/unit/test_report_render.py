"""Rendering: autoescape, escaped JSON data blocks, the one timestamp."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from jinja2.exceptions import UndefinedError

from tmeseq.report import render


def test_json_script_cannot_close_its_element() -> None:
    data = {"sample": "</script><script>alert(1)</script>", "level": "\"&'", "x": "<!--"}
    block = str(render.json_script(data, 'a"b'))
    assert block.startswith('<script type="application/json" id="a&#34;b">')
    inner = block.removeprefix('<script type="application/json" id="a&#34;b">')
    inner = inner.removesuffix("</script>")
    assert "<" not in inner and ">" not in inner and "&" not in inner
    assert "\\u003c/script\\u003e" in inner and "\\u0026" in inner
    assert json.loads(inner) == data


def test_autoescape_is_on_for_every_template(tmp_path: Path) -> None:
    template = tmp_path / "page.html.j2"
    template.write_text("<p title=\"{{ name }}\">{{ name }}</p>{{ json_script(d, 'data') }}")
    page = render.render(template, {"name": "<b>\"&'</b>", "d": {"k": "<"}})
    assert page == (
        '<p title="&lt;b&gt;&#34;&amp;&#39;&lt;/b&gt;">&lt;b&gt;&#34;&amp;&#39;&lt;/b&gt;</p>'
        '<script type="application/json" id="data">{"k": "\\u003c"}</script>'
    )


def test_undefined_names_are_errors(tmp_path: Path) -> None:
    template = tmp_path / "page.html.j2"
    template.write_text("{{ missing }}")
    with pytest.raises(UndefinedError, match="missing"):
        render.render(template, {})


def test_build_time_comes_from_source_date_epoch() -> None:
    assert render.build_time({"SOURCE_DATE_EPOCH": "1700000000"}) == "2023-11-14 22:13:20 UTC"
    assert render.build_time({"SOURCE_DATE_EPOCH": "0"}) == "1970-01-01 00:00:00 UTC"
    assert render.build_time({}).endswith(" UTC")
    with pytest.raises(ValueError, match="SOURCE_DATE_EPOCH must be whole seconds"):
        render.build_time({"SOURCE_DATE_EPOCH": "yesterday"})
