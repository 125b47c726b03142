"""Logging for the library and for the workflow's scripts.

Library modules log through ``logging.getLogger(__name__)``; a script calls
:func:`log_to_file` once so that everything (library messages, warnings, tracebacks) lands in
the rule's log file and, in short form, on the terminal.
"""

from __future__ import annotations

import logging
import sys
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from tmeseq.errors import InputError
from tmeseq.resource_errors import memory_error_message

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


@contextmanager
def script_logging(
    path: str | Path, *, rule: str | None = None, mem_mb: int | None = None
) -> Iterator[logging.Logger]:
    """Log to ``path`` for the duration of a workflow step; a failure is logged, then ends it.

    An :class:`~tmeseq.errors.InputError` is logged as its message alone (it is the user's to
    fix), and a :class:`MemoryError` as which resource to raise and how
    (:func:`tmeseq.resource_errors.memory_error_message`); either ends the step with exit
    status 1 and no traceback, so the message is printed once. Any other exception is logged
    with its traceback and raised.

    Parameters
    ----------
    path : str or Path
        The rule's log file.
    rule : str, optional
        The step's rule, named if it runs out of memory.
    mem_mb : int, optional
        The memory the job asked for (its ``mem_mb`` resource), named likewise.
    """
    logger = log_to_file(path)
    start = time.perf_counter()
    try:
        yield logger
    except InputError as error:
        logger.error("%s", error.message)
        raise SystemExit(1) from None
    except MemoryError as error:
        # drop the frames (and the arrays they hold) before writing the message
        error.__traceback__ = None
        logger.error("%s", memory_error_message(rule, mem_mb))
        raise SystemExit(1) from None
    except Exception:
        logger.exception("step failed")
        raise
    logger.info("finished in %.1f s", time.perf_counter() - start)
