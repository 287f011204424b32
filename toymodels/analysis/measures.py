"""Per-model measures of superposition (paper section 2 "Definitions", sections 4-5; paper_spec 2).

Every function here takes the weights of ONE model and returns arrays. All are pure ``jnp`` code
without Python control flow on values, so they jit and ``jax.vmap`` over any grid axes, and they
accept plain numpy arrays. They compute in the input dtype: with ``jax_enable_x64`` on, float64
input stays float64 (paper_spec 7 recommends float64 for D_i); float32 works too.

Conventions: ``W_HxF`` has shape (n_hidden m, n_features n); column ``W[:, i]`` is feature i's
direction in hidden space. ``b_F`` is the output bias.

Feature status codes (:func:`feature_status`):

=====================  =====  ==============================================================
constant               value  meaning
=====================  =====  ==============================================================
``NOT_REPRESENTED``    0      ||W_i|| <= norm_threshold (or its bias cancels it, see below)
``DEDICATED``          1      represented, superposition score < superposition_threshold
``SUPERPOSITION``      2      represented, shares its direction with other features
``ANTIPODAL``          3      represented, forms an isolated antipodal pair (a digon)
``NONFINITE``          -1     the model's weights (or bias) hold a NaN/Inf: a diverged model
=====================  =====  ==============================================================

Diverged models (paper_spec 7; docs/reliability.md). A NaN or Inf anywhere in W (or b) makes
every feature's status ``NONFINITE`` (-1, not an index into STATUS_NAMES), ``n_represented`` -1,
and the float measures (norms, D_i, D*, superposition) NaN for the affected entries. Nothing
reads a diverged model as "not represented", "dedicated" or D = 0. :func:`status_counts`
counts only the codes 0-3, so a diverged model's counts sum to 0, not n.

Neuron status codes (:func:`neuron_status`, privileged-basis and |x| models, paper sections 7-8):
``NEURON_DEAD`` 0, ``NEURON_MONOSEMANTIC`` 1, ``NEURON_POLYSEMANTIC`` 2, and ``NEURON_NONFINITE``
-1 for a neuron whose weights hold a NaN/Inf (counted by no :func:`neuron_counts` entry).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

NOT_REPRESENTED = 0
DEDICATED = 1
SUPERPOSITION = 2
ANTIPODAL = 3
NONFINITE = -1
STATUS_NAMES = ("not represented", "dedicated", "superposition", "antipodal")

NEURON_DEAD = 0
NEURON_MONOSEMANTIC = 1
NEURON_POLYSEMANTIC = 2
NEURON_NONFINITE = -1
NEURON_STATUS_NAMES = ("dead", "monosemantic", "polysemantic")

# The companion notebook's clamp in compute_dimensionality (paper_spec 2).
NORM_EPS = 1e-6


def _float(x):
    """As a jnp float array; keeps float64 when x64 is on, promotes ints to the default float."""
    x = jnp.asarray(x)
    return x if jnp.issubdtype(x.dtype, jnp.floating) else x.astype(jnp.result_type(float))


def _safe_sqrt(x):
    """sqrt with a zero (not NaN) gradient at 0, so zero columns stay differentiable; NaN stays NaN."""
    pos = x > 0
    return jnp.where(pos, jnp.sqrt(jnp.where(pos, x, 1.0)), jnp.where(jnp.isnan(x), jnp.nan, 0.0))


def _all_finite(*arrays):
    """Scalar bool: every entry of every (non-None) array is finite."""
    ok = jnp.array(True)
    for a in arrays:
        if a is not None:
            ok = ok & jnp.all(jnp.isfinite(_float(a)))
    return ok


@jax.jit
def feature_norms(W_HxF):
    """Length of each feature's direction, ||W_i|| (paper section 2).

    A feature is "represented" when this is about 1 and "not represented" when about 0.

    Args:
      W_HxF: weights, shape (m, n).

    Returns:
      norms_F: shape (n,).
    """
    W_HxF = _float(W_HxF)
    return _safe_sqrt(jnp.sum(W_HxF**2, axis=0))


@jax.jit
def interference(W_HxF):
    """The end-to-end matrix WᵀW (paper section 2, the heatmaps of section 3).

    Entry (i, j) = W_i·W_j: the diagonal is ||W_i||², the off-diagonal is the interference that
    feature j causes on feature i's output.

    Args:
      W_HxF: weights, shape (m, n).

    Returns:
      WtW_FxF: shape (n, n).
    """
    W_HxF = _float(W_HxF)
    return W_HxF.T @ W_HxF


def _unit_columns(W_HxF, eps):
    """Ŵ_i = W_i / max(||W_i||, eps), the notebook's clamp; a zero column stays zero."""
    norms_F = feature_norms(W_HxF)
    return W_HxF / jnp.maximum(norms_F, eps)[None, :]


