"""The HTML report of a result tree, built by the report step from files written here (no
workflow run): sections and hooks in order, escaping, empty sections, reproducibility, size."""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
from pathlib import Path
from typing import Any

import anndata as ad
import numpy as np
import pandas as pd
import pytest
from PIL import Image
from snakemake.utils import validate

from tests.helpers import REPO
from tmeseq.report.context import CONTRAST_INPUTS
from tmeseq.report.sections import arm_note
from tmeseq.scores.tme import TME_PARAMETERS, tme_comparison
from tmeseq.settings import Contrast, Settings
from tmeseq.steps import report
from tmeseq.tables import write_tsv

SCHEMA = REPO / "workflow" / "schemas" / "config.schema.yaml"
HOSTILE_SAMPLE = "<script>alert(1)</script>"
HOSTILE_LEVEL = "\"&'"
HOSTILE_SYMBOL = "<img src=x onerror=alert(2)>"
N_GENES = 400


def png(path: Path, colour: tuple[int, int, int]) -> None:
    """A small RGBA figure."""
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.new("RGBA", (60, 40), (*colour, 255)).save(path)


def de_table(planted: bool, seed: int) -> pd.DataFrame:
    """A DE table sorted by p-value; with ``planted`` the first 20 genes are up."""
    rng = np.random.default_rng(seed)
    pvalue = np.sort(rng.uniform(0.01, 1, N_GENES))
    lfc = rng.normal(0, 0.2, N_GENES)
    if planted:
        pvalue[:20] = np.logspace(-10, -5, 20)
        lfc[:20] = 2.0
    padj = np.minimum(1.0, pvalue * N_GENES / np.arange(1, N_GENES + 1))
    symbols = [HOSTILE_SYMBOL if i == 0 else f"Gene{i}" for i in range(N_GENES)]
    return pd.DataFrame(
        {
            "gene_id": [f"ENSG{i:05d}" for i in range(N_GENES)],
            "symbol": symbols,
            "baseMean": rng.uniform(10, 1000, N_GENES),
            "log2FoldChange": lfc,
            "lfcSE": 0.3,
            "stat": lfc / 0.3,
            "pvalue": pvalue,
            "padj": padj,
            "log2FoldChange_shrunk": lfc * 0.9,
            "lfcSE_shrunk": 0.28,
        }
    )


def score_table(planted: bool, names: list[str]) -> pd.DataFrame:
    """A score comparison table; with ``planted`` every score is up, else none differs; the
    last score has no gene found."""
    n = len(names)
    found = [2] * (n - 1) + [0]
    return pd.DataFrame(
        {
            "score": names,
            "n_genes": 2,
            "n_found": found,
            "mean_test": 1.0,
            "mean_reference": 0.0,
            "difference": [1.5 if planted else 0.1] * (n - 1) + [np.nan],
            "pvalue": [1e-4 if planted else 0.6] * (n - 1) + [np.nan],
            "padj": [1e-3 if planted else 0.7] * (n - 1) + [np.nan],
            "scale": ["mean_z"] * n,
        }
    )


