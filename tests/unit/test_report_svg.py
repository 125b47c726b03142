"""The report's inline SVG figures: volcano, scatter, box plots."""

from __future__ import annotations

import re

import numpy as np
import pandas as pd
import pytest

from tmeseq.report import svg

HOSTILE = "<script>alert(1)</script>"


def de_table(n: int, seed: int = 3) -> pd.DataFrame:
    """A DE table of ``n`` genes sorted by p-value: the first 10 up, the next 5 down."""
    rng = np.random.default_rng(seed)
    pvalue = np.sort(rng.uniform(1e-3, 1, n) ** 2)
    pvalue[:15] = np.logspace(-12, -7, 15)
    lfc = rng.normal(0, 0.3, n)
    lfc[:10] = 2.0
    lfc[10:15] = -2.0
    padj = np.minimum(pvalue * n / np.arange(1, n + 1), 1.0)
    padj[15:] = np.maximum(padj[15:], 0.2)
    return pd.DataFrame(
        {
            "gene_id": [f"g{i}" for i in range(n)],
            "symbol": [HOSTILE if i == 0 else f"G{i}" for i in range(n)],
            "log2FoldChange": lfc,
            "pvalue": pvalue,
            "padj": padj,
        }
    )


@pytest.mark.parametrize(
    ("low", "high", "expected"),
    [
        (0.0, 10.0, [0.0, 2.0, 4.0, 6.0, 8.0, 10.0]),
        (-2.2, 2.2, [-2.0, -1.0, 0.0, 1.0, 2.0]),
        (0.13, 0.52, [0.2, 0.3, 0.4, 0.5]),
        (3.0, 3.0, [3.0]),
    ],
)
def test_nice_ticks(low: float, high: float, expected: list[float]) -> None:
    assert svg.nice_ticks(low, high) == pytest.approx(expected)


def test_volcano_draws_the_top_genes_as_points_with_escaped_tooltips() -> None:
    figure = str(svg.volcano(de_table(5000), alpha=0.05, n_points=40, title="Volcano, a vs b"))
    tips = re.findall(r'<circle class="tip (\w+)"[^>]*data-tip="([^"]*)"', figure)
    assert len(tips) == 40
    assert [cls for cls, _ in tips].count("up") == 10
    assert [cls for cls, _ in tips].count("down") == 5
    # the most significant gene is drawn last (on top); its symbol is escaped
    assert tips[-1][1] == "&lt;script&gt;alert(1)&lt;/script&gt;\nLFC +2.00\npadj 5.0e-09"
    assert [cls for cls, _ in tips[-15:]] == ["down"] * 5 + ["up"] * 10
    assert HOSTILE not in figure and "<script" not in figure
    # the other 4,960 genes form a binned background, much smaller than one point each
    backgrounds = re.findall(r'<path class="background" fill="[^"]+" d="([^"]*)"', figure)
    assert backgrounds and sum(path.count("M") for path in backgrounds) < 4960
    assert len(figure) < 60_000
    assert "up, padj &lt; 0.05 (10)" in figure and "down, padj &lt; 0.05 (5)" in figure
    assert "<title>Volcano, a vs b</title>" in figure


def test_volcano_is_deterministic_and_keeps_the_size_bounded() -> None:
    small = svg.volcano(de_table(2000), alpha=0.05, n_points=100, title="t")
    assert small == svg.volcano(de_table(2000), alpha=0.05, n_points=100, title="t")
    large = svg.volcano(de_table(40000), alpha=0.05, n_points=100, title="t")
    assert len(large) < 3 * len(small)


def test_volcano_without_significant_genes_has_no_threshold_line() -> None:
    table = de_table(300).assign(padj=0.9)
    figure = str(svg.volcano(table, alpha=0.05, n_points=10, title="t"))
    assert 'class="threshold"' not in figure
    assert "up, padj &lt; 0.05 (0)" in figure and "not significant (300)" in figure


def test_volcano_skips_missing_values_and_draws_zero_p_values() -> None:
    table = de_table(50)
    table.loc[3, "pvalue"] = np.nan
    table.loc[4, "log2FoldChange"] = np.nan
    table.loc[0, "pvalue"] = 0.0
    figure = str(svg.volcano(table, alpha=0.05, n_points=50, title="t"))
    assert figure.count('<circle class="tip') == 48
    assert "nan" not in figure and "inf" not in figure


def test_scatter_escapes_names_and_colours_by_level() -> None:
    colouring = svg.categorical_colouring(
        "arm", ["a", "\"&'", "a"], {"a": (1.0, 0.0, 0.0), "\"&'": (0.0, 0.0, 1.0)}
    )
    figure = str(
        svg.scatter(
            np.array([0.0, 1.0, 2.0]),
            np.array([1.0, 0.0, -1.0]),
            [HOSTILE, "s2", "s3"],
            colouring,
            axis_labels=("PC1 (50.0%)", "PC2 (20.0%)"),
            title="PCA",
        )
    )
    assert HOSTILE not in figure and "\"&'" not in figure
    fills = re.findall(r'<circle class="tip"[^>]*fill="(#[0-9a-f]{6})"', figure)
    assert fills == ["#ff0000", "#0000ff", "#ff0000"]
    assert 'data-tip="&lt;script&gt;alert(1)&lt;/script&gt;\narm: a"' in figure
    assert ">&#34;&amp;&#39;</text>" in figure


def test_numeric_colouring_ramps_from_low_to_high() -> None:
    colouring = svg.numeric_colouring("age", [30.0, 50.0, np.nan])
    assert colouring.values == ["30", "50", "NA"]
    assert colouring.colours[2] == "#bbbbbb"
    assert colouring.legend[0][0] == colouring.colours[0]
    assert colouring.legend[1][0] == colouring.colours[1]


def test_box_stats_follow_tukey() -> None:
    values = np.array([1.0, 2.0, 3.0, 4.0, 5.0, 100.0, np.nan])
    low, q1, median, q3, high = svg.box_stats(values)
    assert (q1, median, q3) == pytest.approx(tuple(np.percentile(values[:-1], [25, 50, 75])))
    assert (low, high) == (1.0, 5.0)


def test_box_panel_draws_points_only_for_small_arms() -> None:
    few = svg.BoxGroup("ctrl", "#112233", [HOSTILE, "b", "c"], np.array([1.0, 2.0, 3.0]))
    many = svg.BoxGroup("trt", "#445566", [f"s{i}" for i in range(100)], np.linspace(0, 1, 100))
    figure = str(svg.box_panel("cd8_t_cells", [few, many], unit="mean z-score"))
    assert figure.count('class="tip sample"') == 3
    assert figure.count('<rect class="box"') == 2
    assert "&lt;script&gt;" in figure and HOSTILE not in figure