def _projections_squared(W_HxF, eps):
    """P[i, j] = (Ŵ_i·W_j)², shape (n, n)."""
    W_HxF = _float(W_HxF)
    return (_unit_columns(W_HxF, eps).T @ W_HxF) ** 2


@jax.jit
def superposition(W_HxF, *, eps: float = NORM_EPS):
    """Superposition score of each feature, Σ_{j≠i} (Ŵ_i·W_j)² (paper section 2 / 4).

    0 when feature i is orthogonal to every other feature; >= 1 when other features can drive
    W_i's direction as hard as feature i itself does (an antipodal partner of equal norm gives
    exactly 1). Ŵ_i = W_i / max(||W_i||, eps), so an all-zero column scores 0.

    The notebook colours its norm bars by sqrt of this quantity; plot code may take the sqrt.

    Args:
      W_HxF: weights, shape (m, n).
      eps: norm clamp for Ŵ (the notebook's 1e-6).

    Returns:
      superposition_F: shape (n,).
    """
    P_FxF = _projections_squared(W_HxF, eps)
    return jnp.sum(P_FxF, axis=1) - jnp.diagonal(P_FxF)


@jax.jit
def dimensionality(V_HxN, *, eps: float = NORM_EPS):
    """Fractional dimensionality of each column of V: ||V_i||² / Σ_j (V̂_i·V_j)², sum incl. j=i.

    This one formula gives both the feature dimensionality D_i of TMS section 5 (columns = feature
    directions W_i) and the data-point dimensionality of Henighan et al. 2023 (columns = hidden
    vectors h_t). Equivalent form ||V_i||⁴ / (V_iᵀ (V Vᵀ) V_i). Values lie in [0, 1]; k parallel
    columns of equal norm get 1/k each; a tight frame of k unit vectors in d dims gives d/k each.

    The normalisation follows the notebook (V̂ = V / clamp(||V||, eps)). An all-zero column
    makes 0/0 there; here it is defined as 0 (a not-represented feature has D = 0). A tiny column
    that is exactly orthogonal to everything still gets 1 by the formula; use
    :func:`feature_status` with a norm threshold to decide representation.

    Args:
      V_HxN: vectors as columns, shape (m, N).
      eps: norm clamp (the notebook's 1e-6).

    Returns:
      D_N: shape (N,).
    """
    V_HxN = _float(V_HxN)
    norms_sq_N = jnp.sum(V_HxN**2, axis=0)
    denom_N = jnp.sum(_projections_squared(V_HxN, eps), axis=1)
    # where() on both branches keeps the gradient NaN-free for zero columns.
    safe_denom_N = jnp.where(denom_N > 0, denom_N, 1.0)
    D_N = jnp.where(denom_N > 0, norms_sq_N / safe_denom_N, 0.0)
    # a NaN/Inf anywhere poisons every denominator: D is NaN then, never the zero-column 0
    return jnp.where(jnp.isfinite(denom_N) & jnp.isfinite(norms_sq_N), D_N, jnp.nan)


