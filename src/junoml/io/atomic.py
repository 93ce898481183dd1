"""Atomic file output: a job that dies mid-write leaves no file that a rerun would trust."""

import contextlib
import os
from collections.abc import Iterator
from pathlib import Path


def temporary_path(path: str | os.PathLike) -> Path:
    """Return the hidden temporary name that a file is written under before its rename."""
    path = Path(path)
    return path.with_name(f".{path.name}.{os.getpid()}.tmp")


@contextlib.contextmanager
def atomic_output(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path to write to; rename it onto `path` only if the block succeeds.

    The temporary file sits in the same folder, so the final rename is atomic on POSIX file
    systems. On any exception the temporary file is removed and `path` is left untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_path(path)
    try:
        yield tmp
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
