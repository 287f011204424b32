"""Neuron-level measures of the privileged-basis and |x| figures on hand-built weights whose
answers are known exactly."""

import numpy as np

from toymodels.analysis import neurons as N


def _regime(W):
    return {k: np.asarray(v) for k, v in N.privileged_regime(np.asarray(W, np.float32)).items()}


def test_monosemantic_basis_and_the_3_in_2_binary_code():
    # 3 dedicated neurons on features 0-2, then features 3, 4, 5 in two neurons as
    # (-1, 1), (1, 1), (1, -1): the paper's "(1,1) orthogonal plus an antipodal pair".
    W = np.zeros((5, 8))
    W[0, 0] = W[1, 1] = W[2, 2] = 1.0
    W[3, 3:6] = [-0.8, 0.8, 0.8]
    W[4, 3:6] = [0.8, 0.8, -0.8]
    r = _regime(W)
    np.testing.assert_array_equal(r["status_H"], [1, 1, 1, 2, 2])
    assert int(r["n_mono"]) == 3 and int(r["n_poly"]) == 2
    assert int(r["features_in_poly"]) == 3  # 3 features in 2 neurons
    np.testing.assert_array_equal(r["neurons_per_feature_F"], [1, 1, 1, 1, 2, 1, 0, 0])
    # the inhibitory (negative) weights carry nothing
    assert not r["carried_HxF"][3, 3] and not r["carried_HxF"][4, 5]


def test_pairs_of_neurons_and_the_relative_threshold():
    # each feature drives exactly two neurons and inhibits the others
    pairs = [(0, 1), (1, 2), (2, 3), (3, 4), (4, 0), (0, 2), (1, 3)]
    W = -0.5 * np.ones((5, len(pairs)))
    for i, (a, b) in enumerate(pairs):
        W[[a, b], i] = 0.8
    r = _regime(W)
    assert int(r["n_poly"]) == 5 and int(r["n_mono"]) == 0
    np.testing.assert_array_equal(r["neurons_per_feature_F"], 2)
    # a positive weight below 0.3 of the neuron's top positive weight is not carried
    c = np.asarray(N.carried_features(np.array([[1.0, 0.29, 0.31, -2.0]], np.float32)))
    np.testing.assert_array_equal(c, [[True, False, True, False]])
    # a neuron with no positive weight carries nothing; top_feature still names its largest |w|
    r = _regime(np.array([[-1.0, -0.2], [0.0, 1.0]]))
    assert not r["carried_HxF"][0].any()
    np.testing.assert_array_equal(r["top_feature_H"], [0, 1])


def test_abs_roles_of_the_exact_solution_are_invariant_to_rescaling():
    # |x_i| = ReLU(x_i) + ReLU(-x_i): neurons (+x0, -x0, +x1, -x1), scaled by alpha_k in W1 and
    # 1/alpha_k in W2 (the rescaling symmetry), so the path weights stay 1.
    alpha = np.array([2.0, 0.5, 1.0, 3.0])
    W1 = np.array([[1, 0], [-1, 0], [0, 1], [0, -1]], float) * alpha[:, None]
    W2 = np.array([[1, 1, 0, 0], [0, 0, 1, 1]], float) / alpha[None, :]
    roles = {k: np.asarray(v) for k, v in N.abs_neuron_roles(W1, W2).items()}
    np.testing.assert_array_equal(roles["top_feature_H"], [0, 0, 1, 1])
    np.testing.assert_array_equal(roles["sign_H"], [1, -1, 1, -1])
    np.testing.assert_allclose(roles["path_H"], 1.0, rtol=1e-6)
    np.testing.assert_allclose(roles["readout_H"], 1 / alpha, rtol=1e-6)
    # a neuron read out negatively has a negative path weight
    roles = N.abs_neuron_roles(W1, -W2)
    assert np.all(np.asarray(roles["path_H"]) < 0)


def test_asymmetric_motif_of_the_paper_and_its_inhibitor():
    # neuron 0: in [2, -1/2] on features (0, 1), out [1/2, 2]: the paper's asymmetric motif.
    # neuron 1: fires on x0 > 0 and writes -3 into output 1 (the inhibitor).
    # neuron 2: a plain ReLU(-x1) neuron (not a motif).
    W1 = np.array([[2.0, -0.5, 0.0], [1.0, 0.0, 0.0], [0.0, -1.0, 0.0]])
    W2 = np.array([[0.5, 0.0, 0.0], [2.0, -3.0, 1.0], [0.0, 0.0, 0.0]])
    out = {k: np.asarray(v) for k, v in N.abs_asymmetric_motif(W1, W2).items()}
    np.testing.assert_array_equal(out["is_motif_H"], [True, False, False])
    assert out["primary_H"][0] == 0 and out["secondary_H"][0] == 1
    np.testing.assert_allclose([out["in_ratio_H"][0], out["out_ratio_H"][0]], [4.0, 4.0], rtol=1e-6)
    assert out["has_inhibitor_H"][0] and out["inhibitor_H"][0] == 1
    # symmetric read-out (no reciprocal scaling) is not the motif; nor are same-sign inputs
    W2_sym = W2.copy()
    W2_sym[:, 0] = [1.0, 1.0, 0.0]
    assert not np.asarray(N.abs_asymmetric_motif(W1, W2_sym)["is_motif_H"])[0]
    W1_same = W1.copy()
    W1_same[0, 1] = 0.5
    assert not np.asarray(N.abs_asymmetric_motif(W1_same, W2)["is_motif_H"])[0]
    # without the inhibiting neuron the motif stands alone
    W2_noinh = W2.copy()
    W2_noinh[1, 1] = 0.0
    out = N.abs_asymmetric_motif(W1, W2_noinh)
    assert not bool(np.asarray(out["has_inhibitor_H"])[0]) and int(np.asarray(out["inhibitor_H"])[0]) == -1
