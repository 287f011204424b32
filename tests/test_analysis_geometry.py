"""Geometry recovery tests: exact polytopes, hidden in rotations, flips, permutations and noise."""

import fractions

import numpy as np
import pytest

from toymodels.analysis import geometry as G
from toymodels.analysis import measures as M

# ---- exact polytopes, built here independently of toymodels.analysis.geometry ----------------


def polygon(k, phase=0.0):
    a = phase + 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(a), np.sin(a)])


def tetrahedron():
    E = np.eye(4) - 0.25
    U, _, _ = np.linalg.svd(E)
    V = U[:, :3].T @ E
    return V / np.linalg.norm(V, axis=0)


def square_antiprism():
    r, z = np.sqrt(2 / 3), 1 / np.sqrt(3)
    cols = []
    for j in range(4):
        a = np.pi / 2 * j
        cols.append([r * np.cos(a), r * np.sin(a), z])
        cols.append([r * np.cos(a + np.pi / 4), r * np.sin(a + np.pi / 4), -z])
    return np.array(cols).T


def cube():
    s = np.array([[x, y, z] for x in (1, -1) for y in (1, -1) for z in (1, -1)], float).T
    return s / np.sqrt(3)


DIGON = np.array([[1.0, -1.0]])
DEDICATED = np.ones((1, 1))

FACTORS = {
    "dedicated": (DEDICATED, "1"),
    "digon": (DIGON, "1/2"),
    "triangle": (polygon(3, 0.1), "2/3"),
    "tetrahedron": (tetrahedron(), "3/4"),
    "pentagon": (polygon(5, 0.7), "2/5"),
    "hexagon": (polygon(6, 0.2), "1/3"),
    "square antiprism": (square_antiprism(), "3/8"),
}


def random_orthogonal(n, rng):
    Q, R = np.linalg.qr(rng.normal(size=(n, n)))
    return Q * np.sign(np.diag(R))


def hide(blocks, rng, *, n_zero=0, tiny_norms=(), extra_dims=0, noise=1e-3, flips=False):
    """Direct sum of blocks + unrepresented columns, then rotate, flip, permute and add noise.

    Returns (W_HxF, group_F) where group_F[i] is the index of feature i's block (-1: unrepresented).
    """
    H = sum(b.shape[0] for b in blocks) + extra_dims
    cols, groups, h = [], [], 0
    for g, b in enumerate(blocks):
        emb = np.zeros((H, b.shape[1]))
        emb[h : h + b.shape[0]] = b
        h += b.shape[0]
        cols.append(emb)
        groups += [g] * b.shape[1]
    cols.append(np.zeros((H, n_zero)))
    for t in tiny_norms:
        v = rng.normal(size=(H, 1))
        cols.append(t * v / np.linalg.norm(v))
    groups += [-1] * (n_zero + len(tiny_norms))
    W = random_orthogonal(H, rng) @ np.concatenate(cols, axis=1)
    if flips:
        W = W * rng.choice([-1.0, 1.0], size=W.shape[1])
    perm = rng.permutation(W.shape[1])
    W = W[:, perm] + noise * rng.normal(size=W.shape)
    return W, np.array(groups)[perm]


# ---- fractions --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "x,expected",
    [
        (0.4, fractions.Fraction(2, 5)),
        (0.3751, fractions.Fraction(3, 8)),
        (0.333, fractions.Fraction(1, 3)),
        (0.6667, fractions.Fraction(2, 3)),
        (0.7495, fractions.Fraction(3, 4)),
        (0.5, fractions.Fraction(1, 2)),
        (1.0, fractions.Fraction(1)),
        (0.004, fractions.Fraction(0)),
        (0.47, None),  # 0.03 from 1/2, 0.041 from 3/7
        (float("nan"), None),
    ],
)
def test_snap_fraction(x, expected):
    assert G.snap_fraction(x) == expected


def test_snap_fraction_kwargs():
    assert G.snap_fraction(0.4, max_denominator=3) is None  # nearest is 1/3, 0.067 away
    assert G.snap_fraction(0.4, max_denominator=3, atol=0.1) == fractions.Fraction(1, 3)
    assert G.snap_fraction(0.1, max_denominator=10) == fractions.Fraction(1, 10)
    assert G.snap_fraction(0.1) is None  # 1/8 is 0.025 away
    assert G.snap_fractions(np.array([0.5, 0.415])) == [fractions.Fraction(1, 2), None]  # 2/5, 3/7 > .01 away


# ---- single factors ---------------------------------------------------------------------------


def test_reference_polytopes_are_unit_tight_frames():
    for name, (k, d) in G.POLYTOPES.items():
        V = G.polytope_vectors(name)
        assert V.shape == (d, k), name
        np.testing.assert_allclose(np.linalg.norm(V, axis=0), 1.0, atol=1e-12)
        np.testing.assert_allclose(V @ V.T, (k / d) * np.eye(d), atol=1e-12, err_msg=name)


