"""Ground-truth metrics of a sparse autoencoder's dictionary and codes (issue 5; sae_recovery.md 4).

Conventions: directions are ROWS. ``dec_LxD`` = the L decoder directions, ``gt_GxD`` = the G true
directions, both in D input dims (normalised here before any cosine; a zero row has cosine 0 with
everything). ``codes_BxG`` = the true coefficients (0 where a feature is inactive), ``acts_BxL`` =
the SAE's latent activations on the same B samples. A latent or feature *fires* on a sample when
its value is > 0.

S_LxG = cos(d_i, g_j) is the signed cosine matrix; |S| its absolute value. Signed metrics tell an
antipodal pair (a toy model stores features as ±W_i) apart; |cos| metrics treat a sign-flipped
latent as a match (SAELens' convention). Every metric below exists in both forms where it says so;
the ``_abs`` suffix marks the |cos| form.

Everything is plain numpy/scipy on host arrays (jax arrays are converted), so an SAE trained by
any library can be scored with :func:`score_dictionary`.

Input rules (docs/reliability.md). Every array argument must be real numbers (bool/int/float;
not complex, strings or objects) and finite: a NaN or ±Inf anywhere raises :class:`MetricInputError`
(one line naming the argument, the first bad position and the rule), because a NaN decoder row
would otherwise score cosine 0 and leave MMCS/MCC looking fine. An empty dictionary, no true
features or D = 0 raise too. Two conventions are kept, and counted in the output:
  * a zero-norm decoder row (a latent with no direction) has cosine 0 with everything; it is
    scored (it lowers precision-type metrics) and counted in ``zero_decoder_rows``;
  * a dead latent (never fires on the B samples) has precision = recall = F1 = 0; it is counted
    in ``dead_latents`` and left out of ``f1_alive``.
A zero-norm TRUE feature among the scored ones is an error (it has no direction to recover).
"""

from __future__ import annotations

import math
from typing import Literal

import numpy as np
from scipy.optimize import linear_sum_assignment

THRESHOLDS = (0.9, 0.95, 0.99)
DENSE_THRESHOLD = 0.1

# One-line definitions of every scalar that score_dictionary may return (used by format_table).
METRIC_DOCS: dict[str, str] = {
    "n_latents": "L, decoder directions scored",
    "n_gt": "G, true features scored (after gt_mask_G)",
    "n_gt_excluded": "true features left out by gt_mask_G (e.g. unrepresented toy-model features)",
    "zero_decoder_rows": "latents whose decoder row has norm 0 (cosine 0 with everything; scored)",
    "mmcs_recall": "mean_j max_i cos(d_i, g_j)  (GT->dict, Sharkey's MMCS, signed)",
    "mmcs_recall_abs": "mean_j max_i |cos(d_i, g_j)|",
    "mmcs_precision": "mean_i max_j cos(d_i, g_j)  (dict->GT, signed)",
    "mmcs_precision_abs": "mean_i max_j |cos(d_i, g_j)|",
    "mcc": "mean |cos| over the min(L,G) Hungarian one-to-one pairs maximising total |cos|",
    "mcc_signed": "mean cos over the min(L,G) Hungarian pairs maximising total signed cos",
    "uniqueness": "#distinct argmax_j |cos(d_i, g_j)| over latents / L",
    "uniqueness_signed": "#distinct argmax_j cos(d_i, g_j) over latents / L",
    "mmcs_recall_excluded": "mean_j max_i cos over the excluded true features (nan if none)",
    "l0": "mean_b #{i : acts_bi > 0}",
    "true_l0": "mean_b #{j : codes_bj > 0}",
    "l0_ratio": "l0 / true_l0",
    "dead_latents": "#latents that never fire on the B samples",
    "dead_fraction": "dead_latents / L",
    "dense_latents": "#latents firing on more than dense_threshold of samples",
    "dense_fraction": "dense_latents / L",
    "encoder_cos": "mean_i cos(e_i, g_match(i)), e_i = encoder column i, match as for F1",
    "precision": "mean_i TP_i/(TP_i+FP_i), latent i vs its decoder-matched feature (0/0 -> 0)",
    "recall": "mean_i TP_i/(TP_i+FN_i) (0/0 -> 0)",
    "f1": "mean_i 2 P_i R_i/(P_i+R_i) (0 when P_i+R_i = 0)",
    "accuracy": "mean_i (TP_i+TN_i)/B",
    "f1_alive": "mean F1 over latents that fire on at least one sample (nan if none)",
    "shrinkage": "sum acts_bi·|d_i| / sum codes_bj over samples where latent i and its matched j both fire",
    "fvu": "sum_b |x_b - x̂_b|² / sum_b |x_b - mean x|²  (fraction of variance unexplained)",
    "explained_variance": "1 - fvu",
    "output_norm_ratio": "mean_b |x̂_b|/|x_b| over samples with x_b != 0",
    "absorption_rate": "P(parent latent silent | parent and a child fire), pooled over child pairs",
    "absorption_baseline": "P(parent latent silent | parent fires, none of its children does)",
    "parent_activation_ratio": "(sum f_P|d_P|/sum a_P | parent+child) / (same | parent, no child)",
    "child_decoder_parent_cos": "mean over children of cos(decoder of child latent, parent direction)",
    "absorption_pairs": "(parent, child) pairs scored (parent and child latent both matched)",
}
for _t in THRESHOLDS:
    METRIC_DOCS[f"rec@{_t}"] = f"fraction of true features j with max_i cos(d_i, g_j) > {_t}"
    METRIC_DOCS[f"rec_abs@{_t}"] = f"fraction of true features j with max_i |cos(d_i, g_j)| > {_t}"


