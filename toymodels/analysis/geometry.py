"""Feature geometry: tegum factors, polytope names and fraction snapping (paper section 5).

The paper finds that features in superposition organise into *tegum products*: sets of features
in mutually orthogonal subspaces. Inside each factor the features form a simple polytope whose
members share a feature dimensionality D_i = d/k (k features in d dimensions): digon 1/2,
triangle 2/3, tetrahedron 3/4, pentagon 2/5, square antiprism 3/8 ("Uniform Superposition",
"Geometry of superposition" figures).

This module is host-side numpy: splitting a graph into connected components and naming polytopes
are discrete algorithms, not traced code. It works on ONE model; loop over grids on the host
(numeric measures for grids live in :mod:`toymodels.analysis.measures` and are vmapped).

How a factor is named (:func:`name_factor`):

1. Factors are the connected components of the graph on *represented* features
   (||W_i|| > norm_threshold) with an edge i–j when |cos(W_i, W_j)| > edge_threshold.
2. k = number of features, d = numerical rank of the factor's columns (singular values above
   rank_tol × the largest).
3. A reference polytope with the same (k, d) must match the factor's Gram matrix of unit vectors
   up to a permutation of the features (entrywise within gram_atol). The comparison uses the
   SIGNED cosines by default: in x' = ReLU(WᵀWx + b) flipping a column's sign changes the model
   (a same-sign parallel pair is not a digon, a triangle with one column negated is not a
   triangle), although D_i, the superposition score and the tegum split are sign-invariant.
   ``signed=False`` compares |cos| (the polytope's lines) instead. Checking the Gram matrix, not only (k, d), is what separates e.g. a cube (8 in 3,
   also D = 3/8) from a square antiprism, or an irregular 5-in-2 tight frame from a pentagon.
4. With ``require_tight_frame`` (default), every member must also have its factor-local
   D_i within dim_atol of d/k, i.e. equal norms on the regular shape.

Otherwise the factor is ``"other (k features in d dims)"``.

Tegum products (octahedron = 3 digons, triangular bipyramid = triangle ⊕ digon, pentagonal
bipyramid = pentagon ⊕ digon, square = 2 digons) are by construction *several* factors: the
edges between their orthogonal parts are zero. The paper agrees that they show the D values of
their parts ("An octahedron (3 digons) shows 6×1/2"). The factor table therefore reports them as
their parts; :func:`geometry_summary` adds a ``model_structure`` name only when ALL represented
features of the model form exactly one such product (e.g. an n=6, m=3 model ending in an
octahedron, paper section 6 "geometric transformations"). Which 3 of many digons would make
"an octahedron" is not defined by the weights, so no other merge is attempted.
"""

from __future__ import annotations

import fractions

import numpy as np

# Factor-level polytopes: name -> (k features, d dims).
POLYTOPES = {
    "dedicated": (1, 1),
    "digon": (2, 1),
    "triangle": (3, 2),
    "tetrahedron": (4, 3),
    "pentagon": (5, 2),
    "hexagon": (6, 2),
    "octahedron": (6, 3),
    "square antiprism": (8, 3),
}

# Model-level tegum products of factors: sorted factor names -> product name.
TEGUM_PRODUCTS = {
    ("digon", "digon"): "square",
    ("digon", "digon", "digon"): "octahedron",
    ("digon", "triangle"): "triangular bipyramid",
    ("digon", "pentagon"): "pentagonal bipyramid",
}

NOT_REPRESENTED_NAME = "not represented"


def _regular_polygon(k: int) -> np.ndarray:
    angles = 2 * np.pi * np.arange(k) / k
    return np.stack([np.cos(angles), np.sin(angles)])


