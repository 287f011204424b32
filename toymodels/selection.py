"""Seed-selection protocols of the paper (paper_spec 1.4), over a trailing seed axis.

* best of seeds: keep the lowest-final-loss model of each cell (the n=5, m=2 study; the
  privileged-basis figure keeps the best of 1,000).
* mean after discarding the worst: average a quantity over the seeds of a cell after dropping
  the highest-loss seed (the phase diagrams: 10 models per cell, the worst discarded).

A non-finite loss always counts as the worst, so a diverged model is never selected.
"""

from __future__ import annotations

import numpy as np


def _clean(loss_xS: np.ndarray) -> np.ndarray:
    loss = np.asarray(loss_xS, dtype=np.float64)
    return np.where(np.isfinite(loss), loss, np.inf)


def best_seed_index(loss_xS: np.ndarray) -> np.ndarray:
    """Index of the lowest-loss seed per cell; shape = loss shape without the last axis."""
    return np.argmin(_clean(loss_xS), axis=-1)


def best_of_seeds(values_xS, loss_xS: np.ndarray):
    """``values`` of the best seed of each cell.

    Args:
      values_xS: array whose axes start with the loss's axes (cells..., seed, ...rest), or a dict
        of such arrays (e.g. ``Bucket.params``).
      loss_xS: final losses, shape (cells..., seed).
    Returns:
      the same structure with the seed axis removed.
    """
    if isinstance(values_xS, dict):
        return {k: best_of_seeds(v, loss_xS) for k, v in values_xS.items()}
    values = np.asarray(values_xS)
    idx = best_seed_index(loss_xS)
    cell_ndim = idx.ndim
    idx = idx.reshape(idx.shape + (1,) * (values.ndim - cell_ndim))
    return np.take_along_axis(values, idx, axis=cell_ndim).squeeze(cell_ndim)


def mean_drop_worst(values_xS, loss_xS: np.ndarray) -> np.ndarray:
    """Mean over seeds of ``values`` after discarding each cell's highest-loss seed.

    With a single seed nothing is discarded. values has shape (cells..., seed, ...rest)."""
    values = np.asarray(values_xS, dtype=np.float64)
    loss = _clean(loss_xS)
    n_seeds = loss.shape[-1]
    keep = np.ones(loss.shape, bool)
    if n_seeds > 1:
        worst = np.argmax(loss, axis=-1)
        np.put_along_axis(keep, worst[..., None], False, axis=-1)
    keep = keep.reshape(keep.shape + (1,) * (values.ndim - keep.ndim))
    return (values * keep).sum(axis=loss.ndim - 1) / keep.sum(axis=loss.ndim - 1)
