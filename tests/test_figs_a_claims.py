"""Full-size paper claims of figures 2, 3, 7, 8 and 15 (slow: trains the ``basic``, ``basic-scaled``
and ``uniform`` presets, about 8 minutes on a shared 2-core CPU; finished runs under the results
directory are reused). Every claim is asserted; a failing one fails the test with its measured value
(no list of claims that happen to pass)."""

import json

import pytest

from toymodels.cli import main

STEMS = ("02-linear-vs-relu", "03-scaled-basic", "07-dims-per-feature", "08-feature-dimensionality", "15-adversarial")


@pytest.mark.slow
@pytest.mark.parametrize("stem", STEMS)
def test_full_figure_claims(stem, tmp_path):
    out = tmp_path / "figs"
    assert main(["figures", stem, "--no-progress", "--out", str(out)]) == 0
    rec = json.loads((out / f"{stem}.json").read_text())
    failing = [f"{c['text']}: {c['measured']}" for c in rec["claims"] if not c["passed"]]
    assert not failing, "; ".join(failing)