def polytope_vectors(name: str) -> np.ndarray:
    """Unit vectors of a named reference polytope, as columns.

    The square antiprism uses the tight-frame height z = ±1/√3 and radius √(2/3) (paper_spec 4.1),
    with the bottom square rotated by 45°. The tetrahedron is (±1, ±1, ±1)/√3 with an even number
    of minus signs; the octahedron is ±e_1, ±e_2, ±e_3.

    Args:
      name: a key of :data:`POLYTOPES`.

    Returns:
      V_dxk: float64, unit columns, shape (d, k).
    """
    if name == "dedicated":
        return np.ones((1, 1))
    if name == "digon":
        return np.array([[1.0, -1.0]])
    if name == "triangle":
        return _regular_polygon(3)
    if name == "pentagon":
        return _regular_polygon(5)
    if name == "hexagon":
        return _regular_polygon(6)
    if name == "tetrahedron":
        return np.array([[1, 1, -1, -1], [1, -1, 1, -1], [1, -1, -1, 1]], float) / np.sqrt(3)
    if name == "octahedron":
        return np.concatenate([np.eye(3), -np.eye(3)], axis=1)
    if name == "square antiprism":
        r, z = np.sqrt(2 / 3), 1 / np.sqrt(3)
        top = 2 * np.pi * np.arange(4) / 4
        bottom = top + np.pi / 4
        angles = np.concatenate([top, bottom])
        zs = np.concatenate([np.full(4, z), np.full(4, -z)])
        return np.stack([r * np.cos(angles), r * np.sin(angles), zs])
    raise KeyError(f"unknown polytope {name!r}; known: {sorted(POLYTOPES)}")


def snap_fraction(x, *, max_denominator: int = 8, atol: float = 0.01):
    """The simple fraction a/b (b <= max_denominator) nearest to x, if within atol.

    Used to label D_i with the paper's "energy levels" 1, 3/4, 2/3, 1/2, 2/5, 3/8, 1/3, 0.
    Neighbouring fractions with b <= 8 are at least 1/56 ≈ 0.018 apart, so the default atol of
    0.01 never makes the snap ambiguous.

    Args:
      x: a real number.
      max_denominator: largest allowed denominator b.
      atol: maximum |x - a/b|.

    Returns:
      fractions.Fraction, or None when x is not finite or no fraction is within atol.
    """
    x = float(x)
    if not np.isfinite(x):
        return None
    # limit_denominator returns the closest fraction with denominator <= max_denominator.
    frac = fractions.Fraction(x).limit_denominator(max_denominator)
    return frac if abs(x - float(frac)) <= atol else None


def snap_fractions(D_N, *, max_denominator: int = 8, atol: float = 0.01):
    """:func:`snap_fraction` over an array; returns a list of Fraction | None of the same length."""
    return [
        snap_fraction(x, max_denominator=max_denominator, atol=atol)
        for x in np.asarray(D_N, dtype=np.float64).ravel()
    ]


def _finite_weights(W, name: str = "W_HxF", b_F=None) -> np.ndarray:
    """W as float64, or ValueError when it (or b_F) holds a NaN/Inf: the geometry of a diverged
    model is undefined, and naming it (e.g. "dedicated, tight frame") would be a wrong answer."""
    W = np.asarray(W, dtype=np.float64)
    if W.ndim != 2:
        raise ValueError(f"{name} has shape {W.shape}; expected 2-D (m hidden, n features)")
    bad = int(np.size(W) - np.isfinite(W).sum())
    if b_F is not None:
        b = np.asarray(b_F, dtype=np.float64)
        if b.shape != (W.shape[1],):
            raise ValueError(f"b_F has shape {b.shape}; expected ({W.shape[1]},) (one per feature)")
        bad += int(b.size - np.isfinite(b).sum())
    if bad:
        raise ValueError(f"{name} (or b_F) holds {bad} non-finite entries (a diverged model): its "
                         f"geometry is undefined")
    return W


def _fraction_str(frac):
    return None if frac is None else str(frac)