@jax.jit
def feature_dimensionality(W_HxF, *, eps: float = NORM_EPS):
    """Feature dimensionality D_i = ||W_i||² / Σ_j (Ŵ_i·W_j)² (paper section 5 "Feature Dimensionality").

    The sum includes j = i. D_i = 1 for a feature orthogonal to all others, 1/2 for an antipodal
    pair, 2/3 triangle, 3/4 tetrahedron, 2/5 pentagon, 3/8 square antiprism; 0 for a zero column.
    Σ_i D_i <= rank(W) <= m, with equality when every tegum factor is a tight frame (paper_spec 2).
    Same as Scherlis et al.'s capacity C_i. See :func:`dimensionality` for the zero-norm rule.

    Args:
      W_HxF: weights, shape (m, n). Pass float64 with jax_enable_x64 on for extra precision.
      eps: the notebook's norm clamp.

    Returns:
      D_F: shape (n,).
    """
    return dimensionality(W_HxF, eps=eps)


@jax.jit
def dims_per_feature(W_HxF):
    """Dimensions per feature D* = m / ||W||_F² (paper section 5 "Uniform Superposition").

    Sticky at 1 (no superposition) and 1/2 (antipodal pairs) in the uniform sweep.

    Args:
      W_HxF: weights, shape (m, n).

    Returns:
      D_star: scalar. inf for an all-zero W; NaN when W holds a NaN/Inf (not 0).
    """
    W_HxF = _float(W_HxF)
    return jnp.where(_all_finite(W_HxF), W_HxF.shape[0] / jnp.sum(W_HxF**2), jnp.nan)


@jax.jit
def features_per_dim(W_HxF):
    """Features per dimension 1/D* = ||W||_F² / m (paper sections 5 and 3.8 adversarial plot).

    Args:
      W_HxF: weights, shape (m, n).

    Returns:
      scalar.
    """
    W_HxF = _float(W_HxF)
    return jnp.sum(W_HxF**2) / W_HxF.shape[0]


@jax.jit
def total_dimensionality(W_HxF, *, eps: float = NORM_EPS):
    """Σ_i D_i, which equals m when features are packed efficiently (paper section 5; paper_spec 2).

    Args:
      W_HxF: weights, shape (m, n).
      eps: the notebook's norm clamp.

    Returns:
      scalar.
    """
    return jnp.sum(feature_dimensionality(W_HxF, eps=eps))


@jax.jit
def represented(W_HxF, b_F=None, *, norm_threshold: float = 0.5, min_self_gain: float = 0.0):
    """Which features are represented (paper section 2: ||W_i|| ≈ 1 vs ≈ 0).

    Feature i is represented iff ||W_i|| > norm_threshold and, when b_F is given,
    ||W_i||² + b_i > min_self_gain. The second test catches a direction whose bias cancels it:
    with x_i = 1 alone the ReLU-output model emits ReLU(||W_i||² + b_i), so at <= 0 the feature
    never reaches its own output. The 0.5 default matches the notebook-run count of features with
    ||W|| > 0.5 (paper_spec 3.2).

    Args:
      W_HxF: weights, shape (m, n).
      b_F: optional output bias, shape (n,).
      norm_threshold: minimum ||W_i||.
      min_self_gain: minimum ||W_i||² + b_i (only used with b_F).

    Returns:
      represented_F: bool, shape (n,).
    """
    norms_F = feature_norms(W_HxF)
    rep_F = norms_F > norm_threshold
    if b_F is not None:  # a static (trace-time) choice, not control flow on values
        rep_F = rep_F & (norms_F**2 + _float(b_F) > min_self_gain)
    return rep_F