@pytest.mark.parametrize("name", list(FACTORS))
def test_name_factor_exact_and_hidden(name):
    V, _ = FACTORS[name]
    k = V.shape[1]
    assert G.name_factor(V) == (name, V.shape[0], True)
    rng = np.random.default_rng(list(FACTORS).index(name))
    W, _ = hide([V], rng, extra_dims=2)
    assert G.name_factor(W)[:2] == (name, V.shape[0])
    assert len(G.tegum_factors(W)) == 1 and G.tegum_factors(W)[0].size == k
    # random sign flips keep the lines (|cos|) but not the polytope the ReLU model computes with
    Wf, _ = hide([V], np.random.default_rng(list(FACTORS).index(name)), extra_dims=2, flips=True)
    assert G.name_factor(Wf, signed=False)[:2] == (name, V.shape[0])
    if k > 1:
        Wf = W.copy()
        Wf[:, 0] *= -1  # one column negated
        assert G.name_factor(Wf)[0] == f"other ({k} features in {V.shape[0]} dims)"
        assert G.name_factor(Wf, signed=False)[0] == name


def test_octahedron_single_factor_name_and_decomposition():
    octa = np.concatenate([np.eye(3), -np.eye(3)], axis=1)
    assert G.name_factor(octa)[0] == "octahedron"  # if handed over as one factor
    rng = np.random.default_rng(5)
    W, _ = hide([octa], rng)
    summary = G.geometry_summary(W)
    # Orthogonal digons are separate tegum factors: reported as 3 digons, each D = 1/2 ...
    assert summary["counts"] == {"digon": 3}
    assert summary["D_fraction_F"] == ["1/2"] * 6
    # ... and the whole model is their tegum product, the octahedron.
    assert summary["model_structure"] == "octahedron"


def test_bipyramids_show_their_parts():
    rng = np.random.default_rng(6)
    W, groups = hide([polygon(3), DIGON], rng)
    s = G.geometry_summary(W)
    assert s["counts"] == {"triangle": 1, "digon": 1} or s["counts"] == {"digon": 1, "triangle": 1}
    assert s["model_structure"] == "triangular bipyramid"
    # paper: shows 3×2/3 and 2×1/2, not 3/5
    assert sorted(s["D_fraction_F"]) == sorted(["2/3"] * 3 + ["1/2"] * 2)
    W, _ = hide([polygon(5), DIGON], rng)
    s = G.geometry_summary(W)
    assert s["model_structure"] == "pentagonal bipyramid"
    assert sorted(s["D_fraction_F"]) == sorted(["2/5"] * 5 + ["1/2"] * 2)
    W, _ = hide([DIGON, DIGON, polygon(3)], rng)
    assert G.geometry_summary(W)["model_structure"] is None  # not one known product


def test_naming_is_not_by_k_and_d_alone():
    # Cube: 8 in 3, tight frame with D = 3/8 like the antiprism, but a different shape.
    assert np.allclose(np.asarray(M.feature_dimensionality(cube())), 3 / 8, atol=1e-5)
    name, d, tight = G.name_factor(cube())
    assert (name, d, tight) == ("other (8 features in 3 dims)", 3, True)
    # An irregular 5-in-2 unit tight frame: doubled angles {0, 120, 240} and {30, 210} each sum
    # to zero, so angles (0, 60, 120, 15, 105) deg give D = 2/5 for all, but no pentagon.
    a = np.deg2rad([0, 60, 120, 15, 105])
    irregular = np.stack([np.cos(a), np.sin(a)])
    np.testing.assert_allclose(np.asarray(M.feature_dimensionality(irregular)), 0.4, atol=1e-5)
    assert G.name_factor(irregular) == ("other (5 features in 2 dims)", 2, True)
    # A deformed pentagon (one vertex turned by 15 deg) is not a pentagon.
    a = 2 * np.pi * np.arange(5) / 5
    a[0] += np.deg2rad(15)
    assert G.name_factor(np.stack([np.cos(a), np.sin(a)]))[0] == "other (5 features in 2 dims)"


def test_tight_frame_requirement_and_signed_option():
    P = polygon(5)
    P[:, 0] *= 0.7  # same directions, unequal norms: not a tight frame
    name, _, tight = G.name_factor(P)
    assert not tight and name == "other (5 features in 2 dims)"
    assert G.name_factor(P, require_tight_frame=False)[0] == "pentagon"
    T = polygon(3)
    T[:, 2] *= -1  # one flipped column: the same lines, not the same polytope
    assert G.name_factor(T)[0] == "other (3 features in 2 dims)"  # signed is the default
    assert G.name_factor(T, signed=False)[0] == "triangle"
    assert G.name_factor(polygon(3))[0] == "triangle"


