"""Seed-selection protocols of the paper (paper_spec 1.4), over a trailing seed axis.

* best of seeds: keep the lowest-final-loss model of each cell (the n=5, m=2 study; the
  privileged-basis figure keeps the best of 1,000).
* mean after discarding the worst: average a quantity over the seeds of a cell after dropping
  the highest-loss seed (the phase diagrams: 10 models per cell, the worst discarded).

A non-finite loss always counts as the worst, so a diverged model is never selected. A cell in
which EVERY seed diverged has no best seed: :func:`best_seed_index` raises (or, with
``allow_diverged=True``, returns -1 there) and :func:`best_of_seeds` returns NaN for that cell.

Noise of a comparison. Every seed and every cell of a sweep with the same feature densities is
scored on one shared evaluation sample (TrainConfig.eval_samples), so a difference of two eval
losses is a paired difference: :func:`paired_eval_difference` gives it with its standard error
from the stored runs; :func:`paired_difference` does the same for any two per-example loss arrays.
"""

from __future__ import annotations

import numpy as np


def _clean(loss_xS: np.ndarray) -> np.ndarray:
    loss = np.asarray(loss_xS, dtype=np.float64)
    return np.where(np.isfinite(loss), loss, np.inf)


def _check_loss(loss_xS) -> np.ndarray:
    loss = np.asarray(loss_xS)
    if loss.ndim < 1 or loss.shape[-1] == 0:
        raise ValueError(f"loss_xS has shape {loss.shape}: it needs a trailing seed axis of length >= 1")
    if not (np.issubdtype(loss.dtype, np.floating) or np.issubdtype(loss.dtype, np.integer)):
        raise ValueError(f"loss_xS has dtype {loss.dtype}: it must be real numbers")
    return loss


def best_seed_index(loss_xS: np.ndarray, *, allow_diverged: bool = False) -> np.ndarray:
    """Index of the lowest-loss seed per cell; shape = loss shape without the last axis.

    A cell whose every seed has a non-finite loss has no best seed: ValueError naming how many
    cells, or -1 for those cells with ``allow_diverged=True`` (never use -1 as an index)."""
    loss = _clean(_check_loss(loss_xS))
    idx = np.argmin(loss, axis=-1)
    dead = ~np.isfinite(loss).any(axis=-1)
    if dead.any():
        if not allow_diverged:
            raise ValueError(f"{int(dead.sum())} of {dead.size} cells have no seed with a finite loss "
                             f"(every seed diverged), so they have no best seed")
        idx = np.where(dead, -1, idx)
    return idx


def best_of_seeds(values_xS, loss_xS: np.ndarray):
    """``values`` of the best seed of each cell.

    Args:
      values_xS: array whose axes start with the loss's axes (cells..., seed, ...rest), or a dict
        of such arrays (e.g. ``Bucket.params``).
      loss_xS: final losses, shape (cells..., seed).
    Returns:
      the same structure with the seed axis removed. Cells where every seed diverged are NaN
      (integer or bool values are then returned as float64 so that NaN can mark them).
    """
    if isinstance(values_xS, dict):
        return {k: best_of_seeds(v, loss_xS) for k, v in values_xS.items()}
    values = np.asarray(values_xS)
    idx = best_seed_index(loss_xS, allow_diverged=True)
    if values.shape[: idx.ndim + 1] != np.shape(loss_xS):
        raise ValueError(f"values_xS has shape {values.shape}; its leading axes must be loss_xS's "
                         f"{np.shape(loss_xS)} (cells..., seed)")
    cell_ndim = idx.ndim
    dead = idx < 0
    idx = np.where(dead, 0, idx)
    idx = idx.reshape(idx.shape + (1,) * (values.ndim - cell_ndim))
    out = np.take_along_axis(values, idx, axis=cell_ndim).squeeze(cell_ndim)
    if dead.any():
        if not np.issubdtype(out.dtype, np.floating):
            out = out.astype(np.float64)
        out[dead] = np.nan
    return out


def mean_drop_worst(values_xS, loss_xS: np.ndarray) -> np.ndarray:
    """Mean over seeds of ``values`` after discarding each cell's highest-loss seed.

    With a single seed nothing is discarded. Seeds with a non-finite loss are discarded too (the
    worst is one of them when any diverged); a cell with no finite seed is NaN. values has shape (cells..., seed, ...rest)."""
    values = np.asarray(values_xS, dtype=np.float64)
    loss = _clean(_check_loss(loss_xS))
    n_seeds = loss.shape[-1]
    keep = np.isfinite(loss)  # a diverged seed never enters the mean
    if n_seeds > 1:
        worst = np.argmax(loss, axis=-1)
        np.put_along_axis(keep, worst[..., None], False, axis=-1)
    keep = keep.reshape(keep.shape + (1,) * (values.ndim - keep.ndim))
    with np.errstate(invalid="ignore"):  # a cell with no finite seed: 0/0 = NaN, by design
        return np.where(keep, values, 0.0).sum(axis=loss.ndim - 1) / keep.sum(axis=loss.ndim - 1)


def paired_difference(loss_a_N, loss_b_N) -> dict:
    """Mean of the per-example difference ℓ_a − ℓ_b of two models scored on the same N examples,
    with its standard error sd(ℓ_a − ℓ_b)/√N (sample sd, ddof 1).

    Returns {"diff", "se", "n"}; diff / se is the paired z-score of "a is worse than b"."""
    d = np.asarray(loss_a_N, dtype=np.float64) - np.asarray(loss_b_N, dtype=np.float64)
    n = d.shape[-1]
    se = d.std(axis=-1, ddof=1) / np.sqrt(n) if n > 1 else np.full(d.shape[:-1], np.nan)
    return {"diff": d.mean(axis=-1), "se": se, "n": n}


def paired_eval_difference(run, bucket: int, cell_a, cell_b) -> dict:
    """eval_loss(cell_a) − eval_loss(cell_b) of a finished sweep, with its paired standard error.

    Both cells' final weights are re-scored on the shared evaluation sample (regenerated exactly;
    toymodels.sweep.eval_example_losses), so the difference is the stored eval losses'
    difference up to float rounding. The cells must share their feature densities (else their
    samples differ and no pairing exists: ValueError).

    Args:
      run: toymodels.store.Run; bucket: index into run.buckets.
      cell_a, cell_b: grid indices (tuples in the bucket's axis order, seed last).
    Returns:
      {"diff", "se", "n"} as :func:`paired_difference`.
    """
    from toymodels import sweep

    bk = run.buckets[bucket]
    bp = sweep.plan_bucket(run.config, bk.index, sweep.ModelConfig(**bk.model))
    fa, fb = (np.ravel_multi_index(tuple(c), bp.grid_shape) for c in (cell_a, cell_b))
    if not np.array_equal(bp.density_CxF[fa], bp.density_CxF[fb]):
        raise ValueError(f"cells {tuple(cell_a)} and {tuple(cell_b)} have different feature densities, "
                         "so different evaluation samples: their losses do not pair")
    loss_a, loss_b = sweep.eval_example_losses(run, bucket, [cell_a, cell_b])
    out = paired_difference(loss_a, loss_b)
    return {k: (float(v) if k != "n" else int(v)) for k, v in out.items()}
