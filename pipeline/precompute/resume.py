"""What an earlier (possibly interrupted) run left in the shards folder, and what is still to do.

Rules: leftover temporary files are removed; a shard listed in the manifest whose checksum still
matches is complete; a shard that is on disk but unlisted (the run died between the rename and
the manifest update) is fully validated and then listed; a truncated, corrupt or changed shard is
removed and redone; shards of another configuration are refused unless ``overwrite``, which
removes them (with the teachers, manifest and report of that configuration) and keeps complete
shards of this configuration. The per-video feature cache is never cleared: it checks its own key.
"""
import contextlib
from pathlib import Path

from pipeline.atomic_files import TEMP_MARKER, file_sha256, is_temporary
from pipeline.errors import FastaedError
from pipeline.precompute.config import changed_fields
from pipeline.precompute.report import REPORT_NAME, ROC_PLOT_NAME
from pipeline.precompute.teacher_store import TEACHERS_DIR
from pipeline.shards import format as fmt
from pipeline.shards.manifest import MANIFEST, entry_problem, new_manifest, read_manifest
from pipeline.shards.reader import open_shard


def survey(out, document, config_hash, expected, overwrite, log):
    """Return ``(manifest, todo)``: the manifest of the complete shards and the relpaths still to write.

    ``expected`` is every shard relpath this configuration writes; ``log`` takes one line per
    decision worth telling the user (a shard redone, a run resumed).

    Example:
        >>> manifest, todo = survey(out, document, "3f2a", ["test/01.h5"], False, print)  # doctest: +SKIP
    """
    out = Path(out)
    removed = remove_temporaries(out)
    if removed:
        log(f"removed {removed} temporary file(s) left by an interrupted run")
    old = _previous_manifest(out, log)
    if old is not None and old["config_hash"] != config_hash:
        changed = ", ".join(changed_fields(old["config"], document)) or "the configuration"
        if overwrite:
            clear_outputs(out)
            log(f"--overwrite: removed the shards of another configuration (changed: {changed}) from {out}")
        elif old["shards"]:
            raise FastaedError(
                f"{out}: holds shards of another configuration (config_hash {old['config_hash']}, now "
                f"{config_hash}; changed: {changed}): rerun with --overwrite to replace them, or choose another --out")
        old = None
    _foreign_shards(out, config_hash, set(expected), overwrite, log)
    manifest = new_manifest(document, config_hash, expected)
    listed = old["shards"] if old else {}
    todo = []
    for relpath in sorted(expected):
        entry = _complete_entry(out, relpath, listed.get(relpath), config_hash, overwrite, log)
        if entry is None:
            todo.append(relpath)
        else:
            manifest["shards"][relpath] = entry
    if manifest["shards"]:
        log(f"resuming: {len(manifest['shards'])} complete shard(s) kept, {len(todo)} to write")
    return manifest, todo


def remove_temporaries(out):
    """Delete every ``*.tmp-<pid>`` file under ``out``; return how many there were.

    Example:
        >>> import tempfile
        >>> remove_temporaries(tempfile.mkdtemp())
        0
    """
    count = 0
    for path in Path(out).rglob(f"*{TEMP_MARKER}*"):
        if path.is_file() and is_temporary(path):
            path.unlink(missing_ok=True)
            count += 1
    return count


def clear_outputs(out):
    """Remove the shards, saved teachers, manifest and report under ``out`` (not the feature cache).

    Only files this command writes are removed (``<split>/*.h5``, ``teachers/*/*.h5``, the
    manifest, the report and its plot), so an ``--out`` pointed at the wrong folder loses nothing else.

    Example:
        >>> import tempfile
        >>> clear_outputs(tempfile.mkdtemp())
        False
    """
    out = Path(out)
    files = [*(p for split in fmt.SPLITS for p in (out / split).glob(f"*{fmt.SUFFIX}")),
             *(out / TEACHERS_DIR).glob(f"*/*{fmt.SUFFIX}"), out / MANIFEST, out / REPORT_NAME,
             out / ROC_PLOT_NAME]
    removed = False
    for path in files:
        if path.is_file():
            path.unlink()
            removed = True
    for folder in (*(out / TEACHERS_DIR).glob("*"), out / TEACHERS_DIR, *(out / split for split in fmt.SPLITS)):
        with contextlib.suppress(OSError):  # kept when not empty
            folder.rmdir()
    return removed


def _previous_manifest(out, log):
    try:
        return read_manifest(out, missing_ok=True)
    except FastaedError as error:
        if "format version" in str(error):
            raise
        log(f"ignoring an unreadable manifest ({error}); shards on disk are revalidated")
        return None


def _complete_entry(out, relpath, listed, config_hash, overwrite, log):
    """The manifest entry of a complete shard at ``relpath``, or None when it must be (re)written."""
    path = out / relpath
    if not path.exists():
        return None
    if listed is not None:
        problem = entry_problem(out, relpath, listed)
        if problem is None:
            return listed
        log(f"{path}: {problem}: rewriting it")
        path.unlink()
        return None
    try:
        shard = open_shard(path, config_hash=config_hash, full=True)
    except FastaedError as error:
        if "another configuration" in str(error) and not overwrite:
            raise
        log(f"{error}; rewriting it")
        path.unlink()
        return None
    return {"sha256": file_sha256(path), "bytes": path.stat().st_size, "split": shard.split,
            "video": shard.video, "num_frames": shard.num_frames}


def _foreign_shards(out, config_hash, expected, overwrite, log):
    """Shards this configuration does not write but another one did: refused, or removed with ``overwrite``."""
    for split in fmt.SPLITS:
        for path in sorted((out / split).glob(f"*{fmt.SUFFIX}")) if (out / split).is_dir() else ():
            if f"{split}/{path.name}" in expected:
                continue
            try:
                shard = open_shard(path)
            except FastaedError:
                continue  # not a readable shard of anyone's: it is never listed, so never read
            if shard.config_hash == config_hash:
                continue
            if not overwrite:
                raise FastaedError(
                    f"{path}: a shard of another configuration (config_hash {shard.config_hash}, now "
                    f"{config_hash}) that this dataset does not have: rerun with --overwrite, or choose another --out")
            path.unlink()
            log(f"--overwrite: removed {path} (another configuration)")