class ShapeError(ValueError):
    """Arrays given to the metrics disagree in shape; the message says which and how."""


class MetricInputError(ValueError):
    """An argument of the metrics that is not finite real numbers (or is empty); one line."""


def _checked(name: str, arr, ndim: int | None = None) -> np.ndarray:
    """``arr`` as float64, or MetricInputError naming ``name``, the problem and the rule."""
    a = np.asarray(arr)
    if a.dtype.kind not in "biuf":
        raise MetricInputError(f"{name} has dtype {a.dtype}: must be real numbers (bool, int or float)")
    if ndim is not None and a.ndim != ndim:
        raise ShapeError(f"{name} has shape {a.shape}: must be {ndim}-D")
    a = a.astype(np.float64)
    if not np.isfinite(a).all():
        bad = np.argwhere(~np.isfinite(a))
        first = tuple(int(i) for i in bad[0])
        raise MetricInputError(f"{name} holds {len(bad)} non-finite entries (first {a[first]} at index "
                               f"{first if len(first) != 1 else first[0]}): must be finite")
    return a


# ----------------------------------------------------------------------------- cosine metrics


def _f64(a) -> np.ndarray:
    return np.asarray(a, dtype=np.float64)


def unit_rows(a_NxD) -> np.ndarray:
    """Rows scaled to unit norm; zero rows stay zero."""
    a = _f64(a_NxD)
    n = np.linalg.norm(a, axis=-1, keepdims=True)
    return np.where(n > 0, a / np.where(n > 0, n, 1.0), 0.0)


def cosine_matrix(dec_LxD, gt_GxD) -> np.ndarray:
    """S_LxG[i, j] = cos(d_i, g_j) (signed; rows normalised first; a zero row has cosine 0)."""
    return unit_rows(_checked("dec_LxD", dec_LxD, 2)) @ unit_rows(_checked("gt_GxD", gt_GxD, 2)).T