def write_tree(root: Path, *, planted: bool = True, gsea: bool = True) -> dict[str, Any]:
    """A finished result tree of cohort ``c`` (6 samples, a hostile sample and level, two
    contrasts) and the report step's arguments for it."""
    out = root / "results" / "c"
    samples = [HOSTILE_SAMPLE, "s2", "s3", "s4", "s5", "s6"]
    arms = ["ctrl", HOSTILE_LEVEL] * 3
    obs = pd.DataFrame(
        {"arm": pd.Categorical(arms), "age": [30.0, 41, 52, 38, 60, 45], "batch": ["b1"] * 6},
        index=pd.Index(samples),
    )
    counts = ad.AnnData(np.zeros((6, N_GENES)), obs=obs)
    counts.uns["tmeseq"] = {"import": {"format": "matrix"}}
    (out / "de" / "plots").mkdir(parents=True)
    (out / "qc").mkdir()
    (out / "scores").mkdir()
    (out / "gsea" / "plots").mkdir(parents=True)
    counts.write_h5ad(out / "counts.h5ad")
    model = ad.AnnData(np.zeros((6, N_GENES)), obs=obs)
    model.var["tested"] = np.arange(N_GENES) >= 10
    model.uns["de"] = {"design": "~ arm", "trend": {"kind": "parametric"}}
    model.write_h5ad(out / "de" / "model.h5ad")
    rng = np.random.default_rng(2)
    write_tsv(
        pd.DataFrame(
            {
                "sample": samples,
                "library_size": rng.integers(1_000_000, 5_000_000, 6),
                "detected_genes": 390,
                "pct_top_genes": 20.0,
                "nearest_correlation": 0.95,
                "outlier": [True, False, False, False, False, False],
                "outlier_reason": ["highest correlation with any other sample is 0.5", *[""] * 5],
            }
        ),
        out / "qc" / "library_stats.tsv",
    )
    pcs = rng.normal(0, 1, (6, 3)) + np.array([[3.0, 0, 0]]) * (np.arange(6) % 2)[:, None]
    pca = pd.DataFrame(pcs, columns=["PC1", "PC2", "PC3"])
    pca.insert(0, "sample", samples)
    write_tsv(pca, out / "qc" / "pca.tsv")
    write_tsv(
        pd.DataFrame(
            {
                "component": ["PC1", "PC2", "PC3"],
                "variance_explained": [0.5, 0.2, 0.1],
                "cumulative": [0.5, 0.7, 0.8],
            }
        ),
        out / "qc" / "pca_variance.tsv",
    )
    for i, name in enumerate(("library_sizes", "pca", "sample_correlation")):
        png(out / "qc" / f"{name}.png", (10 * i, 100, 200))
    contrasts = ["amp.q_vs_ctrl", "ctrl_vs_amp.q"]
    names = [p.score for p in TME_PARAMETERS] + ["absent_score"]
    per_contrast = {}
    summary = []
    for k, name in enumerate(contrasts):
        table = de_table(planted, seed=k)
        write_tsv(table, out / "de" / f"{name}.tsv")
        n_up = int(((table["padj"] < 0.05) & (table["log2FoldChange"] > 0)).sum())
        summary.append({"contrast": name, "n_genes": N_GENES, "n_tested": N_GENES - 10})
        summary[-1].update({"n_up": n_up, "n_down": 0, "n_outliers": 0, "n_low_counts": 0})
        png(out / "de" / "plots" / f"{name}.ma.png", (200, 10 * k, 0))
        scores = score_table(planted, names)
        per_contrast[name] = scores
        write_tsv(scores, out / "scores" / f"{name}.tsv")
        write_tsv(gsea_table(gsea), out / "gsea" / f"{name}.tsv")
        write_tsv(collections_table(gsea), out / "gsea" / f"{name}.collections.tsv")
        png(out / "gsea" / "plots" / f"{name}.enrichment.png", (0, 200, 10 * k))
    write_tsv(
        pd.DataFrame(summary).assign(alpha=0.05, lfc_threshold=0.0), out / "de" / "summary.tsv"
    )
    sample_scores = pd.DataFrame(rng.normal(0, 1, (6, len(names))), columns=names)
    sample_scores["absent_score"] = np.nan
    sample_scores.insert(0, "sample", samples)
    write_tsv(sample_scores, out / "scores" / "sample_scores.tsv")
    coverage = pd.DataFrame(
        {"score": names, "n_genes": 2, "n_found": [2] * (len(names) - 1) + [0], "scale": "mean_z"}
    )
    write_tsv(coverage, out / "scores" / "coverage.tsv")
    write_tsv(tme_comparison(per_contrast, 0.05), out / "scores" / "tme_comparison.tsv")
    png(out / "scores" / "score_boxplots.png", (90, 90, 90))
    png(out / "gsea" / "nes_dotplot.png", (50, 50, 50))
    (root / "counts.tsv").write_text("gene_id\n")
    (root / "samples.tsv").write_text("sample\n")
    return arguments(root, contrasts)


