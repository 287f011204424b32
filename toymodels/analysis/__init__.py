"""Analysis of trained toy models: arrays in, arrays out (paper sections 2-8; paper_spec 2-6).

Modules:

* :mod:`~toymodels.analysis.measures`: norms, WᵀW, superposition score, feature dimensionality
  D_i, D*, feature status codes, neuron mono/polysemanticity (jnp, vmap-able).
* :mod:`~toymodels.analysis.geometry`: tegum factors, polytope names, fraction snapping (numpy).
* :mod:`~toymodels.analysis.phases`: phase labels, Wattenberg's analytic phase diagrams, seed
  protocol, agreement.
* :mod:`~toymodels.analysis.dynamics`: D_i(t) and energy-level jumps.
* :mod:`~toymodels.analysis.adversarial`: analytic attacks and relative vulnerability.
* :mod:`~toymodels.analysis.double_descent`: data-point dimensionality and loss-vs-T helpers.

Grid entry points for the CLI: :func:`analyze_grid` (numeric measures over any grid, vmapped)
and :func:`geometry_table` (one model's factor table).
"""

from __future__ import annotations

import jax
import jax.numpy as jnp

from toymodels.analysis.adversarial import (
    attack_directions,
    attack_loss_increase,
    attack_size,
    reconstruction_loss,
    reference_model,
    relative_vulnerability,
    relu_output_forward,
)
from toymodels.analysis.double_descent import (
    data_dimensionality,
    dd_dimensionalities,
    double_descent_peak,
    hidden_vectors,
    loss_curves,
    max_data_dimensionality,
)
from toymodels.analysis.dynamics import (
    detect_jumps,
    jump_mask,
    relative_loss_drop,
    trajectory_measures,
)
from toymodels.analysis.geometry import (
    POLYTOPES,
    TEGUM_PRODUCTS,
    factor_rank,
    geometry_summary,
    geometry_table,
    name_factor,
    polytope_vectors,
    snap_fraction,
    snap_fractions,
    structure_counts,
    tegum_factors,
    tegum_product_name,
)
from toymodels.analysis.measures import (
    ANTIPODAL,
    DEDICATED,
    NEURON_DEAD,
    NEURON_MONOSEMANTIC,
    NEURON_POLYSEMANTIC,
    NEURON_STATUS_NAMES,
    NEURON_NONFINITE,
    NONFINITE,
    NOT_REPRESENTED,
    STATUS_NAMES,
    SUPERPOSITION,
    abs_path_weights,
    dimensionality,
    dims_per_feature,
    feature_dimensionality,
    feature_norms,
    feature_status,
    features_per_dim,
    interference,
    model_measures,
    neuron_counts,
    neuron_feature_fractions,
    neuron_order_by_importance,
    neuron_status,
    represented,
    rescale_abs_neurons,
    status_counts,
    superposition,
    total_dimensionality,
)
from toymodels.analysis.phases import (
    PHASE_CONFUSED,
    PHASE_DEDICATED,
    PHASE_NAMES,
    PHASE_NAMES_EXACT,
    PHASE_NOT_REPRESENTED,
    PHASE_SUPERPOSITION,
    agreement,
    bisect_phase_change,
    boundary_mask,
    config_grid_n3m2,
    config_n3m2,
    feature_phase,
    label_models,
    nearest_minimum,
    phase_boundary_n2m1,
    phase_boundary_n3m2,
    phase_grid,
    phase_n2m1,
    seed_protocol,
    seed_protocol_grid,
    status_to_phase,
    theory_config_n3m2,
    theory_phase_n2m1,
    theory_phase_n3m2,
    wattenberg_losses,
)

# Model kinds as named by toymodels.config.ModelKind, plus accepted aliases.
_KIND_ALIASES = {
    "relu": "relu",
    "relu_output": "relu",
    "linear": "linear",
    "relu_hidden": "relu_hidden",
    "hidden": "relu_hidden",
    "privileged": "relu_hidden",
    "abs": "abs",
}


