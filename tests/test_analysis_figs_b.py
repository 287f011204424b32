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
    ([_unit(0), 0.45 * _unit(10), _unit(90)], P.CONFIG_CONFUSED),  # normals same-sign, extra dedicated
    ([_unit(0), _unit(90), _unit(45)], P.CONFIG_OTHER),         # extra between the normals
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


# --- planar geometry and correlated sets

from toymodels.analysis import planar  # noqa: E402


def _polygon(k, radius=1.0, phase=0.3):
    a = phase + 2 * np.pi * np.arange(k) / k
    return radius * np.stack([np.cos(a), np.sin(a)])


def test_canonicalize_2d_puts_anchor_on_x_and_keeps_gram():
    a = np.deg2rad([10.0, 75.0, 170.0, 250.0, 300.0])  # an irregular pentagon, reflected
    W = np.array([[1, 0], [0, -1]]) @ (1.1 * np.stack([np.cos(a), np.sin(a)]))
    C = planar.canonicalize_2d(W, anchor=2)
    np.testing.assert_allclose(C.T @ C, W.T @ W, atol=1e-12)
    np.testing.assert_allclose(C[:, 2], [np.linalg.norm(W[:, 2]), 0], atol=1e-12)
    ang = np.degrees(np.arctan2(C[1], C[0]))
    ang = ang[np.abs(ang) > 1e-6]
    assert ang[np.argmin(np.abs(ang))] > 0  # nearest neighbour above the x axis
    # unrepresented anchor -> the largest-norm feature goes on +x
    W2 = np.array([[0.1, 0.0, 0.0], [0.0, 2.0, -1.0]])
    np.testing.assert_allclose(planar.canonicalize_2d(W2, anchor=0)[:, 1], [2.0, 0.0], atol=1e-12)


def test_angular_room_of_regular_polygons_and_missing_features():
    assert planar.angular_room(_polygon(5), 0) == pytest.approx(72.0)
    assert planar.angular_room(_polygon(4), 3) == pytest.approx(90.0)
    W = _polygon(5)
    W[:, 1] *= 0.1  # drop neighbour 1: room of feature 0 = half of (72 + 144)
    assert planar.angular_room(W, 0) == pytest.approx(108.0)
    assert np.isnan(planar.angular_room(W, 1))


def test_set_cosines_and_collapse_on_hand_built_geometries():
    sets = planar.set_index(4, 2)
    assert sets.tolist() == [0, 0, 1, 1]
    assert planar.set_index(5, 2).tolist() == [0, 0, 1, 1, -1]
    # correlated: sets orthogonal inside, antipodal across (x, y, -x, -y)
    W = np.array([[1.0, 0.0, -1.0, 0.0], [0.0, 1.0, 0.0, -1.0]])
    c = planar.set_cosines(W, sets)
    np.testing.assert_allclose(c["within"], [0.0, 0.0], atol=1e-12)
    np.testing.assert_allclose(c["min_across_F"], -1.0)
    # anticorrelated: each set antipodal
    W = np.array([[1.0, -1.0, 0.0, 0.0], [0.0, 0.0, 1.0, -1.0]])
    np.testing.assert_allclose(planar.set_cosines(W, sets)["within"], [-1.0, -1.0])
    # collapse: set 0 merged, set 1 apart, set 2 unrepresented
    W = np.array([[1.0, 0.98, 0.0, -1.0, 0.0, 0.01], [0.0, 0.2, 1.0, 0.0, 0.0, 0.0]])
    assert planar.collapsed_sets(W, planar.set_index(6, 2)).tolist() == [1, 0, -1]



def test_angular_neighbours_find_side_by_side_pairs_in_an_irregular_hexagon():
    # pairs (0,1), (2,3), (4,5) side by side, the gaps between pairs narrower than within them
    a = np.deg2rad([0.0, 60.0, 115.0, 175.0, 235.0, 300.0])
    W = np.stack([np.cos(a), np.sin(a)])
    nb = planar.angular_neighbours(W)
    assert nb.tolist() == [[1, 5], [2, 0], [3, 1], [4, 2], [5, 3], [0, 4]]
    sets = planar.set_index(6, 2)
    partner_adjacent = [(sets[nb[i]] == sets[i]).any() for i in range(6)]
    assert all(partner_adjacent)
    W[:, 5] *= 0.1  # unrepresented feature drops out of the order
    nb = planar.angular_neighbours(W)
    assert nb[5].tolist() == [-1, -1] and nb[0].tolist() == [1, 4]
    assert (planar.angular_neighbours(W[:, :2]) == -1).all()
