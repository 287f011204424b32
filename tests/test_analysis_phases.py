"""Phase labels, Wattenberg's analytic phase diagrams, seed protocol and agreement (paper 4)."""

import jax
import jax.numpy as jnp
import numpy as np
import pytest

from toymodels.analysis import phases as P

NR, DED, SUP = P.PHASE_NOT_REPRESENTED, P.PHASE_DEDICATED, P.PHASE_SUPERPOSITION


@pytest.mark.parametrize(
    "r,p_star", [(1.0, 4 / 7), (0.1, 0.16), (10.0, 0.16), (0.5, 4 / 9), (2.0, 4 / 9)]
)
def test_phase_boundary_n2m1_values(r, p_star):
    np.testing.assert_allclose(float(P.phase_boundary_n2m1(r)), p_star, rtol=1e-6)


def test_triple_point_all_three_losses_equal():
    L = P.wattenberg_losses(4 / 7, 1.0)
    for key in ("f", "g", "h_last"):
        np.testing.assert_allclose(float(L[key]), 16 / 147, rtol=1e-6, err_msg=key)
    # h_first = p²/3 equals h_last = (1+r)p²/6 whenever r = 1 (the n=3 tie line).
    np.testing.assert_allclose(float(L["h_first"]), 16 / 147, rtol=1e-6)  # p²/3 = (16/49)/3
    np.testing.assert_allclose(float(P.wattenberg_losses(0.5, 2.0)["g"]), 2 * (1 / 6 - 1 / 16), rtol=1e-6)


def test_closed_forms_by_hand():
    L = P.wattenberg_losses(jnp.array([1.0, 0.1]), jnp.array([1.0, 3.0]))
    np.testing.assert_allclose(np.asarray(L["f"]), [1 / 12, 0.1 / 3 - 0.01 / 4], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(L["g"]), [1 / 12, 3 * (0.1 / 3 - 0.01 / 4)], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(L["h_first"]), [1 / 3, 0.01 / 3], rtol=1e-6)
    np.testing.assert_allclose(np.asarray(L["h_last"]), [2 / 6, 4 * 0.01 / 6], rtol=1e-6)


def test_theory_phase_n2m1_regions_and_boundary():
    cases = [
        (0.5, 0.5, NR), (0.4, 0.5, SUP),  # p*(0.5) = 4/9 ≈ 0.444
        (0.5, 2.0, DED), (0.4, 2.0, SUP),
        (0.17, 0.1, NR), (0.15, 0.1, SUP),
        (0.17, 10.0, DED), (0.15, 10.0, SUP),
        (0.9, 1.0, NR), (0.5, 1.0, SUP),  # r = 1 tie between f and g goes to not-represented
    ]
    p, r, want = map(np.array, zip(*cases))
    np.testing.assert_array_equal(np.asarray(P.theory_phase_n2m1(p, r)), want)
    # The superposition region is exactly p < p*(r), on both sides of the triple point.
    r_R = np.geomspace(0.1, 10, 41)
    ps = np.asarray(P.phase_boundary_n2m1(r_R))
    assert np.all(np.asarray(P.theory_phase_n2m1(ps * (1 - 1e-4), r_R)) == SUP)
    above = np.asarray(P.theory_phase_n2m1(ps * (1 + 1e-4), r_R))
    np.testing.assert_array_equal(above, np.where(r_R > 1, DED, NR))


def test_theory_broadcasts_on_a_grid():
    p_P = np.geomspace(0.01, 1, 7)[:, None]
    r_R = np.geomspace(0.1, 10, 5)[None, :]
    assert P.theory_phase_n2m1(p_P, r_R).shape == (7, 5)
    assert P.theory_phase_n3m2(p_P, r_R).shape == (7, 5)
    assert P.theory_phase_n2m1(p_P, r_R).dtype == jnp.int32


