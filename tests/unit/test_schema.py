"""The config schema is the source of truth: described, defaulted, documented, enforced."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml
from snakemake.utils import validate

from tests.helpers import REPO

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"


def leaves(schema: dict, prefix: str = "") -> Iterator[tuple[str, dict, bool]]:
    required = set(schema.get("required", []))
    for key, sub in schema.get("properties", {}).items():
        name = f"{prefix}{key}"
        if sub.get("type") == "object" and "properties" in sub:
            yield from leaves(sub, f"{name}.")
        else:
            yield name, sub, key in required


def load(path: Path) -> dict:
    return yaml.safe_load(path.read_text())


def test_every_key_has_description_and_default_unless_required() -> None:
    for name, sub, required in leaves(load(SCHEMA)):
        assert sub.get("description"), name
        assert required or "default" in sub, f"{name} has no default"


def test_config_readme_documents_every_key() -> None:
    readme = (REPO / "config" / "README.md").read_text()
    for name, _, _ in leaves(load(SCHEMA)):
        assert f"`{name}`" in readme, f"config/README.md does not document `{name}`"


def test_example_config_is_valid() -> None:
    config = load(REPO / "config" / "config.yaml")
    validate(config, str(SCHEMA))
    assert config["de"]["alpha"] == 0.05


def test_defaults_fill_a_minimal_config() -> None:
    config = {
        "counts": {"path": "c.tsv"},
        "de": {
            "contrasts": [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}]
        },
    }
    validate(config, str(SCHEMA))
    assert config["cohort"] == "example"
    assert config["counts"]["format"] == "auto"
    assert config["counts"]["star_strand"] == "unstranded"
    assert config["de"]["design"] == "~ arm"
    assert config["qc"]["n_top_genes"] == 500


@pytest.mark.parametrize(
    ("patch", "message"),
    [
        ({"species": "rat"}, "'rat' is not one of"),
        ({"counts": {"path": "c", "format": "bam"}}, "'bam' is not one of"),
        ({"colour": "arm"}, "Additional properties are not allowed"),
    ],
)
def test_schema_rejects_mistakes(patch: dict, message: str) -> None:
    config = {
        "counts": {"path": "c.tsv"},
        "de": {
            "contrasts": [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}]
        },
        **patch,
    }
    with pytest.raises((jsonschema.ValidationError, Exception), match=message):
        validate(config, str(SCHEMA))