def gsea_table(present: bool) -> pd.DataFrame:
    columns = ["collection", "term", "size", "es", "nes", "pvalue", "fdr", "leading_edge"]
    if not present:
        return pd.DataFrame(columns=columns)
    rows = [
        ("hallmark_mouse", "HALLMARK_<B>", 40, 0.7, 2.5, 0.0, 0.0, "a;b"),
        ("hallmark_mouse", "HALLMARK_TWO", 30, -0.5, -1.8, 0.004, 0.03, "c"),
    ]
    return pd.DataFrame(rows, columns=columns)


def collections_table(present: bool) -> pd.DataFrame:
    return pd.DataFrame(
        {
            "collection": ["hallmark_mouse"],
            "version": ["2022.1"],
            "sha256": ["0" * 64],
            "source": ["mh.gmt"],
            "n_sets": [50],
            "n_sets_tested": [2 if present else 0],
            "n_genes": [4000],
            "n_genes_found": [10],
            "coverage": [0.9 if present else 0.0025],
            "low_coverage": [not present],
            "note": [""],
        }
    )


def config_for(contrasts: list[str]) -> dict[str, Any]:
    levels = [(HOSTILE_LEVEL, "ctrl"), ("ctrl", HOSTILE_LEVEL)]
    config: dict[str, Any] = {
        "cohort": "c",
        "species": "mouse",
        "samples": "samples.tsv",
        "counts": {"path": "counts.tsv"},
        "de": {
            "design": "~ arm",
            "contrasts": [
                {"name": n, "variable": "arm", "test": t, "reference": r}
                for n, (t, r) in zip(contrasts, levels, strict=True)
            ],
        },
        "gsea": {"permutations": 1000},
    }
    validate(config, str(SCHEMA))
    return config


def arguments(root: Path, contrasts: list[str]) -> dict[str, Any]:
    out = root / "results" / "c"
    files = {
        "counts": out / "counts.h5ad",
        "model": out / "de" / "model.h5ad",
        "library_stats": out / "qc" / "library_stats.tsv",
        "library_plot": out / "qc" / "library_sizes.png",
        "pca": out / "qc" / "pca.tsv",
        "pca_variance": out / "qc" / "pca_variance.tsv",
        "pca_plot": out / "qc" / "pca.png",
        "correlation_plot": out / "qc" / "sample_correlation.png",
        "de_summary": out / "de" / "summary.tsv",
        "sample_scores": out / "scores" / "sample_scores.tsv",
        "coverage": out / "scores" / "coverage.tsv",
        "tme": out / "scores" / "tme_comparison.tsv",
        "score_boxes": out / "scores" / "score_boxplots.png",
        "nes_dotplot": out / "gsea" / "nes_dotplot.png",
        "signatures": REPO / "workflow" / "resources" / "signatures" / "tme_signatures.yaml",
        "template": REPO / "workflow" / "report" / "report.html.j2",
        "css": REPO / "workflow" / "report" / "assets" / "report.css",
        "js": REPO / "workflow" / "report" / "assets" / "report.js",
    }
    patterns = {
        "de_tables": "de/{}.tsv",
        "ma_plots": "de/plots/{}.ma.png",
        "score_tables": "scores/{}.tsv",
        "gsea_tables": "gsea/{}.tsv",
        "gsea_collections": "gsea/{}.collections.tsv",
        "enrichment_plots": "gsea/plots/{}.enrichment.png",
    }
    assert set(patterns) == set(CONTRAST_INPUTS)
    for key, pattern in patterns.items():
        files[key] = [out / pattern.format(name) for name in contrasts]
    config = config_for(contrasts)
    results = sorted(p for p in out.rglob("*") if p.is_file())
    return {
        "inputs": files,
        "outputs": {"html": out / "report.html", "provenance": out / "provenance.json"},
        "settings": Settings.from_config(config),
        "config": config,
        "sources": [root / "counts.tsv", root / "samples.tsv"],
        "results": results,
    }


