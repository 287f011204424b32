"""Run bundles: a finished run directory as one versioned, hashed .zip that another machine can
analyse (``toymodels export RUN_DIR``; ``toymodels import BUNDLE``, ``toymodels analyze BUNDLE``,
``toymodels show BUNDLE``).

A bundle holds ``manifest.json`` at its root and the run's files under ``<run name>/``: the
store's config.json, grid.json, meta.json, metrics.csv, params-b<k>.npz, history-b<k>.npz, and the
data files (JSON, CSV, npz) of ``analysis/`` if the run was analysed; no plots, no unfinished
chunks. The manifest records:

  format, format_version   "toymodels-run-bundle", BUNDLE_FORMAT_VERSION
  toymodels_version        the exporting package's version
  run                      the run directory's name (<name>-<config hash>)
  config_hash              recomputed from config.json on import; must match the name
  files                    {relative path: {"sha256", "bytes"}} for every file in the bundle

Unpacking checks every file against its sha256 before anything is written, and checks the
unpacked files again when the run directory already exists; a mismatch names the file.
"""

from __future__ import annotations

import hashlib
import io
import json
import zipfile
from pathlib import Path

from toymodels import __version__, store
from toymodels.config import config_hash

BUNDLE_FORMAT = "toymodels-run-bundle"
BUNDLE_FORMAT_VERSION = 1
_DATA_SUFFIXES = {".json", ".csv", ".npz"}


class BundleError(Exception):
    """A bundle that cannot be trusted or read; the message names the file."""


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def bundle_files(rdir: Path) -> list[Path]:
    """The files of a run directory that go into its bundle, relative to it, sorted."""
    rdir = Path(rdir)
    top = [p for p in rdir.iterdir() if p.is_file() and p.suffix in _DATA_SUFFIXES and not p.name.startswith(".")]
    ana = rdir / "analysis"
    inner = [p for p in ana.iterdir() if p.is_file() and p.suffix in _DATA_SUFFIXES] if ana.is_dir() else []
    return sorted(p.relative_to(rdir) for p in top + inner)


def export_run(rdir: Path, out: Path | None = None) -> tuple[Path, str]:
    """Write the bundle of the finished run ``rdir``; return (its path, its sha256)."""
    rdir = Path(rdir)
    if not store.is_complete(rdir):
        raise BundleError(f"{rdir} is not a finished sweep; only finished runs can be exported")
    name = rdir.resolve().name
    out = Path(out) if out is not None else Path(f"{name}.zip")
    files = {}
    blobs = {}
    for rel in bundle_files(rdir):
        data = (rdir / rel).read_bytes()
        files[rel.as_posix()] = {"sha256": _sha256(data), "bytes": len(data)}
        blobs[rel.as_posix()] = data
    manifest = {"format": BUNDLE_FORMAT, "format_version": BUNDLE_FORMAT_VERSION,
                "toymodels_version": __version__, "run": name,
                "config_hash": config_hash(store.load_config(rdir)), "files": files}
    buf = io.BytesIO()
    # Fixed timestamps make the bundle's bytes a function of the run's files only.
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        def add(arcname: str, data: bytes) -> None:
            info = zipfile.ZipInfo(arcname, date_time=(1980, 1, 1, 0, 0, 0))
            info.compress_type = zipfile.ZIP_DEFLATED
            info.external_attr = 0o644 << 16
            z.writestr(info, data)
        add("manifest.json", (json.dumps(manifest, indent=2, sort_keys=True) + "\n").encode())
        for rel, data in blobs.items():
            add(f"{name}/{rel}", data)
    payload = buf.getvalue()
    store.atomic_write(out, lambda f: f.write(payload))
    return out, _sha256(payload)


def read_bundle(path: Path) -> tuple[dict, dict[str, bytes]]:
    """The manifest and {relative path: bytes} of a bundle, every file checked against its sha256."""
    path = Path(path)
    try:
        z = zipfile.ZipFile(path)
    except (OSError, zipfile.BadZipFile) as e:
        raise BundleError(f"{path}: not a readable toymodels bundle ({e})") from None
    with z:
        try:
            manifest = json.loads(z.read("manifest.json"))
        except KeyError:
            raise BundleError(f"{path}: no manifest.json; not a toymodels bundle") from None
        except ValueError as e:
            raise BundleError(f"{path}: manifest.json is not valid JSON ({e})") from None
        if manifest.get("format") != BUNDLE_FORMAT:
            raise BundleError(f"{path}: manifest format {manifest.get('format')!r}, expected {BUNDLE_FORMAT!r}")
        if manifest.get("format_version") != BUNDLE_FORMAT_VERSION:
            raise BundleError(f"{path}: bundle format version {manifest.get('format_version')}; this toymodels "
                              f"({__version__}) reads version {BUNDLE_FORMAT_VERSION}")
        name = manifest["run"]
        if "/" in name or name in ("", ".", ".."):
            raise BundleError(f"{path}: invalid run name {name!r} in manifest.json")
        listed = manifest["files"]
        present = {i.filename[len(name) + 1:] for i in z.infolist() if i.filename.startswith(name + "/")}
        extra = sorted(present - set(listed))
        if extra:
            raise BundleError(f"{path}: {extra[0]} is in the bundle but not in manifest.json")
        blobs = {}
        for rel, entry in sorted(listed.items()):
            if rel.startswith("/") or ".." in Path(rel).parts:
                raise BundleError(f"{path}: unsafe path {rel!r} in manifest.json")
            try:
                data = z.read(f"{name}/{rel}")
            except KeyError:
                raise BundleError(f"{path}: {rel} is listed in manifest.json but missing") from None
            except (zipfile.BadZipFile, OSError) as e:  # e.g. a CRC error from a damaged archive
                raise BundleError(f"{path}: {rel} cannot be read ({e})") from None
            if _sha256(data) != entry["sha256"]:
                raise BundleError(f"{path}: {rel} does not match its sha256 in manifest.json (tampered or corrupt)")
            blobs[rel] = data
    cfg_blob = blobs.get("config.json")
    if cfg_blob is None:
        raise BundleError(f"{path}: no config.json in the bundle")
    from toymodels.config import SweepConfig, from_dict
    h = config_hash(from_dict(SweepConfig, json.loads(cfg_blob)))
    if h != manifest.get("config_hash") or not name.endswith(f"-{h}"):
        raise BundleError(f"{path}: config.json hashes to {h}, but the bundle names run {name}")
    return manifest, blobs


def import_bundle(path: Path, dest: Path | None = None) -> Path:
    """Verify the bundle and unpack it into ``dest/<run name>`` (default: beside the bundle).

    An existing run directory of that name is not overwritten: its files must equal the bundle's
    (checked by sha256), else BundleError names the first that differs."""
    manifest, blobs = read_bundle(path)
    dest = Path(dest) if dest is not None else Path(path).resolve().parent
    rdir = dest / manifest["run"]
    if rdir.exists():
        for rel, entry in sorted(manifest["files"].items()):
            f = rdir / rel
            if rel.startswith("analysis/"):
                continue  # re-analysing the unpacked run rewrites these; they are derived
            if not f.exists() or _sha256(f.read_bytes()) != entry["sha256"]:
                raise BundleError(f"{rdir}/{rel} differs from the bundle {path} (sha256); "
                                  "remove that run directory or unpack elsewhere")
        return rdir
    # meta.json ("status": "complete") last, so an interrupted unpack is never taken for a finished run
    for rel, data in sorted(blobs.items(), key=lambda kv: kv[0] == "meta.json"):
        store.atomic_write(rdir / rel, lambda f, d=data: f.write(d))
    return rdir
