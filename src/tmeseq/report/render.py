"""Rendering the report: a Jinja2 environment with autoescape, escaped JSON data blocks, and
the one timestamp.

Autoescape is on for every template, so any value the template prints is HTML-escaped unless
it is :class:`markupsafe.Markup` made by this package (the SVG figures, which escape their own
text, and the JSON blocks below). Data for the page's script travel in
``<script type="application/json">`` blocks written by :func:`json_script`, in which ``<``,
``>`` and ``&`` are ``\\u003c``, ``\\u003e`` and ``\\u0026``: a string cannot close the block or
start a comment, and ``JSON.parse`` reads the same values back.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined
from markupsafe import Markup, escape

#: Environment variable fixing the report's timestamp (seconds since the epoch, UTC).
SOURCE_DATE_EPOCH = "SOURCE_DATE_EPOCH"

_JSON_ESCAPES = {ord("<"): "\\u003c", ord(">"): "\\u003e", ord("&"): "\\u0026"}


def json_script(data: Any, element_id: str) -> Markup:
    """A ``<script type="application/json">`` block holding ``data``.

    Parameters
    ----------
    data : any
        JSON-serialisable data; keys are sorted so the block is deterministic.
    element_id : str
        The block's ``id`` (escaped).

    Returns
    -------
    markupsafe.Markup
        The element; ``<``, ``>`` and ``&`` inside the JSON are written as ``\\u003c``,
        ``\\u003e`` and ``\\u0026``.
    """
    text = json.dumps(data, sort_keys=True, ensure_ascii=False, allow_nan=False)
    return Markup(
        f'<script type="application/json" id="{escape(element_id)}">'
        f"{text.translate(_JSON_ESCAPES)}</script>"
    )


def build_time(environ: Mapping[str, str] | None = None) -> str:
    """The report's timestamp: ``SOURCE_DATE_EPOCH`` when set, else now; UTC, to the second.

    Parameters
    ----------
    environ : mapping, optional
        The environment (default ``os.environ``).

    Returns
    -------
    str
        E.g. ``"2026-01-31 12:00:00 UTC"``.

    Raises
    ------
    ValueError
        If ``SOURCE_DATE_EPOCH`` is set but is not a whole number of seconds.
    """
    environ = os.environ if environ is None else environ
    value = environ.get(SOURCE_DATE_EPOCH)
    if value is None or value == "":
        seconds = int(time.time())
    elif value.strip().isdigit():
        seconds = int(value)
    else:
        raise ValueError(f"{SOURCE_DATE_EPOCH} must be whole seconds since 1970, got {value!r}")
    return time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime(seconds))


def environment(template_dir: str | Path) -> Environment:
    """The Jinja2 environment of the report: autoescape on for every template, undefined
    names an error, and :func:`json_script` available as a global."""
    env = Environment(
        loader=FileSystemLoader(str(template_dir)),
        autoescape=True,
        undefined=StrictUndefined,
        keep_trailing_newline=True,
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.globals["json_script"] = json_script
    return env


def render(template: str | Path, context: Mapping[str, Any]) -> str:
    """Render ``template`` (a file) with ``context``.

    Parameters
    ----------
    template : str or Path
        The template file (``workflow/report/report.html.j2``).
    context : mapping
        The template's variables.

    Returns
    -------
    str
        The HTML.
    """
    path = Path(template)
    return environment(path.parent).get_template(path.name).render(**context)
