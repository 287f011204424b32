"""Learning-dynamics tests: D_i(t) over snapshots and energy-level jump detection (paper 5)."""

import jax
import numpy as np

from toymodels.analysis import dynamics as Dy
from toymodels.analysis import measures as M


def polygon(k):
    a = 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(a), np.sin(a)])


def staged_trajectory(T=20, t_pairs=6, t_pentagon=13, noise=1e-3, seed=0):
    """n=5, m=2 snapshots: 2 dedicated → 2 antipodal pairs → pentagon, with small drift noise.

    D levels: [1,1,0,0,0] → [1/2]*4 + [0] → [2/5]*5. Loss drops 30% and 10% at the two stages.
    """
    rng = np.random.default_rng(seed)
    dedicated = np.array([[1.0, 0, 0, 0, 0], [0, 1.0, 0, 0, 0]])
    pairs = np.array([[1.0, 0, -1.0, 0, 0], [0, 1.0, 0, -1.0, 0]])
    pentagon = polygon(5)
    W = np.stack([dedicated if t < t_pairs else pairs if t < t_pentagon else pentagon for t in range(T)])
    W = W + noise * rng.normal(size=W.shape)
    steps = np.unique(np.round(np.geomspace(10, 10_000, T)).astype(int))
    assert steps.size == T
    loss = 0.1 * (1 - 0.002 * np.arange(T))
    loss = loss * np.where(np.arange(T) >= t_pairs, 0.7, 1.0) * np.where(np.arange(T) >= t_pentagon, 0.9, 1.0)
    return W, steps, loss


def test_trajectory_measures_levels():
    W, steps, loss = staged_trajectory()
    out = Dy.trajectory_measures(W, loss)
    assert out["D_TxF"].shape == (20, 5) and out["norms_TxF"].shape == (20, 5)
    D = np.asarray(out["D_TxF"])
    np.testing.assert_allclose(D[0, :2], 1.0, atol=1e-3)
    np.testing.assert_allclose(D[0, 2:], 0.0, atol=0.01)  # noise-sized columns: D ≈ 0
    np.testing.assert_allclose(D[8, :4], 0.5, atol=1e-3)
    np.testing.assert_allclose(D[19], 0.4, atol=1e-3)
    np.testing.assert_allclose(np.asarray(out["D_star_T"])[19], 0.4, atol=1e-3)
    np.testing.assert_allclose(np.asarray(out["loss_T"]), loss, rtol=1e-6)
    # matches the single-model measure at every snapshot
    np.testing.assert_allclose(D[7], np.asarray(M.feature_dimensionality(W[7])), rtol=1e-6)
    # vmaps over runs: (R, T, H, F)
    runs = jax.vmap(Dy.trajectory_measures)(np.stack([W, W[::-1]]))
    np.testing.assert_allclose(np.asarray(runs["D_TxF"])[1], D[::-1], atol=1e-6)


def test_detect_jumps_staged():
    W, steps, loss = staged_trajectory()
    D = np.asarray(Dy.trajectory_measures(W)["D_TxF"])
    # threshold 0.2: only the big moves (1 → 1/2, 0 → 1/2 at stage 1; 0 → 2/5 at stage 2)
    out = Dy.detect_jumps(D, steps, loss, jump_threshold=0.2)
    expected_steps = [[steps[6]]] * 4 + [[steps[13]]]
    for i in range(5):
        np.testing.assert_array_equal(out["steps_per_feature"][i], expected_steps[i], err_msg=str(i))
        assert out["coincides_per_feature"][i].tolist() == [True]
    assert out["n_jumps"] == 5 and out["fraction_coinciding"] == 1.0
    j = out["jumps"][0]
    assert (j["feature"], j["index"], j["step"]) == (0, 5, int(steps[6]))
    np.testing.assert_allclose([j["D_before"], j["D_after"]], [1.0, 0.5], atol=1e-3)
    np.testing.assert_allclose(j["rel_loss_drop"], 1 - 0.7 * (1 - 0.012) / (1 - 0.010), rtol=1e-9)
    # a finer threshold also catches the 1/2 → 2/5 jumps of features 0-3
    fine = Dy.detect_jumps(D, steps, loss, jump_threshold=0.05)
    for i in range(4):
        np.testing.assert_array_equal(fine["steps_per_feature"][i], [steps[6], steps[13]])
    assert fine["n_jumps"] == 9 and fine["fraction_coinciding"] == 1.0
    assert [j["index"] for j in fine["jumps"]] == [5] * 4 + [12] * 5  # step order, then feature


