"""Learning dynamics: D_i(t), ||W_i||(t), loss(t) and "energy level" jumps (paper section 5,
"Learning dynamics"; paper_spec 3.7).

The paper plots each feature's dimensionality D_i against training step and finds that it moves
between discrete values (the fractions of :mod:`toymodels.analysis.geometry`), and that the loss
drops when a jump happens. Inputs are the logged snapshots of one run: ``W_TxHxF`` at the
(log-spaced) step indices ``steps_T`` and the logged ``loss_T``.

:func:`trajectory_measures` and :func:`jump_mask` are ``jnp`` (vmap over runs); building the
per-feature jump lists in :func:`detect_jumps` is host numpy.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from toymodels.analysis import measures


@jax.jit
def trajectory_measures(W_TxHxF, loss_T=None):
    """Per-snapshot measures of one run, vmapped over the snapshot axis T.

    Args:
      W_TxHxF: weights at each logged step, shape (T, m, n).
      loss_T: logged loss, shape (T,), or None.

    Returns:
      dict with keys ``D_TxF`` (feature dimensionality), ``norms_TxF`` (||W_i||),
      ``superposition_TxF``, ``D_star_T`` (m/||W||_F²), ``D_sum_T`` (Σ_i D_i) and, when loss_T
      is given, ``loss_T``.
    """

    def one(W_HxF):
        D_F = measures.feature_dimensionality(W_HxF)
        return {
            "D_TxF": D_F,
            "norms_TxF": measures.feature_norms(W_HxF),
            "superposition_TxF": measures.superposition(W_HxF),
            "D_star_T": measures.dims_per_feature(W_HxF),
            "D_sum_T": jnp.sum(D_F),
        }

    out = jax.vmap(one)(measures._float(W_TxHxF))
    if loss_T is not None:
        out["loss_T"] = measures._float(loss_T)
    return out


@jax.jit
def jump_mask(D_TxF, *, jump_threshold: float = 0.1):
    """Where D_i changes by more than jump_threshold between consecutive snapshots.

    mask[t, i] = |D_i(t+1) − D_i(t)| > jump_threshold. The default 0.1 is well above float noise
    and below the smallest gap between the paper's common levels (1/2 → 2/5 is 0.1 exactly, so
    lower it, e.g. to 0.05, to catch that one; 2/5 → 3/8 needs < 0.025).

    Args:
      D_TxF: dimensionality per snapshot, shape (T, n).
      jump_threshold: minimum absolute change.

    Returns:
      bool, shape (T − 1, n): row t is the transition from snapshot t to t + 1.
    """
    D_TxF = measures._float(D_TxF)
    return jnp.abs(jnp.diff(D_TxF, axis=0)) > jump_threshold


def relative_loss_drop(loss_T, t, *, window: int = 1):
    """Relative loss drop across the transition t → t+1, widened by `window` snapshots.

    drop = (loss[t − window + 1] − loss[t + window]) / |loss[t − window + 1]|, indices clipped
    to [0, T − 1]. window = 1 compares the two snapshots that bracket the jump.

    Args:
      loss_T: logged loss, shape (T,).
      t: transition index (int or int array).
      window: half-width in snapshots (>= 1).

    Returns:
      relative drop (positive when the loss fell), same shape as t.
    """
    loss_T = np.asarray(loss_T, dtype=np.float64)
    T = loss_T.shape[0]
    t = np.asarray(t)
    before = loss_T[np.clip(t - window + 1, 0, T - 1)]
    after = loss_T[np.clip(t + window, 0, T - 1)]
    with np.errstate(divide="ignore", invalid="ignore"):
        return (before - after) / np.abs(before)


def detect_jumps(
    D_TxF,
    steps_T,
    loss_T=None,
    *,
    jump_threshold: float = 0.1,
    loss_drop_threshold: float = 0.05,
    window: int = 1,
) -> dict:
    """Discrete jumps of D_i over training and whether the loss drops with them (paper 5).

    A jump of feature i is a transition t → t+1 between consecutive snapshots with
    |D_i(t+1) − D_i(t)| > jump_threshold; it is reported at step steps_T[t+1], the first snapshot
    that shows the new value. Caveat of snapshot data: a change spread over several snapshots,
    each below the threshold, is not a jump. A jump "coincides with a loss drop" when
    :func:`relative_loss_drop` over ±window snapshots exceeds loss_drop_threshold.

    Args:
      D_TxF: dimensionality per snapshot, shape (T, n) (e.g. from :func:`trajectory_measures`).
      steps_T: training step of each snapshot, shape (T,).
      loss_T: logged loss, shape (T,), or None (then no coincidence test).
      jump_threshold: minimum |ΔD_i| between consecutive snapshots.
      loss_drop_threshold: minimum relative loss drop.
      window: snapshots on each side for the loss comparison.

    Returns:
      dict with keys

      * ``steps_per_feature``: list of n int arrays, the steps at which each feature jumps;
      * ``coincides_per_feature``: list of n bool arrays (all False without loss_T), aligned;
      * ``jumps``: list of dicts, one per jump in step order then feature order, with keys
        ``feature``, ``index`` (transition t), ``step`` (steps_T[t+1]), ``D_before``,
        ``D_after``, ``rel_loss_drop`` (NaN without loss_T) and ``coincides`` (bool);
      * ``n_jumps``: total number of jumps;
      * ``fraction_coinciding``: fraction of jumps with a coinciding loss drop (NaN if none).
    """
    D = np.asarray(D_TxF, dtype=np.float64)
    steps = np.asarray(steps_T)
    mask = np.asarray(jump_mask(D, jump_threshold=jump_threshold))
    n = D.shape[1]
    steps_per_feature, coincides_per_feature, jumps = [], [], []
    for i in range(n):
        t_idx = np.flatnonzero(mask[:, i])
        if loss_T is None:
            drops = np.full(t_idx.shape, np.nan)
            coincide = np.zeros(t_idx.shape, bool)
        else:
            drops = relative_loss_drop(loss_T, t_idx, window=window)
            coincide = drops > loss_drop_threshold
        steps_per_feature.append(steps[t_idx + 1])
        coincides_per_feature.append(coincide)
        for t, drop, c in zip(t_idx, drops, coincide):
            jumps.append(
                {
                    "feature": i,
                    "index": int(t),
                    "step": int(steps[t + 1]),
                    "D_before": float(D[t, i]),
                    "D_after": float(D[t + 1, i]),
                    "rel_loss_drop": float(drop),
                    "coincides": bool(c),
                }
            )
    jumps.sort(key=lambda j: (j["index"], j["feature"]))
    n_jumps = len(jumps)
    frac = sum(j["coincides"] for j in jumps) / n_jumps if n_jumps else float("nan")
    return {
        "steps_per_feature": steps_per_feature,
        "coincides_per_feature": coincides_per_feature,
        "jumps": jumps,
        "n_jumps": n_jumps,
        "fraction_coinciding": frac,
    }


__all__ = ["trajectory_measures", "jump_mask", "relative_loss_drop", "detect_jumps"]
