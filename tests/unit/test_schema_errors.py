"""Schema violations become one line in the user's words: key, value, allowed, fix."""

from __future__ import annotations

import copy
from typing import Any

import pytest
import yaml

from tests.helpers import REPO
from tmeseq.errors import InputError
from tmeseq.schema_errors import check_config, key_path, load_schema

SCHEMA = load_schema(REPO / "workflow" / "schemas" / "config.schema.yaml")
VALID: dict[str, Any] = {
    "cohort": "c",
    "species": "mouse",
    "samples": "samples.tsv",
    "counts": {"path": "counts.tsv"},
    "de": {
        "design": "~ arm",
        "contrasts": [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}],
    },
}


def _message(text: str) -> str:
    config = yaml.safe_load(text)
    with pytest.raises(InputError) as caught:
        check_config(config, SCHEMA, "my.yaml")
    return caught.value.message


def _from_valid(**changes: Any) -> str:
    config = copy.deepcopy(VALID)
    for path, value in changes.items():
        *parents, last = path.split("__")
        node = config
        for part in parents:
            node = node[int(part)] if part.isdigit() else node.setdefault(part, {})
        node[last] = value
    with pytest.raises(InputError) as caught:
        check_config(config, SCHEMA, "my.yaml")
    return caught.value.message


def test_a_valid_config_passes() -> None:
    check_config(copy.deepcopy(VALID), SCHEMA, "my.yaml")


def test_misspelt_top_level_key_gets_did_you_mean() -> None:
    config = copy.deepcopy(VALID)
    config["specis"] = config.pop("species")
    with pytest.raises(InputError) as caught:
        check_config(config, SCHEMA, "my.yaml")
    message = caught.value.message
    assert message.startswith("my.yaml, top level: unknown key 'specis'")
    assert "did you mean 'species'?" in message
    assert len(message.splitlines()) == 2


def test_misspelt_nested_key_names_its_path() -> None:
    message = _from_valid(de__alpah=0.1)
    assert "key de: unknown key 'alpah'" in message
    assert "did you mean 'alpha'?" in message


def test_yaml_boolean_trap_is_named_with_the_fix() -> None:
    text = yaml.safe_dump(VALID).replace("test: b", "test: On")
    message = _message(text)
    assert "key de.contrasts[0].test: True (a boolean) should be of type string" in message
    assert "quote it" in message and "On/Off, yes/no" in message


def test_enum_lists_allowed_values_and_suggests_the_closest() -> None:
    message = _from_valid(species="Mouse")
    assert "key species: 'Mouse' is not one of human, mouse" in message
    assert "did you mean 'mouse'?" in message
    message = _from_valid(de__fit_type="local")
    assert "key de.fit_type: 'local' is not one of parametric, mean" in message


def test_wrong_type_and_missing_key() -> None:
    assert "key de.alpha: 'small' should be of type number" in _from_valid(de__alpha="small")
    config = copy.deepcopy(VALID)
    del config["counts"]
    with pytest.raises(InputError, match="required key 'counts' is missing"):
        check_config(config, SCHEMA, "my.yaml")


def test_key_path_formats_indices() -> None:
    assert key_path(["de", "contrasts", 0, "test"]) == "de.contrasts[0].test"
    assert key_path([]) == ""