def test_jump_without_loss_drop_and_window():
    D = np.zeros((8, 2))
    D[3:, 0] = 0.5  # feature 0 jumps at transition 2 → 3
    D[6:, 1] = 1.0  # feature 1 jumps at transition 5 → 6
    steps = np.arange(8) * 10
    loss = np.array([1.0, 0.99, 0.98, 0.97, 0.5, 0.49, 0.48, 0.47])  # the drop lags feature 0's jump
    out = Dy.detect_jumps(D, steps, loss)
    assert out["steps_per_feature"][0].tolist() == [30] and out["steps_per_feature"][1].tolist() == [60]
    assert out["coincides_per_feature"][0].tolist() == [False]  # 0.98 → 0.97 is 1%
    assert out["coincides_per_feature"][1].tolist() == [False]
    assert out["fraction_coinciding"] == 0.0
    wide = Dy.detect_jumps(D, steps, loss, window=2)  # compares loss[1] with loss[4]
    assert wide["coincides_per_feature"][0].tolist() == [True]
    # transition 5 → 6 with window 2 compares loss[4] = .5 with loss[7] = .47: a 6% drop
    assert wide["coincides_per_feature"][1].tolist() == [True]
    np.testing.assert_allclose(wide["jumps"][1]["rel_loss_drop"], (0.5 - 0.47) / 0.5)
    assert Dy.detect_jumps(D, steps, loss, window=2, loss_drop_threshold=0.07)["coincides_per_feature"][1].tolist() == [False]
    no_loss = Dy.detect_jumps(D, steps)
    assert no_loss["n_jumps"] == 2 and np.isnan(no_loss["jumps"][0]["rel_loss_drop"])


def test_smooth_trajectory_has_no_jumps():
    T = 30
    # Feature 2 grows smoothly along (1, 1)/√2 on top of two dedicated features: D_2 = r²/(1 + r²)
    # rises from 0 to 1/2 and D_0 = D_1 = 1/(1 + r²/2) falls from 1 to 2/3, without jumps.
    r_T = np.linspace(0, 1, T)
    W = np.stack([np.array([[1.0, 0.0, r / np.sqrt(2)], [0.0, 1.0, r / np.sqrt(2)]]) for r in r_T])
    steps = np.round(np.geomspace(10, 1e4, T)).astype(int)
    loss = np.geomspace(1.0, 0.1, T)
    D = np.asarray(Dy.trajectory_measures(W)["D_TxF"])
    assert np.max(np.abs(np.diff(D, axis=0))) < 0.1  # it does change, just not in jumps
    np.testing.assert_allclose(D[[0, -1]], [[1, 1, 0], [2 / 3, 2 / 3, 1 / 2]], atol=1e-5)
    out = Dy.detect_jumps(D, steps, loss)
    assert out["n_jumps"] == 0 and out["jumps"] == []
    assert all(s.size == 0 for s in out["steps_per_feature"])
    assert np.isnan(out["fraction_coinciding"])
    assert not np.any(np.asarray(Dy.jump_mask(D)))


def test_relative_loss_drop_clips_at_ends():
    loss = np.array([2.0, 1.0, 0.5])
    np.testing.assert_allclose(Dy.relative_loss_drop(loss, np.array([0, 1])), [0.5, 0.5])
    np.testing.assert_allclose(Dy.relative_loss_drop(loss, np.array([0, 1]), window=3), [0.75, 0.75])
