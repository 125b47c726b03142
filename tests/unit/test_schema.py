"""The config schema is the source of truth: described, defaulted, documented, enforced."""

from __future__ import annotations

import pickle
from collections.abc import Iterator
from pathlib import Path

import jsonschema
import pytest
import yaml
from snakemake.utils import validate

from tests.helpers import REPO
from tmeseq.config import check_run
from tmeseq.errors import InputError
from tmeseq.settings import Contrast, Settings

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


# --------------------------------------------------------------------------------------------
# Settings: built once from the validated config, the schema's defaults and nothing else


def minimal_config(**patch: object) -> dict:
    """The smallest valid config, validated (so every default is filled in)."""
    config = {
        "counts": {"path": "c.tsv"},
        "de": {
            "contrasts": [{"name": "b_vs_a", "variable": "arm", "test": "b", "reference": "a"}]
        },
        **patch,
    }
    validate(config, str(SCHEMA))
    return config


def schema_default(dotted: str) -> object:
    """The schema's default of a key such as ``gsea.permutations``."""
    node = load(SCHEMA)
    for part in dotted.split("."):
        node = node["properties"][part]
    return node["default"]


def test_settings_take_every_default_from_the_schema() -> None:
    settings = Settings.from_config(minimal_config())
    fields = {
        "cohort": settings.cohort,
        "species": settings.species,
        "samples": settings.samples,
        "annotation": settings.annotation,
        "counts.format": settings.counts.format,
        "counts.star_strand": settings.counts.star_strand,
        "counts.tx2gene": settings.counts.tx2gene,
        "qc.n_top_genes": settings.qc.n_top_genes,
        "qc.shape_by": settings.qc.shape_by,
        "de.alpha": settings.de.test.alpha,
        "de.n_labels": settings.de.n_labels,
        "de.min_replicates": settings.de.model.min_replicates,
        "scores.method": settings.scores.method,
        "scores.gene_sets": list(settings.scores.gene_sets),
        "scores.replace_bundled": settings.scores.replace_bundled,
        "scores.seed": settings.scores.seed,
        **{f"gsea.{k}": v for k, v in settings.gsea.as_param().items()},
    }
    fields["gsea.gene_sets"] = list(settings.gsea.gene_sets)
    for key, value in fields.items():
        assert value == schema_default(key), key
    assert settings.contrast_names == ["b_vs_a"]


def test_settings_need_a_validated_config() -> None:
    config = minimal_config()
    del config["gsea"]["permutations"]
    with pytest.raises(KeyError, match="permutations"):
        Settings.from_config(config)


def test_qc_colour_defaults_to_the_first_level_contrast_variable() -> None:
    coefficient = {"name": "slope", "coefficients": {"age": 1}}
    level = {"name": "d_vs_c", "variable": "group", "test": "d", "reference": "c"}
    de = {"design": "~ age + group", "contrasts": [coefficient, level]}
    assert Settings.from_config(minimal_config(de=de)).qc.colour_by == "group"
    qc = {"colour_by": "batch"}
    assert Settings.from_config(minimal_config(de=de, qc=qc)).qc.colour_by == "batch"
    only = {"design": "~ age", "contrasts": [coefficient]}
    assert Settings.from_config(minimal_config(de=only)).qc.colour_by is None


def test_settings_reach_rules_as_plain_values_and_come_back_equal() -> None:
    """Snakemake's params trigger sees builtin values only (a dataclass param is ignored)."""
    de = {
        "design": "~ age + group",
        "contrasts": [
            {"name": "d_vs_c", "variable": "group", "test": "d", "reference": "c"},
            {"name": "slope", "coefficients": {"age": 0.5}},
        ],
    }
    settings = Settings.from_config(
        minimal_config(de=de, scores={"gene_sets": ["a.gmt"]}, gsea={"gene_sets": ["b.gmt"]})
    )
    builtin = (dict, list, tuple, str, int, float, bool, type(None))
    for part in (
        settings.counts,
        settings.qc,
        settings.scores,
        settings.gsea,
        settings.de.model,
        settings.de.test,
    ):
        param = part.as_param()
        assert isinstance(param, dict)
        assert all(isinstance(value, builtin) for value in param.values())
        rebuilt = type(part).from_param(pickle.loads(pickle.dumps(param)))
        assert rebuilt == part
    assert settings.de.model.as_param()["contrasts"][1] == {
        "name": "slope",
        "variable": None,
        "test": None,
        "reference": None,
        "coefficients": (("age", 0.5),),
    }
    assert Contrast.from_param(settings.de.model.as_param()["contrasts"][1]).is_levels is False


# --------------------------------------------------------------------------------------------
# check_run: the user's gene-set files are checked when the workflow loads


@pytest.fixture
def cohort(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working directory with counts, a sample sheet and a GMT; the current directory."""
    (tmp_path / "c.tsv").write_text("gene_id\ts1\ts2\ts3\ts4\ng1\t1\t2\t3\t4\n")
    sheet = "sample\tarm\ns1\ta\ns2\ta\ns3\tb\ns4\tb\n"
    (tmp_path / "samples.tsv").write_text(sheet)
    (tmp_path / "mine.gmt").write_text("set_a\t-\tg1\n")
    (tmp_path / "sets").mkdir()
    monkeypatch.chdir(tmp_path)
    return tmp_path


@pytest.mark.parametrize("section", ["scores", "gsea"])
@pytest.mark.parametrize(
    ("path", "problem"), [("nope.gmt", "does not exist"), ("sets", "is a folder")]
)
def test_user_gene_set_files_are_checked_at_load(
    cohort: Path, section: str, path: str, problem: str
) -> None:
    config = minimal_config(samples="samples.tsv", **{section: {"gene_sets": ["mine.gmt", path]}})
    with pytest.raises(InputError) as caught:
        check_run(config, "my.yaml")
    message = str(caught.value)
    assert message.splitlines()[0] == (
        f"my.yaml, key {section}.gene_sets[1]: gene-set file '{path}' {problem} "
        f"(relative paths are read from the working directory {cohort})"
    )
    assert (
        f"How to fix: give the path of a GMT or signature YAML file in `{section}.gene_sets[1]`"
        in message
    )


def test_existing_user_gene_sets_pass(cohort: Path) -> None:
    config = minimal_config(
        samples="samples.tsv", scores={"gene_sets": ["mine.gmt"]}, gsea={"gene_sets": ["mine.gmt"]}
    )
    sheet = check_run(config, "my.yaml")
    assert list(sheet["sample"]) == ["s1", "s2", "s3", "s4"]
