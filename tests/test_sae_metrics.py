"""Every SAE metric on five adversarial dictionaries, with the value asserted for each
(toymodels.sae.metrics).

Ground truth: a hierarchy source (4 parents × 3 mutually exclusive children + 16 free features =
G = 32 orthonormal directions in D = 64, magnitudes U[0,1)), re-orthonormalised in float64 so that
a perfect ReLU encoder reproduces the codes exactly. Cases:
  (a) perfect            dec = gt, enc = decᵀ
  (b) duplicates         dec = [gt; gt] with enc = decᵀ/2 (each copy carries half), and one
                         direction repeated 8 times
  (c) random             Gaussian decoder; latents fire independently of the data
  (d) permuted + signs   dec = (s ⊙ gt)[perm] with 8 flipped rows, enc = decᵀ
  (e) narrower           dec = gt[:14] (drops two children of the last parent and all free features)
Random-dictionary values are compared with expectations computed from the setup (sub-Gaussian
extreme-value bounds, occupancy statistics, binomial standard errors), never with fixed numbers.
"""

import dataclasses
import math

import jax
import numpy as np
import pytest

from toymodels.sae import metrics as M
from toymodels.sae import sources as S

CFG = dataclasses.replace(S.ABSORB, d=64, n_parents=4, n_children=3, n_free=16, p_free=0.05,
                          magnitude="uniform")
G, D, B = 32, 64, 4096
EPS = 1e-9  # encoder bias: float64 round-off in x @ gtᵀ (~1e-16) must not count as firing
TOL = 1e-7  # covers the EPS bias shift of every activation


@pytest.fixture(scope="module")
def data():
    src = S.make_source(CFG, jax.random.key(0))
    _, codes = S.sample(src, CFG, jax.random.key(1), B)
    q, _ = np.linalg.qr(np.asarray(src.gt_GxD, np.float64).T)
    gt = q.T * np.sign(np.sum(q.T * np.asarray(src.gt_GxD), axis=1, keepdims=True))
    codes = np.asarray(codes, np.float64)
    x = codes @ gt
    return dict(gt=gt, codes=codes, x=x, parent=np.asarray(src.parent_G),
                var=float(((x - x.mean(0)) ** 2).sum()))


def _score(d, dec, enc_scale=1.0, **kw):
    dec = np.asarray(dec, np.float64)
    return M.score_dictionary(dec, d["gt"], enc_DxL=enc_scale * M.unit_rows(dec).T,
                              b_enc_L=np.full(len(dec), -EPS), x_BxD=d["x"], codes_BxG=d["codes"],
                              parent_G=d["parent"], **kw)


def _assert_cosine_perfect(r, signed=True):
    keys = ["mmcs_recall_abs", "mmcs_precision_abs", "mcc", "uniqueness"] + [f"rec_abs@{t}" for t in M.THRESHOLDS]
    if signed:
        keys += ["mmcs_recall", "mmcs_precision", "mcc_signed", "uniqueness_signed"] + [f"rec@{t}" for t in M.THRESHOLDS]
    for k in keys:
        assert r[k] == pytest.approx(1.0, abs=TOL), k


def test_perfect_dictionary(data):
    r = _score(data, data["gt"])
    _assert_cosine_perfect(r)
    true_rate = (data["codes"] > 0).mean(0)
    assert r["l0"] == r["true_l0"] == pytest.approx((data["codes"] > 0).sum(1).mean())
    assert r["l0_ratio"] == 1.0
    for k in ("precision", "recall", "f1", "accuracy"):
        assert r[k] == 1.0, k
    assert r["dead_latents"] == 0
    assert r["dense_latents"] == int((true_rate > 0.1).sum()) == 4  # the four parents (p = 0.25)
    assert r["shrinkage"] == pytest.approx(1.0, abs=TOL)
    assert r["fvu"] == pytest.approx(0.0, abs=TOL) and r["explained_variance"] == pytest.approx(1.0, abs=TOL)
    assert r["output_norm_ratio"] == pytest.approx(1.0, abs=TOL)
    assert r["absorption_rate"] == 0.0 and r["absorption_baseline"] == 0.0
    assert r["parent_activation_ratio"] == pytest.approx(1.0, abs=TOL)
    assert r["child_decoder_parent_cos"] == pytest.approx(0.0, abs=TOL)
    assert r["absorption_pairs"] == 12
    np.testing.assert_array_equal(r["match_L"], np.arange(G))
    assert sorted(map(tuple, r["pairs_Kx2"])) == [(i, i) for i in range(G)]


