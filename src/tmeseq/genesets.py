"""Gene-set collections: GMT files (e.g. MSigDB Hallmarks) and the TME signature YAML.

Two readers produce the same typed form, a :class:`Collection` of :class:`GeneSet`:

- :func:`read_gmt` reads a GMT file (one set per line: name, description, genes; tab-separated).
- :func:`read_signatures` reads a signature YAML file for one species.

The bundled files live in the repository under ``workflow/resources`` (found through
:mod:`tmeseq.resources`): ``genesets/`` holds the vendored MSigDB Hallmark GMTs (CC BY 4.0, see
the README there) and ``signatures/tme_signatures.yaml`` the project's TME signature sets.

What a run tests is assembled here from explicit paths: :func:`signature_collection` (the
signatures with the user's extra gene sets, for the scores and GSEA) and
:func:`gsea_collections` (every collection a GSEA run tests, with its smallest set size).

Signature YAML schema
---------------------
Users may supply their own file with the same schema::

    name: my_signatures          # optional; defaults to the file's stem
    version: "2026.11"           # required, a quoted string (so 2026.10 is not read as 2026.1)
    description: free text       # required
    sets:                        # required, a non-empty list
      - name: cd8_t_cells        # required, unique; letters, digits, '_', '.', '-'
        description: text        # required
        citation: text           # required, non-empty: the paper and where the list came from
        human: [CD8A, CD8B]      # gene symbols for each species the file supports
        mouse: [Cd8a, Cd8b1]     #   (at least one of human / mouse; no duplicates)
        weights:                 # optional: per-species gene -> number, keys exactly the genes
          human: {CD8A: 0.5, CD8B: 0.5}
          mouse: {Cd8a: 0.5, Cd8b1: 0.5}
        notes: text              # optional: ortholog caveats and curation remarks

Unknown keys are rejected, so a typo (``weigths:``) is reported rather than ignored. Reading a
file for a species that one of its sets does not list is an error naming the set.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, get_args

import yaml

from tmeseq.errors import InputError
from tmeseq.resources import HALLMARK_FILES, SIGNATURES_FILE, bundled_path
from tmeseq.settings import Species

__all__ = [
    "HALLMARK_CITATION",
    "Collection",
    "GeneSet",
    "Species",
    "bundled_path",
    "combine",
    "gsea_collections",
    "hallmark_path",
    "read_gene_sets",
    "read_gmt",
    "read_hallmarks",
    "read_signatures",
    "signature_collection",
    "signatures_path",
]

HALLMARK_CITATION = (
    "Liberzon A, Birger C, Thorvaldsdottir H, Ghandi M, Mesirov JP, Tamayo P. The Molecular "
    "Signatures Database (MSigDB) hallmark gene set collection. Cell Systems 1(6):417-425 (2015). "
    "MSigDB gene sets, CC BY 4.0."
)

_SET_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_.\-]*$")
_VERSION_IN_NAME = re.compile(r"\.v(\d+(?:\.\d+)*)")
_TOP_KEYS = frozenset({"name", "version", "description", "sets"})
_SET_KEYS = frozenset({"name", "description", "citation", "human", "mouse", "weights", "notes"})


@dataclass(frozen=True)
class GeneSet:
    """One named gene set.

    Attributes
    ----------
    name : str
        Set name (a GMT term, or a signature name that becomes a score name).
    genes : tuple of str
        Gene symbols, in file order, without duplicates.
    weights : dict of str to float, or None
        Per-gene weights (keys exactly ``genes``) for weighted scores; None when unweighted.
    description : str
        Free text (for GMT files, the second column, often a URL).
    citation : str
        Where the list comes from; empty when the source gave none.
    """

    name: str
    genes: tuple[str, ...]
    weights: dict[str, float] | None = field(hash=False)
    description: str
    citation: str


@dataclass(frozen=True)
class Collection:
    """A versioned collection of gene sets read from one file.

    Attributes
    ----------
    name : str
        Collection name (the file stem unless given).
    version : str
        Release or version string; empty when unknown.
    sha256 : str
        SHA-256 hex digest of the file's bytes, to record which file a result used.
    source : str
        The path the collection was read from, as given by the caller.
    sets : tuple of GeneSet
        The sets, in file order.
    """

    name: str
    version: str
    sha256: str
    source: str
    sets: tuple[GeneSet, ...]

    @property
    def names(self) -> tuple[str, ...]:
        """Set names, in file order."""
        return tuple(s.name for s in self.sets)

    def get(self, name: str) -> GeneSet:
        """Return the set called ``name``.

        Raises
        ------
        KeyError
            If no set has that name.
        """
        for gene_set in self.sets:
            if gene_set.name == name:
                return gene_set
        raise KeyError(f"no gene set {name!r} in collection {self.name!r}")

    def to_dict(self) -> dict[str, list[str]]:
        """Return ``{set name: [genes]}``, the form gseapy accepts as ``gene_sets``."""
        return {s.name: list(s.genes) for s in self.sets}


# ---------------------------------------------------------------------------------------------
# Bundled files


def hallmark_path(species: Species) -> Path:
    """Path of the bundled MSigDB Hallmark GMT for ``species`` (outside a workflow run).

    Human: MSigDB v7.0 (``h.all.v7.0.symbols.gmt``); mouse: MSigDB Mouse v2022.1
    (``mh.all.v2022.1.Mm.symbols.gmt``).
    """
    return bundled_path(HALLMARK_FILES[_check_species(species)])


def signatures_path() -> Path:
    """Path of the bundled TME signature YAML (outside a workflow run)."""
    return bundled_path(SIGNATURES_FILE)


def read_hallmarks(species: Species, path: str | Path | None = None) -> Collection:
    """Read the Hallmark collection for ``species``, with its citation attached.

    Parameters
    ----------
    species : {"human", "mouse"}
        Names the collection (``hallmark_human`` / ``hallmark_mouse``).
    path : str or Path, optional
        The Hallmark GMT; the bundled file of ``species`` when not given.
    """
    species = _check_species(species)
    name = "hallmark_human" if species == "human" else "hallmark_mouse"
    gmt = hallmark_path(species) if path is None else path
    return read_gmt(gmt, name=name, citation=HALLMARK_CITATION)


# ---------------------------------------------------------------------------------------------
# GMT


def read_gmt(
    path: str | Path,
    *,
    name: str | None = None,
    version: str | None = None,
    citation: str = "",
) -> Collection:
    """Read a GMT file.

    Each non-blank line is ``name<TAB>description<TAB>gene1<TAB>gene2...``. Trailing tabs and
    Windows line ends are tolerated; a gene listed twice in one set is kept once.

    Parameters
    ----------
    path : str or Path
        The GMT file.
    name : str, optional
        Collection name; defaults to the file's stem.
    version : str, optional
        Version string; defaults to the ``.v<number>`` part of the file name (``"7.0"`` for
        ``h.all.v7.0.symbols.gmt``), or ``""`` if there is none.
    citation : str
        Citation given to every set.

    Returns
    -------
    Collection

    Raises
    ------
    InputError
        If the file cannot be read, is empty, or has a malformed line (too few fields, no
        tabs, empty name or gene, a duplicated set name); the message names the line.
    """
    path = Path(path)
    data = _read_bytes(path, "gene-set (GMT)")
    text = _decode(data, path)
    sets: list[GeneSet] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip():
            continue
        gene_set = _parse_gmt_line(line, number, path, citation)
        if gene_set.name in seen:
            raise InputError(
                f"gene set {gene_set.name!r} appears twice (first on line {seen[gene_set.name]})",
                file=path,
                where=f"line {number}",
                fix="give every set a unique name, or merge the two lines",
            )
        seen[gene_set.name] = number
        sets.append(gene_set)
    if not sets:
        raise InputError(
            "the file holds no gene sets",
            file=path,
            fix="a GMT file has one line per set: name<TAB>description<TAB>gene1<TAB>gene2...",
        )
    return Collection(
        name=name or _gmt_stem(path),
        version=version if version is not None else _version_from_name(path.name),
        sha256=hashlib.sha256(data).hexdigest(),
        source=str(path),
        sets=tuple(sets),
    )


def _parse_gmt_line(line: str, number: int, path: Path, citation: str) -> GeneSet:
    """Parse one GMT line into a :class:`GeneSet`, or raise :class:`InputError`."""
    fix = "each line must be name<TAB>description<TAB>gene1<TAB>gene2..., separated by tabs"
    where = f"line {number}"
    fields = line.rstrip("\t").split("\t")
    if len(fields) < 3:
        problem = (
            "no tab-separated fields (spaces are not separators)"
            if len(fields) == 1
            else f"only {len(fields)} field(s); a set needs a name, a description and >= 1 gene"
        )
        raise InputError(problem, file=path, where=where, fix=fix)
    set_name = fields[0].strip()
    if not set_name:
        raise InputError("the set name (first field) is empty", file=path, where=where, fix=fix)
    genes = [g.strip() for g in fields[2:]]
    if any(not g for g in genes):
        raise InputError(
            f"set {set_name!r} has an empty gene field (two tabs in a row)",
            file=path,
            where=where,
            fix="remove the extra tab",
        )
    return GeneSet(
        name=set_name,
        genes=tuple(dict.fromkeys(genes)),
        weights=None,
        description=fields[1].strip(),
        citation=citation,
    )


def _gmt_stem(path: Path) -> str:
    """File name without ``.gmt`` (and without a ``.txt`` some downloads add)."""
    name = path.name
    for suffix in (".txt", ".gmt"):
        name = name.removesuffix(suffix)
    return name


def _version_from_name(filename: str) -> str:
    """``"7.0"`` from ``h.all.v7.0.symbols.gmt``; ``""`` when no ``.v<number>`` part."""
    match = _VERSION_IN_NAME.search(filename)
    return match.group(1) if match else ""


# ---------------------------------------------------------------------------------------------
# Signature YAML


def read_signatures(path: str | Path, species: Species) -> Collection:
    """Read a signature YAML file (schema in the module docstring) for one species.

    Parameters
    ----------
    path : str or Path
        The YAML file, e.g. :func:`signatures_path()`.
    species : {"human", "mouse"}
        Which gene list (and weights) of each set to return.

    Returns
    -------
    Collection
        One :class:`GeneSet` per entry of ``sets``, in file order, with that species' genes.

    Raises
    ------
    InputError
        If the file is not valid YAML or does not follow the schema; the message names the set
        and key concerned.
    """
    species = _check_species(species)
    path = Path(path)
    data = _read_bytes(path, "signature (YAML)")
    document = _load_yaml(data, path)
    entries = _check_top_level(document, path)
    sets = tuple(
        _parse_signature(entry, index, species, path) for index, entry in enumerate(entries)
    )
    _check_unique_names(sets, path)
    return Collection(
        name=str(document.get("name") or path.stem),
        version=document["version"],
        sha256=hashlib.sha256(data).hexdigest(),
        source=str(path),
        sets=sets,
    )


def _load_yaml(data: bytes, path: Path) -> Any:
    """Parse YAML bytes, turning parser errors into :class:`InputError`."""
    try:
        return yaml.safe_load(_decode(data, path))
    except yaml.YAMLError as exc:
        raise InputError(
            f"not valid YAML: {exc}",
            file=path,
            fix="check indentation and quoting near the position given",
        ) from exc


def _check_top_level(document: Any, path: Path) -> list[Any]:
    """Validate the top-level mapping and return the list under ``sets``."""
    fix = "see the schema in the tmeseq.genesets module docstring"
    if not isinstance(document, dict):
        raise InputError(
            "the file must be a mapping with keys version, description, sets", file=path, fix=fix
        )
    unknown = sorted(set(map(str, document)) - _TOP_KEYS)
    if unknown:
        raise InputError(f"unknown top-level key(s) {unknown}", file=path, fix=fix)
    for key in ("version", "description"):
        if not isinstance(document.get(key), str) or not document[key].strip():
            raise InputError(
                f"top-level {key!r} is missing or not a string",
                file=path,
                where=f"key {key!r}",
                fix='give it as a quoted string, e.g. version: "2026.11"',
            )
    entries = document.get("sets")
    if not isinstance(entries, list) or not entries:
        raise InputError("'sets' must be a non-empty list of gene sets", file=path, fix=fix)
    return entries


def _parse_signature(entry: Any, index: int, species: Species, path: Path) -> GeneSet:
    """Validate one entry of ``sets`` and build the :class:`GeneSet` for ``species``."""
    where = f"sets[{index}]"
    if not isinstance(entry, dict):
        raise InputError("each set must be a mapping", file=path, where=where)
    name = entry.get("name")
    if not isinstance(name, str) or not _SET_NAME.match(name):
        raise InputError(
            f"set name {name!r} is missing or invalid",
            file=path,
            where=where,
            fix="use letters, digits, '_', '.', '-', starting with a letter (it becomes a "
            "score name)",
        )
    where = f"set {name!r}"
    unknown = sorted(set(map(str, entry)) - _SET_KEYS)
    if unknown:
        raise InputError(
            f"unknown key(s) {unknown}",
            file=path,
            where=where,
            fix=f"allowed keys: {sorted(_SET_KEYS)}",
        )
    for key in ("description", "citation"):
        if not isinstance(entry.get(key), str) or not entry[key].strip():
            raise InputError(
                f"{key!r} is missing or empty",
                file=path,
                where=where,
                fix=f"every set needs a non-empty {key!r}",
            )
    genes = _gene_list(entry.get(species), species, where, path)
    weights = _weights(entry.get("weights"), species, genes, where, path)
    return GeneSet(
        name=name,
        genes=genes,
        weights=weights,
        description=" ".join(entry["description"].split()),
        citation=" ".join(entry["citation"].split()),
    )


def _gene_list(value: Any, species: Species, where: str, path: Path) -> tuple[str, ...]:
    """Validate the ``human:`` / ``mouse:`` list of one set."""
    if value is None:
        raise InputError(
            f"no {species!r} gene list",
            file=path,
            where=where,
            fix=f"add '{species}: [GENE1, GENE2, ...]' to the set, or use the other species",
        )
    if not isinstance(value, list) or not value:
        raise InputError(
            f"{species!r} must be a non-empty list of gene symbols", file=path, where=where
        )
    if any(not isinstance(g, str) or not g.strip() for g in value):
        raise InputError(
            f"{species!r} holds a value that is not a gene symbol",
            file=path,
            where=where,
            fix="quote symbols YAML would read as numbers or booleans (e.g. 'NO', '1-Mar')",
        )
    genes = tuple(g.strip() for g in value)
    duplicates = sorted({g for g in genes if genes.count(g) > 1})
    if duplicates:
        raise InputError(
            f"{species!r} lists {duplicates} more than once",
            file=path,
            where=where,
            fix="list each gene once",
        )
    return genes


def _weights(
    value: Any, species: Species, genes: tuple[str, ...], where: str, path: Path
) -> dict[str, float] | None:
    """Validate the optional ``weights:`` mapping and return the one for ``species``."""
    if value is None:
        return None
    fix = "weights: {human: {GENE: number, ...}, mouse: {Gene: number, ...}}, keys = the genes"
    if not isinstance(value, dict) or not isinstance(value.get(species), dict):
        raise InputError(f"'weights' has no {species!r} mapping", file=path, where=where, fix=fix)
    raw = value[species]
    if set(map(str, raw)) != set(genes):
        missing = sorted(set(genes) - set(map(str, raw)))
        extra = sorted(set(map(str, raw)) - set(genes))
        raise InputError(
            f"{species!r} weights do not match the gene list (missing {missing}, extra {extra})",
            file=path,
            where=where,
            fix=fix,
        )
    if any(isinstance(w, bool) or not isinstance(w, int | float) for w in raw.values()):
        raise InputError(f"{species!r} weights must be numbers", file=path, where=where, fix=fix)
    return {g: float(raw[g]) for g in genes}


def _check_unique_names(sets: tuple[GeneSet, ...], path: Path) -> None:
    """Reject two sets with the same name."""
    names = [s.name for s in sets]
    duplicates = sorted({n for n in names if names.count(n) > 1})
    if duplicates:
        raise InputError(
            f"set name(s) {duplicates} used more than once",
            file=path,
            fix="give every set a unique name",
        )


# ---------------------------------------------------------------------------------------------
# Shared helpers


def _check_species(species: str) -> Species:
    """Return ``species`` if it is ``"human"`` or ``"mouse"``, else raise ``ValueError``."""
    if species not in get_args(Species):
        raise ValueError(f"species must be 'human' or 'mouse', not {species!r}")
    return species  # type: ignore[return-value]


def _read_bytes(path: Path, kind: str) -> bytes:
    """Read a file's bytes, turning a missing or unreadable file into :class:`InputError`."""
    try:
        return path.read_bytes()
    except OSError as exc:
        raise InputError(
            f"cannot read the {kind} file: {exc.strerror or exc}",
            file=path,
            fix="check the path in your config (relative paths resolve against the working "
            "directory)",
        ) from exc


