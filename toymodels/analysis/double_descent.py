"""Double descent and data-point dimensionality (Henighan et al. 2023, "Superposition,
Memorization, and Double Descent"; paper_spec 5.1).

With a finite training set X (T examples), a small-T model memorises: the hidden vectors of the
training points h_t = W x_t form a T-gon and the features look messy. A large-T model
generalises: features form a pentagon (m = 2). In between the test loss has a bump.

Data-point dimensionality is the TMS feature dimensionality with data points in place of
features: D_t = ||h_t||² / Σ_s (ĥ_t·h_s)² (sum incl. s = t). A T-gon in 2-D gives 2/T each.

Numeric functions are ``jnp`` (vmap-able); :func:`loss_curves` and :func:`double_descent_peak` are
host numpy helpers for the loss-vs-T plots.
"""

from __future__ import annotations

import jax
import jax.numpy as jnp
import numpy as np

from toymodels.analysis import measures


@jax.jit
def hidden_vectors(W_HxF, x_TxF):
    """Hidden vectors of the training points, h_t = W x_t, shape (T, m)."""
    return measures._float(x_TxF) @ measures._float(W_HxF).T


@jax.jit
def data_dimensionality(h_TxH, *, eps: float = measures.NORM_EPS):
    """Data-point dimensionality D_t = ||h_t||² / Σ_s (ĥ_t·h_s)² (Henighan et al. 2023).

    Same formula (and zero-vector rule) as :func:`toymodels.analysis.measures.dimensionality`
    applied to the hidden vectors as columns. A regular T-gon in m = 2 gives m/T = 2/T.

    Args:
      h_TxH: hidden vectors, shape (T, m) (e.g. from :func:`hidden_vectors`).
      eps: norm clamp.

    Returns:
      D_T: shape (T,).
    """
    return measures.dimensionality(measures._float(h_TxH).T, eps=eps)


@jax.jit
def max_data_dimensionality(h_TxH, *, rcond: float = 1e-10):
    """Maximal data dimensionality D*_t = sup_v (v·h_t)² / Σ_s (v·h_s)² (Henighan et al. 2023,
    MNIST comment).

    The supremum of this generalised Rayleigh quotient is the leverage score h_tᵀ G⁺ h_t with
    G = Σ_s h_s h_sᵀ (m×m); it is >= D_t, with equality for tight frames such as a T-gon.

    Args:
      h_TxH: hidden vectors, shape (T, m).
      rcond: relative cut-off of the pseudo-inverse.

    Returns:
      Dmax_T: shape (T,).
    """
    h_TxH = measures._float(h_TxH)
    G_HxH = h_TxH.T @ h_TxH
    Ginv_HxH = jnp.linalg.pinv(G_HxH, rtol=rcond, hermitian=True)
    return jnp.einsum("th,hk,tk->t", h_TxH, Ginv_HxH, h_TxH)


@jax.jit
def dd_dimensionalities(W_HxF, x_TxF):
    """Data and feature dimensionalities of one model on its training set.

    Args:
      W_HxF: weights, shape (m, n).
      x_TxF: training set, shape (T, n).

    Returns:
      dict with keys ``h_TxH``, ``D_data_T`` (:func:`data_dimensionality`), ``D_feature_F``
      (feature dimensionality on the same model), ``norm_W`` (||W||_F).
    """
    h_TxH = hidden_vectors(W_HxF, x_TxF)
    return {
        "h_TxH": h_TxH,
        "D_data_T": data_dimensionality(h_TxH),
        "D_feature_F": measures.feature_dimensionality(W_HxF),
        "norm_W": jnp.linalg.norm(measures._float(W_HxF)),
    }


def loss_curves(T_N, train_loss_NxDxK, test_loss_NxDxK) -> dict:
    """Train/test loss against dataset size T with the paper's seed handling.

    Henighan et al.: for each dataset, several init seeds may be trained and the one with the
    lowest TRAINING loss kept; the test loss is then averaged over dataset seeds (4 in the paper).
    NaN training losses never win. Rows are sorted by T.

    Args:
      T_N: dataset sizes, shape (N,).
      train_loss_NxDxK: final training loss, shape (N, dataset seeds D, init seeds K). 2-D input
        (N, D) means one init seed.
      test_loss_NxDxK: test loss, same shape.

    Returns:
      dict of numpy arrays: ``T_N`` (sorted), ``train_N`` and ``test_N`` (means over dataset
      seeds of the selected init), ``train_std_N``, ``test_std_N``, ``best_init_NxD``.
    """
    T = np.asarray(T_N)
    tr = np.asarray(train_loss_NxDxK, dtype=np.float64)
    te = np.asarray(test_loss_NxDxK, dtype=np.float64)
    if tr.ndim == 2:
        tr, te = tr[..., None], te[..., None]
    if tr.shape != te.shape or tr.shape[0] != T.shape[0]:
        raise ValueError(f"shape mismatch: T {T.shape}, train {tr.shape}, test {te.shape}")
    best_NxD = np.argmin(np.where(np.isnan(tr), np.inf, tr), axis=-1)
    tr_sel = np.take_along_axis(tr, best_NxD[..., None], axis=-1)[..., 0]
    te_sel = np.take_along_axis(te, best_NxD[..., None], axis=-1)[..., 0]
    order = np.argsort(T, kind="stable")
    return {
        "T_N": T[order],
        "train_N": tr_sel.mean(axis=1)[order],
        "test_N": te_sel.mean(axis=1)[order],
        "train_std_N": tr_sel.std(axis=1)[order],
        "test_std_N": te_sel.std(axis=1)[order],
        "best_init_NxD": best_NxD[order],
    }


def double_descent_peak(T_N, test_N, *, min_rel_height: float = 0.05) -> dict:
    """Locate the double-descent bump: the highest interior local maximum of test loss vs T.

    A bump counts only if it exceeds the lowest test loss at smaller T AND the lowest at larger T
    by more than min_rel_height (relative to the peak value), so a monotone or flat curve has no
    peak.

    Args:
      T_N: dataset sizes, sorted ascending, shape (N,).
      test_N: test loss per T, shape (N,).
      min_rel_height: minimum relative prominence on both sides.

    Returns:
      dict with ``has_peak`` (bool), ``peak_index`` (int or None), ``peak_T`` and
      ``peak_test_loss`` (None when there is no peak).
    """
    T = np.asarray(T_N)
    y = np.asarray(test_N, dtype=np.float64)
    best = None
    for i in range(1, y.size - 1):
        left, right = np.min(y[:i]), np.min(y[i + 1 :])
        prominent = y[i] - max(left, right) > min_rel_height * abs(y[i])
        if y[i] >= y[i - 1] and y[i] >= y[i + 1] and prominent and (best is None or y[i] > y[best]):
            best = i
    if best is None:
        return {"has_peak": False, "peak_index": None, "peak_T": None, "peak_test_loss": None}
    return {
        "has_peak": True,
        "peak_index": int(best),
        "peak_T": T[best].item(),
        "peak_test_loss": float(y[best]),
    }


__all__ = [
    "hidden_vectors",
    "data_dimensionality",
    "max_data_dimensionality",
    "dd_dimensionalities",
    "loss_curves",
    "double_descent_peak",
]