@jax.jit
def feature_status(
    W_HxF,
    b_F=None,
    *,
    norm_threshold: float = 0.5,
    min_self_gain: float = 0.0,
    superposition_threshold: float = 0.1,
    antipodal_cos: float = 0.9,
    eps: float = NORM_EPS,
):
    """Per-feature status code: not represented / dedicated / superposition / antipodal.

    Rules, applied in this order (paper sections 2-3 and 5; codes in the module docstring):

    * ``NOT_REPRESENTED`` (0): not :func:`represented` (||W_i|| <= norm_threshold, or with b_F,
      ||W_i||² + b_i <= min_self_gain).
    * ``ANTIPODAL`` (3): represented, has a represented partner j with
      cos(W_i, W_j) <= -antipodal_cos, and all other features together add less than
      superposition_threshold to its score: Σ_{k≠i,j} (Ŵ_i·W_k)² < superposition_threshold.
    * ``DEDICATED`` (1): represented with Σ_{j≠i} (Ŵ_i·W_j)² < superposition_threshold.
      For a unit-norm feature this means D_i > 1/(1 + threshold) ≈ 0.91 at the default.
    * ``SUPERPOSITION`` (2): every other represented feature.
    * ``NONFINITE`` (-1): every feature, when W or b_F holds a NaN/Inf (a diverged model).

    The score sums over all j, not only represented ones, because weak features still interfere.

    Args:
      W_HxF: weights, shape (m, n).
      b_F: optional output bias, shape (n,); see :func:`represented`.
      norm_threshold: see :func:`represented`.
      min_self_gain: see :func:`represented`.
      superposition_threshold: maximum superposition score of a dedicated feature (and of the
        rest of the model's contribution to an antipodal feature).
      antipodal_cos: a partner with cosine <= -antipodal_cos counts as antipodal.
      eps: norm clamp.

    Returns:
      status_F: int32 codes, shape (n,).
    """
    W_HxF = _float(W_HxF)
    rep_F = represented(W_HxF, b_F, norm_threshold=norm_threshold, min_self_gain=min_self_gain)
    sup_F = superposition(W_HxF, eps=eps)
    Wn_HxF = _unit_columns(W_HxF, eps)
    cos_FxF = Wn_HxF.T @ Wn_HxF
    P_FxF = (Wn_HxF.T @ W_HxF) ** 2
    partner_FxF = (cos_FxF <= -antipodal_cos) & rep_F[None, :] & rep_F[:, None]
    partner_FxF = partner_FxF & ~jnp.eye(W_HxF.shape[1], dtype=bool)
    has_partner_F = jnp.any(partner_FxF, axis=1)
    # Strongest antipodal partner's contribution, removed to see what the rest of the model adds.
    partner_term_F = jnp.max(jnp.where(partner_FxF, P_FxF, 0.0), axis=1)
    rest_F = sup_F - partner_term_F
    antipodal_F = has_partner_F & (rest_F < superposition_threshold)
    status_F = jnp.where(
        ~rep_F,
        NOT_REPRESENTED,
        jnp.where(
            antipodal_F,
            ANTIPODAL,
            jnp.where(sup_F < superposition_threshold, DEDICATED, SUPERPOSITION),
        ),
    )
    status_F = jnp.where(_all_finite(W_HxF, b_F), status_F, NONFINITE)
    return status_F.astype(jnp.int32)


@jax.jit
def status_counts(status_F):
    """Number of features per status code.

    Args:
      status_F: int codes from :func:`feature_status`, shape (n,).

    Returns:
      counts_4: int32, shape (4,), indexed by the status constants.
    """
    codes = jnp.arange(len(STATUS_NAMES))
    return jnp.sum(jnp.asarray(status_F)[:, None] == codes[None, :], axis=0).astype(jnp.int32)


@jax.jit
def neuron_feature_fractions(Win_HxF):
    """Share of each neuron's squared input weight carried by each feature.

    frac[k, i] = W_ki² / Σ_j W_kj² (0 for an all-zero neuron). Row k is neuron k's weights over
    features, the column of the paper's stack plots (sections 7-8).

    Args:
      Win_HxF: neuron input weights, shape (m, n): W for the ReLU-hidden model, W₁ for |x|, or
        :func:`abs_path_weights` for a rescaling-invariant view of the |x| model.

    Returns:
      frac_HxF: shape (m, n).
    """
    sq_HxF = _float(Win_HxF) ** 2
    tot_H = jnp.sum(sq_HxF, axis=1, keepdims=True)
    return jnp.where(tot_H > 0, sq_HxF / jnp.where(tot_H > 0, tot_H, 1.0), 0.0)