def test_duplicated_dictionary(data):
    dec = np.concatenate([data["gt"], data["gt"]])  # L = 2G, every direction twice
    r = _score(data, dec, enc_scale=0.5)  # each copy carries half of the code: x̂ = x exactly
    for k in ("mmcs_recall", "mmcs_precision", "mcc", "mcc_signed", "rec@0.99", "rec_abs@0.9"):
        assert r[k] == pytest.approx(1.0, abs=TOL), k
    assert r["uniqueness"] == r["uniqueness_signed"] == 0.5  # G distinct argmaxes over 2G latents
    assert r["f1"] == 1.0 and r["precision"] == 1.0 and r["recall"] == 1.0
    assert r["l0"] == pytest.approx(2 * r["true_l0"])
    assert r["shrinkage"] == pytest.approx(0.5, abs=TOL)  # each copy alone under-estimates by half
    assert r["fvu"] == pytest.approx(0.0, abs=TOL)
    assert r["dead_latents"] == 0 and r["dense_latents"] == 8
    assert r["absorption_rate"] == 0.0 and r["absorption_pairs"] == 12

    one = np.repeat(data["gt"][:1], 8, axis=0)  # one true direction, 8 times
    r1 = _score(data, one)
    assert r1["uniqueness"] == 1 / 8
    assert r1["mmcs_precision"] == pytest.approx(1.0, abs=TOL)
    assert r1["mmcs_recall"] == pytest.approx(1 / G, abs=TOL) and r1["rec@0.9"] == 1 / G
    assert r1["mcc"] == pytest.approx(1 / 8, abs=TOL)  # one latent matches g_0, 7 get cos-0 partners


def _occupancy(n_bins, n_balls):
    """Mean and variance of the number of occupied bins when n_balls fall uniformly in n_bins."""
    a = (1 - 1 / n_bins) ** n_balls
    mean = n_bins * (1 - a)
    var = n_bins * a + n_bins * (n_bins - 1) * (1 - 2 / n_bins) ** n_balls - n_bins**2 * a**2
    return mean, var


def test_random_dictionary(data):
    L = 32
    rng = np.random.default_rng(0)
    dec = rng.standard_normal((L, D))
    acts = np.maximum(rng.standard_normal((B, L)), 0)  # fires with q = 1/2, independent of the data
    r = M.score_dictionary(dec, data["gt"], acts_BxL=acts, x_BxD=data["x"], codes_BxG=data["codes"],
                           parent_G=data["parent"], absorption_min_cos=-1.0)
    # cos of a random direction with a fixed unit vector is sub-Gaussian with variance proxy 1/D,
    # so E max over n of them <= sqrt(2 ln n / D) (and over n |cos|: sqrt(2 ln 2n / D)).
    assert 0.5 * math.sqrt(2 * math.log(L) / D) < r["mmcs_recall"] < math.sqrt(2 * math.log(L) / D)
    assert r["mmcs_recall_abs"] < math.sqrt(2 * math.log(2 * L) / D)
    assert 0.5 * math.sqrt(2 * math.log(G) / D) < r["mmcs_precision"] < math.sqrt(2 * math.log(G) / D)
    assert 0 < r["mcc"] <= min(r["mmcs_recall_abs"], r["mmcs_precision_abs"]) + TOL
    # P(any |cos| > 0.9) <= 2 L G exp(-D 0.81 / 2), a union bound of ~1e-8.
    assert 2 * L * G * math.exp(-D * 0.81 / 2) < 1e-6
    assert r["rec@0.9"] == r["rec_abs@0.9"] == r["rec_abs@0.99"] == 0.0
    # By rotation invariance each latent's argmax is uniform over the G orthonormal features.
    mean, var = _occupancy(G, L)
    assert abs(r["uniqueness"] * L - mean) <= 5 * math.sqrt(var)
    # Independent firing: precision_i estimates the matched feature's rate, recall_i estimates q.
    p_hat = (data["codes"] > 0).mean(0)[r["match_L"]]
    sd_p = np.mean(np.sqrt(p_hat * (1 - p_hat) / (B * 0.5)))
    sd_r = np.mean(np.sqrt(0.25 / (B * p_hat)))
    assert abs(r["precision"] - p_hat.mean()) <= 5 * sd_p
    assert abs(r["recall"] - 0.5) <= 5 * sd_r
    assert r["f1"] < 2 * p_hat.max() * 0.5 / (p_hat.max() + 0.5) + 5 * (sd_p + sd_r)
    assert abs(r["l0"] - L / 2) <= 5 * math.sqrt(L * 0.25 / B)
    assert r["dead_latents"] == 0 and r["dense_latents"] == L
    assert r["fvu"] > 1.0  # a reconstruction independent of x only adds error
    # The "parent latent" of a random dictionary is silent half the time, child or not.
    n_pc = sum(int(((data["codes"][:, p] > 0) & (data["codes"][:, c] > 0)).sum())
               for c, p in enumerate(data["parent"]) if p >= 0)
    assert abs(r["absorption_rate"] - 0.5) <= 5 * math.sqrt(0.25 / n_pc)