def test_n3m2_h_last_beats_h_first_iff_r_below_1():
    p = np.linspace(0.01, 1, 50)[:, None]
    r = np.array([0.1, 0.5, 0.99, 1.01, 2.0, 10.0])[None, :]
    L = P.wattenberg_losses(p, r)
    np.testing.assert_array_equal(np.asarray(L["h_last"] < L["h_first"]), np.broadcast_to(r < 1, (50, 6)))


def test_n3m2_configs_and_boundaries():
    r_R = np.array([1.25, 2.0, 5.0, 10.0])
    # r > 1: the boundary is p = 4/7 whatever r is, between h_first (below) and f (above).
    below = np.asarray(P.theory_config_n3m2(4 / 7 * (1 - 1e-4), r_R))
    above = np.asarray(P.theory_config_n3m2(4 / 7 * (1 + 1e-4), r_R))
    np.testing.assert_array_equal(below, P.CONFIG_H_FIRST)
    np.testing.assert_array_equal(above, P.CONFIG_F)
    np.testing.assert_allclose(np.asarray(P.phase_boundary_n3m2(r_R)), 4 / 7, rtol=1e-6)
    # The extra feature is dedicated on both sides.
    np.testing.assert_array_equal(np.asarray(P.theory_phase_n3m2(0.3, r_R)), DED)
    # r < 1: h_last below 4r/(2+5r), g above.
    r_R = np.array([0.1, 0.5, 0.8])
    pb = np.asarray(P.phase_boundary_n3m2(r_R))
    np.testing.assert_allclose(pb, 4 * r_R / (2 + 5 * r_R), rtol=1e-6)
    np.testing.assert_array_equal(np.asarray(P.theory_config_n3m2(pb * (1 - 1e-4), r_R)), P.CONFIG_H_LAST)
    np.testing.assert_array_equal(np.asarray(P.theory_config_n3m2(pb * (1 + 1e-4), r_R)), P.CONFIG_G)
    np.testing.assert_array_equal(np.asarray(P.theory_phase_n3m2(pb * (1 - 1e-4), r_R)), SUP)
    np.testing.assert_array_equal(np.asarray(P.theory_phase_n3m2(pb * (1 + 1e-4), r_R)), NR)


def test_feature_phase_n2m1_configurations():
    assert int(P.feature_phase(np.array([[1.0, 0.0]]))) == NR
    assert int(P.feature_phase(np.array([[0.0, 1.0]]))) == DED
    assert int(P.feature_phase(np.array([[1.0, -1.0]]))) == SUP
    assert int(P.feature_phase(np.array([[1.0, -0.7]]))) == SUP
    assert int(P.feature_phase(np.array([[1.0, -1.0]]), feature=0)) == SUP
    # A bias that cancels the extra feature (||W||² + b = 1 - 1.2 < 0) leaves it unrepresented.
    assert int(P.feature_phase(np.array([[0.0, 1.0]]), np.array([0.5, -1.2]))) == NR
    # n=3, m=2, the four analytic solutions: W ⊥ [0,0,1], [1,0,0], [1,1,0], [0,1,1].
    s = 1 / np.sqrt(2)
    Ws = [
        np.array([[1, 0, 0], [0, 1, 0]], float),
        np.array([[0, 1, 0], [0, 0, 1]], float),
        np.array([[s, -s, 0], [0, 0, 1]], float) * np.array([[np.sqrt(2)], [1]]),
        np.array([[1, 0, 0], [0, 1, -1]], float),
    ]
    got = [int(P.feature_phase(W)) for W in Ws]
    assert got == [P.CONFIG_PHASE[c] for c in range(4)] == [NR, DED, DED, SUP]


def test_phase_grid_pipeline_agrees_with_theory():
    """Idealised models built from the theory's optimal configuration recover the theory grid."""
    p_P = np.geomspace(0.01, 1, 9)
    r_R = np.geomspace(0.1, 10, 8)
    theory = np.asarray(P.theory_phase_n2m1(p_P[:, None], r_R[None, :]))
    configs = {NR: [[1.0, 0.0]], DED: [[0.0, 1.0]], SUP: [[1.0, -1.0]]}
    W = np.array([[configs[int(c)] for c in row] for row in theory])  # (P, R, 1, 2)
    b = np.zeros(theory.shape + (2,))
    emp = np.asarray(P.phase_grid(W, b))
    assert emp.shape == theory.shape
    np.testing.assert_array_equal(emp, theory)
    assert P.agreement(emp, theory) == 1.0
    assert set(np.unique(theory)) == {NR, DED, SUP}