def _decode(data: bytes, path: Path) -> str:
    """Decode UTF-8 (a leading byte-order mark is dropped)."""
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise InputError(
            f"not UTF-8 text (byte {exc.start} cannot be decoded)",
            file=path,
            fix="save the file as UTF-8 plain text",
        ) from exc


# ---------------------------------------------------------------------------------------------
# User gene sets


def read_gene_sets(path: str | Path, species: Species) -> Collection:
    """Read a user's gene-set file: a GMT (``.gmt``) or a signature YAML (anything else).

    Parameters
    ----------
    path : str or Path
        The file.
    species : {"human", "mouse"}
        Which gene lists of a YAML file to use (GMT files are taken as they are).

    Returns
    -------
    Collection
    """
    path = Path(path)
    if path.name.lower().endswith((".gmt", ".gmt.gz")):
        return read_gmt(path)
    return read_signatures(path, species)


def combine(base: Collection, extra: Sequence[Collection], *, replace: bool = False) -> Collection:
    """The sets of ``base`` with the users' sets added; a user set replaces a base set of the
    same name. With ``replace``, only the users' sets are kept.

    The combined collection keeps ``base``'s name; its version and SHA-256 list every file
    (``"2026.11+user.gmt:<sha>"``) so a result records exactly what it used.
    """
    sets = {} if replace else {s.name: s for s in base.sets}
    for collection in extra:
        sets.update({s.name: s for s in collection.sets})
    parts = [] if replace else [base]
    parts += list(extra)
    return Collection(
        name=base.name,
        version="+".join(p.version or "unversioned" for p in parts),
        sha256="+".join(p.sha256 for p in parts),
        source=";".join(p.source for p in parts),
        sets=tuple(sets.values()),
    )