def test_permuted_sign_flipped_dictionary(data):
    rng = np.random.default_rng(1)
    perm = rng.permutation(G)
    flipped = np.array([0, 20, 21, 22, 23, 24, 25, 26])  # parent 0 and seven free features
    signs = np.ones(G)
    signs[flipped] = -1
    dec = (signs[:, None] * data["gt"])[perm]
    r = _score(data, dec)
    # |cos| metrics: identical to the perfect dictionary.
    _assert_cosine_perfect(r, signed=False)
    # Signed metrics: a flipped latent has cos −1 with its feature and 0 with the others, so each
    # flipped feature/latent contributes 0: 1 − 8/32 = 0.75.
    f = 1 - len(flipped) / G
    for k in ("mmcs_recall", "mmcs_precision", "mcc_signed", "rec@0.9", "rec@0.99"):
        assert r[k] == pytest.approx(f, abs=TOL), k
    assert f <= r["uniqueness_signed"] <= 1.0  # flipped latents' argmax is among ~0 cosines
    # With non-negative codes a flipped ReLU latent never fires.
    assert r["dead_latents"] == len(flipped)
    kept = np.setdiff1d(np.arange(G), flipped)
    assert r["l0"] == pytest.approx((data["codes"][:, kept] > 0).sum(1).mean())
    assert r["f1"] == pytest.approx(f) and r["recall"] == pytest.approx(f)
    assert r["shrinkage"] == pytest.approx(1.0, abs=TOL)
    missing = (data["codes"][:, flipped] ** 2).sum()
    assert r["fvu"] == pytest.approx(missing / data["var"], rel=1e-9)
    # Parent 0 is unmatched (best signed cos 0 <= 0.5): its 3 pairs are skipped, 9 remain clean.
    assert r["absorption_pairs"] == 9 and r["absorption_rate"] == 0.0
    # match="abs" matches the flipped latents to their features, but they are dead: F1 unchanged.
    ra = _score(data, dec, match="abs")
    assert ra["f1"] == pytest.approx(f)
    np.testing.assert_array_equal(ra["match_L"], perm)


def test_narrower_dictionary(data):
    K = 14
    r = _score(data, data["gt"][:K])
    for k in ("mmcs_recall", "mmcs_recall_abs", "rec@0.9", "rec_abs@0.99"):
        assert r[k] == pytest.approx(K / G, abs=TOL), k
    for k in ("mmcs_precision", "mmcs_precision_abs", "mcc", "mcc_signed", "uniqueness"):
        assert r[k] == pytest.approx(1.0, abs=TOL), k  # MCC averages over the K latents
    assert len(r["pairs_Kx2"]) == K
    assert r["f1"] == 1.0 and r["shrinkage"] == pytest.approx(1.0, abs=TOL)
    assert r["l0"] == pytest.approx((data["codes"][:, :K] > 0).sum(1).mean())
    assert r["l0_ratio"] == pytest.approx(r["l0"] / r["true_l0"])
    assert r["fvu"] == pytest.approx((data["codes"][:, K:] ** 2).sum() / data["var"], rel=1e-9)
    assert r["dead_latents"] == 0
    # Children 14 and 15 (of parent 12) have no latent: 12 − 2 pairs scored, none absorbed.
    assert r["absorption_pairs"] == 10 and r["absorption_rate"] == 0.0


