"""Editing one option or input file of a finished run reruns exactly the jobs that use it, and
a missing user gene-set file stops the workflow when it loads."""

from __future__ import annotations

import os
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd
import pytest
import yaml

from tests.e2e.conftest import PLANTED, UNCHANGED, gmt_line
from tests.e2e.runner import planned_jobs, snakemake
from tests.helpers import REPO, write_config

# one worker runs them all, so the finished run is made once (pytest -n 2 --dist loadgroup)
pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("finished_run")]


@contextmanager
def edited_config(workdir: Path, section: str, key: str, value: object) -> Iterator[None]:
    """Set ``section.key`` in ``workdir/config.yaml``; restore the file afterwards."""
    path = workdir / "config.yaml"
    original = path.read_text()
    config = yaml.safe_load(original)
    config.setdefault(section, {})[key] = value
    path.write_text(yaml.safe_dump(config, sort_keys=False))
    try:
        yield
    finally:
        path.write_text(original)


@contextmanager
def appended(path: Path, text: str) -> Iterator[None]:
    """Append ``text`` to ``path``; restore its content and modification time afterwards."""
    original = path.read_bytes()
    times = path.stat()
    path.write_bytes(original + text.encode())
    try:
        yield
    finally:
        path.write_bytes(original)
        os.utime(path, ns=(times.st_atime_ns, times.st_mtime_ns))


def test_finished_run_is_up_to_date_and_used_the_user_gene_sets(finished_run: Path) -> None:
    assert planned_jobs(finished_run) == {}
    out = finished_run / "results" / "rerun"
    scores = pd.read_csv(out / "scores" / "trt_vs_ctrl.tsv", sep="\t").set_index("score")
    assert scores.loc["planted_up", "n_found"] == len(PLANTED)
    assert scores.loc["planted_up", "difference"] > 0
    assert scores.loc["planted_up", "pvalue"] < 0.001
    gsea = pd.read_csv(out / "gsea" / "trt_vs_ctrl.tsv", sep="\t")
    user = gsea[gsea["collection"] == "gsea"].set_index("term")
    assert list(user.index) == ["planted_up", "unchanged"]
    assert user.loc["planted_up", "nes"] > 0 and user.loc["planted_up", "fdr"] < 0.05
    assert user.loc["unchanged", "fdr"] > 0.25
    # the scores' user set is tested with the signatures
    signatures = gsea[gsea["collection"] == "tme_signatures"]
    assert signatures["term"].tolist() == ["planted_up"]


def test_plot_option_reruns_only_the_plots(finished_run: Path) -> None:
    with edited_config(finished_run, "de", "n_labels", 3):
        assert planned_jobs(finished_run) == {"de_plots": 1, "report": 1, "all": 1}


def test_alpha_reruns_the_tables_and_their_readers_not_the_fit(finished_run: Path) -> None:
    with edited_config(finished_run, "de", "alpha", 0.1):
        jobs = planned_jobs(finished_run)
    assert "de_fit" not in jobs
    assert jobs == {
        "de_results": 1,
        "de_plots": 1,
        "scores": 1,
        "gsea": 1,
        "gsea_dotplot": 1,
        "report": 1,
        "all": 1,
    }


@pytest.mark.parametrize(
    ("section", "key", "value", "rerun"),
    [
        ("qc", "n_top_genes", 50, "qc"),
        ("scores", "method", "ssgsea", "scores"),
        ("gsea", "n_enrichment_plots", 2, "gsea"),
    ],
)
def test_stage_option_reruns_only_that_stage(
    finished_run: Path, section: str, key: str, value: object, rerun: str
) -> None:
    with edited_config(finished_run, section, key, value):
        jobs = planned_jobs(finished_run)
    downstream = {"gsea_dotplot": 1} if rerun == "gsea" else {}
    assert jobs == {rerun: 1, **downstream, "report": 1, "all": 1}


def test_gsea_gene_set_edit_reruns_only_gsea(finished_run: Path) -> None:
    with appended(finished_run / "gsea.gmt", gmt_line("more", UNCHANGED[:20])):
        jobs = planned_jobs(finished_run)
    assert jobs == {"gsea": 1, "gsea_dotplot": 1, "report": 1, "all": 1}


def test_scores_gene_set_edit_reruns_scores_and_gsea(finished_run: Path) -> None:
    """The scores' gene sets are also tested by GSEA, with the signatures."""
    with appended(finished_run / "scores.gmt", gmt_line("more", UNCHANGED[:20])):
        jobs = planned_jobs(finished_run)
    assert jobs == {"scores": 1, "gsea": 1, "gsea_dotplot": 1, "report": 1, "all": 1}


def job_inputs(workdir: Path, *rules: str) -> dict[str, set[str]]:
    """The input files of the first job of each rule, from a dry run forcing them."""
    run = snakemake(workdir, "--dry-run", "--forcerun", *rules)
    assert run.returncode == 0, run.stderr[-3000:]
    lines = run.stdout.splitlines()
    inputs = {}
    for rule in rules:
        start = lines.index(f"rule {rule}:")
        listed = lines[start + 1].strip().removeprefix("input: ")
        inputs[rule] = set(listed.split(", "))
    return inputs


def test_bundled_and_user_gene_sets_are_rule_inputs(finished_run: Path) -> None:
    resources = REPO / "workflow" / "resources"
    signatures = str(resources / "signatures" / "tme_signatures.yaml")
    inputs = job_inputs(finished_run, "scores", "gsea")
    assert inputs["scores"] == {"results/rerun/de/model.h5ad", signatures, "scores.gmt"}
    table = "results/rerun/de/trt_vs_ctrl.tsv"
    assert inputs["gsea"] == {table, signatures, "scores.gmt", "gsea.gmt"}
    with edited_config(finished_run, "gsea", "hallmarks", True):
        hallmarks = job_inputs(finished_run, "gsea")["gsea"] - inputs["gsea"]
    assert hallmarks == {str(resources / "genesets" / "mh.all.v2022.1.Mm.symbols.gmt")}


@pytest.mark.parametrize("section", ["scores", "gsea"])
def test_missing_user_gene_set_stops_the_workflow_at_load(
    awkward_cohort: Path, section: str
) -> None:
    (awkward_cohort / "extra.gmt").write_text(gmt_line("planted_up", PLANTED))
    write_config(
        awkward_cohort / "config.yaml", **{section: {"gene_sets": ["extra.gmt", "missing.gmt"]}}
    )
    run = snakemake(awkward_cohort, "--dry-run")
    assert run.returncode != 0
    output = run.stdout + run.stderr  # a dry run logs to stdout
    problem = f"key {section}.gene_sets[1]: gene-set file 'missing.gmt' does not exist"
    assert f"config.yaml, {problem} (relative paths are read from the working directory" in output
    fix = f"How to fix: give the path of a GMT or signature YAML file in `{section}.gene_sets[1]`"
    assert fix in output
    assert "Job stats" not in output
    assert not (awkward_cohort / "results").exists()
