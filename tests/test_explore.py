"""Sharing a run (issue 12 items 2-3): the explore page in headless Chromium, rerunning a stored
config bit-identically, and export/import bundles that analyse to identical numbers.

One tiny density × relative-importance sweep (2 × 2 cells, 2 seeds, 50 steps) serves every test."""

import html
import json
import re
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from toymodels import analysis, store
from toymodels.cli import main
from toymodels.selection import best_of_seeds

CHROMIUM = Path("/usr/bin/chromium")
TINY_ARGS = ["--grid.density", "1.0", "0.05", "--grid.relative-importance", "0.5", "4.0", "--grid.n-seeds", "2",
             "--train.steps", "50", "--train.n-snapshots", "2", "--train.eval-samples", "1024", "--no-progress"]


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    results = tmp_path_factory.mktemp("results")
    assert main(["sweep", "phase-n3m2-tiny", "--results-dir", str(results), *TINY_ARGS]) == 0
    (rdir,) = [p for p in results.iterdir() if p.is_dir()]
    return rdir


@pytest.fixture(scope="module")
def page_path(tiny_run, tmp_path_factory):
    out = tmp_path_factory.mktemp("page") / "page.html"
    assert main(["explore", str(tiny_run), "--out", str(out)]) == 0
    return out


def _page_data(page: str) -> dict:
    m = re.search(r"const DATA = (\{.*?\});\n", page)
    return json.loads(m.group(1).replace("<\\/", "</"))


def test_explore_page_is_self_contained_and_shows_precomputed_numbers(tiny_run, page_path):
    page = page_path.read_text()
    # No server, no network: nothing is loaded from anywhere (the SVG namespace is an identifier).
    assert re.findall(r"https?://(?!www\.w3\.org/2000/svg)", page) == []
    assert "<script src" not in page and "<link" not in page
    data = _page_data(page)
    (b,) = data["buckets"]
    run = store.Run(tiny_run)
    bucket = run.buckets[0]
    loss = bucket.metrics["eval_loss"]
    W = best_of_seeds(bucket.params["W_HxF"], loss).reshape(4, 2, 3)
    assert [a["name"] for a in b["axes"]] == ["density", "relative_importance"]
    assert len(b["cells"]) == 4 and "phase" in b
    for c, cell in enumerate(b["cells"]):
        assert cell["D_star"] == pytest.approx(float(analysis.dims_per_feature(W[c])), rel=1e-4)
        assert cell["D_F"] == pytest.approx(analysis.geometry_summary(W[c])["D_F"], abs=1e-4)
        assert cell["eval_loss"] == pytest.approx(float(np.nanmin(loss.reshape(4, 2)[c])), rel=1e-4)
    # The extra feature's importance per cell follows the relative_importance axis (last feature).
    assert [c["importance_F"][-1] for c in b["cells"]] == [0.5, 4.0, 0.5, 4.0]


def _chromium(url: str, user_dir: Path, *extra: str) -> str:
    cmd = [str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
           "--disable-component-update", "--disable-sync", "--no-first-run", "--hide-scrollbars",
           f"--user-data-dir={user_dir}", "--window-size=1400,900", *extra, url]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=60, check=True).stdout


def _text_of(dom: str, element_id: str) -> str:
    m = re.search(rf'id="{element_id}"[^>]*>(.*?)</', dom, re.DOTALL)
    assert m, f"#{element_id} not in the rendered page"
    return html.unescape(m.group(1))


@pytest.mark.skipif(not CHROMIUM.exists(), reason="headless test needs /usr/bin/chromium "
                    "(Debian package chromium; .ci/run installs it)")
def test_explore_page_in_headless_chromium_click_changes_panel(page_path, tmp_path):
    cells = _page_data(page_path.read_text())["buckets"][0]["cells"]
    url = page_path.resolve().as_uri()
    shot = tmp_path / "explore.png"
    dom0 = _chromium(url + "#cell=0", tmp_path / "chrome", "--dump-dom")
    # a real click on map cell 3 (the page dispatches it, see toymodels/explore.py), with a screenshot
    dom3 = _chromium(url + "?click=3#cell=0", tmp_path / "chrome", "--dump-dom", f"--screenshot={shot}")
    assert _text_of(dom0, "cell-title") == f"Cell 0: {cells[0]['name']}"
    assert _text_of(dom3, "cell-title") == f"Cell 3: {cells[3]['name']}"
    assert _text_of(dom3, "cell-structures") == f"Geometry: {cells[3]['structures']}"
    # the panel's plots are drawn: one feature arrow per feature, an F×F WᵀW heat-map
    for dom in (dom0, dom3):
        assert len(re.findall(r"<title>feature \d+: ", dom)) == 3
        assert len(re.findall(r"<title>WᵀW\[", dom)) == 9
    assert shot.stat().st_size > 10_000
    print(f"screenshot: {shot}")