def _np_dimensionality(V_HxN, eps=1e-6):
    """Float64 numpy twin of measures.dimensionality (same zero-column rule)."""
    norms_N = np.linalg.norm(V_HxN, axis=0)
    P_NxN = ((V_HxN / np.maximum(norms_N, eps)).T @ V_HxN) ** 2
    denom_N = P_NxN.sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denom_N > 0, norms_N**2 / np.where(denom_N > 0, denom_N, 1.0), 0.0)


def _connected_components(adj_NxN: np.ndarray) -> list[np.ndarray]:
    n = adj_NxN.shape[0]
    seen = np.zeros(n, bool)
    comps = []
    for start in range(n):
        if seen[start]:
            continue
        stack, comp = [start], []
        seen[start] = True
        while stack:
            v = stack.pop()
            comp.append(v)
            for u in np.flatnonzero(adj_NxN[v] & ~seen):
                seen[u] = True
                stack.append(u)
        comps.append(np.sort(np.array(comp)))
    return comps


def represented_features(W_HxF, b_F=None, *, norm_threshold: float = 0.5) -> np.ndarray:
    """Indices of represented features: ||W_i|| > norm_threshold and, with b_F, ||W_i||² + b_i > 0.

    The numpy twin of :func:`toymodels.analysis.measures.represented` (same rule).
    """
    W = np.asarray(W_HxF, dtype=np.float64)
    norms_F = np.linalg.norm(W, axis=0)
    rep_F = norms_F > norm_threshold
    if b_F is not None:
        rep_F &= norms_F**2 + np.asarray(b_F, dtype=np.float64) > 0
    return np.flatnonzero(rep_F)


def tegum_factors(
    W_HxF, b_F=None, *, norm_threshold: float = 0.5, edge_threshold: float = 0.1
) -> list[np.ndarray]:
    """Split represented features into tegum factors (paper section 5, feature-geometry graphs).

    A factor is a connected component of the graph whose nodes are represented features and whose
    edges join i, j when |W_i·W_j| > edge_threshold·||W_i||·||W_j||, i.e. |cos| > edge_threshold.
    Features in different factors are (nearly) orthogonal, so the factors live in orthogonal
    subspaces and each keeps its own D_i.

    Args:
      W_HxF: weights, shape (m, n).
      b_F: optional bias (see :func:`represented_features`).
      norm_threshold: minimum ||W_i|| of a represented feature.
      edge_threshold: minimum |cos(W_i, W_j)| for an edge.

    Returns:
      list of int arrays of feature indices, each sorted, ordered by their smallest index.
    """
    W = _finite_weights(W_HxF, "W_HxF", b_F)
    rep = represented_features(W, b_F, norm_threshold=norm_threshold)
    if rep.size == 0:
        return []
    U = W[:, rep] / np.linalg.norm(W[:, rep], axis=0)
    adj = np.abs(U.T @ U) > edge_threshold
    return [rep[c] for c in _connected_components(adj)]


def factor_rank(W_HxK, *, rank_tol: float = 0.1) -> int:
    """Numerical rank: number of singular values above rank_tol × the largest one."""
    s = np.linalg.svd(np.asarray(W_HxK, dtype=np.float64), compute_uv=False)
    if s.size == 0 or s[0] == 0:
        return 0
    return int(np.sum(s > rank_tol * s[0]))


def _match_up_to_permutation(A_KxK, R_KxK, atol) -> bool:
    """Is there a permutation π with |A[a, b] - R[π(a), π(b)]| <= atol for all a, b?

    Depth-first assignment with pruning; cheap for the k <= 8 polytopes named here.
    """
    k = A_KxK.shape[0]
    if np.any(np.abs(np.sort(A_KxK, axis=None) - np.sort(R_KxK, axis=None)) > atol):
        return False  # different multisets of entries: no permutation can match
    assign = [-1] * k
    used = [False] * k

    def place(a):
        if a == k:
            return True
        for v in range(k):
            if used[v]:
                continue
            if all(abs(A_KxK[a, c] - R_KxK[v, assign[c]]) <= atol for c in range(a)) and abs(
                A_KxK[a, a] - R_KxK[v, v]
            ) <= atol:
                assign[a], used[v] = v, True
                if place(a + 1):
                    return True
                used[v] = False
        assign[a] = -1
        return False

    return place(0)