@pytest.fixture
def tree(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> dict[str, Any]:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    return write_tree(tmp_path)


def build(args: dict[str, Any]) -> str:
    report.run(**args)
    return Path(args["outputs"]["html"]).read_text(encoding="utf-8")


def test_sections_come_in_reading_order_with_their_hooks(tree: dict[str, Any]) -> None:
    page = build(tree)
    order = [
        'id="answer"',
        'id="tme-table"',
        'id="qc"',
        'id="pc-association"',
        'id="contrast-amp-q_vs_ctrl"',
        'id="contrast-ctrl_vs_amp-q"',
        'id="methods"',
        'id="provenance"',
    ]
    positions = [page.index(hook) for hook in order]
    assert positions == sorted(positions)
    rows = re.findall(r'<tr data-parameter="([^"]*)">', page)
    assert rows == [p.label for p in TME_PARAMETERS]
    assert page.count('<table class="top-genes sortable"') == 2
    assert page.count('<th scope="col" aria-sort="none"><button type="button">symbol') == 2
    assert '<input type="search" class="table-search" data-table="genes-amp-q_vs_ctrl"' in page
    # the full table is linked relative to the report
    assert '<a class="full-table" href="de/amp.q_vs_ctrl.tsv">' in page
    assert '<p class="generated">Generated 2023-11-14 22:13:20 UTC by tmeseq' in page


def test_answer_gives_arms_calls_and_one_sentence_per_contrast(tree: dict[str, Any]) -> None:
    page = build(tree)
    assert "<dt>Samples per arm</dt><dd>ctrl: 3, &#34;&amp;&#39;: 3</dd>" in page
    sentences = re.findall(r'<li class="sentence" data-contrast="([^"]*)">([^<]*)</li>', page)
    assert [name for name, _ in sentences] == ["amp.q_vs_ctrl", "ctrl_vs_amp.q"]
    assert sentences[0][1] == (
        "&#34;&amp;&#39; vs ctrl (padj &lt; 0.05): CD8+ T-cell, CD8+/Treg ratio, NK, Treg, "
        "M1/M2 ratio, effector, IFNG, GZMB, PRF1 and PD-L1 up."
    )
    cell = re.search(r'<tr data-parameter="Treg infiltration">.*?</tr>', page, re.S)
    assert cell is not None
    assert (
        '<td class="call up" data-contrast="amp.q_vs_ctrl" data-call="up"><span class="arrow" '
        'aria-hidden="true">↑</span> <span class="difference">+1.50</span> '
        '<span class="padj">padj 0.001</span></td>'
    ) in cell.group(0)
    assert '<td class="scale">mean z-score</td>' in cell.group(0)


def test_user_strings_never_appear_unescaped(tree: dict[str, Any]) -> None:
    page = build(tree)
    for raw in (HOSTILE_SAMPLE, HOSTILE_LEVEL, HOSTILE_SYMBOL, "HALLMARK_<B>"):
        assert raw not in page
    assert f"<td>{html.escape(HOSTILE_SYMBOL)}</td>" in page
    assert "<td>HALLMARK_&lt;B&gt;</td>" in page
    assert "<li><strong>&lt;script&gt;alert(1)&lt;/script&gt;</strong>: highest" in page
    assert re.findall(r"<script\b[^>]*>", page) == [
        '<script type="application/json" id="report-data">',
        "<script>",
    ]
    data = re.search(r'id="report-data">(.*?)</script>', page, re.S)
    assert data is not None and "<" not in data.group(1) and "&" not in data.group(1)
    parsed = json.loads(data.group(1))
    assert parsed["contrasts"][0]["label"] == f"{HOSTILE_LEVEL} vs ctrl"
    assert parsed["tme"][0] == {
        "calls": {"amp.q_vs_ctrl": "up", "ctrl_vs_amp.q": "up"},
        "parameter": "CD8+ T-cell infiltration",
    }


def test_only_the_page_script_may_run(tree: dict[str, Any]) -> None:
    page = build(tree)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]*)"', page)
    assert policy is not None
    script = re.search(r"<script>(.*?)</script>", page, re.S)
    assert script is not None
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert f"script-src 'sha256-{digest}';" in policy.group(1)
    assert "default-src 'none'" in policy.group(1) and "img-src data:" in policy.group(1)
    # nothing is fetched: no src or href leaves the page
    sources = re.findall(r'(?:src|href)="([^"#][^"]*)"', page)
    assert all(s.startswith("data:image/png;base64,") or not re.match(r"\w+:", s) for s in sources)
    assert [s for s in sources if not s.startswith("data:")] == [
        "de/amp.q_vs_ctrl.tsv",
        "de/ctrl_vs_amp.q.tsv",
        "provenance.json",
    ]


