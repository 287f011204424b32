"""Phase diagrams: empirical phase labels and the analytic "toy model of the toy model".

Paper section 4 ("Superposition as a Phase Change"); theory from Wattenberg's notebook
(paper_spec 4.2). The phase of the *extra* feature is one of

=========================  =====
constant                   value
=========================  =====
``PHASE_NOT_REPRESENTED``  0
``PHASE_DEDICATED``        1
``PHASE_SUPERPOSITION``    2
=========================  =====

Notation: p = feature density 1 − S (the same for all features), r = relative importance of
the extra (last) feature; the other features have importance 1. Each analytic configuration has
fixed unit norms; features it represents perfectly cost 0, the rest cost (per unit importance):

* f       = p/3 − p²/4        drop a normal feature (bias p/2 on it); extra dedicated
* g       = r(p/3 − p²/4)     drop the extra feature (bias p/2 on it)
* h_first = p²/3              the two normal features antipodal (n=3 only); extra dedicated
* h_last  = (1 + r)p²/6       the extra feature antipodal with one normal feature

n=2, m=1 compares g, f, h_last; n=3, m=2 compares all four. Derived boundaries: superposition
wins for n=2 iff p < p*(r) = 4r/(2+5r) (r <= 1) or 4/(5+2r) (r >= 1); triple point r=1, p=4/7.

The numeric functions are ``jnp`` and vmap-able; :func:`agreement` and :func:`boundary_mask`
are host numpy (neighbourhood logic on a 2-D grid).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp
import numpy as np

from toymodels.analysis import measures

PHASE_NOT_REPRESENTED = 0
PHASE_DEDICATED = 1
PHASE_SUPERPOSITION = 2
PHASE_NAMES = ("not represented", "dedicated", "superposition")

# n=3, m=2 configuration codes, named by the direction W is orthogonal to (paper section 4).
CONFIG_G = 0  # W ⊥ [0,0,1]: extra not represented
CONFIG_F = 1  # W ⊥ [1,0,0]: a normal feature dropped, extra dedicated
CONFIG_H_FIRST = 2  # W ⊥ [1,1,0]: the two normal features antipodal, extra dedicated
CONFIG_H_LAST = 3  # W ⊥ [0,1,1]: extra antipodal with one normal feature
CONFIG_NAMES = ("W⊥[0,0,1]", "W⊥[1,0,0]", "W⊥[1,1,0]", "W⊥[0,1,1]")
CONFIG_PHASE = (PHASE_NOT_REPRESENTED, PHASE_DEDICATED, PHASE_DEDICATED, PHASE_SUPERPOSITION)


@functools.partial(jax.jit, static_argnames=("feature",))
def feature_phase(
    W_HxF,
    b_F=None,
    feature: int = -1,
    *,
    norm_threshold: float = 0.5,
    min_self_gain: float = 0.0,
    superposition_threshold: float = 0.1,
):
    """Phase of one feature of ONE model: not represented / dedicated / superposition (paper 4).

    The three-way reduction of :func:`toymodels.analysis.measures.feature_status`: an antipodal
    feature is in superposition. A feature is represented iff ||W_i|| > norm_threshold (and,
    with b_F, ||W_i||² + b_i > min_self_gain); it is dedicated iff its superposition score
    Σ_{j≠i} (Ŵ_i·W_j)² < superposition_threshold. E.g. for n=2, m=1: W=[1,0] → extra (feature 1)
    not represented; W=[0,1] → dedicated; W=[1,-1] → superposition.

    Vmap over grid axes, e.g. ``jax.vmap(jax.vmap(feature_phase))(W_PxRxHxF, b_PxRxF)``, or use
    :func:`phase_grid`.

    Args:
      W_HxF: weights, shape (m, n).
      b_F: optional bias, shape (n,).
      feature: index of the feature whose phase is returned (default: the last, "extra" one).
      norm_threshold, min_self_gain, superposition_threshold: see feature_status.

    Returns:
      int32 scalar phase code.
    """
    status_F = measures.feature_status(
        W_HxF,
        b_F,
        norm_threshold=norm_threshold,
        min_self_gain=min_self_gain,
        superposition_threshold=superposition_threshold,
    )
    return status_to_phase(status_F[feature])


@jax.jit
def status_to_phase(status):
    """Map feature-status codes to phase codes (ANTIPODAL → SUPERPOSITION); elementwise."""
    status = jnp.asarray(status)
    return jnp.where(status == measures.ANTIPODAL, PHASE_SUPERPOSITION, status).astype(jnp.int32)


def phase_grid(W_GxHxF, b_GxF=None, feature: int = -1, **kwargs):
    """:func:`feature_phase` over arbitrary leading grid axes G (flattened, vmapped, reshaped).

    Args:
      W_GxHxF: weights with leading grid axes, shape (*G, m, n).
      b_GxF: biases, shape (*G, n), or None.
      feature: feature index.
      **kwargs: thresholds for feature_phase.

    Returns:
      phase_G: int32, shape G.
    """
    W = jnp.asarray(W_GxHxF)
    grid = W.shape[:-2]
    W_NxHxF = W.reshape((-1,) + W.shape[-2:])

    def one(W_HxF, b_F):
        return feature_phase(W_HxF, b_F, feature, **kwargs)

    if b_GxF is None:
        out = jax.vmap(lambda w: one(w, None))(W_NxHxF)
    else:
        b_NxF = jnp.asarray(b_GxF).reshape((-1, W.shape[-1]))
        out = jax.vmap(one)(W_NxHxF, b_NxF)
    return out.reshape(grid)


@jax.jit
def wattenberg_losses(p, r):
    """Losses of the four analytic configurations (paper_spec 4.2, Wattenberg's notebook).

    f = p/3 − p²/4; g = r(p/3 − p²/4); h_first = p²/3; h_last = (1 + r)p²/6. Broadcasts.
    p/3 − p²/4 is the variance of x = U[0,1] with probability p, the cost of an unrepresented
    feature with its optimal bias p/2; (1 + r)p²/6 is the antipodal pair's cost when both are on.

    Args:
      p: density 1 − S, any shape.
      r: relative importance of the extra feature, broadcastable with p.

    Returns:
      dict with keys "f", "g", "h_first", "h_last", each of the broadcast shape.
    """
    p, r = jnp.broadcast_arrays(measures._float(p), measures._float(r))
    var = p / 3 - p**2 / 4
    return {"f": var, "g": r * var, "h_first": p**2 / 3, "h_last": (1 + r) * p**2 / 6}


@jax.jit
def theory_phase_n2m1(p, r):
    """Theoretical phase of the extra feature for n=2, m=1 (paper section 4, figure pair).

    argmin over (g → not represented, f → dedicated, h_last → superposition). Ties go to the
    earlier entry, so superposition needs a strictly lower loss (p < p*(r)), and at r = 1 exactly
    not-represented wins over dedicated. For n=2 there is no h_first configuration (paper_spec 4.2).

    Args:
      p: density, any shape.
      r: relative importance, broadcastable with p.

    Returns:
      int32 phase codes of the broadcast shape.
    """
    L = wattenberg_losses(p, r)
    stacked = jnp.stack([L["g"], L["f"], L["h_last"]])
    phase_of = jnp.array([PHASE_NOT_REPRESENTED, PHASE_DEDICATED, PHASE_SUPERPOSITION])
    return phase_of[jnp.argmin(stacked, axis=0)].astype(jnp.int32)


@jax.jit
def theory_config_n3m2(p, r):
    """Optimal analytic configuration for n=3, m=2 (paper section 4, four-phase diagram).

    argmin over (g, f, h_first, h_last), codes CONFIG_G=0, CONFIG_F=1, CONFIG_H_FIRST=2,
    CONFIG_H_LAST=3. Ties go to the earlier entry, so h_last needs to be strictly better than
    h_first (true iff r < 1). The triangle W ⊥ [1,1,1] is excluded, as in the paper.

    Args:
      p: density, any shape.
      r: relative importance of the extra feature, broadcastable with p.

    Returns:
      int32 configuration codes of the broadcast shape.
    """
    L = wattenberg_losses(p, r)
    stacked = jnp.stack([L["g"], L["f"], L["h_first"], L["h_last"]])
    return jnp.argmin(stacked, axis=0).astype(jnp.int32)


@jax.jit
def theory_phase_n3m2(p, r):
    """Theoretical phase of the extra feature for n=3, m=2: :func:`theory_config_n3m2` mapped by
    CONFIG_PHASE (h_first keeps the extra feature dedicated)."""
    return jnp.asarray(CONFIG_PHASE, dtype=jnp.int32)[theory_config_n3m2(p, r)]


@jax.jit
def phase_boundary_n2m1(r):
    """Superposition boundary p*(r) for n=2, m=1: superposition iff p < p*(r).

    p*(r) = 4r/(2 + 5r) for r <= 1 (h_last vs g) and 4/(5 + 2r) for r >= 1 (h_last vs f). Both
    give 4/7 at r = 1, the triple point; p*(0.1) = p*(10) = 0.16, p*(0.5) = p*(2) = 4/9.

    Args:
      r: relative importance, any shape.

    Returns:
      p_star, same shape.
    """
    r = measures._float(r)
    return jnp.where(r <= 1, 4 * r / (2 + 5 * r), 4 / (5 + 2 * r))


@jax.jit
def phase_boundary_n3m2(r):
    """Boundary between the low- and high-density configurations for n=3, m=2.

    r < 1: h_last (extra in superposition) below p = 4r/(2 + 5r), g above.
    r >= 1: h_first below p = 4/7, f above (the extra feature is dedicated on both sides).

    Args:
      r: relative importance, any shape.

    Returns:
      p_boundary, same shape.
    """
    r = measures._float(r)
    return jnp.where(r < 1, 4 * r / (2 + 5 * r), 4.0 / 7.0)


@functools.partial(jax.jit, static_argnames=("n_phases",))
def seed_protocol(loss_S, phase_S, *, n_phases: int = 3):
    """Combine the seeds of one grid cell with the paper's protocol and with best-of-seeds.

    Paper section 4: "10 models per grid point; average the results after discarding the
    highest-loss model". Here "average" is given three ways: the majority phase, the fraction of
    seeds per phase and the mean phase code. NaN losses (diverged runs) count as the highest.
    Majority ties go to the lowest phase code. With a single seed nothing is discarded.

    Args:
      loss_S: final loss per seed, shape (S,).
      phase_S: int phase code per seed, shape (S,).
      n_phases: number of phase codes (fractions has this length).

    Returns:
      dict with keys

      * ``phase``: int32, majority phase after discarding the highest-loss seed;
      * ``fractions_P``: fraction of kept seeds per phase code, shape (n_phases,);
      * ``mean_phase``: mean phase code of the kept seeds;
      * ``mean_loss``: mean loss of the kept seeds;
      * ``best_phase``: int32, phase of the lowest-loss seed (best-of-seeds protocol);
      * ``best_loss``: the lowest loss;
      * ``best_seed``: int32 index of the lowest-loss seed.
    """
    loss_S = measures._float(loss_S)
    phase_S = jnp.asarray(phase_S).astype(jnp.int32)
    S = loss_S.shape[0]
    clean_S = jnp.where(jnp.isnan(loss_S), jnp.inf, loss_S)
    worst = jnp.argmax(clean_S)
    keep_S = (jnp.arange(S) != worst) if S > 1 else jnp.ones((S,), bool)
    n_kept = jnp.sum(keep_S)
    onehot_SxP = phase_S[:, None] == jnp.arange(n_phases)[None, :]
    counts_P = jnp.sum(onehot_SxP & keep_S[:, None], axis=0)
    best = jnp.argmin(clean_S)
    return {
        "phase": jnp.argmax(counts_P).astype(jnp.int32),
        "fractions_P": counts_P / n_kept,
        "mean_phase": jnp.sum(jnp.where(keep_S, phase_S, 0)) / n_kept,
        "mean_loss": jnp.sum(jnp.where(keep_S, clean_S, 0.0)) / n_kept,
        "best_phase": phase_S[best],
        "best_loss": loss_S[best],
        "best_seed": best.astype(jnp.int32),
    }


def boundary_mask(theory_grid, *, radius: int = 1) -> np.ndarray:
    """Cells within `radius` grid cells (Chebyshev distance) of a change in the theory labels.

    A cell is near the boundary if any cell in its (2·radius+1)² neighbourhood (clipped at the
    edges) has a different theory label than it.

    Args:
      theory_grid: 2-D integer labels.
      radius: neighbourhood radius in cells.

    Returns:
      bool numpy array, same shape.
    """
    T = np.asarray(theory_grid)
    if T.ndim != 2:
        raise ValueError(f"boundary_mask needs a 2-D grid, got shape {T.shape}")
    near = np.zeros(T.shape, bool)
    P, R = T.shape
    for di in range(-radius, radius + 1):
        for dj in range(-radius, radius + 1):
            shifted = np.full(T.shape, 0, bool)
            src = T[max(di, 0) : P + min(di, 0), max(dj, 0) : R + min(dj, 0)]
            dst = T[max(-di, 0) : P + min(-di, 0), max(-dj, 0) : R + min(-dj, 0)]
            shifted[max(-di, 0) : P + min(-di, 0), max(-dj, 0) : R + min(-dj, 0)] = src != dst
            near |= shifted
    return near


def agreement(
    empirical_phase_grid, theory_phase_grid, *, exclude_boundary: bool = False, radius: int = 1
) -> float:
    """Fraction of grid cells where the empirical phase equals the theoretical one.

    paper_spec 4.2 suggests testing "agreement except within about one grid cell of the
    boundary": with exclude_boundary=True the cells flagged by :func:`boundary_mask` (computed on
    the theory grid, which must then be 2-D) are left out of both numerator and denominator.

    Args:
      empirical_phase_grid: integer phase codes, any shape.
      theory_phase_grid: integer phase codes, same shape.
      exclude_boundary: drop cells near a theory boundary.
      radius: boundary neighbourhood radius in cells.

    Returns:
      float in [0, 1]; NaN if no cell is left.
    """
    E = np.asarray(empirical_phase_grid)
    T = np.asarray(theory_phase_grid)
    if E.shape != T.shape:
        raise ValueError(f"grid shapes differ: {E.shape} vs {T.shape}")
    keep = ~boundary_mask(T, radius=radius) if exclude_boundary else np.ones(T.shape, bool)
    n = int(keep.sum())
    return float(np.sum((E == T) & keep) / n) if n else float("nan")


# --- figs-b additions: grid-wide seed protocol, n=3 configuration labels, boundary bisection ---

CONFIG_TRIANGLE = 4  # W ⊥ [1,1,1]: the three features at 120° (found empirically, not in the theory)
CONFIG_CONFUSED = 5  # extra dedicated, the two normal features share a direction with the SAME sign
CONFIG_OTHER = 6
CONFIG_NAMES_EMPIRICAL = CONFIG_NAMES + ("triangle W⊥[1,1,1]", "normals same-sign (confused)", "other")


def seed_protocol_grid(loss_GxS, phase_GxS, *, n_phases: int = 3) -> dict:
    """:func:`seed_protocol` over arbitrary leading grid axes G (the seed axis last).

    Args:
      loss_GxS: final loss per seed, shape (*G, S).
      phase_GxS: integer phase (or configuration) codes, shape (*G, S).
      n_phases: number of codes (length of ``fractions``).

    Returns:
      dict of numpy arrays, each of shape G (``fractions_GxP`` has a trailing axis of n_phases):
      ``phase`` (majority after discarding the highest-loss seed), ``fractions_GxP``,
      ``mean_phase``, ``mean_loss``, ``best_phase``, ``best_loss``, ``best_seed``.
    """
    loss = np.asarray(loss_GxS, dtype=np.float32)
    phase = np.asarray(phase_GxS)
    if loss.shape != phase.shape:
        raise ValueError(f"loss and phase shapes differ: {loss.shape} vs {phase.shape}")
    grid, S = loss.shape[:-1], loss.shape[-1]
    fn = jax.vmap(lambda l, c: seed_protocol(l, c, n_phases=n_phases))
    out = fn(loss.reshape(-1, S), phase.reshape(-1, S))
    res = {k: np.asarray(v).reshape(grid + np.asarray(v).shape[1:]) for k, v in out.items()}
    res["fractions_GxP"] = res.pop("fractions_P")
    return res


@functools.partial(jax.jit, static_argnames=("confused_cos", "confused_norm"))
def config_n3m2(W_HxF, b_F=None, *, confused_cos: float = 0.9, confused_norm: float = 0.2):
    """Empirical configuration code of ONE n=3, m=2 model, feature 2 being the extra one.

    Built on :func:`toymodels.analysis.measures.feature_status` (s_i = status of feature i):

    * CONFIG_G (0): s_2 not represented (W ⊥ [0,0,1]);
    * CONFIG_H_LAST (3): s_2 antipodal (the extra feature pairs with a normal one, W ⊥ [0,1,1]);
    * CONFIG_H_FIRST (2): s_2 dedicated, s_0 and s_1 antipodal (W ⊥ [1,1,0]);
    * CONFIG_F (1): s_2 dedicated, one normal feature dedicated and the other not represented
      (W ⊥ [1,0,0]);
    * CONFIG_TRIANGLE (4): all three represented in (non-antipodal) superposition with every
      pairwise cosine < -1/4 (W ⊥ [1,1,1]; -1/2 for the regular triangle);
    * CONFIG_CONFUSED (5): s_2 dedicated and the two normal features pointing the same way
      (cos(W_0, W_1) > confused_cos, both norms > confused_norm): McGrath's "confused feature"
      phase (paper section 4 comments), which the theory leaves out;
    * CONFIG_OTHER (6): anything else.

    Args:
      W_HxF: weights, shape (2, 3).
      b_F: optional bias, shape (3,), passed to feature_status.
      confused_cos, confused_norm: thresholds of CONFIG_CONFUSED.

    Returns:
      int32 scalar code.
    """
    s = measures.feature_status(W_HxF, b_F)
    NR, DED, SUP, ANT = measures.NOT_REPRESENTED, measures.DEDICATED, measures.SUPERPOSITION, measures.ANTIPODAL
    normals_antipodal = (s[0] == ANT) & (s[1] == ANT)
    one_dropped = ((s[0] == NR) & (s[1] == DED)) | ((s[0] == DED) & (s[1] == NR))
    W = measures._float(W_HxF)
    norms = jnp.linalg.norm(W, axis=0)
    U = W / jnp.maximum(norms, measures.NORM_EPS)[None, :]
    cos = U.T @ U
    n0, n1, cos01 = norms[0], norms[1], cos[0, 1]
    # W ⊥ [1,1,1]: the three directions spread around the plane (pairwise cos = -1/2 when regular)
    spread = (cos[0, 1] < -0.25) & (cos[0, 2] < -0.25) & (cos[1, 2] < -0.25)
    triangle = (s[0] == SUP) & (s[1] == SUP) & (s[2] == SUP) & spread
    confused = (s[2] == DED) & (cos01 > confused_cos) & (n0 > confused_norm) & (n1 > confused_norm)
    code = jnp.where(
        s[2] == NR, CONFIG_G,
        jnp.where(s[2] == ANT, CONFIG_H_LAST,
                  jnp.where((s[2] == DED) & normals_antipodal, CONFIG_H_FIRST,
                            jnp.where((s[2] == DED) & one_dropped, CONFIG_F,
                                      jnp.where(triangle, CONFIG_TRIANGLE,
                                                jnp.where(confused, CONFIG_CONFUSED, CONFIG_OTHER))))))
    return code.astype(jnp.int32)


def config_grid_n3m2(W_GxHxF, b_GxF=None):
    """:func:`config_n3m2` over arbitrary leading grid axes G; returns int32 codes of shape G."""
    W = jnp.asarray(W_GxHxF)
    grid = W.shape[:-2]
    W_N = W.reshape((-1,) + W.shape[-2:])
    if b_GxF is None:
        out = jax.vmap(lambda w: config_n3m2(w, None))(W_N)
    else:
        out = jax.vmap(config_n3m2)(W_N, jnp.asarray(b_GxF).reshape((-1, W.shape[-1])))
    return np.asarray(out).reshape(grid)


def bisect_phase_change(phase_fn, lo_N, hi_N, *, n_iter: int = 60, log: bool = True) -> np.ndarray:
    """Where a label function changes value between lo and hi, for N independent 1-D problems.

    Bisection (in log space when ``log``): the returned x satisfies phase_fn(x⁻) = phase_fn(lo)
    and phase_fn(x⁺) ≠ phase_fn(lo) to ~2^-n_iter relative precision. Used to read the phase
    boundaries off the analytic phase functions numerically (paper section 4, spec 4.2).

    Args:
      phase_fn: vectorised function x_N -> integer labels_N (e.g. ``lambda p: theory(p, r_N)``).
      lo_N, hi_N: bracket ends, shape (N,), with phase_fn(lo) != phase_fn(hi) for every entry.
      n_iter: bisection steps.
      log: bisect log x (positive brackets) instead of x.

    Returns:
      x_N, float64, the change points. NaN where the bracket has no change.
    """
    lo = np.asarray(lo_N, dtype=np.float64).copy()
    hi = np.asarray(hi_N, dtype=np.float64).copy()
    f = (lambda x: np.asarray(phase_fn(x)))
    label_lo = f(lo)
    ok = label_lo != f(hi)
    for _ in range(n_iter):
        mid = np.sqrt(lo * hi) if log else (lo + hi) / 2
        same = f(mid) == label_lo
        lo = np.where(same, mid, lo)
        hi = np.where(same, hi, mid)
    x = np.sqrt(lo * hi) if log else (lo + hi) / 2
    return np.where(ok, x, np.nan)


# --- exact theory (toymodels.theory): labels of exact minima, where trained models landed ---

PHASE_CONFUSED = 3  # n=2, m=1: both features represented with the SAME sign (McGrath's "confused" phase)
PHASE_NAMES_EXACT = PHASE_NAMES + ("same-sign (confused)",)


@jax.jit
def phase_n2m1(W_HxF, b_F=None):
    """Four-way phase of ONE n=2, m=1 model: :func:`feature_phase` of the extra feature, with the
    superposition split by sign: antipodal (W₁W₂ < 0) stays PHASE_SUPERPOSITION, same sign becomes
    PHASE_CONFUSED (McGrath's "confused feature" phase, paper section 4 comments)."""
    phase = feature_phase(W_HxF, b_F)
    W = measures._float(W_HxF)
    same_sign = jnp.sum(W[:, 0] * W[:, 1]) > 0
    return jnp.where((phase == PHASE_SUPERPOSITION) & same_sign, PHASE_CONFUSED, phase).astype(jnp.int32)


def label_models(W_GxHxF, b_GxF):
    """Label models of any leading grid shape G with the exact-theory naming: :func:`phase_n2m1`
    for n=2, m=1 (codes of PHASE_NAMES_EXACT), :func:`config_n3m2` for n=3, m=2 (codes of
    CONFIG_NAMES_EMPIRICAL). NaN weights (padding) get -1."""
    W, b = np.asarray(W_GxHxF, np.float32), np.asarray(b_GxF, np.float32)
    grid, (m, n) = W.shape[:-2], W.shape[-2:]
    bad = ~np.isfinite(W.reshape(grid + (-1,))).all(-1)
    W0, b0 = np.nan_to_num(W).reshape((-1, m, n)), np.nan_to_num(b).reshape((-1, n))
    if (n, m) == (2, 1):
        codes = np.asarray(jax.vmap(phase_n2m1)(W0, b0))
    elif (n, m) == (3, 2):
        codes = np.asarray(jax.vmap(config_n3m2)(W0, b0))
    else:
        raise ValueError(f"exact-theory labels exist for n=2, m=1 and n=3, m=2, not n={n}, m={m}")
    return np.where(bad, -1, codes.reshape(grid))


def nearest_minimum(loss_GxS, minima_loss_GxK) -> np.ndarray:
    """Index of the exact local minimum whose loss is nearest each trained model's exact loss.

    Args:
      loss_GxS: exact expected loss of each trained model (toymodels.theory.expected_loss).
      minima_loss_GxK: the cell's distinct minima, sorted (index 0 = global), NaN-padded.

    Returns:
      int array of shape (*G, S).
    """
    L = np.asarray(loss_GxS, float)[..., :, None]
    M = np.asarray(minima_loss_GxK, float)[..., None, :]
    return np.argmin(np.where(np.isfinite(M), np.abs(L - M), np.inf), axis=-1)


__all__ = [
    "PHASE_NOT_REPRESENTED",
    "PHASE_DEDICATED",
    "PHASE_SUPERPOSITION",
    "PHASE_NAMES",
    "CONFIG_G",
    "CONFIG_F",
    "CONFIG_H_FIRST",
    "CONFIG_H_LAST",
    "CONFIG_NAMES",
    "CONFIG_PHASE",
    "feature_phase",
    "status_to_phase",
    "phase_grid",
    "wattenberg_losses",
    "theory_phase_n2m1",
    "theory_config_n3m2",
    "theory_phase_n3m2",
    "phase_boundary_n2m1",
    "phase_boundary_n3m2",
    "seed_protocol",
    "boundary_mask",
    "agreement",
    "CONFIG_TRIANGLE",
    "CONFIG_CONFUSED",
    "CONFIG_OTHER",
    "CONFIG_NAMES_EMPIRICAL",
    "seed_protocol_grid",
    "config_n3m2",
    "config_grid_n3m2",
    "bisect_phase_change",
    "PHASE_CONFUSED",
    "PHASE_NAMES_EXACT",
    "phase_n2m1",
    "label_models",
    "nearest_minimum",
]
