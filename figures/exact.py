"""The exact phase diagrams of figures 04-06: every local minimum of the exact expected loss per cell
(toymodels.theory), cached in a JSON file beside the figures so drawing takes seconds.

The cache ``figures/exact-phase-n{n}m{m}.json`` holds the full-size grid of experiments/phase.py
(what ``toymodels figures 04 06`` trains). A grid that is not cached is computed (minutes on a
2-core CPU for n=3) and, at full size, written to the cache. Tiny (plumbing) figures read the
nearest cached cell when the cache exists, else compute with a few starts.
"""

from __future__ import annotations

import json
import time

import numpy as np

from figures.core import FIGURES_DIR
from toymodels import analysis, theory

SETTINGS_BY_SHAPE = {(2, 1): {"n_starts": 48, "steps": 1000, "newton_steps": 30, "seed": 0, "version": 3},
                     (3, 2): {"n_starts": 32, "steps": 600, "newton_steps": 20, "seed": 0, "version": 3}}
TINY_SETTINGS = {"n_starts": 4, "steps": 100, "newton_steps": 4, "seed": 0, "version": 3}


def cache_path(n: int, m: int, bias: bool = True):
    return FIGURES_DIR / f"exact-phase-n{n}m{m}{'' if bias else '-nobias'}.json"


def _compute(n, m, p_P, r_R, settings, bias=True):
    import jax
    import jax.numpy as jnp

    P, R = np.meshgrid(p_P, r_R, indexing="ij")
    dens = np.repeat(P.ravel()[:, None], n, 1)
    imp = np.concatenate([np.ones((P.size, n - 1)), R.ravel()[:, None]], 1)
    t0 = time.perf_counter()
    mins = theory.descend64(jax.random.PRNGKey(settings["seed"]), dens, imp, m=m, n=n,
                            n_starts=settings["n_starts"], steps=settings["steps"],
                            newton_steps=settings["newton_steps"], bias=bias)
    packed = theory.pack(theory.group_grid(mins, dens, imp))
    return packed, time.perf_counter() - t0


def _to_json(packed, p_P, r_R, settings, wall_s):
    return {"density": list(map(float, p_P)), "relative_importance": list(map(float, r_R)), "settings": settings,
            "wall_s": round(wall_s, 1),
            **{k: np.asarray(v, float).tolist() for k, v in packed.items()}}  # full precision: sparse losses ~1e-5


def _from_json(d):
    return {k: np.asarray(v, float) for k, v in d.items() if k.endswith(("_CxK", "_CxKxHxF", "_CxKxF", "_CxKxFxF", "_C"))}


def exact_grid(n: int, m: int, p_P, r_R, *, tiny: bool = False, bias: bool = True) -> dict:
    """The exact minima on the (density p_P × relative importance r_R) grid, as arrays of shape (P, R, ...).

    Returns dict: loss_PxRxK (sorted, [..., 0] the global minimum, NaN-padded), count_PxRxK (basin
    counts out of n_starts), W_PxRxKxHxF, b_PxRxKxF, label_PxRxK (analysis.label_models, -1 padding),
    global_PxR (label of the global minimum), n_minima_PxR, n_not_minimum_PxR, settings, source
    ("cache", "cache-nearest" or "computed"), wall_s.
    """
    p_P, r_R = np.asarray(p_P, float), np.asarray(r_R, float)
    path = cache_path(n, m, bias)
    cached = json.loads(path.read_text()) if path.exists() else None
    SETTINGS = SETTINGS_BY_SHAPE[(n, m)]
    same = cached is not None and cached["settings"] == SETTINGS \
        and np.shape(cached["density"]) == p_P.shape and np.allclose(cached["density"], p_P) \
        and np.shape(cached["relative_importance"]) == r_R.shape and np.allclose(cached["relative_importance"], r_R)
    if same:
        packed, source, wall = _from_json(cached), "cache", cached["wall_s"]
        P, R = len(p_P), len(r_R)
    elif tiny and cached is not None:
        cp, cr = np.log(cached["density"]), np.log(cached["relative_importance"])
        ip = np.abs(np.log(p_P)[:, None] - cp[None, :]).argmin(1)
        ir = np.abs(np.log(r_R)[:, None] - cr[None, :]).argmin(1)
        full = _from_json(cached)
        Rc = len(cr)
        cells = (ip[:, None] * Rc + ir[None, :]).ravel()
        packed = {k: v[cells] for k, v in full.items()}
        source, wall, (P, R) = "cache-nearest", 0.0, (len(p_P), len(r_R))
    else:
        settings = TINY_SETTINGS if tiny else SETTINGS
        packed, wall = _compute(n, m, p_P, r_R, settings, bias)
        source, (P, R) = "computed", (len(p_P), len(r_R))
        if not tiny:
            path.write_text(json.dumps(_to_json(packed, p_P, r_R, settings, wall)))
    W = packed["W_CxKxHxF"]
    labels = analysis.label_models(W, packed["b_CxKxF"])
    K = W.shape[1]
    out = {"loss_PxRxK": packed["loss_CxK"].reshape(P, R, K),
           "count_PxRxK": packed["count_CxK"].reshape(P, R, K).astype(int),
           "W_PxRxKxHxF": W.reshape((P, R) + W.shape[1:]), "b_PxRxKxF": packed["b_CxKxF"].reshape(P, R, K, -1),
           "label_PxRxK": labels.reshape(P, R, K), "n_minima_PxR": packed["n_minima_C"].reshape(P, R).astype(int),
           "n_not_minimum_PxR": packed["n_not_minimum_C"].reshape(P, R).astype(int),
           "settings": TINY_SETTINGS if (tiny and source == "computed") else SETTINGS, "source": source,
           "wall_s": wall}
    out["global_PxR"] = out["label_PxRxK"][..., 0]
    return out