@jax.jit
def neuron_status(Win_HxF, *, mono_threshold: float = 0.9, dead_threshold: float = 1e-2):
    """Monosemantic / polysemantic classification of each hidden neuron (paper sections 7-8).

    Neuron k (row k of the input weights) is

    * ``NEURON_DEAD`` (0) if its weight norm sqrt(Σ_i W_ki²) <= dead_threshold;
    * ``NEURON_MONOSEMANTIC`` (1) if one feature carries at least mono_threshold of its squared
      weight, max_i W_ki² / Σ_j W_kj² >= mono_threshold;
    * ``NEURON_POLYSEMANTIC`` (2) otherwise;
    * ``NEURON_NONFINITE`` (-1) if any of its weights is NaN/Inf (never polysemantic or dead).

    The squared-weight share is invariant to the |x| model's per-neuron rescaling (W₁, W₂) →
    (αW₁, W₂/α). Note that for the |x| asymmetric motif (in-weights [2, -1/2]) the input-weight
    share calls the neuron monosemantic (0.94); :func:`abs_path_weights` (share 0.5) does not.

    Args:
      Win_HxF: neuron input weights, shape (m, n).
      mono_threshold: minimum top-feature share of a monosemantic neuron.
      dead_threshold: maximum weight norm of a dead neuron.

    Returns:
      neuron_status_H: int32, shape (m,).
    """
    Win_HxF = _float(Win_HxF)
    top_H = jnp.max(neuron_feature_fractions(Win_HxF), axis=1)
    norm_H = jnp.sqrt(jnp.sum(Win_HxF**2, axis=1))
    status_H = jnp.where(
        norm_H <= dead_threshold,
        NEURON_DEAD,
        jnp.where(top_H >= mono_threshold, NEURON_MONOSEMANTIC, NEURON_POLYSEMANTIC),
    )
    status_H = jnp.where(jnp.all(jnp.isfinite(Win_HxF), axis=1), status_H, NEURON_NONFINITE)
    return status_H.astype(jnp.int32)


@jax.jit
def neuron_counts(neuron_status_H):
    """Number of dead, monosemantic and polysemantic neurons.

    Args:
      neuron_status_H: codes from :func:`neuron_status`, shape (m,).

    Returns:
      counts_3: int32 (dead, monosemantic, polysemantic).
    """
    codes = jnp.arange(len(NEURON_STATUS_NAMES))
    return jnp.sum(jnp.asarray(neuron_status_H)[:, None] == codes[None, :], axis=0).astype(
        jnp.int32
    )


@jax.jit
def abs_path_weights(W1_HxF, W2_FxH):
    """Per-neuron path weights of the |x| model, P[k, i] = W₁[k, i]·W₂[i, k] (paper section 8).

    The path from feature i through neuron k back to output i. Invariant under the rescaling
    symmetry W₁[k] → αW₁[k], W₂[:, k] → W₂[:, k]/α (α > 0), unlike W₁ alone.

    Args:
      W1_HxF: input weights, shape (m, n).
      W2_FxH: output weights, shape (n, m).

    Returns:
      P_HxF: shape (m, n).
    """
    return _float(W1_HxF) * _float(W2_FxH).T


