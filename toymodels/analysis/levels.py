"""Sweep-level summaries for the uniform-superposition figures (paper section 5 "Geometry" and
"Learning dynamics"; paper_spec 3.5, 3.7, 3.8).

Host numpy, arrays in and arrays out:

* :func:`level_counts` / :func:`near_level_fraction`: how many feature dimensionalities D_i sit
  on the paper's "energy levels" (simple fractions 1, 3/4, 2/3, 1/2, 2/5, 3/8, ...).
* :func:`crossing_x`: where a curve such as D*(1/(1−S)) first falls through a value (the "drop
  near 1.75" of the D* plot), interpolated in log x.
* :func:`jump_loss_alignment`: whether the loss falls faster across the snapshot transitions in
  which some D_i jumps than across the others (the energy-level jumps figure).
* :func:`step_concentration`: how much of each feature's total D_i movement happens in its
  largest few transitions (1 for a pure step, small for a smooth drift).
"""

from __future__ import annotations

import numpy as np

PAPER_LEVELS: tuple[float, ...] = (1.0, 3 / 4, 2 / 3, 1 / 2, 2 / 5, 3 / 8)
"""The fractions of the third-party check in paper_spec 3.5 (D_i within 0.02 of one of these)."""


def _finite_values(D_N, name: str = "D_N") -> np.ndarray:
    """D_N flattened as float64, or ValueError naming how many entries are NaN/Inf: a level
    statistic that silently dropped a diverged model's D would read as a clean sweep. Filter
    explicitly (e.g. by the sweep's ``finite`` column) and report what was left out."""
    D = np.asarray(D_N, dtype=np.float64).ravel()
    bad = int(D.size - np.isfinite(D).sum())
    if bad:
        raise ValueError(f"{name} holds {bad} non-finite values of {D.size} (diverged models?): "
                         f"drop them explicitly before counting levels")
    return D


def level_counts(D_N, levels, *, atol: float = 0.01) -> np.ndarray:
    """Number of entries of D_N within atol of each level.

    Args:
      D_N: values, any shape (flattened); a NaN/Inf raises ValueError (never silently dropped).
      levels: K target values.
      atol: half-width of each window (inclusive).

    Returns:
      int array of shape (K,). A value within atol of two levels counts for both (the windows of
      the paper's levels do not overlap for atol < 1/80).
    """
    D = _finite_values(D_N)
    L = np.asarray(levels, dtype=np.float64).ravel()
    return (np.abs(D[None, :] - L[:, None]) <= atol).sum(axis=1).astype(np.int64)


def near_level_fraction(D_N, levels=PAPER_LEVELS, *, atol: float = 0.02, min_value: float = 0.1) -> float:
    """Fraction of the entries with D_i >= min_value that lie within atol of any level.

    min_value drops unlearned features (D_i ≈ 0). NaN when no entry reaches min_value. A NaN/Inf
    entry raises ValueError (never silently dropped).
    """
    D = _finite_values(D_N)
    D = D[D >= min_value]
    if D.size == 0:
        return float("nan")
    L = np.asarray(levels, dtype=np.float64).ravel()
    return float(np.mean(np.min(np.abs(D[:, None] - L[None, :]), axis=1) <= atol))


def crossing_x(x_L, y_L, value: float, *, log_x: bool = True) -> float:
    """The first x at which y falls from >= value to < value, linearly interpolated (in log x).

    Args:
      x_L: increasing x of the levels, shape (L,).
      y_L: curve values, shape (L,).
      value: the level crossed.
      log_x: interpolate in log(x) (the D* plot's log axis).

    Returns:
      the crossing x, or NaN when y never falls through value.
    """
    x = np.asarray(x_L, dtype=np.float64)
    y = np.asarray(y_L, dtype=np.float64)
    u = np.log(x) if log_x else x
    for k in range(len(y) - 1):
        if y[k] >= value > y[k + 1]:
            t = (y[k] - value) / (y[k] - y[k + 1])
            c = u[k] + t * (u[k + 1] - u[k])
            return float(np.exp(c) if log_x else c)
    return float("nan")


