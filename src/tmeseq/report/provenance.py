"""Provenance of a run: the config as run, the software versions, the SHA-256 of every file.

:func:`provenance` gathers them into one plain dictionary that the report shows and
:func:`write_json` writes as ``provenance.json`` (sorted keys, two-space indent, one trailing
newline: the same run gives the same bytes). Paths are recorded as the workflow names them
(relative to the working directory, unless the config gave absolute paths); a folder (e.g. a
folder of STAR outputs) is recorded file by file.
"""

from __future__ import annotations

import hashlib
import json
import platform
from collections.abc import Iterable, Mapping, Sequence
from importlib import metadata
from pathlib import Path
from typing import Any

from tmeseq.tables import write_text

#: The installed distributions whose versions a report records, in this order.
PACKAGES = (
    "tmeseq",
    "snakemake",
    "pydeseq2",
    "gseapy",
    "numpy",
    "scipy",
    "pandas",
    "anndata",
    "matplotlib",
    "jinja2",
)
#: Written for a distribution that is not installed.
NOT_INSTALLED = "not installed"
_CHUNK = 1 << 20


def software_versions(packages: Sequence[str] = PACKAGES) -> dict[str, str]:
    """Python's version and the installed version of each distribution in ``packages``.

    Returns
    -------
    dict of str to str
        ``{"python": "3.11.2", "tmeseq": "0.1.0", ...}``; ``"not installed"`` for a missing
        distribution.
    """
    versions = {"python": platform.python_version()}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = NOT_INSTALLED
    return versions


def sha256_file(path: str | Path) -> str:
    """SHA-256 hex digest of a file's bytes, read in 1 MiB chunks."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as handle:
        for chunk in iter(lambda: handle.read(_CHUNK), b""):
            digest.update(chunk)
    return digest.hexdigest()


def file_hashes(paths: Iterable[str | Path]) -> dict[str, str]:
    """SHA-256 of each file; a folder contributes each file under it.

    Parameters
    ----------
    paths : iterable of str or Path
        Files or folders, as the workflow names them.

    Returns
    -------
    dict of str to str
        Path (POSIX form, as given; ``folder/inner/file`` for a folder's files) -> digest,
        sorted by path.
    """
    hashes: dict[str, str] = {}
    for given in paths:
        path = Path(given)
        if path.is_dir():
            for inner in sorted(p for p in path.rglob("*") if p.is_file()):
                hashes[inner.as_posix()] = sha256_file(inner)
        else:
            hashes[path.as_posix()] = sha256_file(path)
    return dict(sorted(hashes.items()))


def provenance(
    config: Mapping[str, Any],
    inputs: Iterable[str | Path],
    outputs: Iterable[str | Path],
    versions: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """Everything needed to tell how a result tree was made.

    Parameters
    ----------
    config : mapping
        The config as run (validated, defaults filled in).
    inputs : iterable of str or Path
        The files the run read: counts, sample sheet, annotation, gene sets.
    outputs : iterable of str or Path
        The result files.
    versions : mapping, optional
        Software versions (default :func:`software_versions`).

    Returns
    -------
    dict
        ``config``, ``software`` (name -> version), ``inputs`` and ``outputs`` (path ->
        SHA-256), as plain JSON values.
    """
    return {
        "config": json.loads(json.dumps(config, sort_keys=True, default=str)),
        "software": dict(versions if versions is not None else software_versions()),
        "inputs": file_hashes(inputs),
        "outputs": file_hashes(outputs),
    }


def to_json(data: Mapping[str, Any]) -> str:
    """``data`` as deterministic JSON text: sorted keys, two-space indent, final newline."""
    return json.dumps(data, sort_keys=True, indent=2, ensure_ascii=False) + "\n"


def write_json(data: Mapping[str, Any], path: str | Path) -> None:
    """Write :func:`to_json` of ``data`` to ``path`` (UTF-8), through a temporary name."""
    write_text(to_json(data), path)