def test_same_sign_parallel_pair_is_not_a_digon():
    """x' = ReLU(WᵀWx + b): W_0 = W_1 (same sign) makes the two features fire together — a
    different model from the antipodal digon W_0 = −W_1, though both are one line."""
    same = np.array([[1.0, 1.0]])
    assert G.name_factor(same)[0] == "other (2 features in 1 dims)"
    assert G.name_factor(same, signed=False)[0] == "digon"
    assert G.name_factor(DIGON)[0] == "digon"
    # the same pair inside a model: one factor, not a digon, and the summary does not call it one
    W = np.array([[1.0, 1.0, 0.0], [0.0, 0.0, 1.0]])
    summary = G.geometry_summary(W)
    assert [r["name"] for r in summary["factors"]] == ["other (2 features in 1 dims)", "dedicated"]
    tet = G.polytope_vectors("tetrahedron").copy()
    tet[:, 1] *= -1
    assert G.name_factor(tet)[0] == "other (4 features in 3 dims)"


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_geometry_of_a_diverged_model_is_an_error_not_a_name(bad):
    W = np.eye(2, 3)
    W[1, 2] = bad
    for fn in (G.geometry_summary, G.geometry_table, G.tegum_factors, G.name_factor):
        with pytest.raises(ValueError, match="non-finite"):
            fn(W)
    with pytest.raises(ValueError, match="non-finite"):
        G.geometry_summary(np.eye(2, 3), np.array([0.0, np.nan, 0.0]))


def test_factor_rank():
    assert G.factor_rank(polygon(5)) == 2
    assert G.factor_rank(np.concatenate([polygon(3), 1e-3 * np.ones((2, 1))], axis=1)) == 2
    W = np.zeros((4, 3))
    W[0, 0], W[1, 1], W[2, 2] = 1.0, 1.0, 0.05
    assert G.factor_rank(W) == 2 and G.factor_rank(W, rank_tol=0.01) == 3
    assert G.factor_rank(np.zeros((3, 2))) == 0


# ---- whole models -----------------------------------------------------------------------------

MIX = ["digon", "triangle", "tetrahedron", "pentagon", "hexagon", "square antiprism", "dedicated", "dedicated", "digon", "pentagon"]


@pytest.mark.parametrize("seed", range(4))
def test_geometry_recovered_from_hidden_mixture(seed):
    rng = np.random.default_rng(100 + seed)
    blocks = [FACTORS[n][0] for n in MIX]
    W, groups = hide(blocks, rng, n_zero=2, tiny_norms=(0.05, 0.1), extra_dims=3)
    summary = G.geometry_summary(W)
    expected_counts = {n: MIX.count(n) for n in set(MIX)}
    expected_counts["not represented"] = 4
    assert summary["counts"] == expected_counts
    assert sorted(summary["not_represented"]) == sorted(np.flatnonzero(groups == -1).tolist())
    # Every factor is exactly one planted block, with the right name, k, d and D fractions.
    assert len(summary["factors"]) == len(MIX)
    for row in summary["factors"]:
        g = groups[row["features"][0]]
        assert np.all(groups[row["features"]] == g)
        assert set(row["features"]) == set(np.flatnonzero(groups == g).tolist())
        V, frac = FACTORS[MIX[g]]
        assert (row["name"], row["k"], row["d"]) == (MIX[g], V.shape[1], V.shape[0])
        assert row["tight_frame"]
        assert row["D_fraction"] == [frac] * row["k"]
    # Σ D_i over represented features = total dimension of the planted factors.
    D_F = summary["D_F"]
    planted_dims = sum(FACTORS[n][0].shape[0] for n in MIX)
    np.testing.assert_allclose(D_F[groups >= 0].sum(), planted_dims, atol=0.05)
    assert summary["model_structure"] is None


def test_geometry_table_keys_and_json_types():
    import json

    rng = np.random.default_rng(9)
    W, _ = hide([polygon(5), DIGON], rng, n_zero=1)
    table = G.geometry_table(W)
    assert {tuple(sorted(r)) for r in table} == {("D", "D_fraction", "d", "features", "k", "name", "norms", "tight_frame")}
    json.dumps(table)  # plain Python types only
    assert sorted(r["name"] for r in table) == ["digon", "pentagon"]


def test_tegum_factors_thresholds_and_bias():
    W = np.array([[1.0, 0.0, 0.05, 0.0], [0.0, 1.0, 1.0, 0.0]])
    # feature 2 has |cos| ≈ 0.05 with feature 0 and ≈ 1 with feature 1; feature 3 is zero
    assert [f.tolist() for f in G.tegum_factors(W)] == [[0], [1, 2]]
    assert [f.tolist() for f in G.tegum_factors(W, edge_threshold=0.01)] == [[0, 1, 2]]
    # b cancelling feature 1 (||W_1||² + b_1 = 1 - 2 < 0) removes it from the graph
    assert [f.tolist() for f in G.tegum_factors(W, np.array([0.0, -2.0, 0.0, 0.0]))] == [[0], [2]]
    assert G.tegum_factors(np.zeros((2, 3))) == []
    assert G.geometry_summary(np.zeros((2, 3)))["counts"] == {"not represented": 3}


def test_tegum_product_names():
    assert G.tegum_product_name(["digon", "digon", "digon"]) == "octahedron"
    assert G.tegum_product_name(["triangle", "digon"]) == "triangular bipyramid"
    assert G.tegum_product_name(["digon", "digon"]) == "square"
    assert G.tegum_product_name(["pentagon", "pentagon"]) is None
