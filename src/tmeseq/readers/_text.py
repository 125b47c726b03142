"""Opening count files as text: gzip-aware (by content, not by name), UTF-8, with a peek.

Every reader goes through these helpers so that a gzipped file is recognised by its magic
bytes whatever it is called, and so that undecodable or corrupt files become an
:class:`~tmeseq.errors.InputError` naming the file.
"""

from __future__ import annotations

import gzip
import io
import zlib
from pathlib import Path
from typing import TextIO

from tmeseq.errors import InputError

GZIP_MAGIC = b"\x1f\x8b"
HDF5_MAGIC = b"\x89HDF\r\n\x1a\n"
ZIP_MAGIC = b"PK\x03\x04"
ENCODING = "utf-8-sig"


def starts_with(path: Path, magic: bytes) -> bool:
    """Whether the file's first bytes are ``magic``.

    Parameters
    ----------
    path : Path
        A regular file.
    magic : bytes
        The signature to compare with.

    Returns
    -------
    bool
        True when the file begins with ``magic``.
    """
    with path.open("rb") as handle:
        return handle.read(len(magic)) == magic


def is_gzip(path: Path) -> bool:
    """Whether ``path`` is gzip-compressed (judged by its magic bytes)."""
    return starts_with(path, GZIP_MAGIC)


def open_text(path: Path) -> TextIO:
    """Open ``path`` for reading as UTF-8 text, decompressing gzip transparently.

    The handle uses ``newline=""`` so that it can be given to :mod:`csv`.
    """
    if is_gzip(path):
        return io.TextIOWrapper(gzip.open(path, "rb"), encoding=ENCODING, newline="")
    return path.open(encoding=ENCODING, newline="")


def refuse_zip(path: Path) -> None:
    """Raise for a zip archive (typically an Excel workbook) given where a table is expected."""
    if starts_with(path, ZIP_MAGIC):
        raise InputError(
            "is a zip archive (an Excel .xlsx workbook?), not a text table",
            file=path,
            fix="export the sheet as tab- or comma-separated text (TSV/CSV), or unzip it",
        )


def unreadable(path: Path, error: Exception) -> InputError:
    """The error for a file that cannot be decoded or decompressed."""
    return InputError(
        f"could not be read as text ({type(error).__name__}: {error})",
        file=path,
        fix="give a plain-text (UTF-8) or gzip-compressed table; re-export or re-download it "
        "if it is truncated",
    )


def peek_lines(path: Path, count: int = 20) -> list[str]:
    """The first ``count`` lines of ``path``, without line endings.

    Parameters
    ----------
    path : Path
        A text or gzipped text file.
    count : int
        How many lines to return at most.

    Returns
    -------
    list of str
        The lines (fewer if the file is shorter).

    Raises
    ------
    InputError
        If the file is a zip archive, not UTF-8 text, or a corrupt gzip stream.
    """
    refuse_zip(path)
    lines: list[str] = []
    try:
        with open_text(path) as handle:
            for line in handle:
                lines.append(line.rstrip("\r\n"))
                if len(lines) >= count:
                    break
    except (OSError, EOFError, UnicodeDecodeError, zlib.error) as error:
        raise unreadable(path, error) from error
    return lines


def display_name(path: Path) -> str:
    """The file's name without a trailing ``.gz``."""
    name = path.name
    return name[: -len(".gz")] if name.endswith(".gz") else name