def name_factor(
    W_HxK,
    *,
    rank_tol: float = 0.1,
    gram_atol: float = 0.05,
    dim_atol: float = 0.05,
    signed: bool = True,
    require_tight_frame: bool = True,
):
    """Name one tegum factor's polytope (see the module docstring for the rules).

    Args:
      W_HxK: the factor's feature directions as columns, shape (m, k).
      rank_tol: relative singular-value cut-off for the factor dimension d.
      gram_atol: entrywise tolerance when matching unit-vector Gram matrices.
      dim_atol: tolerance on |D_i - d/k| for the tight-frame test (factor-local D_i).
      signed: compare signed cosines (the actual polytope; default) or, when False, |cos| (its
        lines, blind to a column's sign).
      require_tight_frame: also require the tight-frame test to name a polytope.

    Returns:
      (name, d, tight_frame): the name (a :data:`POLYTOPES` key or "other (k features in d
      dims)"), the numerical rank d, and whether every factor-local D_i is within dim_atol of d/k.
    """
    W = _finite_weights(W_HxK, "W_HxK")
    k = W.shape[1]
    if k == 0 or np.any(np.linalg.norm(W, axis=0) == 0):
        raise ValueError(f"W_HxK has shape {W.shape} or a zero column: a factor needs k >= 1 nonzero columns")
    d = factor_rank(W, rank_tol=rank_tol)
    D_K = _np_dimensionality(W)
    tight = bool(d > 0 and np.all(np.abs(D_K - d / k) <= dim_atol))
    U = W / np.linalg.norm(W, axis=0)
    G = U.T @ U if signed else np.abs(U.T @ U)
    for name, (k_ref, d_ref) in POLYTOPES.items():
        if (k_ref, d_ref) != (k, d):
            continue
        V = polytope_vectors(name)
        R = V.T @ V if signed else np.abs(V.T @ V)
        if _match_up_to_permutation(G, R, gram_atol) and (tight or not require_tight_frame):
            return name, d, tight
    return f"other ({k} features in {d} dims)", d, tight


def tegum_product_name(factor_names) -> str | None:
    """Name of the tegum product of the given factor names, e.g. 3×digon → "octahedron".

    Args:
      factor_names: iterable of factor names.

    Returns:
      the product name from :data:`TEGUM_PRODUCTS`, or None.
    """
    return TEGUM_PRODUCTS.get(tuple(sorted(factor_names)))


def geometry_table(
    W_HxF,
    b_F=None,
    *,
    norm_threshold: float = 0.5,
    edge_threshold: float = 0.1,
    rank_tol: float = 0.1,
    gram_atol: float = 0.05,
    dim_atol: float = 0.05,
    signed: bool = True,
    require_tight_frame: bool = True,
    max_denominator: int = 8,
    fraction_atol: float = 0.01,
) -> list[dict]:
    """One row per tegum factor of ONE model (paper section 5), JSON-friendly.

    Keyword arguments are the thresholds of :func:`tegum_factors`, :func:`name_factor` and
    :func:`snap_fraction`.

    Args:
      W_HxF: weights, shape (m, n).
      b_F: optional bias, shape (n,).

    Returns:
      list of dicts, ordered by each factor's smallest feature index, with keys

      * ``features``: list[int], the feature indices in the factor;
      * ``k``: int, number of features;
      * ``d``: int, numerical rank of the factor's columns;
      * ``name``: str, polytope name or "other (k features in d dims)";
      * ``tight_frame``: bool, factor-local D_i ≈ d/k for every member;
      * ``D``: list[float], each member's D_i computed on the whole model (float64);
      * ``D_fraction``: list[str | None], D snapped to a/b (e.g. "2/5") or None;
      * ``norms``: list[float], each member's ||W_i||.
    """
    W = _finite_weights(W_HxF, "W_HxF", b_F)
    D_F = _np_dimensionality(W)
    norms_F = np.linalg.norm(W, axis=0)
    rows = []
    for idx in tegum_factors(W, b_F, norm_threshold=norm_threshold, edge_threshold=edge_threshold):
        name, d, tight = name_factor(
            W[:, idx],
            rank_tol=rank_tol,
            gram_atol=gram_atol,
            dim_atol=dim_atol,
            signed=signed,
            require_tight_frame=require_tight_frame,
        )
        snapped = snap_fractions(D_F[idx], max_denominator=max_denominator, atol=fraction_atol)
        rows.append(
            {
                "features": [int(i) for i in idx],
                "k": int(idx.size),
                "d": int(d),
                "name": name,
                "tight_frame": tight,
                "D": [float(x) for x in D_F[idx]],
                "D_fraction": [_fraction_str(f) for f in snapped],
                "norms": [float(x) for x in norms_F[idx]],
            }
        )
    return rows