# ---------------------------------------------------------------------------------------------
# What a run tests


def signature_collection(
    path: str | Path,
    species: Species,
    extra: Sequence[str | Path] = (),
    *,
    replace: bool = False,
) -> Collection:
    """The signature sets a run scores: a signature YAML plus the user's gene-set files.

    Parameters
    ----------
    path : str or Path
        The signature YAML (the bundled ``tme_signatures.yaml`` in a workflow run).
    species : {"human", "mouse"}
        Which gene lists to use.
    extra : sequence of str or Path
        User gene-set files (GMT or signature YAML, see :func:`read_gene_sets`); a set named
        like one of ``path`` replaces it.
    replace : bool
        Keep only the sets of ``extra``.

    Returns
    -------
    Collection
        Named after ``path``'s collection; version and SHA-256 list every file used.
    """
    signatures = read_signatures(path, species)
    if not extra:
        return signatures
    users = [read_gene_sets(file, species) for file in extra]
    return combine(signatures, users, replace=replace)


def gsea_collections(
    species: Species,
    *,
    hallmarks: str | Path | None,
    signatures: str | Path | None,
    extra_signatures: Sequence[str | Path],
    replace_signatures: bool,
    gmts: Sequence[str | Path],
    min_size: int,
    signature_min_size: int,
) -> list[tuple[Collection, int]]:
    """The collections a GSEA run tests, in a fixed order, each with its smallest set size.

    Parameters
    ----------
    species : {"human", "mouse"}
        Names the Hallmark collection and picks the signatures' gene lists.
    hallmarks : str or Path, optional
        The Hallmark GMT; None leaves the Hallmarks out.
    signatures : str or Path, optional
        The signature YAML; None leaves the signatures out.
    extra_signatures : sequence of str or Path
        The user's gene-set files tested with the signatures (:func:`signature_collection`).
    replace_signatures : bool
        Whether those replace the YAML's sets.
    gmts : sequence of str or Path
        User GMT files, each one collection named after its file.
    min_size : int
        Smallest set tested in the Hallmarks and the user GMTs.
    signature_min_size : int
        Smallest set tested among the signatures, whose sets are short lists.

    Returns
    -------
    list of (Collection, int)
        Hallmarks, then signatures, then the GMTs in the given order.
    """
    tested: list[tuple[Collection, int]] = []
    if hallmarks is not None:
        tested.append((read_hallmarks(species, hallmarks), min_size))
    if signatures is not None:
        chosen = signature_collection(
            signatures, species, extra_signatures, replace=replace_signatures
        )
        tested.append((chosen, signature_min_size))
    tested += [(read_gmt(path), min_size) for path in gmts]
    return tested