def mmcs(S_LxG: np.ndarray, direction: Literal["recall", "precision"] = "recall", signed: bool = True) -> float:
    """Mean max cosine similarity.

    recall    (GT→dict, Sharkey 2022):  (1/G) Σ_j max_i S_ij
    precision (dict→GT):                (1/L) Σ_i max_j S_ij
    with S the signed cosine, or |S| when ``signed=False``. Recall never penalises junk latents;
    precision penalises junk and composed latents. "MMCS with a larger dictionary" (Sharkey's
    label-free diagnostic) is ``mmcs(cosine_matrix(dec_large, dec_small))``.
    """
    S = S_LxG if signed else np.abs(S_LxG)
    return float(S.max(axis=0).mean() if direction == "recall" else S.max(axis=1).mean())


def hungarian_mcc(S_LxG: np.ndarray, signed: bool = False) -> tuple[float, np.ndarray]:
    """Mean cosine over a one-to-one matching (SAELens MCC; O'Neill et al. 2024).

    The Hungarian algorithm (scipy linear_sum_assignment) picks min(L, G) latent/feature pairs
    maximising the total |S| (``signed=False``, the usual MCC) or total S (``signed=True``);
    the metric is the mean of that cosine over the pairs. With a narrower dictionary (L < G) it
    averages over latents. Seed consistency (PW-MCC) is this with two decoders.
    Returns (mcc, pairs_Kx2) with pairs[k] = (latent i, feature j)."""
    S = S_LxG if signed else np.abs(S_LxG)
    rows, cols = linear_sum_assignment(S, maximize=True)
    return float(S[rows, cols].mean()), np.stack([rows, cols], axis=1)


def recovery_fraction(S_LxG: np.ndarray, threshold: float, signed: bool = True) -> float:
    """(1/G)·#{j : max_i S_ij > threshold} (|S| when ``signed=False``)."""
    S = S_LxG if signed else np.abs(S_LxG)
    return float((S.max(axis=0) > threshold).mean())


def uniqueness(S_LxG: np.ndarray, signed: bool = False) -> float:
    """#distinct argmax_j S_ij over the L latents, divided by L (SAELens; |S| when not signed).

    1 when no two latents share a best-matching feature; below 1 for duplicates, splitting, or
    simply L > G (it is at most G/L)."""
    S = S_LxG if signed else np.abs(S_LxG)
    return float(len(np.unique(S.argmax(axis=1))) / S.shape[0])


def cosine_summary_jax(dec_LxD, gt_GxD, thresholds=THRESHOLDS) -> dict:
    """Jittable (jax.numpy) subset for curves inside a compiled training loop: mmcs_recall,
    mmcs_recall_abs, mmcs_precision and rec@τ, defined exactly as above (signed cosine; zero rows
    have cosine 0). The Hungarian MCC needs scipy and stays on the host."""
    import jax.numpy as jnp

    def unit(a):
        n = jnp.linalg.norm(a, axis=-1, keepdims=True)
        return jnp.where(n > 0, a / jnp.where(n > 0, n, 1.0), 0.0)

    S = unit(dec_LxD) @ unit(gt_GxD).T
    best_G = S.max(axis=0)
    out = {"mmcs_recall": best_G.mean(), "mmcs_recall_abs": jnp.abs(S).max(axis=0).mean(),
           "mmcs_precision": S.max(axis=1).mean()}
    for t in thresholds:
        out[f"rec@{t}"] = (best_G > t).mean()
    return out


# ----------------------------------------------------------------------------- code metrics