@jax.jit
def rescale_abs_neurons(W1_HxF, W2_FxH):
    """Apply the |x| model's rescaling symmetry so every neuron's largest |W₁| weight is 1.

    This is the normalisation of the paper's |x| stack plots (section 8): W₁[k] → W₁[k]/a_k,
    W₂[:, k] → a_k W₂[:, k] with a_k = max_i |W₁[k, i]|. The function computed by the model is
    unchanged because ReLU(x/a) = ReLU(x)/a for a > 0. Dead rows (a_k = 0) are left as they are.

    Args:
      W1_HxF: input weights, shape (m, n).
      W2_FxH: output weights, shape (n, m).

    Returns:
      (W1_HxF, W2_FxH) rescaled.
    """
    W1_HxF, W2_FxH = _float(W1_HxF), _float(W2_FxH)
    a_H = jnp.max(jnp.abs(W1_HxF), axis=1)
    a_H = jnp.where(a_H > 0, a_H, 1.0)
    return W1_HxF / a_H[:, None], W2_FxH * a_H[None, :]


@jax.jit
def neuron_order_by_importance(Win_HxF, importance_F):
    """Neuron order for stack plots: by the importance of each neuron's largest feature (paper 8).

    Sorted by descending importance of the neuron's argmax-|w| feature, then by that feature's
    index, then by neuron index (stable).

    Args:
      Win_HxF: neuron input weights, shape (m, n).
      importance_F: shape (n,).

    Returns:
      order_H: int indices into the neuron axis, shape (m,).
    """
    top_H = jnp.argmax(jnp.abs(_float(Win_HxF)), axis=1)
    key_H = -jnp.asarray(importance_F)[top_H]
    # lexsort: last key is primary.
    return jnp.lexsort((jnp.arange(top_H.shape[0]), top_H, key_H))


@jax.jit
def model_measures(W_HxF, b_F=None, **status_kwargs):
    """All per-model measures in one dict (vmap-able). Keys and shapes:

    * ``norms_F``: ||W_i||
    * ``superposition_F``: Σ_{j≠i} (Ŵ_i·W_j)²
    * ``D_F``: feature dimensionality D_i
    * ``D_star``: m / ||W||_F²
    * ``features_per_dim``: ||W||_F² / m
    * ``D_sum``: Σ_i D_i
    * ``status_F``: :func:`feature_status` codes
    * ``status_counts_4``: features per status code
    * ``n_represented``: number of features with status != NOT_REPRESENTED; -1 for a diverged
      (non-finite) model
    * ``finite``: bool, every entry of W (and b) is finite

    Args:
      W_HxF: weights, shape (m, n).
      b_F: optional bias, shape (n,).
      **status_kwargs: forwarded to :func:`feature_status`.

    Returns:
      dict of jnp arrays as above.
    """
    D_F = feature_dimensionality(W_HxF)
    status_F = feature_status(W_HxF, b_F, **status_kwargs)
    counts_4 = status_counts(status_F)
    return {
        "norms_F": feature_norms(W_HxF),
        "superposition_F": superposition(W_HxF),
        "D_F": D_F,
        "D_star": dims_per_feature(W_HxF),
        "features_per_dim": features_per_dim(W_HxF),
        "D_sum": jnp.sum(D_F),
        "status_F": status_F,
        "status_counts_4": counts_4,
        "n_represented": jnp.where(_all_finite(W_HxF, b_F), jnp.sum(counts_4[1:]), -1),
        "finite": _all_finite(W_HxF, b_F),
    }


__all__ = [
    "NOT_REPRESENTED",
    "DEDICATED",
    "SUPERPOSITION",
    "ANTIPODAL",
    "STATUS_NAMES",
    "NEURON_DEAD",
    "NEURON_MONOSEMANTIC",
    "NEURON_POLYSEMANTIC",
    "NEURON_STATUS_NAMES",
    "NONFINITE",
    "NEURON_NONFINITE",
    "NORM_EPS",
    "feature_norms",
    "interference",
    "superposition",
    "dimensionality",
    "feature_dimensionality",
    "dims_per_feature",
    "features_per_dim",
    "total_dimensionality",
    "represented",
    "feature_status",
    "status_counts",
    "neuron_feature_fractions",
    "neuron_status",
    "neuron_counts",
    "abs_path_weights",
    "rescale_abs_neurons",
    "neuron_order_by_importance",
    "model_measures",
]
