"""tmeseq's DE layer against R DESeq2 1.38 on airway and pasilla (needs Rscript + DESeq2).

Runs ``validation/compare_with_r.py``'s functions: R's ``DESeq()``/``results()`` and tmeseq's
``fit_model``/``contrast_results`` on the same counts, then checks the acceptance thresholds and
the intermediate values. Pasilla takes about 15 s on 2 cores (R start-up included), airway
about 30 s. Both run in the default suite; without R they are skipped (CI installs R).
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers import REPO, REQUIRE_R, data_path, skip_or_fail


def _compare_module() -> ModuleType:
    path = REPO / "validation" / "compare_with_r.py"
    spec = importlib.util.spec_from_file_location("compare_with_r", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


compare_with_r = _compare_module()


@pytest.fixture(autouse=True)
def _needs_r() -> None:
    # CI sets TMESEQ_REQUIRE_R=1 after installing R: there a missing R is a failure.
    if not compare_with_r.r_available():
        skip_or_fail(
            "Rscript with the DESeq2 package not found (apt-get install r-bioc-deseq2)", REQUIRE_R
        )


def _check(report: dict[str, dict[str, object]]) -> None:
    figures = report["tmeseq"]
    assert compare_with_r.passes(figures), figures
    # the figures the README quotes: identical rankings and identical calls
    assert figures["lfc_spearman"] > 0.99995
    assert figures["logp_spearman"] > 0.99995
    assert figures["jaccard"] == 1.0
    assert figures["n_sig_other"] == figures["n_sig_r"]
    assert figures["size_factor_max_rel_diff"] < 1e-10
    trend_r, trend_py = figures["trend_r"], figures["trend_py"]
    assert trend_py == pytest.approx(trend_r, rel=1e-6)
    assert figures["prior_var_py"] == pytest.approx(figures["prior_var_r"], rel=1e-6)
    assert figures["final_within_1pct"] > 0.999
    assert figures["outlier_agreement"] > 0.999
    assert figures["filter_threshold_py"] == pytest.approx(figures["filter_threshold_r"], rel=1e-6)


@pytest.mark.parametrize("dataset", ["pasilla", "airway"])
def test_matches_r_deseq2(dataset: str, tmp_path: Path) -> None:
    assert data_path(dataset).is_dir()
    report = compare_with_r.compare(dataset, tmp_path, threads=2, with_pydeseq2=False)
    _check(report)
