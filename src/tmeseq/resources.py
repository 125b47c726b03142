"""Where the bundled resources are: the one module that knows.

The bundled files (MSigDB Hallmark GMTs, the TME signature YAML, the gene ID and ortholog
tables, the example cohort) live in the repository under ``workflow/resources``
(:data:`RESOURCES_DIR`), beside the workflow that uses them. Inside a workflow run the rules
pass their paths to the steps as inputs, built from the workflow's own folder with the names
below, so the library never has to look for them.

Outside a run (tests, notebooks, the ``tmeseq`` command) :func:`bundled_path` finds them in
the source tree the package was installed from:

1. the folder named by the environment variable :data:`SOURCE_ENV` (the workflow sets it to its
   own folder, see ``workflow/rules/common.smk``), else
2. the project folder pip recorded for a local install (``pip install -e .`` or
   ``pip install .``; PEP 610 ``direct_url.json``).

A wheel from a package index records no source tree; pass explicit paths then.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from importlib import metadata
from pathlib import Path
from types import MappingProxyType
from urllib.parse import unquote, urlparse

__all__ = [
    "HALLMARK_FILES",
    "ID_TABLES",
    "ORTHOLOG_TABLE",
    "RESOURCES_DIR",
    "SIGNATURES_FILE",
    "SOURCE_ENV",
    "SPECIES_ID_TABLES",
    "bundled_path",
    "source_tree",
]

RESOURCES_DIR = "workflow/resources"
"""The bundled resources' folder, relative to the repository (the workflow's folder)."""

SOURCE_ENV = "TMESEQ_SOURCE"
"""Environment variable naming the tmeseq source tree (the repository checkout)."""

HALLMARK_FILES: Mapping[str, str] = MappingProxyType(
    {
        "human": "genesets/h.all.v7.0.symbols.gmt",
        "mouse": "genesets/mh.all.v2022.1.Mm.symbols.gmt",
    }
)
"""MSigDB Hallmark GMT per species, relative to :data:`RESOURCES_DIR`."""

SIGNATURES_FILE = "signatures/tme_signatures.yaml"
"""The TME signature YAML, relative to :data:`RESOURCES_DIR`."""

ID_TABLES: Mapping[str, str] = MappingProxyType(
    {
        "ensembl_human": "annotation/human_ensembl.tsv.gz",
        "ensembl_mouse": "annotation/mouse_ensembl.tsv.gz",
        "entrez_human": "annotation/human_entrez.tsv.gz",
    }
)
"""The bundled gene ID -> symbol tables (:mod:`tmeseq.idmap`), relative to
:data:`RESOURCES_DIR`; built by ``tools/build_id_tables.py``, sources in
``annotation/SOURCE.md``."""

SPECIES_ID_TABLES: Mapping[str, tuple[str, ...]] = MappingProxyType(
    {"human": ("ensembl_human", "entrez_human"), "mouse": ("ensembl_mouse",)}
)
"""The :data:`ID_TABLES` a run of each species may read (when no annotation is given)."""

ORTHOLOG_TABLE = "annotation/human_mouse_orthologs.tsv.gz"
"""The bundled human <-> mouse ortholog table, relative to :data:`RESOURCES_DIR`."""


def source_tree() -> Path | None:
    """The repository checkout tmeseq comes from, or None when it is not known.

    Returns
    -------
    Path or None
        ``$TMESEQ_SOURCE`` if set, else the local project folder pip recorded when it
        installed the package (PEP 610), else None.
    """
    explicit = os.environ.get(SOURCE_ENV)
    if explicit:
        return Path(explicit)
    try:
        recorded = metadata.distribution("tmeseq").read_text("direct_url.json")
    except metadata.PackageNotFoundError:
        return None
    if not recorded:
        return None
    url = urlparse(json.loads(recorded).get("url", ""))
    return Path(unquote(url.path)) if url.scheme == "file" else None


def bundled_path(name: str) -> Path:
    """Locate a bundled file or folder under ``workflow/resources`` of the source tree.

    Parameters
    ----------
    name : str
        Path relative to ``workflow/resources``, e.g. ``"signatures/tme_signatures.yaml"``.

    Returns
    -------
    Path
        The existing file or folder.

    Raises
    ------
    FileNotFoundError
        If the source tree is unknown or does not hold ``name``; the message says how to fix it.
    """
    tree = source_tree()
    path = tree / RESOURCES_DIR / name if tree is not None else None
    if path is None or not path.exists():
        where = f"not found at {path}" if path is not None else "not found: no source tree known"
        raise FileNotFoundError(
            f"bundled resource {RESOURCES_DIR}/{name} {where}; install tmeseq from a checkout "
            f"of its repository (pip install -e .), set {SOURCE_ENV} to the checkout, or pass "
            "the file's path explicitly"
        )
    return path
