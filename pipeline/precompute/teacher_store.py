"""Fitted teachers saved next to the shards (``SHARDS/teachers/<fit>/<teacher>.h5``), without pickle.

A teacher's ``state_dict()`` is a flat dict of numpy arrays and plain values: arrays become
datasets of the ``state`` group, plain values its attributes. The file's own attributes record
the configuration hash, the fit (fold number or ``all``), the training videos it learned from
and the seconds fitting took. Load one with :func:`load_teacher` to reuse it (for example to
score new video with the same teachers).
"""
import json
from pathlib import Path

import h5py
import numpy as np

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError
from pipeline.precompute.plan import ALL

TEACHERS_DIR = "teachers"
STATE = "state"


def fit_name(fit):
    """Folder name of a fit: ``fold-<k>`` or ``all``.

    Example:
        >>> fit_name(0), fit_name(ALL)
        ('fold-0', 'all')
    """
    return "all" if fit == ALL else f"fold-{fit}"


def teacher_path(root, fit, teacher):
    """Where the teacher ``teacher`` of fit ``fit`` is saved under the shards root.

    Example:
        >>> teacher_path("/s", 1, "density").as_posix()
        '/s/teachers/fold-1/density.h5'
    """
    return Path(root) / TEACHERS_DIR / fit_name(fit) / f"{teacher}.h5"


def save_teacher(path, state, config_hash, fit, videos, seconds):
    """Write a teacher's ``state_dict()`` and where it came from to ``path`` atomically.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "density.h5"
        >>> save_teacher(p, {"teacher": "density", "k": 3, "bank": np.ones((4, 2))}, "abc", 0, ["02"], 1.5)
        >>> state, info = load_teacher_state(p, "abc")
        >>> state["k"], state["bank"].shape, info["videos"]
        (3, (4, 2), ['02'])
    """
    with atomic_output(path) as tmp:
        with h5py.File(tmp, "w") as handle:
            group = handle.create_group(STATE)
            for key, value in state.items():
                if isinstance(value, np.ndarray) and value.ndim > 0:
                    group.create_dataset(key, data=value)
                else:
                    group.attrs[key] = value
            handle.attrs["config_hash"] = config_hash
            handle.attrs["fit"] = fit_name(fit)
            handle.attrs["videos"] = json.dumps(list(videos))
            handle.attrs["fit_seconds"] = float(seconds)


def load_teacher_state(path, config_hash=None):
    """Read ``(state, info)`` back; FastaedError when unreadable or from another configuration.

    Example:
        >>> load_teacher_state("/nonexistent.h5")
        Traceback (most recent call last):
        ...
        pipeline.errors.FastaedError: /nonexistent.h5: cannot read the saved teacher (no such file): delete it and run `fastaed precompute-teachers` again
    """
    try:
        with h5py.File(path, "r") as handle:
            info = {"config_hash": str(handle.attrs["config_hash"]), "fit": str(handle.attrs["fit"]),
                    "videos": json.loads(handle.attrs["videos"]), "fit_seconds": float(handle.attrs["fit_seconds"])}
            group = handle[STATE]
            state = {key: _plain(value) for key, value in group.attrs.items()}
            group.visititems(lambda name, node: state.__setitem__(name, node[()])
                             if isinstance(node, h5py.Dataset) else None)
    except (OSError, KeyError, ValueError) as error:
        reason = " ".join(str(error).split()) if Path(path).exists() else "no such file"
        raise FastaedError(f"{path}: cannot read the saved teacher ({reason}): delete it and run "
                           f"`fastaed precompute-teachers` again") from None
    if config_hash is not None and info["config_hash"] != config_hash:
        raise FastaedError(f"{path}: teacher fitted with another configuration (config_hash "
                           f"{info['config_hash']}, expected {config_hash}): rerun with --overwrite")
    return state, info


def load_teacher(path, config_hash=None):
    """The fitted teacher saved at ``path`` (a :class:`teachers.base.Teacher`), ready to ``score``.

    Example:
        >>> teacher = load_teacher("shards/teachers/all/density.h5")     # doctest: +SKIP
        >>> teacher.score(teacher.features(frames, boxes))                # doctest: +SKIP
    """
    from teachers.base import Teacher

    state, _ = load_teacher_state(path, config_hash)
    try:
        return Teacher.from_state(state)
    except ValueError as error:
        raise FastaedError(f"{path}: {error}") from None


def is_saved(path, config_hash):
    """Whether a readable teacher of configuration ``config_hash`` is saved at ``path``.

    Example:
        >>> is_saved("/nonexistent.h5", "abc")
        False
    """
    try:
        load_teacher_state(path, config_hash)
    except FastaedError:
        return False
    return True


def fit_seconds(root, teachers):
    """{teacher: seconds its fits took, summed over the fits saved under ``root``}, from the files' attributes.

    Example:
        >>> fit_seconds("/nonexistent", ["density"])
        {'density': 0.0}
    """
    totals = {}
    for teacher in teachers:
        totals[teacher] = 0.0
        for path in sorted(Path(root, TEACHERS_DIR).glob(f"*/{teacher}.h5")):
            try:
                with h5py.File(path, "r") as handle:
                    totals[teacher] += float(handle.attrs["fit_seconds"])
            except (OSError, KeyError) as error:
                raise FastaedError(f"{path}: cannot read the saved teacher ({error}): delete it and run "
                                   f"`fastaed precompute-teachers` again") from None
    return totals


def _plain(value):
    if isinstance(value, np.generic):
        return value.item()
    return value.decode() if isinstance(value, bytes) else value
