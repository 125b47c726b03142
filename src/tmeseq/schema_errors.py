"""Config mistakes in the user's words: JSON-Schema errors translated into one line each.

``snakemake.utils.validate`` reports a schema violation by dumping the whole config and the
schema (hundreds of lines for one misspelt key). :func:`check_config` validates first and
raises one :class:`~tmeseq.errors.InputError` naming the key path, the bad value, what is
allowed, a "did you mean" for misspelt keys and values, and YAML's boolean trap: unquoted
``on``, ``off``, ``yes``, ``no``, ``true`` and ``false`` are read as booleans.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError, best_match

from tmeseq.errors import InputError, did_you_mean

#: What YAML 1.1 (PyYAML) reads as booleans when unquoted, in the spellings people use.
YAML_BOOLEAN_WORDS = "On/Off, yes/no, true/false, y/n"


def load_schema(path: str | Path) -> dict[str, Any]:
    """The JSON Schema (YAML file) of a config."""
    with Path(path).open(encoding="utf-8") as handle:
        schema: dict[str, Any] = yaml.safe_load(handle)
    return schema


def check_config(
    config: Mapping[str, Any], schema: Mapping[str, Any], config_file: str | Path | None
) -> None:
    """Raise one readable :class:`InputError` for the config's first schema violation.

    Parameters
    ----------
    config : mapping
        The config as the user wrote it (before defaults are filled in).
    schema : mapping
        The config's JSON Schema.
    config_file : str or Path, optional
        The file named in the message.

    Raises
    ------
    InputError
        ``<file>, key <path>: <problem>`` with ``How to fix: ...``.
    """
    validator = Draft202012Validator(schema)
    error = best_match(validator.iter_errors(dict(config)))
    if error is not None:
        raise translate(error, schema, config_file)


def translate(
    error: ValidationError, schema: Mapping[str, Any], config_file: str | Path | None
) -> InputError:
    """One schema error as an :class:`InputError` (key path, value, allowed, fix)."""
    path = key_path(error.absolute_path)
    handler = _HANDLERS.get(str(error.validator), _generic)
    problem, fix = handler(error, schema)
    where = f"key {path}" if path else "top level"
    return InputError(problem, file=config_file, where=where, fix=fix)


def key_path(parts: Sequence[str | int]) -> str:
    """``de.contrasts[0].test`` from jsonschema's path parts."""
    text = ""
    for part in parts:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _show(value: object) -> str:
    if isinstance(value, bool):
        return f"{value} (a boolean)"
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _boolean_trap(value: object) -> str | None:
    if isinstance(value, bool):
        return (
            f"YAML reads the unquoted words {YAML_BOOLEAN_WORDS} as booleans, so this value "
            "became " + str(value).lower() + "; quote it, e.g. 'On'"
        )
    return None


def _unknown_keys(error: ValidationError, schema: Mapping[str, Any]) -> tuple[str, str]:
    allowed = sorted(_subschema(schema, error.absolute_schema_path).get("properties", {}))
    extra = sorted(set(error.instance) - set(allowed))
    name = extra[0] if extra else "?"
    hint = did_you_mean(name, allowed)
    return (
        f"unknown key '{name}'",
        f"{hint}keys allowed here: {', '.join(allowed)} (config/README.md lists them all)",
    )


def _enum(error: ValidationError, schema: Mapping[str, Any]) -> tuple[str, str]:
    allowed = [str(v) for v in error.validator_value]
    value = error.instance
    trap = _boolean_trap(value)
    if trap:
        return f"{_show(value)} is not one of {', '.join(allowed)}", trap
    hint = did_you_mean(str(value), allowed)
    return (
        f"{_show(value)} is not one of {', '.join(allowed)}",
        f"{hint}use one of {', '.join(allowed)}",
    )


def _type(error: ValidationError, schema: Mapping[str, Any]) -> tuple[str, str]:
    expected = error.validator_value
    wanted = " or ".join(expected) if isinstance(expected, list) else str(expected)
    value = error.instance
    trap = _boolean_trap(value) if "boolean" not in wanted else None
    problem = f"{_show(value)} should be of type {wanted}"
    return problem, trap or f"give a value of type {wanted}"


def _required(error: ValidationError, schema: Mapping[str, Any]) -> tuple[str, str]:
    missing = [key for key in error.validator_value if key not in error.instance]
    name = missing[0] if missing else "?"
    return f"required key '{name}' is missing", f"add `{name}:` (config/README.md describes it)"


def _one_of(error: ValidationError, schema: Mapping[str, Any]) -> tuple[str, str]:
    return (
        f"{_show(error.instance)} matches none of the allowed forms",
        "give either {name, variable, test, reference} or {name, coefficients} "
        "(config/README.md shows both)",
    )


def _generic(error: ValidationError, schema: Mapping[str, Any]) -> tuple[str, str]:
    return f"{_show(error.instance)}: {error.message}", "see config/README.md for this key"


def _subschema(schema: Mapping[str, Any], path: Sequence[str | int]) -> Mapping[str, Any]:
    """The schema node holding the failing keyword (``path`` ends with the keyword)."""
    node: Any = schema
    for part in list(path)[:-1]:
        node = node[part]
    return node if isinstance(node, Mapping) else {}


_HANDLERS = {
    "additionalProperties": _unknown_keys,
    "enum": _enum,
    "type": _type,
    "required": _required,
    "oneOf": _one_of,
}
