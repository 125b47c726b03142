"""Logging for the library and for the workflow's scripts.

Library modules log through ``logging.getLogger(__name__)``; a script calls
:func:`log_to_file` once so that everything (library messages, warnings, tracebacks) lands in
the rule's log file and, in short form, on the terminal.
"""

from __future__ import annotations

import logging
import sys
import warnings
from pathlib import Path

FORMAT = "%(asctime)s [%(levelname)s] %(name)s: %(message)s"


def log_to_file(path: str | Path, level: int = logging.INFO) -> logging.Logger:
    """Send the ``tmeseq`` logger (and Python warnings) to ``path`` and to stderr.

    Parameters
    ----------
    path : str or Path
        The rule's log file; its folder is created if needed.
    level : int
        The lowest level written (default: ``logging.INFO``).

    Returns
    -------
    logging.Logger
        The package's root logger.
    """
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    logger = logging.getLogger("tmeseq")
    logger.setLevel(level)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    file_handler = logging.FileHandler(path, mode="w")
    file_handler.setFormatter(logging.Formatter(FORMAT))
    stream_handler = logging.StreamHandler(sys.stderr)
    stream_handler.setFormatter(logging.Formatter("[tmeseq] %(levelname)s: %(message)s"))
    stream_handler.setLevel(logging.WARNING)
    logger.addHandler(file_handler)
    logger.addHandler(stream_handler)
    logging.captureWarnings(True)
    warnings_logger = logging.getLogger("py.warnings")
    warnings_logger.handlers = [file_handler]
    warnings.simplefilter("default")
    return logger
