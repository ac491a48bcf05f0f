"""``SHARDS/manifest.json``: the complete shards, their checksums and the configuration.

Layout::

    {"format_version": 1, "config_hash": "...", "config": {...},
     "expected": ["test/01.h5", ...],              # every shard this configuration writes
     "shards": {"test/01.h5": {"sha256": "...", "bytes": 123, "split": "test", "video": "01",
                               "num_frames": 180}}}

A shard is listed only once it is complete and renamed into place; the manifest itself is
rewritten atomically after each one, so an interrupted run never lists a partial shard.
"""
import json
from pathlib import Path

from pipeline.atomic_files import atomic_output, file_sha256
from pipeline.errors import FastaedError
from pipeline.shards import format as fmt

MANIFEST = "manifest.json"


def manifest_path(root):
    """``root / "manifest.json"``.

    Example:
        >>> manifest_path("/tmp/shards").name
        'manifest.json'
    """
    return Path(root) / MANIFEST


def new_manifest(config, config_hash, expected):
    """An empty manifest for ``config`` (a JSON-able dict) that will hold the shards ``expected``.

    Example:
        >>> new_manifest({"folds": 4}, "abc", ["test/01.h5"])["shards"]
        {}
    """
    return {"format_version": fmt.FORMAT_VERSION, "config_hash": config_hash, "config": config,
            "expected": sorted(expected), "shards": {}}


def read_manifest(root, missing_ok=False):
    """Read ``root/manifest.json``; ``None`` when it is absent and ``missing_ok``.

    Example:
        >>> import tempfile
        >>> read_manifest(tempfile.mkdtemp(), missing_ok=True) is None
        True
    """
    path = manifest_path(root)
    if not path.is_file():
        if missing_ok:
            return None
        raise FastaedError(f"{path}: no shard manifest: run `fastaed precompute-teachers --out {root}` "
                           f"to write the shards")
    try:
        manifest = json.loads(path.read_text())
        for key in ("format_version", "config_hash", "config", "expected", "shards"):
            manifest[key]
    except (ValueError, KeyError, TypeError) as error:
        raise FastaedError(f"{path}: not a fastaed shard manifest ({error}): delete it and run "
                           f"`fastaed precompute-teachers` again (complete shards are revalidated, "
                           f"not recomputed)") from None
    if manifest["format_version"] != fmt.FORMAT_VERSION:
        raise FastaedError(f"{path}: shard format version {manifest['format_version']}, this fastaed "
                           f"reads version {fmt.FORMAT_VERSION}: rerun `fastaed precompute-teachers` "
                           f"with --overwrite")
    return manifest


def write_manifest(root, manifest):
    """Write ``manifest`` to ``root/manifest.json`` atomically (sorted keys, one shard per line).

    Example:
        >>> import tempfile
        >>> root = tempfile.mkdtemp()
        >>> write_manifest(root, new_manifest({}, "abc", []))
        >>> read_manifest(root)["config_hash"]
        'abc'
    """
    with atomic_output(manifest_path(root)) as tmp:
        tmp.write_text(json.dumps(manifest, indent=1, sort_keys=True) + "\n")


def verify(root, relpaths=None):
    """Check every listed shard (or only ``relpaths``) against its manifest checksum; return the manifest.

    Raises :class:`~pipeline.errors.FastaedError` naming the first shard that is missing or
    whose bytes changed (a flipped bit, a truncation, a copy from another run).

    Example:
        >>> manifest = verify("shards")                     # doctest: +SKIP
        >>> sorted(manifest["shards"])[:1]                  # doctest: +SKIP
        ['test/01.h5']
    """
    manifest = read_manifest(root)
    for relpath in sorted(manifest["shards"] if relpaths is None else relpaths):
        if relpath not in manifest["shards"]:
            raise FastaedError(f"{Path(root) / relpath}: not listed in {manifest_path(root)} (incomplete): "
                               f"run `fastaed precompute-teachers` again to finish it")
        problem = entry_problem(root, relpath, manifest["shards"][relpath])
        if problem:
            raise FastaedError(f"{Path(root) / relpath}: {problem}: delete it and run "
                               f"`fastaed precompute-teachers` again to rewrite it")
    return manifest


def entry_problem(root, relpath, entry):
    """Why the shard ``relpath`` does not match its manifest ``entry``, or ``None`` when it does.

    Example:
        >>> entry_problem("shards", "test/01.h5", {"sha256": "0" * 64, "bytes": 1})   # doctest: +SKIP
        'missing'
    """
    path = Path(root) / relpath
    if not path.is_file():
        return "missing"
    if path.stat().st_size != entry["bytes"]:
        return f"size {path.stat().st_size} bytes, the manifest says {entry['bytes']} (truncated or replaced)"
    if file_sha256(path) != entry["sha256"]:
        return "checksum differs from the manifest (the file is corrupt or was replaced)"
    return None


def list_shards(root, split, verify_checksums=False):
    """Paths of the complete shards of ``split`` ("train" or "test") listed in the manifest, sorted.

    Example:
        >>> [p.name for p in list_shards("shards", "test")]    # doctest: +SKIP
        ['01.h5', '02.h5']
    """
    if split not in fmt.SPLITS:
        raise FastaedError(f"unknown split {split!r}: use one of {', '.join(fmt.SPLITS)}")
    manifest = read_manifest(root)
    relpaths = sorted(r for r, entry in manifest["shards"].items() if entry["split"] == split)
    if verify_checksums:
        verify(root, relpaths)
    return [Path(root) / relpath for relpath in relpaths]


def open_shards(root, split, verify_checksums=False, require_complete=True):
    """Validated, lazily read :class:`~pipeline.shards.reader.Shard` objects of ``split``, sorted by video.

    Each shard is checked against the manifest's configuration hash (and, with
    ``verify_checksums``, its checksum). With ``require_complete`` (the default) a shards folder
    whose run has not finished is refused, naming a missing shard.

    Example:
        >>> shards = open_shards("shards", "train")                        # doctest: +SKIP
        >>> sum(shard.num_frames for shard in shards)                      # doctest: +SKIP
        2550
    """
    from pipeline.shards.reader import open_shard

    manifest = read_manifest(root)
    missing = sorted(set(manifest["expected"]) - set(manifest["shards"]))
    if require_complete and missing:
        raise FastaedError(f"{root}: incomplete ({len(missing)} of {len(manifest['expected'])} shards missing, "
                           f"e.g. {missing[0]}): run `fastaed precompute-teachers` again to finish it")
    return [open_shard(path, config_hash=manifest["config_hash"])
            for path in list_shards(root, split, verify_checksums)]
