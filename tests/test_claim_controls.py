"""Negative and positive controls for the figures' geometry claims (issue 15 item 2).

Each figure's claim check is callable on arrays. Fed the exact geometry the paper describes
(closed forms of paper_spec §4.1) it must pass; fed random weights, or those ideal weights with
their entries shuffled (same values, structure destroyed), it must fail every claim that is about
structure. A claim that passes on such controls tests nothing. All controls are cheap (< 1 s).
"""

import numpy as np
import pytest

from figures.fig01_intro import intro_claims
from figures.fig07_dims_per_feature import NBRUN_D_STAR, NBRUN_X, dims_claims
from figures.fig08_feature_dimensionality import cluster_test, dimensionality_claims
from figures.fig10_correlated_2d import correlated_claims
from figures.fig11_local_bases import local_bases_claims
from figures.fig12_pca_collapse import collapse_claims, pair_correlation
from figures.fig13_energy_jumps import change_window, jump_claims, shift_null_p
from toymodels import analysis
from toymodels.analysis import planar

RNG = np.random.default_rng(20221)
INTRO_DENSITY = 20 ** -np.linspace(0, 1, 10)  # the notebook's grid (spec 3.1)


def polygon(k, norm=1.0, phase=0.0):
    a = phase + 2 * np.pi * np.arange(k) / k
    return norm * np.stack([np.cos(a), np.sin(a)])


def dims(W_LxHxF):
    """(D_LxF, D*_L) in numpy: D_i = ‖W_i‖⁴ / Σ_j (W_i·W_j)², D* = m / ‖W‖²_F (spec §2)."""
    W = np.asarray(W_LxHxF, float)
    G = np.einsum("lhi,lhj->lij", W, W)
    norm2 = np.einsum("lii->li", G)
    D = np.where(norm2 > 1e-12, norm2 ** 2 / np.maximum((G ** 2).sum(-1), 1e-24), 0.0)
    return D, W.shape[1] / (W ** 2).sum(axis=(1, 2))


def shuffled(W, seed=0):
    """The same values in random positions: keeps the entries' distribution, breaks the geometry."""
    r = np.random.default_rng(seed)
    flat = np.asarray(W, float).ravel().copy()
    r.shuffle(flat)
    return flat.reshape(np.shape(W))


def ideal_intro():
    """Figure 1's geometry per density (spec 3.1): 2 dedicated, then 2 digons, then a pentagon."""
    dense = np.zeros((2, 5))
    dense[0, 0] = dense[1, 1] = 1.0
    digons = np.array([[1.0, -1.0, 0, 0, 0], [0, 0, 1.0, -1.0, 0]])
    return np.stack([dense if p > 0.5 else digons if p > 0.15 else polygon(5, 1.1) for p in INTRO_DENSITY])


def test_intro_claims_pass_on_the_paper_geometry_and_fail_on_controls():
    W = ideal_intro()
    assert all(c.passed for c in intro_claims(W, INTRO_DENSITY)), [c.measured for c in intro_claims(W, INTRO_DENSITY)]
    for seed in range(3):
        random = RNG.normal(size=W.shape)
        assert not any(c.passed for c in intro_claims(random, INTRO_DENSITY))
        mixed = np.stack([shuffled(w, seed) for w in W])
        flags = [c.passed for c in intro_claims(mixed, INTRO_DENSITY)]
        # pentagon and D_i = 2/5 (the sparse dense/digon weights can land in the same geometry when
        # shuffled: a 1 and a −1 in one row is again an antipodal pair, so those are not controls)
        assert flags[2:] == [False, False], flags


