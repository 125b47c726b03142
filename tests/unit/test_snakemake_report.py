"""Snakemake's HTML reporter embeds only JSON that no HTML parser reads as markup."""

from __future__ import annotations

import json

from snakemake.report.html_reporter import data

from tmeseq.snakemake_report import REPORTER_MODULES, protect_snakemake_report, script_safe

VALUES = {
    "level": "x</script><script>alert(1)</script>",
    "path": "a<!--b/-->c & d > e\\f",
    "quotes": "\"&'",
    "accents": "é ü 中",
}


def test_script_safe_json_is_the_same_json_without_markup_characters() -> None:
    text = script_safe(json.dumps(VALUES))
    assert not {"<", ">", "&"} & set(text)
    assert json.loads(text) == VALUES
    assert '"x\\u003c/script\\u003e\\u003cscript\\u003e' in text


def test_every_json_block_of_the_reporter_is_protected() -> None:
    assert protect_snakemake_report() == list(REPORTER_MODULES)
    assert protect_snakemake_report() == list(REPORTER_MODULES)  # idempotent
    categories = data.render_categories({})
    assert categories == "{}"
    text = data.results.json.dumps(VALUES)
    assert "<" not in text and json.loads(text) == VALUES
    # the rest of the json module is the real one
    assert data.results.json.loads('{"a": 1}') == {"a": 1}
