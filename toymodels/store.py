"""The results store: one directory per config hash, JSON + npz + CSV, atomic writes.

Layout of ``<results_dir>/<name>-<hash8>/``:

  config.json          the SweepConfig (round-trips with toymodels.config.from_dict)
  grid.json            per bucket: model config, axis names and values, grid shape
  params-b<k>.npz      final weights of bucket k, leading axes = the grid axes (named in grid.json)
  history-b<k>.npz     the logged steps (TrainConfig.n_snapshots > 0): ``steps_T`` [T] = step 0
                       (the init), log-spaced steps, and the last step; the weights at those steps
                       (``W_HxF`` [*grid, T, H, F], ...) and ``loss`` [*grid, T], the exact loss of
                       those weights on the first evaluation batch (the same examples at every
                       step and for every cell with the same densities)
  metrics.csv          one row per cell and seed (columns below)
  meta.json            versions, devices, wall time, status ("complete" when every bucket is saved),
                       and ``sha256``: {file name: sha256 hex} of every file above
  chunks/              finished chunks of an unfinished sweep (resume); removed when complete

metrics.csv columns:

  bucket, kind, n_features, n_hidden   the shape bucket (index k of params-b<k>.npz) and its model
  <axis> ..., seed     the cell's grid values (only the sweep's axes), the model seed last
  eval_loss            loss of the final weights on the shared evaluation sample: the mean over its
                       N examples (TrainConfig.eval_samples) of ℓ = mean_i I_i (y_i − y'_i)²; the
                       sample depends only on eval_seed and the feature densities, so eval losses of
                       seeds and cells with equal densities are paired (common random numbers)
  eval_loss_se         its standard error sd(ℓ)/√N; the SE of a *difference* of two paired eval
                       losses is smaller (toymodels.selection.paired_eval_difference computes it)
                       and at most the sum of the two eval_loss_se
  dataset_loss         loss of the final weights on the whole fixed training set
                       (DataConfig.dataset_size > 0); nan when training on fresh batches
  finite               1 if eval_loss and every weight are finite, else 0 (listed in meta.json)
  frobenius2           ‖W‖_F² (W₁ for the abs model)
  dims_per_feature     m / ‖W‖_F², the paper's dimensions per feature (inf for W = 0, nan when
                       a weight is not finite)
  n_represented        features with ‖W_i‖ > 0.5 (toymodels.sweep.REPRESENTED_NORM); -1 when a
                       weight is not finite (a diverged model is never "0 represented")

Crash safety (docs/reliability.md): every file is written to a temporary name (``.<name>.*.tmp``)
in the same directory, fsynced and renamed into place, so a killed write never leaves a
half-written file under a final name; :func:`clean_partial` removes the temporaries a kill leaves.
meta.json is written last, so a directory without ``status: complete`` is resumed, never read.
:class:`Run` checks every file against meta.json's sha256 and raises :class:`StoreError` (one
line naming the file) when one does not match or does not load.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import os
import shutil
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from toymodels.config import ConfigError, SweepConfig, config_hash, from_dict, to_dict


class StoreError(ValueError):
    """A file of a run directory that does not load or does not match its recorded sha256."""


def run_dir(cfg: SweepConfig) -> Path:
    return Path(cfg.results_dir) / f"{cfg.name}-{config_hash(cfg)}"


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def atomic_write(path: Path, write) -> None:
    """Write via a temporary file in the same directory, then rename over ``path``."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        os.fchmod(fd, 0o666 & ~_umask())  # mkstemp makes 0600; results are meant to be shared
        with os.fdopen(fd, "wb") as f:
            write(f)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        if os.path.exists(tmp):
            os.unlink(tmp)
        raise


def write_json(path: Path, obj: Any) -> None:
    atomic_write(path, lambda f: f.write((json.dumps(obj, indent=2, default=_json_default) + "\n").encode()))


