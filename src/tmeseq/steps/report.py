"""Workflow step ``report``: the self-contained ``report.html`` and ``provenance.json``."""

from __future__ import annotations

import logging
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from tmeseq.report.context import ReportInputs, load_results
from tmeseq.report.methods import methods
from tmeseq.report.page import Assets, page_context, run_facts
from tmeseq.report.provenance import provenance, sha256_file, software_versions, write_json
from tmeseq.report.render import build_time, render
from tmeseq.settings import Settings
from tmeseq.tables import write_text

logger = logging.getLogger(__name__)


def run(
    inputs: Mapping[str, Any],
    outputs: Mapping[str, str | Path],
    *,
    settings: Settings,
    config: Mapping[str, Any],
    sources: Sequence[str | Path],
    results: Sequence[str | Path],
) -> None:
    """Write the report of a finished run and its provenance record.

    Parameters
    ----------
    inputs : mapping
        The rule's named inputs: the result files by role (see
        :class:`tmeseq.report.context.ReportInputs`; per-contrast lists in config order),
        ``signatures``, and ``template``, ``css``, ``js``.
    outputs : mapping
        ``html`` and ``provenance`` paths.
    settings : Settings
        The settings the run used.
    config : mapping
        The config as run (validated, defaults filled in), recorded as is.
    sources : sequence of str or Path
        The files the run read (counts, sample sheet, annotation, gene sets): hashed as inputs.
    results : sequence of str or Path
        The result files: hashed as outputs.
    """
    started = time.perf_counter()
    files = ReportInputs.from_inputs(inputs, settings.contrast_names)
    tree = load_results(files, settings.de.model.contrasts)
    versions = software_versions()
    record = provenance(config, sources, results, versions)
    written = methods(settings, run_facts(tree, files.signatures, settings), versions)
    html_path = Path(outputs["html"])
    assets = Assets(Path(inputs["template"]), Path(inputs["css"]), Path(inputs["js"]))
    context = page_context(
        tree,
        settings,
        record=record,
        written=written,
        html_dir=html_path.parent,
        assets=assets,
        generated=build_time(),
    )
    write_text(render(assets.template, context), html_path)
    outputs_with_report = {**record["outputs"], html_path.as_posix(): sha256_file(html_path)}
    write_json(
        {**record, "outputs": dict(sorted(outputs_with_report.items()))}, outputs["provenance"]
    )
    logger.info(
        "report.html: %.1f MB for %d samples and %d contrasts, built in %.1f s",
        html_path.stat().st_size / 1e6,
        len(tree.samples),
        len(tree.contrasts),
        time.perf_counter() - started,
    )
