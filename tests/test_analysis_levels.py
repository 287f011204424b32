"""Sweep-level summaries for the uniform-superposition figures (toymodels.analysis.levels)."""

import numpy as np

from toymodels.analysis import jump_mask
from toymodels.analysis import levels as Lv


def test_level_counts_and_fraction_on_known_values():
    D = np.array([0.5, 0.505, 0.492, 0.4, 0.375, 0.0, 0.02, 0.7])
    np.testing.assert_array_equal(Lv.level_counts(D, [0.5, 0.4, 3 / 8], atol=0.01), [3, 1, 1])
    # 0.0 and 0.02 are below min_value; of the remaining 6 values, 0.7 is 0.033 from 2/3
    assert Lv.near_level_fraction(D, atol=0.02, min_value=0.1) == 5 / 6
    assert np.isnan(Lv.near_level_fraction([0.0, 0.01]))


def test_non_finite_D_is_never_dropped_silently():
    """A diverged model's NaN D_i would vanish from a count and leave a clean-looking fraction."""
    import pytest
    for bad in (np.nan, np.inf):
        D = np.array([0.5, 0.4, bad])
        with pytest.raises(ValueError, match="1 non-finite values of 3"):
            Lv.level_counts(D, [0.5], atol=0.01)
        with pytest.raises(ValueError, match="non-finite"):
            Lv.near_level_fraction(D)


def test_crossing_x_interpolates_in_log_x():
    x = np.array([1.0, 2.0, 4.0])
    y = np.array([1.0, 0.5, 0.5])
    # y = 0.75 is halfway between x=1 and x=2 in log x: sqrt(2)
    np.testing.assert_allclose(Lv.crossing_x(x, y, 0.75), np.sqrt(2.0))
    np.testing.assert_allclose(Lv.crossing_x(x, y, 0.75, log_x=False), 1.5)
    assert np.isnan(Lv.crossing_x(x, y, 0.2))


def test_jump_loss_alignment_separates_jump_transitions():
    # 3 features; D jumps at transitions 3 (feature 0) and 6 (feature 1); loss falls 20% there, 1% elsewhere
    T = 10
    D = np.zeros((T, 3))
    D[4:, 0] = 0.5
    D[7:, 1] = 0.5
    drops = np.full(T - 1, 0.01)
    drops[[3, 6]] = 0.2
    loss = np.concatenate([[1.0], np.cumprod(1 - drops)])
    out = Lv.jump_loss_alignment(loss, jump_mask(D))
    np.testing.assert_array_equal(np.flatnonzero(out["is_jump_T1"]), [3, 6])
    np.testing.assert_allclose(out["mean_drop_jump"], 0.2)
    np.testing.assert_allclose(out["mean_drop_other"], 0.01)  # transitions 4, 5 only (the window)
    np.testing.assert_allclose(out["ratio"], 20.0)
    # no jumps at all: nothing to compare
    assert np.isnan(Lv.jump_loss_alignment(loss, jump_mask(np.zeros((T, 3))))["ratio"])


def test_step_concentration_step_vs_drift():
    T = 21
    step = np.where(np.arange(T) >= 10, 0.5, 0.0)
    drift = np.linspace(0.0, 0.5, T)
    still = np.zeros(T)
    c = Lv.step_concentration(np.stack([step, drift, still], axis=1), k=2)
    np.testing.assert_allclose(c[0], 1.0)
    np.testing.assert_allclose(c[1], 2 / (T - 1))
    assert np.isnan(c[2])


def test_activity_loss_correlation_sign_and_window():
    T = 30
    steps = np.arange(1, T + 1) * 10
    rng = np.random.default_rng(0)
    D = np.zeros((T, 2))
    D[12:, 0] = 0.5  # one jump of feature 0 at transition 11, of feature 1 at transition 20
    D[21:, 1] = 0.5
    drops = 0.001 + 1e-4 * rng.random(T - 1)
    drops[[11, 20]] = 0.05
    loss = np.concatenate([[1.0], np.cumprod(1 - drops)])
    out = Lv.activity_loss_correlation(D, loss, steps)
    assert out["r"] > 0.99
    # loss that rises at the jumps anti-correlates
    loss_up = np.concatenate([[1.0], np.cumprod(1 + drops)])
    assert Lv.activity_loss_correlation(D, loss_up, steps)["r"] < -0.99
    # a window that excludes both jumps leaves a constant activity: undefined
    assert np.isnan(Lv.activity_loss_correlation(D, loss, steps, min_step=250)["r"])
    assert out["used_T1"].sum() == T - 1
