"""Logging setup for one workflow job: messages go to the job's log file and to stderr."""

import logging
import signal
import sys
from pathlib import Path

FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


def configure_job_logging(log_path: str | Path | None, *, level: int = logging.INFO) -> None:
    """Send log records of every junoml module to log_path (created with its folder) and stderr.

    Also turns SIGTERM into SystemExit, so that a job stopped with SIGTERM (kill, scancel, a batch
    system's time limit) removes its unfinished temporary outputs on the way out. Call it from the
    main thread of a job script.
    """
    handlers: list[logging.Handler] = [logging.StreamHandler(sys.stderr)]
    if log_path:
        Path(log_path).parent.mkdir(parents=True, exist_ok=True)
        handlers.append(logging.FileHandler(log_path, mode="w"))
    logging.basicConfig(level=level, format=FORMAT, handlers=handlers, force=True)
    logging.captureWarnings(True)
    sys.excepthook = _log_uncaught
    signal.signal(signal.SIGTERM, _exit_on_sigterm)


def _log_uncaught(exc_type, exc, tb) -> None:
    """Write an uncaught exception with its traceback to the job log (and stderr) before the job exits."""
    logging.getLogger("junoml").critical("job failed: %s", exc, exc_info=(exc_type, exc, tb))


def _exit_on_sigterm(signum, frame) -> None:
    """Stop the job with exit status 128 + SIGTERM; `finally` blocks and context managers still run."""
    logging.getLogger("junoml").error("job received SIGTERM; stopping and removing its unfinished outputs")
    raise SystemExit(128 + signum)
