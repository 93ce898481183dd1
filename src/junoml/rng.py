"""Per-event random streams that do not depend on how events are split into jobs."""

import zlib

import numpy as np


def sample_key(sample: str) -> int:
    """Return a stable 32-bit key for a sample name (CRC-32, unlike hash(), is the same in every process)."""
    return zlib.crc32(sample.encode("utf-8"))


def event_rng(seed: int, sample: str, event_id: int) -> np.random.Generator:
    """Return the random generator of one event, seeded from (global seed, sample name, event_id)."""
    if event_id < 0:
        raise ValueError(f"event_id must be non-negative, got {event_id}")
    return np.random.default_rng([int(seed), sample_key(sample), int(event_id)])


def stage_rng(seed: int, *names: str) -> np.random.Generator:
    """Return a generator for a named stage (a split, a bootstrap), seeded from the global seed and the names."""
    return np.random.default_rng([int(seed), *(sample_key(name) for name in names)])
