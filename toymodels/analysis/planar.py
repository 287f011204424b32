"""Geometry of m=2 models and of correlated feature sets (paper section 5 "non-uniform
superposition"; paper_spec 3.6, figure targets 9, 10, 12). Host numpy; arrays in, arrays out.

* :func:`canonicalize_2d`: rotate and flip an m=2 solution for display (the paper canonicalises
  solutions before showing them).
* :func:`angular_room`: half the angle between a feature's two angular neighbours, the "room" a
  feature gets in the pentagon-deformation study.
* :func:`set_cosines`: mean cosine within and across correlated feature sets.
* :func:`collapsed_sets`: which sets have merged into one direction (the collapse toward PCA).
"""

from __future__ import annotations

import numpy as np


def _unit(W_HxF, eps: float = 1e-6) -> np.ndarray:
    W = np.asarray(W_HxF, dtype=np.float64)
    return W / np.maximum(np.linalg.norm(W, axis=0, keepdims=True), eps)


def canonicalize_2d(W_2xF, anchor: int = 0, *, norm_threshold: float = 0.5) -> np.ndarray:
    """Rotate an m=2 solution so feature ``anchor`` points along +x, then flip (y → −y) so the
    represented feature with the smallest positive angle from it lies above the x axis.

    If the anchor is not represented (‖W_anchor‖ <= norm_threshold) the largest-norm feature is
    used instead. WᵀW is unchanged (rotations and reflections are orthogonal maps).

    Args:
      W_2xF: weights, shape (2, n).
      anchor: feature index to put on +x.
      norm_threshold: norm below which a feature counts as not represented.

    Returns:
      the transformed weights, shape (2, n), float64.
    """
    W = np.asarray(W_2xF, dtype=np.float64)
    norms = np.linalg.norm(W, axis=0)
    a = anchor if norms[anchor] > norm_threshold else int(np.argmax(norms))
    theta = np.arctan2(W[1, a], W[0, a])
    c, s = np.cos(-theta), np.sin(-theta)
    W = np.array([[c, -s], [s, c]]) @ W
    ang = np.mod(np.arctan2(W[1], W[0]), 2 * np.pi)
    rep = (norms > norm_threshold) & (np.arange(W.shape[1]) != a)
    rep &= (ang > 1e-6) & (ang < 2 * np.pi - 1e-6) & (np.abs(ang - np.pi) > 1e-6)
    if rep.any():
        nearest = np.flatnonzero(rep)[np.argmin(np.minimum(ang[rep], 2 * np.pi - ang[rep]))]
        if ang[nearest] > np.pi:
            W = W * np.array([[1.0], [-1.0]])
    return W


def angular_room(W_2xF, feature: int, *, norm_threshold: float = 0.5) -> float:
    """Half the angle (degrees) between the two represented features angularly adjacent to
    ``feature`` on either side: 72° for a feature of a regular pentagon, 90° for a square.

    Returns NaN when ``feature`` is not represented or fewer than two other features are.

    Args:
      W_2xF: weights, shape (2, n).
      feature: feature index.
      norm_threshold: represented iff ‖W_i‖ > norm_threshold.
    """
    W = np.asarray(W_2xF, dtype=np.float64)
    norms = np.linalg.norm(W, axis=0)
    others = [j for j in range(W.shape[1]) if j != feature and norms[j] > norm_threshold]
    if norms[feature] <= norm_threshold or len(others) < 2:
        return float("nan")
    ang = np.arctan2(W[1], W[0])
    rel = np.mod(ang[others] - ang[feature], 2 * np.pi)  # in [0, 2π)
    ccw = rel.min()
    cw = 2 * np.pi - rel.max()
    return float(np.degrees((ccw + cw) / 2))


def set_index(n_features: int, set_size: int, n_sets: int | None = None) -> np.ndarray:
    """Set number of each feature for consecutive blocks of ``set_size`` (toymodels.data's
    convention); trailing features outside every set get -1."""
    n_sets = n_features // set_size if n_sets is None else n_sets
    idx = np.full(n_features, -1)
    idx[: n_sets * set_size] = np.repeat(np.arange(n_sets), set_size)
    return idx