def detection_scores(acts_BxL, codes_BxG, match_L: np.ndarray) -> dict[str, np.ndarray]:
    """Per-latent detection of its matched true feature (SAELens synthetic evals).

    Latent i is scored against feature j = match_L[i] over the B samples:
    TP_i = #{b: acts_bi > 0 ∧ codes_bj > 0}, FP_i = #{acts > 0 ∧ codes = 0},
    FN_i = #{acts = 0 ∧ codes > 0}, TN_i the rest;
    precision_i = TP/(TP+FP), recall_i = TP/(TP+FN), F1_i = 2PR/(P+R), accuracy_i = (TP+TN)/B,
    each 0 where its denominator is 0 (a dead latent detects nothing)."""
    fire = _checked("acts_BxL", acts_BxL, 2) > 0
    truth = _checked("codes_BxG", codes_BxG, 2)[:, match_L] > 0
    tp = (fire & truth).sum(0).astype(np.float64)
    fp = (fire & ~truth).sum(0).astype(np.float64)
    fn = (~fire & truth).sum(0).astype(np.float64)
    tn = (~fire & ~truth).sum(0).astype(np.float64)
    prec = np.divide(tp, tp + fp, out=np.zeros_like(tp), where=(tp + fp) > 0)
    rec = np.divide(tp, tp + fn, out=np.zeros_like(tp), where=(tp + fn) > 0)
    f1 = np.divide(2 * prec * rec, prec + rec, out=np.zeros_like(tp), where=(prec + rec) > 0)
    return {"precision_L": prec, "recall_L": rec, "f1_L": f1, "accuracy_L": (tp + tn) / fire.shape[0]}


def shrinkage(acts_BxL, codes_BxG, dec_LxD, match_L: np.ndarray) -> float:
    """Reconstructed over true code magnitude on matched pairs:

        Σ_{i,b} acts_bi·‖d_i‖ / Σ_{i,b} codes_b,match(i)   over (b, i) with acts_bi > 0 and
                                                            codes_b,match(i) > 0.

    1 for exact codes; < 1 is L1 shrinkage; a feature split over two duplicate latents gives 0.5.
    nan when no pair fires together. (A ratio of sums: a ratio per sample explodes on tiny codes.)"""
    a = _f64(acts_BxL)
    c = _f64(codes_BxG)[:, match_L]
    both = (a > 0) & (c > 0)
    den = float(np.where(both, c, 0.0).sum())
    if den == 0:
        return math.nan
    norms = np.linalg.norm(_f64(dec_LxD), axis=1)
    return float(np.where(both, a * norms, 0.0).sum() / den)


def fvu(x_BxD, x_hat_BxD) -> float:
    """Fraction of variance unexplained Σ_b ‖x_b − x̂_b‖² / Σ_b ‖x_b − x̄‖² (x̄ = batch mean; the
    centred definition of SAELens and dictionary_learning)."""
    x, xh = _checked("x_BxD", x_BxD), _checked("x_hat_BxD", x_hat_BxD)
    den = float(((x - x.mean(0)) ** 2).sum())
    return float(((x - xh) ** 2).sum() / den) if den > 0 else math.nan


def output_norm_ratio(x_BxD, x_hat_BxD) -> float:
    """mean_b ‖x̂_b‖/‖x_b‖ over samples with x_b ≠ 0 (SAELens; < 1 signals shrinkage)."""
    nx = np.linalg.norm(_f64(x_BxD), axis=1)
    nh = np.linalg.norm(_f64(x_hat_BxD), axis=1)
    ok = nx > 0
    return float((nh[ok] / nx[ok]).mean()) if ok.any() else math.nan


def firing_stats(acts_BxL, dense_threshold: float = DENSE_THRESHOLD) -> dict:
    """Firing rate per latent, dead (never fires on the B samples) and dense (rate > threshold)."""
    rate = (_checked("acts_BxL", acts_BxL, 2) > 0).mean(0)
    n = rate.shape[0]
    dead, dense = int((rate == 0).sum()), int((rate > dense_threshold).sum())
    return {"firing_rate_L": rate, "dead_latents": dead, "dead_fraction": dead / n,
            "dense_latents": dense, "dense_fraction": dense / n}


