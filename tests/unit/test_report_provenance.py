"""Provenance of a run: file hashes, versions, deterministic JSON."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

from tmeseq.report import provenance


def test_file_hashes_cover_folders_file_by_file(tmp_path: Path) -> None:
    (tmp_path / "star" / "b").mkdir(parents=True)
    (tmp_path / "star" / "a.tab").write_bytes(b"gene\t1\n")
    (tmp_path / "star" / "b" / "c.tab").write_bytes(b"gene\t2\n")
    (tmp_path / "samples.tsv").write_text("sample\n")
    hashes = provenance.file_hashes([tmp_path / "star", tmp_path / "samples.tsv"])
    root = tmp_path.as_posix()
    assert list(hashes) == [f"{root}/samples.tsv", f"{root}/star/a.tab", f"{root}/star/b/c.tab"]
    assert hashes[f"{root}/star/a.tab"] == hashlib.sha256(b"gene\t1\n").hexdigest()
    assert provenance.sha256_file(tmp_path / "samples.tsv") == (
        hashlib.sha256(b"sample\n").hexdigest()
    )


def test_provenance_is_plain_sorted_json(tmp_path: Path) -> None:
    (tmp_path / "in.tsv").write_text("x\n")
    (tmp_path / "out.tsv").write_text("y\n")
    config = {"species": "mouse", "cohort": "c", "de": {"contrasts": [{"name": "b_vs_a"}]}}
    versions = {"python": "3.11.2", "tmeseq": "0.1.0"}
    record = provenance.provenance(config, [tmp_path / "in.tsv"], [tmp_path / "out.tsv"], versions)
    assert record["config"] == config
    assert record["software"] == versions
    path = tmp_path / "provenance.json"
    provenance.write_json(record, path)
    text = path.read_text()
    assert text.endswith("}\n") and json.loads(text) == record
    assert list(json.loads(text)) == ["config", "inputs", "outputs", "software"]
    assert text.index('"cohort"') < text.index('"species"')
    provenance.write_json(record, tmp_path / "again.json")
    assert (tmp_path / "again.json").read_bytes() == path.read_bytes()


def test_software_versions_name_every_tool_of_the_methods() -> None:
    versions = provenance.software_versions()
    for name in ("python", "tmeseq", "snakemake", "pydeseq2", "gseapy", "numpy", "scipy"):
        assert versions[name] and versions[name] != provenance.NOT_INSTALLED
    assert provenance.software_versions(("surely-not-a-package",))["surely-not-a-package"] == (
        provenance.NOT_INSTALLED
    )