def test_qc_section_relates_components_to_covariates(tree: dict[str, Any]) -> None:
    page = build(tree)
    qc = re.search(r'<section id="qc">.*?</section>', page, re.S)
    assert qc is not None
    section = qc.group(0)
    assert section.count('<svg class="figure scatter"') == 2  # arm and age; batch is constant
    assert "batch: a single value for every sample (not drawn)." in section
    assert '<tr data-covariate="arm"><th scope="row">arm</th><td>factor</td>' in section
    assert '<tr data-covariate="age"><th scope="row">age</th><td>numeric</td>' in section
    assert '<td class="muted">a single value</td>' in section
    assert "390 of 400 genes were fitted; 10 were removed by the pre-filter" in section
    assert "at least 10 reads in at least the smallest group" in section


def test_contrast_sections_show_counts_tables_and_gsea_floors(tree: dict[str, Any]) -> None:
    page = build(tree)
    section = re.search(r'<section id="contrast-amp-q_vs_ctrl".*?</section>', page, re.S)
    assert section is not None
    text = section.group(0)
    assert "<strong>20</strong> genes up and <strong>0</strong> down at padj &lt; 0.05" in text
    assert text.count('<circle class="tip') >= N_GENES - 1
    genes = re.search(r'<table class="top-genes.*?</table>', text, re.S)
    assert genes is not None and genes.group(0).count("<tr>") == 51  # header + 50 genes
    # permutation p-values of 0 read as the bound 1/1000
    assert '<td>&lt; 0.001</td><td data-sort="0">&lt; 0.001</td>' in text
    assert "absent_score: none of its 2 genes was found in the data (not scored)." in text
    assert text.count('<svg class="figure boxes"') == len(TME_PARAMETERS)