def absorption(acts_BxL, codes_BxG, S_LxG: np.ndarray, parent_G, dec_LxD=None, min_cos: float = 0.5) -> dict:
    """Feature absorption on a hierarchy (Chanin et al. 2024; sae_recovery.md 4.3).

    Each true feature j is assigned the latent ℓ(j) = argmax_i S_ij (signed decoder cosine); a
    feature whose best cosine is <= ``min_cos`` is unmatched and its pairs are skipped. For every
    (parent P, child C) pair (parent_G[C] = P ≥ 0) with both matched:

      absorption_rate         = #{b: a_P > 0, a_C > 0, f_ℓ(P) = 0} / #{b: a_P > 0, a_C > 0}
                                (pooled over pairs): the parent latent is silent although the
                                parent feature is on, because a child is on.
      absorption_baseline     = #{b: a_P > 0, no child of P on, f_ℓ(P) = 0} / #{b: a_P > 0, no
                                child on}: the same miss rate without a child (compare with it).
      parent_activation_ratio = [Σ f_ℓ(P)‖d_ℓ(P)‖ / Σ a_P over parent+child samples] /
                                [the same over parent-without-child samples]; 1 = no absorption,
                                0 = full, in between = partial absorption (pooled over parents).
      child_decoder_parent_cos = mean over pairs of cos(d_ℓ(C), g_P): the child latent's decoder
                                absorbing the parent direction (0 for a clean dictionary).
    Rates are nan when no sample qualifies."""
    a = _f64(acts_BxL)
    c = _f64(codes_BxG)
    parent_G = np.asarray(parent_G)
    norms = np.ones(a.shape[1]) if dec_LxD is None else np.linalg.norm(_f64(dec_LxD), axis=1)
    best_L = S_LxG.argmax(axis=0)  # ℓ(j) for every feature j
    matched_G = S_LxG.max(axis=0) > min_cos
    n_pc = n_pc_silent = n_p = n_p_silent = 0
    act_with = code_with = act_without = code_without = 0.0
    child_cos, pairs = [], 0
    for p in np.unique(parent_G[parent_G >= 0]):
        kids = [k for k in np.flatnonzero(parent_G == p) if matched_G[k]]
        if not matched_G[p] or not kids:
            continue
        lp = best_L[p]
        par_on = c[:, p] > 0
        f = a[:, lp]
        any_kid = (c[:, kids] > 0).any(1)
        for k in kids:
            both = par_on & (c[:, k] > 0)
            n_pc += int(both.sum())
            n_pc_silent += int((both & (f <= 0)).sum())
            child_cos.append(S_LxG[best_L[k], p])
            pairs += 1
        alone = par_on & ~any_kid
        n_p += int(alone.sum())
        n_p_silent += int((alone & (f <= 0)).sum())
        with_kid = par_on & any_kid
        act_with += float((np.maximum(f, 0) * norms[lp])[with_kid].sum())
        code_with += float(c[with_kid, p].sum())
        act_without += float((np.maximum(f, 0) * norms[lp])[alone].sum())
        code_without += float(c[alone, p].sum())
    nan = math.nan
    ratio = nan
    if code_with > 0 and code_without > 0 and act_without > 0:
        ratio = (act_with / code_with) / (act_without / code_without)
    return {"absorption_rate": n_pc_silent / n_pc if n_pc else nan,
            "absorption_baseline": n_p_silent / n_p if n_p else nan,
            "parent_activation_ratio": ratio,
            "child_decoder_parent_cos": float(np.mean(child_cos)) if child_cos else nan,
            "absorption_pairs": pairs}


# ----------------------------------------------------------------------------- entry point


def _shape_check(name: str, arr, expected: tuple, meaning: str, hint: str = "") -> np.ndarray:
    a = _checked(name, arr)
    if a.shape != expected:
        raise ShapeError(f"{name} has shape {a.shape}; expected {expected} ({meaning}){hint}")
    return a