def compare_trained(exact: dict, W_PxRxSxHxF, b_PxRxSxF, p_P, r_R) -> dict:
    """Where the trained models landed, judged by the exact loss of their own (W, b).

    For every trained model: its exact loss L (theory.expected_loss, the paper's sum over features),
    the nearest exact minimum k (analysis.nearest_minimum; k = 0 is the global one) and the gaps
    |L − L_k| (absolute and relative to L_k).

    Returns dict of arrays (P, R, S): exact_loss, nearest, gap_abs, gap_rel, and below_global (L below
    the exact global minimum by more than float32 rounding, 1e-5 relative).
    """
    import jax
    import jax.numpy as jnp

    W = np.asarray(W_PxRxSxHxF, np.float32)
    b = np.asarray(b_PxRxSxF, np.float32)
    P, R, S, m, n = W.shape
    p = np.broadcast_to(np.asarray(p_P, np.float32)[:, None, None, None], (P, R, S, n))
    I = np.ones((P, R, S, n), np.float32)
    I[..., -1] = np.asarray(r_R, np.float32)[None, :, None]
    fn = jax.jit(jax.vmap(theory.expected_loss))
    with jax.enable_x64(True):  # float64: the sparse cells' losses are ~p², see theory.descend64
        f64 = lambda a: jnp.asarray(np.asarray(a, np.float64))  # noqa: E731
        L = np.asarray(fn(f64(W.reshape(-1, m, n)), f64(b.reshape(-1, n)), f64(p.reshape(-1, n)),
                          f64(I.reshape(-1, n)))).reshape(P, R, S)
    M = exact["loss_PxRxK"]
    k = analysis.nearest_minimum(L, M)
    Lk = np.take_along_axis(M, k, axis=-1)
    return {"exact_loss": L, "nearest": k, "gap_abs": np.abs(L - Lk), "gap_rel": np.abs(L - Lk) / Lk,
            "below_global": L < M[..., :1] * (1 - 1e-5)}


def write_cache_from_raw(raw_npz: str, n: int, m: int, bias: bool = True) -> None:
    """Write the cache from a saved :func:`toymodels.theory.descend64` result (npz with the Minima
    fields plus dens, imp, density_P, relative_importance_R, wall_s) computed with SETTINGS."""
    d = np.load(raw_npz)
    mins = theory.Minima(d["W"], d["b"], d["loss"], d["grad_norm"], d["min_eig"])
    packed = theory.pack(theory.group_grid(mins, d["dens"], d["imp"]))
    cache_path(n, m, bias).write_text(json.dumps(_to_json(packed, d["density_P"], d["relative_importance_R"],
                                                          SETTINGS_BY_SHAPE[(n, m)], float(d["wall_s"]) if "wall_s" in d else 0.0)))