def analyze_grid(
    W,
    b=None,
    kind: str = "relu",
    *,
    W2=None,
    norm_threshold: float = 0.5,
    superposition_threshold: float = 0.1,
    antipodal_cos: float = 0.9,
    mono_threshold: float = 0.9,
    dead_threshold: float = 1e-2,
):
    """Per-cell numeric measures of a whole grid of models, vmapped (paper sections 2-8).

    Args:
      W: weights with arbitrary leading grid axes G, shape (*G, m, n): ``W_HxF`` for the
        linear/relu/relu_hidden kinds, ``W1_HxF`` (input weights) for abs. For abs a tuple
        (W1, W2) is also accepted.
      b: output biases, shape (*G, n), or None. Used only for kind "relu", where a feature with
        ||W_i||² + b_i <= 0 cannot reach its own output and counts as not represented.
      kind: "relu", "linear", "relu_hidden" or "abs" (aliases: relu_output, hidden,
        privileged).
      W2: abs only: output weights ``W2_FxH``, shape (*G, n, m), optional.
      norm_threshold, superposition_threshold, antipodal_cos: feature_status thresholds.
      mono_threshold, dead_threshold: neuron_status thresholds (relu_hidden and abs).

    Returns:
      dict of numpy arrays, each with leading shape G:

      * ``norms_F`` (*G, n): ||W_i||
      * ``superposition_F`` (*G, n): Σ_{j≠i} (Ŵ_i·W_j)²
      * ``D_F`` (*G, n): feature dimensionality
      * ``D_star`` (*G): m/||W||_F²
      * ``features_per_dim`` (*G): ||W||_F²/m
      * ``D_sum`` (*G): Σ_i D_i
      * ``status_F`` (*G, n): int32 codes NOT_REPRESENTED 0, DEDICATED 1, SUPERPOSITION 2,
        ANTIPODAL 3
      * ``status_counts_4`` (*G, 4): features per status code
      * ``n_represented`` (*G): features with status != 0 (-1 for a diverged model)
      * ``finite`` (*G): bool, the model's weights are all finite. A diverged model has status
        NONFINITE (-1) for every feature and NaN measures, never "not represented" or D = 0.

      and for relu_hidden and abs (neurons = rows of W, resp. W1):

      * ``neuron_status_H`` (*G, m): NEURON_DEAD 0, NEURON_MONOSEMANTIC 1, NEURON_POLYSEMANTIC 2,
        NEURON_NONFINITE -1 (a neuron with a NaN/Inf weight; in no count)
      * ``neuron_counts_3`` (*G, 3): neurons per code
      * ``n_monosemantic``, ``n_polysemantic``, ``n_dead_neurons`` (*G)

      and for abs with W2 given, ``neuron_status_path_H`` and ``neuron_counts_path_3`` from the
      rescaling-invariant path weights W1[k, i]·W2[i, k].
    """
    if kind not in _KIND_ALIASES:
        raise ValueError(f"unknown model kind {kind!r}; expected one of {sorted(_KIND_ALIASES)}")
    kind = _KIND_ALIASES[kind]
    if kind == "abs" and isinstance(W, (tuple, list)):
        W, W2 = W
    W = jnp.asarray(W)
    if W.ndim < 2 or not jnp.issubdtype(W.dtype, jnp.number) or jnp.issubdtype(W.dtype, jnp.complexfloating):
        raise ValueError(f"W has shape {W.shape} and dtype {W.dtype}: expected real numbers of shape (*grid, m, n)")
    grid = W.shape[:-2]
    m, n = W.shape[-2:]
    if b is not None and kind == "relu" and tuple(jnp.shape(b)) != grid + (n,):
        raise ValueError(f"b has shape {tuple(jnp.shape(b))}; expected {grid + (n,)} (*grid, n)")
    if W2 is not None and kind == "abs" and tuple(jnp.shape(W2)) != grid + (n, m):
        raise ValueError(f"W2 has shape {tuple(jnp.shape(W2))}; expected {grid + (n, m)} (*grid, n, m)")
    W_NxHxF = W.reshape((-1, m, n))
    N = W_NxHxF.shape[0]
    use_b = kind == "relu" and b is not None
    b_NxF = jnp.asarray(b).reshape((N, n)) if use_b else jnp.zeros((N, n), W.dtype)
    has_W2 = kind == "abs" and W2 is not None
    W2_NxFxH = jnp.asarray(W2).reshape((N, n, m)) if has_W2 else jnp.zeros((N, n, m), W.dtype)
    status_kw = {
        "norm_threshold": norm_threshold,
        "superposition_threshold": superposition_threshold,
        "antipodal_cos": antipodal_cos,
    }
    neuron_kw = {"mono_threshold": mono_threshold, "dead_threshold": dead_threshold}

    def one(W_HxF, b_F, W2_FxH):
        out = model_measures(W_HxF, b_F if use_b else None, **status_kw)
        if kind in ("relu_hidden", "abs"):
            ns_H = neuron_status(W_HxF, **neuron_kw)
            nc_3 = neuron_counts(ns_H)
            out.update(
                neuron_status_H=ns_H,
                neuron_counts_3=nc_3,
                n_dead_neurons=nc_3[NEURON_DEAD],
                n_monosemantic=nc_3[NEURON_MONOSEMANTIC],
                n_polysemantic=nc_3[NEURON_POLYSEMANTIC],
            )
        if has_W2:
            ps_H = neuron_status(abs_path_weights(W_HxF, W2_FxH), **neuron_kw)
            out.update(neuron_status_path_H=ps_H, neuron_counts_path_3=neuron_counts(ps_H))
        return out

    out = jax.device_get(jax.jit(jax.vmap(one))(W_NxHxF, b_NxF, W2_NxFxH))
    return {k: v.reshape(grid + v.shape[1:]) for k, v in out.items()}


__all__ = [
    # grid entry points
    "analyze_grid",
    "geometry_table",
    "geometry_summary",
    # measures
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
    # geometry
    "POLYTOPES",
    "TEGUM_PRODUCTS",
    "polytope_vectors",
    "snap_fraction",
    "snap_fractions",
    "tegum_factors",
    "factor_rank",
    "name_factor",
    "tegum_product_name",
    "structure_counts",
    # phases
    "PHASE_NOT_REPRESENTED",
    "PHASE_DEDICATED",
    "PHASE_SUPERPOSITION",
    "PHASE_NAMES",
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
    # dynamics
    "trajectory_measures",
    "jump_mask",
    "relative_loss_drop",
    "detect_jumps",
    # adversarial
    "relu_output_forward",
    "reconstruction_loss",
    "attack_directions",
    "attack_size",
    "attack_loss_increase",
    "reference_model",
    "relative_vulnerability",
    # double descent
    "hidden_vectors",
    "data_dimensionality",
    "max_data_dimensionality",
    "dd_dimensionalities",
    "loss_curves",
    "double_descent_peak",
]