def test_absorption_full_and_partial(data):
    codes, gt, parent = data["codes"], data["gt"], data["parent"]
    kids_on = np.zeros_like(codes, bool)
    for c, p in enumerate(parent):
        if p >= 0:
            kids_on[:, p] |= codes[:, c] > 0
    # Full absorption: every parent latent is silent whenever one of its children is on, and the
    # child latent's decoder takes on the parent direction (cos 1/√2).
    acts = codes.copy()
    acts[kids_on] = 0.0
    dec = gt.copy()
    for c, p in enumerate(parent):
        if p >= 0:
            dec[c] = (gt[c] + gt[p]) / math.sqrt(2)
    r = M.score_dictionary(dec, gt, acts_BxL=acts, codes_BxG=codes, parent_G=parent)
    assert r["absorption_rate"] == 1.0 and r["absorption_baseline"] == 0.0
    assert r["parent_activation_ratio"] == 0.0
    assert r["child_decoder_parent_cos"] == pytest.approx(1 / math.sqrt(2), abs=TOL)
    assert r["recall"] < 1.0  # the recall hole absorption leaves on parent latents
    # Partial absorption: the parent latent fires at half strength when a child is on.
    half = codes.copy()
    half[kids_on] *= 0.5
    r2 = M.score_dictionary(gt, gt, acts_BxL=half, codes_BxG=codes, parent_G=parent)
    assert r2["absorption_rate"] == 0.0
    assert r2["parent_activation_ratio"] == pytest.approx(0.5, abs=TOL)


def test_antipodal_pairs_need_the_signed_cosine():
    g = np.array([[1.0, 0.0], [-1.0, 0.0], [0.0, 1.0]])  # a toy-model antipodal pair + one feature
    r = M.score_dictionary(g, g)
    assert r["uniqueness_signed"] == 1.0 and r["mcc_signed"] == 1.0
    # |cos| cannot tell +g from −g: both latents pick the same feature.
    assert r["uniqueness"] == pytest.approx(2 / 3)
    assert r["mcc"] == 1.0
    flipped = M.score_dictionary(g[[1, 0, 2]] * [[1], [1], [-1]], g)
    assert flipped["mmcs_recall"] == pytest.approx(2 / 3) and flipped["mmcs_recall_abs"] == 1.0


def test_gt_mask_excludes_unrepresented_features(data):
    mask = np.ones(G, bool)
    mask[20:] = False
    r = M.score_dictionary(data["gt"][:20], data["gt"], gt_mask_G=mask, acts_BxL=data["codes"][:, :20],
                           codes_BxG=data["codes"])
    assert r["n_gt"] == 20 and r["n_gt_excluded"] == 12
    assert r["mmcs_recall"] == pytest.approx(1.0, abs=TOL) and r["rec@0.9"] == 1.0
    assert r["mmcs_recall_excluded"] == pytest.approx(0.0, abs=TOL)
    assert r["true_l0"] == pytest.approx((data["codes"][:, :20] > 0).sum(1).mean())
    assert r["f1"] == 1.0


def test_shape_errors_are_one_line_and_say_what_to_do(data):
    gt = data["gt"]
    with pytest.raises(M.ShapeError, match="transpose") as e:
        M.score_dictionary(gt.T, gt)  # a [D, L] decoder
    assert "\n" not in str(e.value)
    with pytest.raises(M.ShapeError, match="disagree on D"):
        M.score_dictionary(np.ones((5, 3)), gt)
    with pytest.raises(M.ShapeError, match="acts_BxL"):
        M.score_dictionary(gt, gt, acts_BxL=np.ones((B, G + 1)), codes_BxG=data["codes"])
    with pytest.raises(M.ShapeError, match="enc_DxL.*transpose"):
        M.score_dictionary(gt, gt, enc_DxL=gt, x_BxD=data["x"])
    with pytest.raises(M.ShapeError, match="codes_BxG"):
        M.score_dictionary(gt, gt, codes_BxG=data["codes"][:, :3])


def test_only_the_metrics_the_inputs_allow(data):
    r = M.score_dictionary(data["gt"], data["gt"])
    assert "mcc" in r and "f1" not in r and "fvu" not in r and "l0" not in r
    r = M.score_dictionary(data["gt"], data["gt"], acts_BxL=data["codes"])
    assert "l0" in r and "dead_latents" in r and "f1" not in r


def test_tables_and_rows(data):
    r = _score(data, data["gt"])
    table = M.format_table(r)
    assert "mmcs_recall" in table and "1.0000" in table and "Hungarian" in table
    assert "max_cos_G" not in table  # arrays are left out
    rows = M.to_rows(r, sae="perfect")
    assert {"sae", "metric", "value", "definition"} <= set(rows[0])
    assert all(np.ndim(row["value"]) == 0 for row in rows)
    wide = M.format_table([r, _score(data, data["gt"][:14])], names=["perfect", "narrow"])
    assert wide.splitlines()[0].split() == ["metric", "perfect", "narrow"]
    assert set(M.scalars(r)) <= set(M.METRIC_DOCS)  # every returned scalar is documented
