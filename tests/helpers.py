"""Helpers shared by the tests: data paths, small cohorts and configs written to disk.

Reference data the tests need live in ``tests/data`` (each folder's ``SOURCE.md`` gives origin
and licence); find them with :func:`data_path` and :func:`reference_path`. Data whose licence
does not allow a copy in the repository stay in ``../shared/validation`` beside it: reach them
with :func:`shared_path` (inside a test or fixture) or mark a test with :func:`requires_shared`.
When such data are absent the test is skipped with a reason naming the dataset and the path,
unless ``TMESEQ_REQUIRE_SHARED=1`` (set by ``.ci/run``), which turns the skip into a failure.
``TMESEQ_REQUIRE_R=1`` does the same for R: call :func:`skip_or_fail` with :data:`REQUIRE_R`.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import TYPE_CHECKING, Any, NoReturn

import numpy as np
import pandas as pd
import pytest
import yaml

if TYPE_CHECKING:
    from tmeseq.settings import DESettings

REPO = Path(__file__).resolve().parents[1]
DATA = REPO / "tests" / "data"
SHARED = REPO.parent / "shared"
VALIDATION = SHARED / "validation"

REQUIRE_SHARED = "TMESEQ_REQUIRE_SHARED"
"""Environment switch: ``1`` makes a missing ``../shared`` dataset a failure, not a skip."""
REQUIRE_R = "TMESEQ_REQUIRE_R"
"""Environment switch: ``1`` makes a missing R (with DESeq2) a failure, not a skip."""

SHARED_DATASETS: dict[str, str] = {
    "riaz_gse91061": "Riaz et al. 2017 nivolumab cohort, GEO GSE91061: no licence to copy it here",
    "annotation": "human Entrez-to-symbol map from org.Hs.eg.db 3.16, used with the Riaz counts",
}
"""The ``../shared/validation`` folders tests read, with what they are (for skip reasons)."""


def required(switch: str) -> bool:
    """Whether the environment variable ``switch`` is set to ``1``."""
    return os.environ.get(switch) == "1"


def skip_or_fail(reason: str, switch: str) -> NoReturn:
    """Skip the running test, or fail it when the environment asks for the missing thing.

    Parameters
    ----------
    reason
        What is missing, e.g. ``"Rscript with DESeq2 not found"``.
    switch
        Environment variable (:data:`REQUIRE_SHARED`, :data:`REQUIRE_R`); when it is ``1``
        the test fails with ``reason`` instead of being skipped.
    """
    if required(switch):
        pytest.fail(f"{reason} ({switch}=1 requires it)", pytrace=False)
    pytest.skip(f"{reason} (with {switch}=1 this fails)")


def data_path(*parts: str) -> Path:
    """A file or folder under ``tests/data``; an error if the repository lacks it.

    Parameters
    ----------
    *parts
        Path components below ``tests/data``, e.g. ``"airway", "airway_cts.tsv.gz"``.

    Raises
    ------
    FileNotFoundError
        If the path does not exist (a fixture of the repository is missing: never a skip).
    """
    path = DATA.joinpath(*parts)
    if not path.exists():
        raise FileNotFoundError(f"test fixture {path.relative_to(REPO)} is missing")
    return path


def reference_path(*parts: str) -> Path:
    """A file of R DESeq2's reference values, under ``tests/data/r_reference``.

    ``reference_path("synthetic", "test_counts.csv")`` is the synthetic cohort;
    ``reference_path("single_factor", "r_vst.csv")`` one of R's outputs (see that folder's
    ``README.md`` and ``SOURCE.md``).
    """
    return data_path("r_reference", *parts)


def r_synthetic() -> tuple[pd.DataFrame, pd.DataFrame]:
    """The synthetic cohort of R's reference values, as R DESeq2 1.34 saw it.

    Returns
    -------
    counts : pandas.DataFrame
        Raw integer counts, 100 samples x 10 genes (``gene1``..``gene10``).
    metadata : pandas.DataFrame
        Per sample (same order): ``condition`` (A/B) and ``group`` (X/Y).
    """
    counts = pd.read_csv(reference_path("synthetic", "test_counts.csv"), index_col=0).T
    metadata = pd.read_csv(reference_path("synthetic", "test_metadata.csv"), index_col=0)
    return counts, metadata.loc[counts.index]


def shared_missing(dataset: str, *parts: str) -> str | None:
    """What is missing of ``../shared/validation/<dataset>/<parts>``, or None if it exists.

    Parameters
    ----------
    dataset
        Folder under ``../shared/validation``, e.g. ``"riaz_gse91061"``.
    *parts
        Path components inside that folder; none for the folder itself.

    Returns
    -------
    str or None
        ``"missing ../shared/validation/<dataset>/... (<what the dataset is>)"``, or None.
    """
    if VALIDATION.joinpath(dataset, *parts).exists():
        return None
    what = SHARED_DATASETS.get(dataset, dataset)
    shown = "/".join(("..", "shared", "validation", dataset, *parts))
    return f"missing {shown} ({what})"


def shared_path(dataset: str, *parts: str) -> Path:
    """A path under ``../shared/validation/<dataset>``; skip (or fail) the test when absent.

    Parameters
    ----------
    dataset
        Folder under ``../shared/validation``, e.g. ``"riaz_gse91061"``.
    *parts
        Path components inside that folder; none for the folder itself.

    Returns
    -------
    Path
        The existing path. If it does not exist the running test is skipped with a reason
        naming the dataset and the path, or fails when ``TMESEQ_REQUIRE_SHARED=1``.
    """
    missing = shared_missing(dataset, *parts)
    if missing is not None:
        skip_or_fail(missing, REQUIRE_SHARED)
    return VALIDATION.joinpath(dataset, *parts)


def requires_shared(dataset: str, *parts: str) -> pytest.MarkDecorator:
    """Mark a test (or a module, via ``pytestmark``) as needing a ``../shared`` path.

    Before the test runs, ``tests/conftest.py`` checks every such mark with
    :func:`shared_missing`: if any path is absent the test is skipped (or fails under
    ``TMESEQ_REQUIRE_SHARED=1``) with a reason naming each missing path.
    """
    return pytest.mark.shared_data(dataset, *parts)


def gene_id(i: int) -> str:
    """The i-th gene ID of the small test cohorts."""
    return f"ENSMUSG{i:011d}"


def small_counts(samples: list[str], n_genes: int = 300, seed: int = 1) -> pd.DataFrame:
    """Negative-binomial counts, genes x samples, with Ensembl-style mouse gene IDs
    (ENSMUSG00000000001.., no symbols); group effect on the
    first 30 genes for samples whose position is odd."""
    rng = np.random.default_rng(seed)
    means = rng.lognormal(mean=5, sigma=1.2, size=n_genes)
    effect = np.ones((n_genes, len(samples)))
    effect[:30, 1::2] = 4.0
    mu = means[:, None] * effect
    dispersion = 0.1
    counts = rng.negative_binomial(1 / dispersion, 1 / (1 + mu * dispersion))
    genes = [gene_id(i) for i in range(1, n_genes + 1)]
    return pd.DataFrame(counts, index=pd.Index(genes, name="gene_id"), columns=samples)


def de_settings(design: str, contrasts: list[dict[str, str]]) -> DESettings:
    """The workflow's DE settings for ``design`` and ``contrasts``, every other key at the
    schema's default (filled in by the same validation the workflow runs on a config).

    Parameters
    ----------
    design
        Design formula, e.g. ``"~ batch + arm"``.
    contrasts
        Config entries, e.g. ``[{"name": "b_vs_a", "variable": "arm", "test": "B",
        "reference": "A"}]``.
    """
    from snakemake.utils import validate

    from tmeseq.settings import DESettings

    config: dict[str, Any] = {
        "cohort": "tests",
        "species": "mouse",
        "samples": "samples.tsv",
        "counts": {"path": "counts.tsv"},
        "de": {"design": design, "contrasts": contrasts},
    }
    validate(config, schema=str(REPO / "workflow" / "schemas" / "config.schema.yaml"))
    return DESettings.from_config(config["de"])


def write_config(path: Path, **overrides: object) -> Path:
    """A minimal cohort config (YAML) in ``path``; top-level keys can be overridden."""
    config: dict[str, object] = {
        "cohort": "awkward",
        "species": "mouse",
        "samples": "samples.tsv",
        "counts": {"path": "counts.tsv"},
        "qc": {"n_top_genes": 100},
        "de": {
            "design": "~ arm",
            "contrasts": [
                {"name": "trt_vs_ctrl", "variable": "arm", "test": "trt", "reference": "ctrl"}
            ],
        },
    }
    config.update(overrides)
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    return path