def uniform_weights(level_kind, n=200, m=20):
    """A W (m × n) per level: dedicated features, digons, or pentagons on 2-D blocks."""
    W = np.zeros((m, n))
    if level_kind == "dedicated":
        W[np.arange(m), np.arange(m)] = 1.0
    elif level_kind == "digon":
        for k in range(m):
            W[k, 2 * k], W[k, 2 * k + 1] = 1.0, -1.0
    else:  # pentagons on m/2 planes
        for k in range(m // 2):
            W[2 * k: 2 * k + 2, 5 * k: 5 * k + 5] = polygon(5)
    return W


def test_dims_claims_pass_on_the_notebook_rerun_and_fail_on_random_weights():
    assert all(c.passed for c in dims_claims(NBRUN_X, NBRUN_D_STAR)[0])  # positive control: [NBrun]
    m = 20
    W_LxHxF = RNG.normal(scale=1 / np.sqrt(m), size=(len(NBRUN_X), m, 200))
    D_star = dims(W_LxHxF)[1]
    flags = [c.passed for c in dims_claims(NBRUN_X, D_star)[0]]
    assert flags[:4] == [False, False, False, False], flags
    # D* = m/‖W‖²_F is a norm statistic: shuffling entries keeps it, so no shuffled control applies here


def test_dimensionality_claims_fail_on_random_and_shuffled_weights():
    x = NBRUN_X
    kinds = ["dedicated" if v < 1.75 else "digon" if v < 3.9 else "pentagon" for v in x]
    W = np.stack([uniform_weights(k) for k in kinds])
    D, D_star = dims(W)
    ideal = dimensionality_claims(x, D_star, D, 20)[0]
    assert ideal[0].passed and ideal[1].passed
    for controls in (RNG.normal(scale=0.2, size=W.shape), np.stack([shuffled(w, 1) for w in W])):
        Dc, Dsc = dims(controls)
        flags = [c.passed for c in dimensionality_claims(x, Dsc, Dc, 20)[0]]
        assert flags[1:3] == [False, False], flags  # plateau at 1/2, clusters at 2/5 and 3/8


def test_cluster_test_finds_a_line_and_not_a_smooth_spread():
    line = np.concatenate([np.full(30, 0.4) + RNG.normal(scale=0.002, size=30), RNG.uniform(0.3, 0.5, 60)])
    assert cluster_test(line, 0.4)["cluster"]
    assert not cluster_test(RNG.uniform(0.3, 0.5, 200), 0.4)["cluster"]


def ideal_correlated():
    """Figure 10's geometries (spec 3.6): two correlated sets in orthogonal directions (each feature
    antipodal to one of the other set), anticorrelated pairs antipodal, three pairs side by side."""
    corr = np.array([[1.0, 0, -1.0, 0], [0, 1.0, 0, -1.0]])
    anti = np.array([[1.0, -1.0, 0, 0], [0, 0, 1.0, -1.0]])
    hexagon = polygon(6, 1.0, 0.1)  # neighbours 0-1, 2-3, 4-5 are the sets
    return corr, anti, hexagon


def run_correlated(corr, anti, hexagon):
    p = np.array([0.05, 0.025])
    return correlated_claims(np.stack([corr, corr]), p, np.stack([anti, anti]), p, np.stack([hexagon, hexagon]),
                             np.array([0.02, 0.03]), np.stack([hexagon, hexagon])[:, None])[0]


def test_correlated_claims_pass_on_the_paper_geometry_and_fail_on_controls():
    corr, anti, hexagon = ideal_correlated()
    assert all(c.passed for c in run_correlated(corr, anti, hexagon))
    for seed in range(3):
        random = [RNG.normal(size=w.shape) for w in (corr, anti, hexagon)]
        assert not any(c.passed for c in run_correlated(*random))
        mixed = [shuffled(w, seed) for w in (corr, anti, hexagon)]
        flags = [c.passed for c in run_correlated(*mixed)]
        assert not flags[0] and not flags[2], flags


def test_local_bases_claims_pass_on_two_orthonormal_bases_and_fail_on_controls():
    m = 10
    Q, _ = np.linalg.qr(RNG.normal(size=(m, m)))
    W = np.concatenate([np.eye(m), Q], axis=1)  # two local orthonormal bases of R^10
    sets = planar.set_index(2 * m, m)
    claims, st = local_bases_claims(np.stack([W, W]), [0.05, 0.025], sets)
    assert all(c.passed for c in claims)
    assert np.allclose(st["across_sq"], 1 / m)  # the closed form of the interference
    for controls in (RNG.normal(scale=1 / np.sqrt(m), size=W.shape), shuffled(W, 2)):
        flags = [c.passed for c in local_bases_claims(np.stack([controls, controls]), [0.05, 0.025], sets)[0]]
        assert flags[:2] == [False, False], flags


PCA_DENSITY = np.array([0.02, 0.03, 0.04, 0.05, 0.07, 0.1, 0.13, 0.15, 0.18, 0.2, 0.25, 0.3, 0.4, 0.5, 0.7, 1.0])


def test_collapse_claims_pass_on_the_table_and_fail_on_random_weights():
    table = np.array([0 if p < 0.05 else 1 if p < 0.15 else 2 if p < 0.25 else 3 for p in PCA_DENSITY])
    table[-1] = 0  # p = 1: uncorrelated pairs, left out of the claims
    assert all(c.passed for c in collapse_claims(PCA_DENSITY, table)[0])
    sets = planar.set_index(6, 2)
    for seed in range(3):
        r = np.random.default_rng(seed)
        counts = [int((planar.collapsed_sets(r.normal(size=(2, 6)), sets) == 1).sum()) for _ in PCA_DENSITY]
        flags = [c.passed for c in collapse_claims(PCA_DENSITY, counts)[0]]
        assert not all(flags[1:]), (counts, flags)
    # the formerly vacuous case: nothing collapsed anywhere must fail 'PCA-like'
    assert not collapse_claims(PCA_DENSITY, np.zeros(len(PCA_DENSITY), int))[0][-1].passed


def test_pair_correlation_matches_sampled_coactivation_data():
    import jax

    from toymodels.config import DataConfig
    from toymodels.data import sample_batch

    cfg = DataConfig(correlation="correlated", set_size=2)
    p_F = np.array([0.1, 0.1, 0.5, 0.5, 1.0, 1.0], np.float32)
    x = np.asarray(sample_batch(jax.random.key(3), p_F, cfg, 100_000))
    for k in range(3):
        r = np.corrcoef(x[:, 2 * k], x[:, 2 * k + 1])[0, 1] if x[:, 2 * k].std() > 0 else 0.0
        assert abs(r - pair_correlation(p_F[2 * k])) < 0.015, (p_F[2 * k], r)


def digon_trajectory(T=120, F=40, seed=0):
    """D_i(t) stepping 0 → 1/2 at a random snapshot per feature, and a loss that drops 2% at each step."""
    r = np.random.default_rng(seed)
    t_jump = r.integers(40, T - 5, F)
    D = np.where(np.arange(T)[:, None] >= t_jump[None], 0.5, 0.0)
    loss = 0.1 * np.cumprod(np.where(np.isin(np.arange(T), t_jump), 0.98, 1.0))
    steps = np.unique(np.round(np.geomspace(1, 10_000, T)).astype(int))
    return D[: len(steps)], loss[: len(steps)], steps


def test_jump_claims_pass_on_steps_and_fail_on_time_shuffled_trajectories():
    D, loss, steps = digon_trajectory()
    claims = jump_claims(D, steps, loss, 3.53)[0]
    assert all(c.passed for c in claims), [c.measured for c in claims]
    Ds = D[RNG.permutation(len(D))]  # the same values in a random time order
    flags = [c.passed for c in jump_claims(Ds, steps, loss, 3.53)[0]]
    assert flags[2] is False, flags  # no alignment with the loss drops
    smooth = np.linspace(0, 0.5, len(steps))[:, None] * np.ones((1, 40))
    assert not jump_claims(smooth, steps, loss, 3.53)[0][1].passed  # a slow drift is not step-like
    assert change_window(D, np.ones(len(D) - 1, bool)).max() == 1


def test_shift_null_p_is_small_for_aligned_and_large_for_independent_series():
    a = np.zeros(80)
    a[RNG.choice(80, 8, replace=False)] = 1.0
    assert shift_null_p(a, a + RNG.normal(scale=0.1, size=80)) < 0.05
    assert shift_null_p(a, RNG.normal(size=80)) > 0.05


@pytest.mark.parametrize("seed", [0, 1])
def test_random_weights_are_not_a_pentagon(seed):
    W = np.random.default_rng(seed).normal(size=(2, 5))
    assert analysis.geometry_summary(W, np.zeros(5))["model_structure"] != "pentagon"
