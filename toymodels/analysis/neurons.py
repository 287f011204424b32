"""Which features each neuron carries, for the privileged-basis and |x| figures (paper sections 7-8;
paper_spec 3.9-3.10, targets 16-19).

:func:`toymodels.analysis.measures.neuron_status` says whether a neuron is mono- or polysemantic;
the regimes of the paper's privileged-basis figure also need *which* features a polysemantic
neuron holds ("3 features in 2 neurons", "each feature = a pair of neurons"), and the |x|
figures need each neuron's sign and read-out. Arrays in, arrays out (jnp, jit-able).

A neuron k *carries* feature i when the feature drives it: W_ki > 0 and W_ki is at least
``rel_threshold`` (0.3) of the neuron's largest positive weight. With non-negative inputs a
negative weight only inhibits the neuron, so it is not counted as carrying the feature (in the
paper's stack plots it is drawn below the axis).
"""

from __future__ import annotations

import functools

import jax
import jax.numpy as jnp

from toymodels.analysis import measures


@functools.partial(jax.jit, static_argnames=("rel_threshold",))
def carried_features(Win_HxF, *, rel_threshold: float = 0.3):
    """carried[k, i]: neuron k is driven by feature i (see the module docstring).

    Args:
      Win_HxF: neuron input weights, shape (m, n).
      rel_threshold: minimum W_ki relative to max_j W_kj (the neuron's largest positive weight).

    Returns:
      bool array, shape (m, n). A neuron without a positive weight carries nothing.
    """
    W = measures._float(Win_HxF)
    top_H1 = jnp.max(W, axis=1, keepdims=True)
    return (W > 0) & (top_H1 > 0) & (W >= rel_threshold * top_H1)


@functools.partial(jax.jit, static_argnames=("rel_threshold", "mono_threshold", "dead_threshold"))
def privileged_regime(W_HxF, *, rel_threshold: float = 0.3, mono_threshold: float = 0.9,
                      dead_threshold: float = 1e-2):
    """The quantities of the privileged-basis regime table (paper_spec 3.9) for ONE model.

    Args:
      W_HxF: ReLU hidden-layer weights, shape (m, n) (row k = neuron k's weights over features).
      rel_threshold: :func:`carried_features` threshold.
      mono_threshold, dead_threshold: :func:`~toymodels.analysis.measures.neuron_status` thresholds.

    Returns:
      dict of arrays:

      * ``status_H`` (m,): neuron status codes (0 dead, 1 monosemantic, 2 polysemantic);
      * ``top_feature_H`` (m,): each neuron's largest-|w| feature;
      * ``carried_HxF`` (m, n): :func:`carried_features`;
      * ``n_mono``, ``n_poly``: neuron counts;
      * ``features_in_poly``: number of distinct features carried by the polysemantic neurons
        (the "k features in j neurons" of the paper);
      * ``neurons_per_feature_F`` (n,): how many neurons carry each feature.
    """
    W = measures._float(W_HxF)
    status_H = measures.neuron_status(W, mono_threshold=mono_threshold, dead_threshold=dead_threshold)
    carried = carried_features(W, rel_threshold=rel_threshold)
    poly_H = status_H == measures.NEURON_POLYSEMANTIC
    in_poly_F = jnp.any(carried & poly_H[:, None], axis=0)
    return {
        "status_H": status_H,
        "top_feature_H": jnp.argmax(jnp.abs(W), axis=1),
        "carried_HxF": carried,
        "n_mono": jnp.sum(status_H == measures.NEURON_MONOSEMANTIC),
        "n_poly": jnp.sum(poly_H),
        "features_in_poly": jnp.sum(in_poly_F),
        "neurons_per_feature_F": jnp.sum(carried, axis=0),
    }


@jax.jit
def abs_neuron_roles(W1_HxF, W2_FxH):
    """Each |x|-model neuron's main feature, its sign and its read-out (paper section 8).

    A ReLU(x_i) neuron has W₁[k, i] > 0, a ReLU(−x_i) neuron W₁[k, i] < 0; both must be read out
    positively into output i, with path weight W₁[k, i]·W₂[i, k] = ±1 for an exact
    |x_i| = ReLU(x_i) + ReLU(−x_i).

    Args:
      W1_HxF: input weights, shape (m, n).
      W2_FxH: output weights, shape (n, m).

    Returns:
      dict: ``top_feature_H`` (m,) argmax_i |W₁[k, i]|; ``sign_H`` (m,) sign of W₁ at it (+1/−1,
      0 for a dead neuron); ``readout_H`` (m,) W₂[top, k]; ``path_H`` (m,) |W₁[k, top]|·W₂[top, k]
      (invariant under the rescaling symmetry; 1 for an exact |x| neuron).
    """
    W1, W2 = measures._float(W1_HxF), measures._float(W2_FxH)
    m = W1.shape[0]
    top_H = jnp.argmax(jnp.abs(W1), axis=1)
    w_H = W1[jnp.arange(m), top_H]
    readout_H = W2[top_H, jnp.arange(m)]
    return {"top_feature_H": top_H, "sign_H": jnp.sign(w_H).astype(jnp.int32), "readout_H": readout_H,
            "path_H": jnp.abs(w_H) * readout_H}


