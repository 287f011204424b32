"""figs-b analysis additions: grid seed protocol, n=3 m=2 configuration labels, boundary bisection."""

import numpy as np
import pytest

from toymodels.analysis import phases as P


def test_seed_protocol_grid_matches_per_cell_protocol_and_drops_worst():
    rng = np.random.default_rng(0)
    loss = rng.uniform(size=(3, 4, 5))
    phase = rng.integers(0, 3, size=(3, 4, 5))
    # cell (0,0): the worst seed is the only superposition one -> majority after dropping is not
    loss[0, 0] = [0.1, 0.2, 0.3, 0.4, 9.0]
    phase[0, 0] = [0, 0, 1, 1, 2]
    out = P.seed_protocol_grid(loss, phase)
    assert out["phase"].shape == (3, 4) and out["fractions_GxP"].shape == (3, 4, 3)
    assert out["fractions_GxP"][0, 0].tolist() == [0.5, 0.5, 0.0]
    assert out["best_phase"][0, 0] == 0 and out["best_seed"][0, 0] == 0
    for i in range(3):
        for j in range(4):
            one = P.seed_protocol(loss[i, j], phase[i, j])
            assert int(one["phase"]) == out["phase"][i, j]
            np.testing.assert_allclose(np.asarray(one["fractions_P"]), out["fractions_GxP"][i, j])
    np.testing.assert_allclose(out["fractions_GxP"].sum(-1), 1.0, rtol=1e-6)


def _unit(deg):
    a = np.deg2rad(deg)
    return np.array([np.cos(a), np.sin(a)])


@pytest.mark.parametrize("cols, code", [
    ([_unit(0), _unit(90), 0 * _unit(0)], P.CONFIG_G),          # extra not represented
    ([0 * _unit(0), _unit(0), _unit(90)], P.CONFIG_F),          # normal 0 dropped, extra dedicated
    ([_unit(90), 0 * _unit(0), _unit(0)], P.CONFIG_F),          # normal 1 dropped
    ([_unit(0), -_unit(0), _unit(90)], P.CONFIG_H_FIRST),       # normals antipodal
    ([_unit(0), _unit(90), -_unit(90)], P.CONFIG_H_LAST),       # extra antipodal with normal 1
    ([_unit(90), _unit(0), -_unit(90)], P.CONFIG_H_LAST),       # extra antipodal with normal 0
    ([_unit(90), _unit(210), _unit(330)], P.CONFIG_TRIANGLE),   # W ⊥ [1,1,1]
    ([_unit(0), _unit(10), _unit(90)], P.CONFIG_OTHER),         # two nearly parallel features
])
def test_config_n3m2_labels_each_configuration(cols, code):
    W = np.stack(cols, axis=1)
    assert int(P.config_n3m2(W)) == code
    # the analytic phase of the extra feature follows from the configuration
    if code <= P.CONFIG_H_LAST:
        assert int(P.feature_phase(W)) == P.CONFIG_PHASE[code]
    grid = P.config_grid_n3m2(np.broadcast_to(W, (2, 3, 2, 3)))
    assert grid.shape == (2, 3) and (grid == code).all()


def test_bisect_phase_change_recovers_the_closed_form_boundaries():
    r = np.geomspace(0.1, 10, 9)
    p = P.bisect_phase_change(lambda x: P.theory_phase_n2m1(x, r), np.full(9, 1e-3), np.ones(9))
    expected = np.where(r <= 1, 4 * r / (2 + 5 * r), 4 / (5 + 2 * r))
    np.testing.assert_allclose(p, expected, rtol=1e-5)
    # no change in the bracket -> NaN
    assert np.isnan(P.bisect_phase_change(lambda x: np.zeros_like(x), np.array([0.1]), np.array([1.0]))).all()
    # linear bisection of a step at 0.3
    x = P.bisect_phase_change(lambda x: (x > 0.3).astype(int), np.array([0.0]), np.array([1.0]), log=False)
    np.testing.assert_allclose(x, 0.3, atol=1e-9)