def _json_default(o):
    if isinstance(o, np.generic):
        return o.item()
    if isinstance(o, np.ndarray):
        return o.tolist()
    raise TypeError(f"not JSON serialisable: {type(o)}")


def read_json(path: Path) -> Any:
    try:
        with open(path) as f:
            return json.load(f)
    except (ValueError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise StoreError(f"{path} does not load as JSON ({type(e).__name__}: {str(e).splitlines()[0]})") from None


def write_npz(path: Path, arrays: dict[str, np.ndarray]) -> None:
    atomic_write(path, lambda f: np.savez(f, **arrays))


def read_npz(path: Path) -> dict[str, np.ndarray]:
    try:
        with np.load(path, allow_pickle=False) as z:
            return {k: z[k] for k in z.files}
    except (ValueError, OSError, EOFError, zipfile.BadZipFile, KeyError) as e:
        if isinstance(e, FileNotFoundError):
            raise
        raise StoreError(f"{path} does not load as an npz archive ({type(e).__name__}: "
                         f"{str(e).splitlines()[0] if str(e) else 'truncated'})") from None


def write_csv(path: Path, rows: list[dict]) -> None:
    buf = io.StringIO()
    if rows:
        fields = list(dict.fromkeys(k for r in rows for k in r))  # rows may differ (e.g. a diverged cell)
        writer = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
    atomic_write(path, lambda f: f.write(buf.getvalue().encode()))


def read_csv(path: Path) -> list[dict]:
    try:
        with open(path, newline="") as f:
            return list(csv.DictReader(f))
    except (csv.Error, UnicodeDecodeError) as e:
        raise StoreError(f"{path} does not load as CSV ({type(e).__name__}: {e})") from None


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def checksums(rdir: Path, names) -> dict[str, str]:
    """{name: sha256} of the files ``names`` of ``rdir`` (recorded in meta.json)."""
    return {n: sha256_file(Path(rdir) / n) for n in names}


def verify(rdir: Path, meta: dict) -> None:
    """Raise StoreError naming the first file whose sha256 differs from meta.json's, or that is
    missing. Directories written before checksums were recorded (no ``sha256``) pass."""
    for name, digest in (meta.get("sha256") or {}).items():
        path = Path(rdir) / name
        if not path.exists():
            raise StoreError(f"{path} is missing (meta.json lists it); the run directory is incomplete")
        if sha256_file(path) != digest:
            raise StoreError(f"{path} does not match the sha256 recorded in meta.json (changed or corrupt "
                             f"after the run); delete the run directory and run the sweep again")


def clean_partial(rdir: Path) -> list[Path]:
    """Remove the temporary files that a killed write leaves (``.<name>.*.tmp``) in ``rdir`` and
    ``rdir/chunks``; returns what was removed."""
    removed = []
    for d in (Path(rdir), Path(rdir) / "chunks"):
        if d.is_dir():
            for p in d.glob(".*.tmp"):
                p.unlink(missing_ok=True)
                removed.append(p)
    return removed


def remove_chunks(rdir: Path) -> None:
    """Delete ``rdir/chunks`` and everything in it (after the final files are written)."""
    shutil.rmtree(Path(rdir) / "chunks", ignore_errors=True)


def ensure_writable(directory: Path) -> None:
    """Create ``directory`` and prove a file can be written there, or raise ConfigError."""
    try:
        directory.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=directory, prefix=".probe.")
        os.close(fd)
        os.unlink(tmp)
    except OSError as e:
        raise ConfigError("results_dir", str(directory.parent), f"a writable directory ({e.strerror})") from None


def save_config(rdir: Path, cfg: SweepConfig) -> None:
    write_json(rdir / "config.json", to_dict(cfg))


def load_config(rdir: Path) -> SweepConfig:
    return from_dict(SweepConfig, read_json(Path(rdir) / "config.json"))


def chunk_path(rdir: Path, bucket: int, start: int, stop: int) -> Path:
    return rdir / "chunks" / f"b{bucket}-{start:07d}-{stop:07d}.npz"