def test_explore_bad_input_is_one_line(tmp_path, capsys):
    assert main(["explore", str(tmp_path / "nope")]) == 2
    assert main(["explore"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(e.startswith("toymodels: error:") for e in err)


def test_sweep_from_stored_config_reruns_bit_identically(tiny_run, tmp_path, capsys, monkeypatch):
    cfg_path = tiny_run / "config.json"
    assert main(["sweep", "--config", str(cfg_path), "--no-progress"]) == 0
    assert f"{tiny_run}: already complete" in capsys.readouterr().out
    # In a fresh results directory (an overrides file; results_dir is not part of the hash) the
    # same config retrains into a directory of the same name with bit-identical weights.
    fresh = tmp_path / "fresh"
    over = tmp_path / "over.json"
    over.write_text(json.dumps({"results_dir": str(fresh)}))
    assert main(["sweep", "--config", str(cfg_path), "--overrides-file", str(over), "--no-progress"]) == 0
    assert "trained 8 models" in capsys.readouterr().out
    rerun = fresh / tiny_run.name
    for f in ("params-b0.npz", "history-b0.npz"):
        a, b = store.read_npz(tiny_run / f), store.read_npz(rerun / f)
        assert a.keys() == b.keys()
        for k in a:
            np.testing.assert_array_equal(a[k], b[k], err_msg=f"{f}:{k}")
    assert store.read_csv(tiny_run / "metrics.csv") == store.read_csv(rerun / "metrics.csv")
    # Overrides change what they name (dotted keys or nested), flags win over the file.
    from toymodels.config import config_hash
    from toymodels.rerun import config_from_argv
    over.write_text(json.dumps({"train.steps": 70, "grid": {"n_seeds": 3}}))
    cfg, rest, _ = config_from_argv(["--config", str(cfg_path), "--overrides-file", str(over), "--x"])
    assert (cfg.train.steps, cfg.grid.n_seeds, rest) == (70, 3, ["--x"])
    assert config_hash(cfg) != tiny_run.name.rsplit("-", 1)[1]
    over.write_text(json.dumps({"train": {"stepz": 70}}))
    assert main(["sweep", "--config", str(cfg_path), "--overrides-file", str(over)]) == 2
    monkeypatch.setitem(sys.modules, "yaml", None)  # PyYAML absent: a one-line pointer to JSON
    (tmp_path / "o.yaml").write_text("train:\n  steps: 70\n")
    assert main(["sweep", "--config", str(cfg_path), "--overrides-file", str(tmp_path / "o.yaml")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert "train.stepz" in err[0] and "PyYAML" in err[1] and "JSON" in err[1] and len(err) == 2


def test_export_bundle_round_trip_and_tampering(tiny_run, tmp_path, capsys):
    bundle = tmp_path / "b.zip"
    assert main(["export", str(tiny_run), "--out", str(bundle)]) == 0
    capsys.readouterr()
    with zipfile.ZipFile(bundle) as z:
        manifest = json.loads(z.read("manifest.json"))
    assert manifest["format_version"] == 1 and manifest["run"] == tiny_run.name
    assert {"config.json", "grid.json", "meta.json", "metrics.csv", "params-b0.npz", "history-b0.npz"} <= set(manifest["files"])
    # another machine: unpack elsewhere (show on the bundle verifies and unpacks it beside itself)
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    moved = elsewhere / bundle.name
    shutil.copy(bundle, moved)
    assert main(["show", str(moved)]) == 0
    shown = capsys.readouterr().out
    assert main(["show", str(tiny_run)]) == 0
    assert shown.split("\n", 1)[1] == capsys.readouterr().out.split("\n", 1)[1]  # same table, other path
    a, b = store.Run(tiny_run), store.Run(elsewhere / tiny_run.name)
    ma = analysis.analyze_grid(a.buckets[0].params["W_HxF"], a.buckets[0].params["b_F"], "relu")
    mb = analysis.analyze_grid(b.buckets[0].params["W_HxF"], b.buckets[0].params["b_F"], "relu")
    for k in ma:
        np.testing.assert_array_equal(ma[k], mb[k], err_msg=k)
    assert main(["import", str(bundle), "--to", str(elsewhere)]) == 0  # already there and equal: fine
    (elsewhere / tiny_run.name / "grid.json").write_text("{}")  # a different run of the same name there
    capsys.readouterr()
    assert main(["import", str(bundle), "--to", str(elsewhere)]) == 2
    assert "grid.json differs from the bundle" in capsys.readouterr().err
    # a tampered file is named in a one-line error, and nothing is unpacked
    tampered = tmp_path / "t.zip"
    with zipfile.ZipFile(bundle) as zin, zipfile.ZipFile(tampered, "w") as zout:
        for info in zin.infolist():
            data = zin.read(info)
            if info.filename.endswith("/metrics.csv"):
                data = data.replace(b",0.", b",1.", 1)
            zout.writestr(info, data)
    capsys.readouterr()
    assert main(["import", str(tampered), "--to", str(tmp_path / "t")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "metrics.csv does not match its sha256" in err[0]
    assert not (tmp_path / "t").exists()
    assert main(["analyze", str(tampered)]) == 2