@functools.partial(jax.jit, static_argnames=("min_ratio", "min_path", "min_inhibition"))
def abs_asymmetric_motif(W1_HxF, W2_FxH, *, min_ratio: float = 2.0, min_path: float = 0.5,
                         min_inhibition: float = 0.5):
    """The |x| model's asymmetric superposition motif, neuron by neuron (paper section 8).

    The paper's example: one neuron stores two features with in-weights like [2, −½] and reads
    them out with reciprocal weights [½, 2], so both path weights W₁·W₂ are ±1 (it computes
    ReLU(x_i) for one feature and ReLU(−x_j) for the other). Firing on x_i it writes positive
    interference 2·2 = 4 x_i into output j; a second neuron that also fires on x_i with a
    negative read-out into j inhibits it, turning it into negative interference that the output
    ReLU removes.

    For neuron k: primary feature i = argmax |W₁[k, ·]|; secondary j = the other feature with the
    largest |path weight| |W₁[k, j]·W₂[j, k]|. Neuron k is an asymmetric motif when

    * the input signs of i and j are opposite,
    * both are read out positively (W₂[i, k] > 0, W₂[j, k] > 0) with |path| ≥ min_path,
    * in_ratio = |W₁[k, i] / W₁[k, j]| ≥ min_ratio and out_ratio = W₂[j, k] / W₂[i, k] ≥ min_ratio.

    Its interference into output j when feature i fires is q = |W₁[k, i]|·W₂[j, k] > 0. Neuron
    k' ≠ k inhibits it when it fires on the same sign of x_i (s·W₁[k', i] > 0, s = sign W₁[k, i])
    and s·W₁[k', i]·W₂[j, k'] ≤ −min_inhibition·q.

    Args:
      W1_HxF: input weights, shape (m, n).
      W2_FxH: output weights, shape (n, m).
      min_ratio, min_path, min_inhibition: thresholds above.

    Returns:
      dict of (m,) arrays: ``primary_H``, ``secondary_H`` (feature indices), ``in_ratio_H``,
      ``out_ratio_H``, ``is_motif_H`` (bool), ``inhibitor_H`` (index of the strongest inhibiting
      neuron, −1 if none qualifies), ``has_inhibitor_H`` (bool, only meaningful where is_motif).
    """
    W1, W2 = measures._float(W1_HxF), measures._float(W2_FxH)
    m, n = W1.shape
    ks = jnp.arange(m)
    P_HxF = W1 * W2.T  # path weights
    i_H = jnp.argmax(jnp.abs(W1), axis=1)
    masked = jnp.where(jax.nn.one_hot(i_H, n, dtype=bool), -jnp.inf, jnp.abs(P_HxF))
    j_H = jnp.argmax(masked, axis=1)
    a_H, c_H = W1[ks, i_H], W1[ks, j_H]
    ri_H, rj_H = W2[i_H, ks], W2[j_H, ks]
    in_ratio = jnp.abs(a_H) / jnp.maximum(jnp.abs(c_H), 1e-12)
    out_ratio = rj_H / jnp.where(ri_H > 0, ri_H, jnp.inf)
    is_motif = ((jnp.sign(a_H) * jnp.sign(c_H) < 0) & (ri_H > 0) & (rj_H > 0)
                & (jnp.abs(a_H * ri_H) >= min_path) & (jnp.abs(c_H * rj_H) >= min_path)
                & (in_ratio >= min_ratio) & (out_ratio >= min_ratio))
    s_H = jnp.sign(a_H)
    q_H = jnp.abs(a_H) * rj_H
    # contribution of neuron k' to output j_k when x_{i_k} fires with the sign neuron k reads
    fires_KxH = s_H[:, None] * W1[:, i_H].T > 0  # [k, k']
    contrib_KxH = s_H[:, None] * W1[:, i_H].T * W2[j_H, :]  # [k, k']: s·W1[k', i_k]·W2[j_k, k']
    contrib_KxH = jnp.where(fires_KxH & ~jnp.eye(m, dtype=bool), contrib_KxH, jnp.inf)
    best_K = jnp.argmin(contrib_KxH, axis=1)
    has_inh = contrib_KxH[ks, best_K] <= -min_inhibition * q_H
    return {"primary_H": i_H, "secondary_H": j_H, "in_ratio_H": in_ratio, "out_ratio_H": out_ratio,
            "is_motif_H": is_motif, "inhibitor_H": jnp.where(has_inh, best_K, -1), "has_inhibitor_H": has_inh}


__all__ = ["carried_features", "privileged_regime", "abs_neuron_roles", "abs_asymmetric_motif"]