def set_cosines(W_HxF, set_F, *, norm_threshold: float = 0.5) -> dict:
    """Cosines between represented features within and across correlated sets.

    Args:
      W_HxF: weights, shape (m, n).
      set_F: set number per feature (-1 = in no set), shape (n,).
      norm_threshold: only features with ‖W_i‖ > norm_threshold enter.

    Returns:
      dict with ``cos_FxF`` (all pairs), ``within`` (cosines of the pairs in the same set, 1-D),
      ``across`` (pairs in different sets, 1-D), and ``min_across_F``: for each feature the most
      negative cosine to a feature of another set (NaN if none).
    """
    U = _unit(W_HxF)
    cos = U.T @ U
    sets = np.asarray(set_F)
    rep = np.linalg.norm(np.asarray(W_HxF, dtype=np.float64), axis=0) > norm_threshold
    n = cos.shape[0]
    iu, ju = np.triu_indices(n, 1)
    ok = rep[iu] & rep[ju] & (sets[iu] >= 0) & (sets[ju] >= 0)
    same = sets[iu] == sets[ju]
    other_set = (sets[:, None] != sets[None, :]) & (sets[:, None] >= 0) & (sets[None, :] >= 0)
    other_set &= rep[:, None] & rep[None, :]
    min_across = np.where(other_set.any(1), np.where(other_set, cos, np.inf).min(1), np.nan)
    return {"cos_FxF": cos, "within": cos[iu, ju][ok & same], "across": cos[iu, ju][ok & ~same],
            "min_across_F": min_across}


def collapsed_sets(W_HxF, set_F, *, cos_threshold: float = 0.9, norm_threshold: float = 0.5) -> np.ndarray:
    """Per set: 1 if its represented features have merged into one direction (every pairwise
    cosine > cos_threshold, the PCA-like (a+b)/√2 solution), 0 if they are represented apart,
    -1 if fewer than two of its features are represented.

    Args:
      W_HxF: weights, shape (m, n).
      set_F: set number per feature (-1 = in no set), shape (n,).
      cos_threshold: cosine above which two features count as merged.
      norm_threshold: represented iff ‖W_i‖ > norm_threshold.

    Returns:
      int array, one entry per set number 0..max(set_F).
    """
    U = _unit(W_HxF)
    sets = np.asarray(set_F)
    rep = np.linalg.norm(np.asarray(W_HxF, dtype=np.float64), axis=0) > norm_threshold
    out = []
    for k in range(int(sets.max()) + 1):
        members = np.flatnonzero((sets == k) & rep)
        if len(members) < 2:
            out.append(-1)
            continue
        c = U[:, members].T @ U[:, members]
        iu = np.triu_indices(len(members), 1)
        out.append(int(np.all(c[iu] > cos_threshold)))
    return np.array(out, dtype=int)



def angular_neighbours(W_2xF, *, norm_threshold: float = 0.5) -> np.ndarray:
    """For each represented feature of an m=2 model, its two neighbours in angular order among
    the represented features (counter-clockwise, clockwise); -1 for unrepresented features or
    when fewer than two other features are represented. Features adjacent in this order sit
    "side by side" on the polygon.

    Args:
      W_2xF: weights, shape (2, n).
      norm_threshold: represented iff ‖W_i‖ > norm_threshold.

    Returns:
      int array, shape (n, 2).
    """
    W = np.asarray(W_2xF, dtype=np.float64)
    rep = np.flatnonzero(np.linalg.norm(W, axis=0) > norm_threshold)
    out = np.full((W.shape[1], 2), -1)
    if len(rep) < 3:
        return out
    order = rep[np.argsort(np.arctan2(W[1, rep], W[0, rep]))]
    for k, i in enumerate(order):
        out[i] = [order[(k + 1) % len(order)], order[k - 1]]
    return out
