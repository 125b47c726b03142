"""User-facing errors: every one says which file, where in it, what is wrong and how to fix it."""

from __future__ import annotations

import difflib
from collections.abc import Iterable
from pathlib import Path


class InputError(ValueError):
    """A problem with something the user supplied (config, sample sheet, counts, annotation).

    Parameters
    ----------
    problem : str
        What is wrong, in the user's terms.
    file : str or Path, optional
        The file the problem is in.
    where : str, optional
        The row, column, key or level concerned (e.g. ``"row 4 (sample 'T-01')"``).
    fix : str, optional
        What the user should do about it.
    """

    def __init__(
        self,
        problem: str,
        *,
        file: str | Path | None = None,
        where: str | None = None,
        fix: str | None = None,
    ) -> None:
        self.problem = problem
        self.file = str(file) if file is not None else None
        self.where = where
        self.fix = fix
        super().__init__(self.message)

    @property
    def message(self) -> str:
        """The full message: location, problem, and the fix on its own line."""
        location = ", ".join(part for part in (self.file, self.where) if part)
        text = f"{location}: {self.problem}" if location else self.problem
        if self.fix:
            text += f"\n  How to fix: {self.fix}"
        return text

    def __str__(self) -> str:
        return self.message


class InputErrors(InputError):
    """Several input problems found in one pass, reported together."""

    def __init__(self, errors: list[InputError]) -> None:
        self.errors = errors
        body = "\n".join(f"- {e.message}" for e in errors)
        super().__init__(f"{len(errors)} problems found in the inputs:\n{body}")


def did_you_mean(value: str, choices: Iterable[object]) -> str:
    """``"did you mean 'x'? "`` for the closest of ``choices`` to a misspelt ``value``, or an
    empty string when none is close."""
    close = difflib.get_close_matches(value, [str(c) for c in choices], n=1, cutoff=0.6)
    return f"did you mean '{close[0]}'? " if close else ""