def structure_counts(table: list[dict], n_not_represented: int = 0) -> dict[str, int]:
    """Count factors by name; adds ``"not represented"`` when n_not_represented > 0.

    Args:
      table: rows from :func:`geometry_table`.
      n_not_represented: number of features outside every factor.

    Returns:
      dict name -> count, names in order of first appearance.
    """
    counts: dict[str, int] = {}
    for row in table:
        counts[row["name"]] = counts.get(row["name"], 0) + 1
    if n_not_represented:
        counts[NOT_REPRESENTED_NAME] = int(n_not_represented)
    return counts


def geometry_summary(W_HxF, b_F=None, **kwargs) -> dict:
    """The geometry report of ONE model: factor table, name counts, snapped D_i.

    Args:
      W_HxF: weights, shape (m, n).
      b_F: optional bias, shape (n,).
      **kwargs: thresholds forwarded to :func:`geometry_table` (``max_denominator`` and
        ``fraction_atol`` also apply to ``D_fraction_F``).

    Raises ValueError when W or b_F holds a NaN/Inf (a diverged model has no geometry).

    Returns:
      dict with keys

      * ``factors``: the :func:`geometry_table` rows;
      * ``counts``: dict name -> number of factors, plus "not represented" -> number of features;
      * ``not_represented``: list[int] of features outside every factor;
      * ``D_F``: float64 numpy array of every feature's D_i;
      * ``D_fraction_F``: list[str | None], every D_i snapped (unrepresented features included);
      * ``model_structure``: str | None, the tegum-product or single-factor name when ALL
        represented features form exactly that structure (e.g. "octahedron" for 3 digons,
        "pentagon"), else None.
    """
    W = _finite_weights(W_HxF, "W_HxF", b_F)
    table = geometry_table(W, b_F, **kwargs)
    in_factor = {i for row in table for i in row["features"]}
    not_rep = [i for i in range(W.shape[1]) if i not in in_factor]
    D_F = _np_dimensionality(W)
    snap_kw = {
        "max_denominator": kwargs.get("max_denominator", 8),
        "atol": kwargs.get("fraction_atol", 0.01),
    }
    names = [row["name"] for row in table]
    if len(names) == 1:
        model_structure = names[0]
    else:
        model_structure = tegum_product_name(names)
    return {
        "factors": table,
        "counts": structure_counts(table, len(not_rep)),
        "not_represented": not_rep,
        "D_F": D_F,
        "D_fraction_F": [_fraction_str(f) for f in snap_fractions(D_F, **snap_kw)],
        "model_structure": model_structure,
    }


__all__ = [
    "POLYTOPES",
    "TEGUM_PRODUCTS",
    "NOT_REPRESENTED_NAME",
    "polytope_vectors",
    "snap_fraction",
    "snap_fractions",
    "represented_features",
    "tegum_factors",
    "factor_rank",
    "name_factor",
    "tegum_product_name",
    "geometry_table",
    "structure_counts",
    "geometry_summary",
]