def test_empty_sections_say_why(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1700000000")
    page = build(write_tree(tmp_path, planted=False, gsea=False))
    assert "<strong>0</strong> genes up and <strong>0</strong> down" in page
    assert re.search(
        r'<p class="empty-note">No gene has padj &lt; 0.05 in this contrast \(400 genes tested; '
        r"smallest padj [0-9.]+\)\.</p>",
        page,
    )
    assert (
        "No gene set was tested: hallmark_mouse: 0 of 50 sets within the size limits, "
        "gene coverage 0%."
    ) in page
    assert "(padj &lt; 0.05): no TME parameter differs.</li>" in page
    assert "No gene-set collection was tested (GSEA skipped)." in page


def test_same_inputs_give_the_same_bytes(tree: dict[str, Any]) -> None:
    first = build(tree)
    assert build(tree) == first
    provenance = Path(tree["outputs"]["provenance"]).read_bytes()
    build(tree)
    assert Path(tree["outputs"]["provenance"]).read_bytes() == provenance


def test_without_source_date_epoch_only_the_timestamp_line_differs(
    tree: dict[str, Any], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("SOURCE_DATE_EPOCH")
    monkeypatch.setattr("tmeseq.report.render.time.time", lambda: 1_000_000_000.0)
    first = build(tree).splitlines()
    monkeypatch.setattr("tmeseq.report.render.time.time", lambda: 1_500_000_000.0)
    second = build(tree).splitlines()
    differing = [(a, b) for a, b in zip(first, second, strict=True) if a != b]
    assert len(differing) == 1
    assert "Generated 2001-09-09 01:46:40 UTC" in differing[0][0]
    assert "Generated 2017-07-14 02:40:00 UTC" in differing[0][1]


def test_provenance_records_config_versions_and_every_file(tree: dict[str, Any]) -> None:
    page = build(tree)
    record = json.loads(Path(tree["outputs"]["provenance"]).read_text())
    assert record["config"] == json.loads(json.dumps(tree["config"]))
    html_path = Path(tree["outputs"]["html"]).as_posix()
    assert record["outputs"][html_path] == hashlib.sha256(page.encode()).hexdigest()
    for path in tree["results"]:
        assert record["outputs"][path.as_posix()] == hashlib.sha256(path.read_bytes()).hexdigest()
    assert set(record["inputs"]) == {p.as_posix() for p in tree["sources"]}
    section = re.search(r'<section id="provenance">.*?</section>', page, re.S)
    assert section is not None
    assert f"SHA-256 of the {len(tree['results'])} result files" in section.group(0)
    assert "volcano_points: 1000" in section.group(0)


def test_figures_are_embedded_once_and_compactly(tree: dict[str, Any]) -> None:
    page = build(tree)
    images = re.findall(r'src="data:image/png;base64,([^"]+)"', page)
    # library sizes, PCA, correlation, score box plots, NES dot plot, MA and enrichment x 2
    assert len(images) == 9
    decoded = Image.open(io.BytesIO(base64.b64decode(images[0])))
    assert decoded.mode == "P" and decoded.size == (60, 40)


def test_report_settings_defaults_come_from_the_schema(tree: dict[str, Any]) -> None:
    settings = tree["settings"].report
    assert (settings.top_genes, settings.volcano_points, settings.gsea_top_sets) == (50, 1000, 20)
    assert type(settings).from_param(settings.as_param()) == settings


def test_an_arm_with_too_few_samples_is_named() -> None:
    samples = pd.DataFrame({"arm": ["a", "a", "a", "b"]}, index=["s1", "s2", "s3", "s4"])
    assert arm_note(samples, Contrast("b_vs_a", "arm", "b", "a")) == (
        "Too few samples to compare: b has 1 sample(s) (at least 2 per arm are needed for a "
        "variance estimate); its tests are unreliable or missing."
    )
    assert arm_note(samples, Contrast("a_vs_a", "arm", "a", "a")) == ""
    assert arm_note(samples, Contrast("slope", coefficients=(("x", 1.0),))) == ""


def test_methods_cite_each_scored_signature_and_name_the_ratios(tree: dict[str, Any]) -> None:
    page = build(tree)
    methods = re.search(r'<p id="methods-text">(.*?)</p>', page, re.S)
    references = re.findall(r"<li>(.*?)</li>", page.split('<ol id="references">')[1])
    assert methods is not None
    text = methods.group(1)
    cd8 = re.search(r"cd8_t_cells \[(\d+)\]", text)
    assert cd8 is not None and "MCP-counter" in references[int(cd8.group(1)) - 1]
    assert "cd8_treg_ratio (cd8_t_cells over tregs)," in text
    assert "absent_score" not in text  # no gene found: not scored
    assert "Differential expression was tested with tmeseq&#39;s implementation of DESeq2 [1]" in (
        text
    )
    assert references[0].startswith("Love MI, Huber W, Anders S.")


def test_an_untested_collection_is_named_under_a_non_empty_gsea_table() -> None:
    from types import SimpleNamespace

    from tmeseq.report.sections import gsea_rows

    gsea = pd.DataFrame(
        {
            "collection": ["hallmark"],
            "term": ["HALLMARK_INTERFERON_GAMMA_RESPONSE"],
            "size": [120],
            "es": [0.6],
            "nes": [2.1],
            "pvalue": [0.001],
            "fdr": [0.01],
            "leading_edge": ["Stat1;Irf1"],
        }
    )
    collections = pd.DataFrame(
        {
            "collection": ["hallmark", "my_sets"],
            "n_sets": [50, 3],
            "n_sets_tested": [48, 0],
            "coverage": [0.9, 0.0],
            "note": ["", "not tested: no gene of my_sets in the counts"],
        }
    )
    rows, note = gsea_rows(SimpleNamespace(gsea=gsea, collections=collections), 10, 1000)
    assert [row["term"] for row in rows] == ["HALLMARK_INTERFERON_GAMMA_RESPONSE"]
    assert note == "Not tested: no gene of my_sets in the counts."
    tested_only = collections.iloc[:1]
    assert gsea_rows(SimpleNamespace(gsea=gsea, collections=tested_only), 10, 1000)[1] == ""
