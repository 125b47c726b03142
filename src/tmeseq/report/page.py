"""The whole page: the template's variables, assembled from the sections in reading order
(answer, QC, one section per contrast, methods, provenance)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
import yaml
from markupsafe import Markup

from tmeseq.genesets import read_signatures
from tmeseq.report import sections, sentences
from tmeseq.report.context import CohortResults
from tmeseq.report.images import png_data_uri
from tmeseq.report.methods import Methods, RunFacts
from tmeseq.scores import RATIOS
from tmeseq.settings import Settings


@dataclass(frozen=True)
class Assets:
    """The template and the page's own stylesheet and script.

    Attributes
    ----------
    template : Path
        ``workflow/report/report.html.j2``.
    css, js : Path
        ``workflow/report/assets/report.css`` and ``report.js``; the template places the
        script exactly as read, so :func:`script_hash` of it is the page's only allowed
        script.
    """

    template: Path
    css: Path
    js: Path

    def inline(self) -> dict[str, Markup]:
        """The stylesheet and the script as text to place inside ``<style>`` / ``<script>``.

        Raises
        ------
        ValueError
            If either contains a closing tag, which would end its element early.
        """
        css = self.css.read_text(encoding="utf-8")
        js = self.js.read_text(encoding="utf-8")
        for text, tag, path in ((css, "</style", self.css), (js, "</script", self.js)):
            if tag in text.lower():
                raise ValueError(f"{path} contains {tag}>, which would end the element early")
        return {"css": Markup(css), "js": Markup(js), "script_hash": Markup(script_hash(js))}


def script_hash(script: str) -> str:
    """The Content-Security-Policy source allowing exactly ``script`` as an inline script:
    ``'sha256-<base64 digest>'``. Any other inline script (one injected through a name that
    escaped escaping) would be refused by the browser."""
    digest = base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def run_facts(results: CohortResults, signatures: Path, settings: Settings) -> RunFacts:
    """What the methods paragraph mentions: genes tested, scores computed with their
    citations, collections tested with their versions."""
    citations = {s.name: s.citation for s in read_signatures(signatures, settings.species).sets}
    coverage = results.coverage
    found = pd.to_numeric(coverage["n_found"]).fillna(0) > 0
    scored = [_scored(str(name), citations) for name in coverage["score"][found]]
    tested: dict[str, str] = {}
    for result in results.contrasts:
        for record in result.collections.itertuples(index=False):
            if float(record.n_sets_tested) > 0:
                version = "" if pd.isna(record.version) else str(record.version)
                tested.setdefault(str(record.collection), version)
    return RunFacts(
        n_genes=results.n_genes,
        n_tested=int(np.sum(results.tested)),
        count_format=results.count_format,
        scored=scored,
        collections=list(tested.items()),
    )


def _scored(name: str, citations: Mapping[str, str]) -> tuple[str, str]:
    """How the methods name a score, and its citation (empty for a derived ratio, whose parts
    are cited, and for a user set without one)."""
    if name in RATIOS:
        top, bottom = RATIOS[name]
        return f"{name} ({top} over {bottom})", ""
    if name in citations:
        return name, citations[name]
    return f"{name} (user set)", ""


def answer_view(results: CohortResults, settings: Settings) -> dict[str, Any]:
    """The first section: what was compared and what changed."""
    contrasts = settings.de.model.contrasts
    alpha = settings.de.test.alpha
    return {
        "arms": sections.arm_counts(results.samples, contrasts),
        "tme_rows": sections.tme_rows(results.tme, contrasts, alpha),
        "sentences": [sentences.contrast_sentence(results.tme, c, alpha) for c in contrasts],
        "score_boxes": png_data_uri(results.inputs.score_boxes),
    }


def provenance_view(record: Mapping[str, Any]) -> dict[str, Any]:
    """The provenance section: config as YAML text, versions, hashes."""
    return {
        "config": yaml.safe_dump(record["config"], sort_keys=True, allow_unicode=True),
        "software": sorted(record["software"].items()),
        "inputs": sorted(record["inputs"].items()),
        "outputs": sorted(record["outputs"].items()),
    }


def page_data(
    settings: Settings, contrasts: list[dict[str, Any]], results: CohortResults
) -> dict[str, Any]:
    """The page's data block (JSON, for scripts and tests): contrasts, DE counts and the TME
    table's calls."""
    alpha = settings.de.test.alpha
    return {
        "cohort": settings.cohort,
        "alpha": alpha,
        "contrasts": [
            {key: view[key] for key in ("name", "slug", "label", "n_up", "n_down", "n_tested")}
            for view in contrasts
        ],
        "tme": [
            {
                "parameter": row["parameter"],
                "calls": {
                    c.name: cell["call"]
                    for c, cell in zip(settings.de.model.contrasts, row["cells"], strict=True)
                },
            }
            for row in sections.tme_rows(results.tme, settings.de.model.contrasts, alpha)
        ],
    }


def page_context(
    results: CohortResults,
    settings: Settings,
    *,
    record: Mapping[str, Any],
    written: Methods,
    html_dir: Path,
    assets: Assets,
    generated: str,
) -> dict[str, Any]:
    """The template's variables.

    Parameters
    ----------
    results : CohortResults
        The finished result tree.
    settings : Settings
        The settings the run used.
    record : mapping
        :func:`tmeseq.report.provenance.provenance` of the run.
    written : Methods
        The methods paragraph and references.
    html_dir : Path
        Folder of ``report.html`` (links are relative to it).
    assets : Assets
        Template, stylesheet, script.
    generated : str
        The timestamp line (:func:`tmeseq.report.render.build_time`).
    """
    gsea = settings.gsea
    options = sections.ContrastOptions(
        alpha=settings.de.test.alpha,
        top_genes=settings.report.top_genes,
        volcano_points=settings.report.volcano_points,
        gsea_top_sets=settings.report.gsea_top_sets,
        permutations=gsea.permutations if gsea.method == "permutation" else None,
        html_dir=html_dir,
    )
    contrasts = [sections.contrast_view(results, r, options) for r in results.contrasts]
    return {
        "cohort": settings.cohort,
        "species": settings.species,
        "design": settings.de.model.design,
        "alpha": f"{settings.de.test.alpha:g}",
        "generated": generated,
        "version": record["software"].get("tmeseq", ""),
        "contrasts": contrasts,
        "answer": answer_view(results, settings),
        "qc": sections.qc_view(results, settings),
        "nes_dotplot": png_data_uri(results.inputs.nes_dotplot),
        "methods": written,
        "provenance": provenance_view(record),
        "data": page_data(settings, contrasts, results),
        **assets.inline(),
    }