def score_dictionary(dec_LxD, gt_GxD, *, enc_DxL=None, b_enc_L=None, b_pre_D=None, b_dec_D=None,
                     x_BxD=None, codes_BxG=None, acts_BxL=None, x_hat_BxD=None, gt_mask_G=None,
                     parent_G=None, thresholds=THRESHOLDS, dense_threshold: float = DENSE_THRESHOLD,
                     match: Literal["signed", "abs"] = "signed", absorption_min_cos: float = 0.5) -> dict:
    """Every metric the given arrays allow, for one SAE against one ground truth.

    Args (numpy or jax arrays; directions are rows):
      dec_LxD: decoder directions, one per latent ([L, D]; SAELens' W_dec; the transpose of
        dictionary_learning's decoder.weight). Any norm.
      gt_GxD: true feature directions ([G, D]).
      enc_DxL, b_enc_L, b_pre_D: a ReLU encoder; used only when acts_BxL is not given:
        acts = ReLU((x − b_pre) @ enc + b_enc). For TopK/JumpReLU/Gated SAEs pass acts_BxL.
      b_dec_D: decoder bias; x̂ = acts @ dec + b_dec when x_hat_BxD is not given.
      x_BxD, codes_BxG, acts_BxL, x_hat_BxD: data, true codes, SAE activations, reconstruction on
        the same B samples.
      gt_mask_G: bool, which true features to score (the toy-model source's represented_G); the
        rest are counted in n_gt_excluded and summarised by mmcs_recall_excluded.
      parent_G: int, parent index per true feature (-1 = none; the hierarchy source's parent_G);
        enables the absorption metrics.
      match: how latent i picks its feature for precision/recall/F1/shrinkage:
        ``signed`` argmax_j S_ij (right whenever true codes are >= 0, as in every source here: a
        latent pointing at −g_j cannot detect g_j), or ``abs`` argmax_j |S_ij| (SAELens).

    Returns a dict: the scalars named in METRIC_DOCS (floats/ints) that the inputs allow, plus
    arrays: max_cos_G, max_cos_abs_G (best cosine per scored true feature), max_cos_L,
    match_L (feature index in the scored set), pairs_Kx2 (Hungarian pairs), encoder_cos_L (with
    an encoder; absorption and hedging show up mainly there), and with codes and
    acts: firing_rate_L, precision_L, recall_L, f1_L, accuracy_L.

    Raises ShapeError (one line) when the arrays disagree in shape, MetricInputError (one line)
    for a NaN/Inf, a non-numeric dtype, an empty dictionary or a zero-norm scored true feature
    (see the module docstring for the zero-decoder-row and dead-latent conventions).
    """
    dec = _checked("dec_LxD", dec_LxD)
    gt = _checked("gt_GxD", gt_GxD)
    if dec.ndim != 2 or gt.ndim != 2:
        raise ShapeError(f"dec_LxD and gt_GxD must be 2-D [n, D]; got {dec.shape} and {gt.shape}")
    L, D = dec.shape
    if L == 0 or D == 0 or gt.shape[0] == 0:
        raise MetricInputError(f"dec_LxD {dec.shape} and gt_GxD {gt.shape}: need at least one latent, "
                               f"one true feature and one input dim")
    if match not in ("signed", "abs"):
        raise MetricInputError(f"match={match!r}: must be 'signed' or 'abs'")
    for t in thresholds:
        if not (isinstance(t, (int, float)) and -1 <= t <= 1):
            raise MetricInputError(f"thresholds contains {t!r}: each must be a cosine in [-1, 1]")
    if not (isinstance(dense_threshold, (int, float)) and 0 <= dense_threshold <= 1):
        raise MetricInputError(f"dense_threshold={dense_threshold!r}: must be a firing rate in [0, 1]")
    if not (isinstance(absorption_min_cos, (int, float)) and -1 <= absorption_min_cos <= 1):
        raise MetricInputError(f"absorption_min_cos={absorption_min_cos!r}: must be a cosine in [-1, 1]")
    if gt.shape[1] != D:
        hint = (" — is the decoder stored [D, L]? pass its transpose" if dec.shape[0] == gt.shape[1]
                else "")
        raise ShapeError(f"dec_LxD {dec.shape} and gt_GxD {gt.shape} disagree on D{hint}")
    G_all = gt.shape[0]
    mask = np.ones(G_all, bool) if gt_mask_G is None else np.asarray(gt_mask_G, bool)
    if mask.shape != (G_all,):
        raise ShapeError(f"gt_mask_G has shape {mask.shape}; expected ({G_all},) (one flag per true feature)")
    if x_BxD is not None:
        x = _checked("x_BxD", x_BxD)
        if x.ndim != 2 or x.shape[1] != D:
            raise ShapeError(f"x_BxD has shape {x.shape}; expected (B, D={D})")
        B = x.shape[0]
    else:
        x, B = None, None

    def batch_dim(arr, name):
        nonlocal B
        a = _checked(name, arr)
        if a.ndim != 2:
            raise ShapeError(f"{name} must be 2-D; got {a.shape}")
        if B is None:
            B = a.shape[0]
        return a

    codes = None if codes_BxG is None else batch_dim(codes_BxG, "codes_BxG")
    acts = None if acts_BxL is None else batch_dim(acts_BxL, "acts_BxL")
    if codes is not None:
        codes = _shape_check("codes_BxG", codes, (B, G_all), "samples x true features")
    if acts is not None:
        acts = _shape_check("acts_BxL", acts, (B, L), "samples x latents")
    enc = None
    if enc_DxL is not None:
        enc = _shape_check("enc_DxL", _checked("enc_DxL", enc_DxL), (D, L), "input dims x latents",
                           " — pass the transpose if your encoder is stored [L, D]"
                           if np.shape(enc_DxL) == (L, D) else "")
    if acts is None and enc is not None and x is not None:
        b_enc = np.zeros(L) if b_enc_L is None else _shape_check("b_enc_L", b_enc_L, (L,), "one per latent")
        b_pre = np.zeros(D) if b_pre_D is None else _shape_check("b_pre_D", b_pre_D, (D,), "one per input dim")
        acts = np.maximum((x - b_pre) @ enc + b_enc, 0.0)
    x_hat = None
    if x_hat_BxD is not None:
        x_hat = _shape_check("x_hat_BxD", batch_dim(x_hat_BxD, "x_hat_BxD"), (B, D), "samples x input dims")
    elif acts is not None and x is not None:
        b_dec = np.zeros(D) if b_dec_D is None else _shape_check("b_dec_D", b_dec_D, (D,), "one per input dim")
        x_hat = acts @ dec + b_dec

    gt_norms = np.linalg.norm(gt, axis=1)
    if np.any(mask & (gt_norms == 0)):
        j = int(np.flatnonzero(mask & (gt_norms == 0))[0])
        raise MetricInputError(f"gt_GxD row {j} has norm 0: a scored true feature needs a direction "
                               f"(leave it out with gt_mask_G)")
    S_all = cosine_matrix(dec, gt)
    S = S_all[:, mask]
    G = S.shape[1]
    out: dict = {"n_latents": L, "n_gt": G, "n_gt_excluded": int(G_all - G),
                 "zero_decoder_rows": int((np.linalg.norm(dec, axis=1) == 0).sum())}
    if G_all > G:
        out["mmcs_recall_excluded"] = float(S_all[:, ~mask].max(axis=0).mean())
    if G == 0:
        raise ShapeError("gt_mask_G leaves no true feature to score")
    for signed, suffix in ((True, ""), (False, "_abs")):
        out[f"mmcs_recall{suffix}"] = mmcs(S, "recall", signed)
        out[f"mmcs_precision{suffix}"] = mmcs(S, "precision", signed)
    out["mcc"], out["pairs_Kx2"] = hungarian_mcc(S, signed=False)
    out["mcc_signed"], _ = hungarian_mcc(S, signed=True)
    for t in thresholds:
        out[f"rec@{t}"] = recovery_fraction(S, t, True)
        out[f"rec_abs@{t}"] = recovery_fraction(S, t, False)
    out["uniqueness"] = uniqueness(S, signed=False)
    out["uniqueness_signed"] = uniqueness(S, signed=True)
    out["max_cos_G"], out["max_cos_abs_G"] = S.max(axis=0), np.abs(S).max(axis=0)
    out["max_cos_L"] = S.max(axis=1)
    match_L = (S if match == "signed" else np.abs(S)).argmax(axis=1)
    out["match_L"] = match_L
    if enc is not None:
        out["encoder_cos_L"] = (unit_rows(enc.T) * unit_rows(gt[mask])[match_L]).sum(1)
        out["encoder_cos"] = float(out["encoder_cos_L"].mean())

    codes_m = None if codes is None else codes[:, mask]
    if acts is not None:
        out["l0"] = float((acts > 0).sum(1).mean())
        out.update(firing_stats(acts, dense_threshold))
    if codes_m is not None:
        out["true_l0"] = float((codes_m > 0).sum(1).mean())
    if acts is not None and codes_m is not None:
        out["l0_ratio"] = out["l0"] / out["true_l0"] if out["true_l0"] > 0 else math.nan
        det = detection_scores(acts, codes_m, match_L)
        out.update(det)
        for k in ("precision", "recall", "f1", "accuracy"):
            out[k] = float(det[f"{k}_L"].mean())
        alive = out["firing_rate_L"] > 0
        out["f1_alive"] = float(det["f1_L"][alive].mean()) if alive.any() else math.nan
        out["shrinkage"] = shrinkage(acts, codes_m, dec, match_L)
        if parent_G is not None:
            parent = np.asarray(parent_G)
            if parent.shape != (G_all,):
                raise ShapeError(f"parent_G has shape {parent.shape}; expected ({G_all},)")
            if parent.dtype.kind not in "iu" or np.any((parent < -1) | (parent >= G_all)):
                raise MetricInputError(f"parent_G must be integers in [-1, {G_all}) (-1 = no parent)")
            out.update(absorption(acts, codes, S_all, parent, dec, absorption_min_cos))
    if x is not None and x_hat is not None:
        out["fvu"] = fvu(x, x_hat)
        out["explained_variance"] = 1.0 - out["fvu"]
        out["output_norm_ratio"] = output_norm_ratio(x, x_hat)
    return out