def jump_loss_alignment(loss_T, jump_TmxF) -> dict:
    """Relative loss drop per snapshot transition, split by whether a D_i jump happens in it.

    Transition t is snapshot t → t+1 with relative drop (loss[t] − loss[t+1]) / |loss[t]|. Only
    transitions between the first and the last jump are compared (before the first one the loss
    falls for reasons unrelated to geometry, e.g. the bias fitting E[x]).

    Args:
      loss_T: logged loss, shape (T,).
      jump_TmxF: bool, shape (T − 1, n), e.g. :func:`toymodels.analysis.jump_mask`.

    Returns:
      dict with ``drop_T1`` (the relative drops), ``is_jump_T1`` (any feature jumps),
      ``mean_drop_jump``, ``mean_drop_other`` (NaN when empty) and ``ratio`` (jump / other;
      NaN when undefined).
    """
    loss = np.asarray(loss_T, dtype=np.float64)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = (loss[:-1] - loss[1:]) / np.abs(loss[:-1])
    is_jump = np.asarray(jump_TmxF, bool).any(axis=1)
    idx = np.flatnonzero(is_jump)
    window = np.zeros_like(is_jump)
    if idx.size:
        window[idx[0]: idx[-1] + 1] = True
    jump_drops = drop[window & is_jump]
    other_drops = drop[window & ~is_jump]
    mean_jump = float(np.mean(jump_drops)) if jump_drops.size else float("nan")
    mean_other = float(np.mean(other_drops)) if other_drops.size else float("nan")
    ratio = mean_jump / mean_other if np.isfinite(mean_jump) and np.isfinite(mean_other) and mean_other > 0 else float("nan")
    return {"drop_T1": drop, "is_jump_T1": is_jump, "mean_drop_jump": mean_jump,
            "mean_drop_other": mean_other, "ratio": float(ratio)}


def activity_loss_correlation(D_TxF, loss_T, steps_T, *, min_step: int = 1) -> dict:
    """Pearson correlation, over snapshot transitions, of geometric activity and loss drop.

    Activity of transition t (snapshot t → t+1) is Σ_i |D_i(t+1) − D_i(t)|; the loss drop is
    (loss[t] − loss[t+1]) / |loss[t]|. Both are per transition of the same (log-spaced) snapshot
    grid, so a positive correlation means the loss falls where the geometry moves. Only
    transitions that start at step >= min_step are used (to skip the first steps, where the
    loss falls as the biases fit E[x] whatever the geometry does).

    Args:
      D_TxF: dimensionality per snapshot, shape (T, n).
      loss_T: logged loss, shape (T,).
      steps_T: step of each snapshot, shape (T,).
      min_step: first step of the window.

    Returns:
      dict with ``activity_T1``, ``drop_T1`` (both shape (T − 1,)), ``used_T1`` (bool window)
      and ``r`` (NaN when fewer than 3 transitions or a constant series).
    """
    D = np.asarray(D_TxF, dtype=np.float64)
    loss = np.asarray(loss_T, dtype=np.float64)
    activity = np.abs(np.diff(D, axis=0)).sum(axis=1)
    with np.errstate(divide="ignore", invalid="ignore"):
        drop = (loss[:-1] - loss[1:]) / np.abs(loss[:-1])
    used = (np.asarray(steps_T)[:-1] >= min_step) & np.isfinite(drop)
    a, d = activity[used], drop[used]
    r = float(np.corrcoef(a, d)[0, 1]) if a.size >= 3 and a.std() > 0 and d.std() > 0 else float("nan")
    return {"activity_T1": activity, "drop_T1": drop, "used_T1": used, "r": r}


def step_concentration(D_TxF, *, k: int = 2) -> np.ndarray:
    """Per feature: the share of its total variation Σ_t |ΔD_i| carried by its k largest moves.

    1 for a trajectory that changes in at most k snapshot transitions (a step), about k/(T−1)
    for an even drift. NaN for a feature that never moves.

    Args:
      D_TxF: dimensionality per snapshot, shape (T, n).
      k: number of largest transitions counted.

    Returns:
      shape (n,).
    """
    dD = np.abs(np.diff(np.asarray(D_TxF, dtype=np.float64), axis=0))
    total = dD.sum(axis=0)
    top = -np.sort(-dD, axis=0)[:k].sum(axis=0)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(total > 0, top / total, np.nan)


__all__ = ["PAPER_LEVELS", "level_counts", "near_level_fraction", "crossing_x", "jump_loss_alignment",
           "activity_loss_correlation", "step_concentration"]