def test_seed_protocol():
    out = P.seed_protocol(np.array([0.3, 0.2, 0.25, 0.1, 0.9]), np.array([0, 2, 2, 1, 2]))
    assert int(out["phase"]) == SUP  # seed 4 dropped: kept phases 0, 2, 2, 1
    np.testing.assert_allclose(np.asarray(out["fractions_P"]), [0.25, 0.25, 0.5], atol=1e-6)
    np.testing.assert_allclose(float(out["mean_phase"]), 5 / 4, atol=1e-6)
    np.testing.assert_allclose(float(out["mean_loss"]), 0.85 / 4, atol=1e-6)
    assert int(out["best_phase"]) == DED and int(out["best_seed"]) == 3
    np.testing.assert_allclose(float(out["best_loss"]), 0.1, atol=1e-7)
    # Discarding the worst seed changes the majority: phases 1,1,2,2,2 with a phase-2 seed worst
    # leaves a 2-2 tie, which goes to the lower code.
    out = P.seed_protocol(np.array([0.5, 0.6, 0.7, 0.8, 9.0]), np.array([1, 1, 2, 2, 2]))
    assert int(out["phase"]) == DED
    # NaN (diverged) counts as the worst seed and never as the best.
    out = P.seed_protocol(np.array([np.nan, 0.1, 0.2]), np.array([0, 2, 2]))
    assert int(out["phase"]) == SUP and int(out["best_seed"]) == 1
    np.testing.assert_allclose(np.asarray(out["fractions_P"]), [0, 0, 1], atol=1e-6)


def test_seed_protocol_vmaps_over_grid():
    rng = np.random.default_rng(0)
    loss = rng.uniform(size=(3, 4, 10))
    phase = rng.integers(0, 3, size=(3, 4, 10))
    out = jax.vmap(jax.vmap(P.seed_protocol))(loss, phase)
    assert out["phase"].shape == (3, 4)
    one = P.seed_protocol(loss[2, 1], phase[2, 1])
    for k in out:
        np.testing.assert_allclose(np.asarray(out[k][2, 1]), np.asarray(one[k]), rtol=1e-6, err_msg=k)


def test_boundary_mask_and_agreement():
    theory = np.array(
        [
            [0, 0, 0, 2, 2],
            [0, 0, 0, 2, 2],
            [0, 0, 0, 2, 2],
        ]
    )
    mask = P.boundary_mask(theory)
    np.testing.assert_array_equal(mask, np.array([[0, 0, 1, 1, 0]] * 3, bool))
    np.testing.assert_array_equal(P.boundary_mask(theory, radius=2), np.array([[0, 1, 1, 1, 1]] * 3, bool))
    emp = theory.copy()
    emp[1, 2] = 2  # a mismatch next to the boundary
    assert P.agreement(emp, theory) == pytest.approx(14 / 15)
    assert P.agreement(emp, theory, exclude_boundary=True) == 1.0
    emp[0, 0] = 1  # a mismatch far from it
    assert P.agreement(emp, theory) == pytest.approx(13 / 15)
    assert P.agreement(emp, theory, exclude_boundary=True) == pytest.approx(8 / 9)
    with pytest.raises(ValueError):
        P.agreement(emp, theory[:, :4])
    assert np.isnan(P.agreement(np.zeros((1, 2)), np.array([[0, 1]]), exclude_boundary=True))


def test_boundary_mask_diagonal_neighbours():
    theory = np.zeros((4, 4), int)
    theory[0, 0] = 1
    mask = P.boundary_mask(theory)
    expected = np.zeros((4, 4), bool)
    expected[:2, :2] = True
    np.testing.assert_array_equal(mask, expected)