def is_complete(rdir: Path) -> bool:
    """Whether meta.json says complete. A meta.json that does not load counts as not complete
    (it is written last, atomically, so only outside damage makes it unreadable)."""
    meta = Path(rdir) / "meta.json"
    try:
        return meta.exists() and read_json(meta).get("status") == "complete"
    except StoreError:
        return False


class Bucket:
    """One shape bucket of a finished run, loaded from files.

    Attributes:
      index: k in params-b<k>.npz.
      model: dict of the bucket's ModelConfig.
      axes: ordered {axis name: values}; the leading axes of every grid array, "seed" last.
      params: {"W_HxF": [*grid, H, F], "b_F": [*grid, F], ...} final weights.
      history: {"steps_T": [T], "loss": [*grid, T], "W_HxF": [*grid, T, H, F], ...} (may be empty);
        steps_T starts at 0 (the init) and ends at the last step, see the module docstring.
      metrics: {column: [*grid] array} from the per-cell metrics.
    """

    def __init__(self, index: int, model: dict, axes: dict[str, list], params, history, metrics):
        self.index, self.model, self.axes = index, model, axes
        self.params, self.history, self.metrics = params, history, metrics

    @property
    def grid_shape(self) -> tuple[int, ...]:
        return tuple(len(v) for v in self.axes.values())

    def __repr__(self) -> str:
        axes = ", ".join(f"{k}[{len(v)}]" for k, v in self.axes.items())
        return f"Bucket({self.index}, {self.model['kind']} n={self.model['n_features']} m={self.model['n_hidden']}, {axes})"


class Run:
    """A finished sweep read back from its directory: ``Run(path).buckets[0].params["W_HxF"]``."""

    def __init__(self, rdir: str | os.PathLike, verify_files: bool = True):
        self.dir = Path(rdir)
        if not (self.dir / "config.json").exists():
            raise FileNotFoundError(f"{self.dir} is not a run directory (no config.json)")
        self.meta = read_json(self.dir / "meta.json") if (self.dir / "meta.json").exists() else {}
        if not isinstance(self.meta, dict) or self.meta.get("status") != "complete":
            status = self.meta.get("status", "missing") if isinstance(self.meta, dict) else "unreadable"
            raise FileNotFoundError(f"{self.dir} is not a finished sweep (status: {status}); "
                                    f"run the sweep again to resume it")
        if verify_files:
            verify(self.dir, self.meta)
        try:
            self.config = load_config(self.dir)
        except (ConfigError, TypeError, AttributeError) as e:
            raise StoreError(f"{self.dir / 'config.json'} is not a valid config ({e})") from None
        grid = read_json(self.dir / "grid.json")
        rows = read_csv(self.dir / "metrics.csv")
        try:
            self._load_buckets(grid, rows)
        except StoreError:
            raise
        except (KeyError, TypeError, ValueError) as e:
            raise StoreError(f"{self.dir} has inconsistent grid.json/metrics.csv/npz files "
                             f"({type(e).__name__}: {e})") from None

    def _load_buckets(self, grid: dict, rows: list[dict]) -> None:
        self.buckets = []
        for b in grid["buckets"]:
            k = b["index"]
            params = read_npz(self.dir / f"params-b{k}.npz")
            hist_path = self.dir / f"history-b{k}.npz"
            history = read_npz(hist_path) if hist_path.exists() else {}
            shape = tuple(len(v) for v in b["axes"].values())
            mine = [r for r in rows if int(r["bucket"]) == k]
            metrics = {}
            for col in (mine[0] if mine else {}):
                vals = [r[col] for r in mine]
                try:
                    arr = np.array([float(v) for v in vals])
                except ValueError:
                    arr = np.array(vals, dtype=object)
                metrics[col] = arr.reshape(shape)
            self.buckets.append(Bucket(k, b["model"], b["axes"], params, history, metrics))

    def __repr__(self) -> str:
        return f"Run({self.dir}, {self.buckets})"