# ----------------------------------------------------------------------------- tables


def scalars(scores: dict) -> dict[str, float]:
    """The scalar entries of a score_dictionary result, in METRIC_DOCS order (arrays dropped)."""
    order = [k for k in METRIC_DOCS if k in scores] + [k for k in scores if k not in METRIC_DOCS]
    return {k: scores[k] for k in order if np.ndim(scores[k]) == 0}


def to_rows(scores: dict, **labels) -> list[dict]:
    """Long-format rows {**labels, "metric", "value", "definition"} of the scalars, ready for
    toymodels.store.write_csv. Labels (e.g. sae="topk", k=8) tag every row."""
    return [{**labels, "metric": k, "value": v, "definition": METRIC_DOCS.get(k, "")}
            for k, v in scalars(scores).items()]


def format_table(scores: dict | list[dict], names: list[str] | None = None, definitions: bool = True) -> str:
    """A plain-text table. One result: metric | value | definition. Several (a list, with
    ``names`` as column headers): metric | value per SAE."""
    results = [scores] if isinstance(scores, dict) else list(scores)
    names = names or ([] if len(results) == 1 else [f"sae{i}" for i in range(len(results))])
    rows = [scalars(r) for r in results]
    keys = list(dict.fromkeys(k for r in rows for k in r))

    def fmt(v) -> str:
        if isinstance(v, (int, np.integer)):
            return str(int(v))
        return "nan" if v is None or not np.isfinite(v) else f"{float(v):.4f}"

    header = ["metric"] + (names if names else ["value"]) + (["definition"] if definitions and len(results) == 1 else [])
    body = [[k] + [fmt(r[k]) if k in r else "-" for r in rows]
            + ([METRIC_DOCS.get(k, "")] if definitions and len(results) == 1 else []) for k in keys]
    widths = [max(len(str(row[c])) for row in [header] + body) for c in range(len(header))]
    line = lambda row: "  ".join(str(v).ljust(w) for v, w in zip(row, widths)).rstrip()  # noqa: E731
    return "\n".join([line(header), line(["-" * w for w in widths])] + [line(r) for r in body])
