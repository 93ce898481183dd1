"""Multiplicity trigger on the pulses of an event."""

import numpy as np


def is_triggered(hit_time_ns: np.ndarray, *, window_ns: float, threshold_hits: int) -> bool:
    """Return True when at least `threshold_hits` pulses fall within some window of `window_ns` (sliding)."""
    if not window_ns > 0:
        raise ValueError(f"trigger window_ns must be positive, got {window_ns}")
    if threshold_hits < 1:
        raise ValueError(f"trigger threshold_hits must be at least 1, got {threshold_hits}")
    times = np.sort(np.asarray(hit_time_ns, dtype=np.float64))
    if times.size < threshold_hits:
        return False
    # Pulses in [t_i, t_i + window) for each pulse i taken as the window's start.
    counts = np.searchsorted(times, times + window_ns, side="left") - np.arange(times.size)
    return bool(counts.max() >= threshold_hits)
