"""The protocol every object-level teacher follows, and the teacher registry.

A teacher looks at one object at a time:
    feats = teacher.features(frames, boxes)   # one video: frames + its (N, 6) boxes -> (N, ...) array
    teacher.fit([feats_video_1, feats_video_2, ...])   # normal training objects, calibration included
    scores = teacher.score(feats)             # (N,) float32, ~0 = typical normal object
    teacher.recalibrate([feats_unseen_1, ...])  # optional: calibrate again on normal videos it never saw
    state = teacher.state_dict()              # numpy arrays and plain values, no pickle
    same = Teacher.from_state(state)          # gives identical scores
"""

import json
from abc import ABC, abstractmethod

import numpy as np

from teachers.calibration import RobustCalibration
from teachers.registry import Registry

TEACHERS = Registry("teacher")
STATE_FORMAT_VERSION = 1


class Teacher(ABC):
    """Base class of the object-level teachers (sklearn-like: features, fit, score).

    Subclasses set `self.options` (the JSON-serialisable constructor arguments) and implement
    `features`, `fit`, `score`, `_fitted_state` and `_load_fitted_state`; their `score` ends in
    `self.calibration` (a :class:`teachers.calibration.RobustCalibration`, part of their state),
    which `recalibrate` refines.

    Example:
        >>> teacher = build_teacher("density")
        >>> isinstance(teacher, Teacher), teacher.name
        (True, 'density')
    """

    name = "teacher"
    options = {}

    @abstractmethod
    def features(self, frames, boxes):
        """Per-object features of one video: frames (a Sequence of (H, W) uint8) and (N, 6) boxes.

        Example:
            >>> build_teacher("density").features(np.zeros((2, 16, 16), np.uint8), np.zeros((0, 6))).shape[0]
            0
        """

    @abstractmethod
    def fit(self, feature_arrays):
        """Fit on the features of normal training objects (one array per video); returns self.

        Calibration on held-out normal objects is part of fitting.

        Example:
            >>> teacher = build_teacher("density").fit(features_per_video)  # doctest: +SKIP
        """

    @abstractmethod
    def score(self, features):
        """(N,) float32 calibrated anomaly scores: ~0 typical normal, larger more anomalous.

        Example:
            >>> build_teacher("density").fit(train_features).score(test_features)  # doctest: +SKIP
        """

    def recalibrate(self, feature_arrays):
        """Calibrate again on normal objects of videos the teacher did not learn from; returns self.

        ``fit`` calibrates on the few training videos it holds out of its own fit, and one or two
        videos make a noisy median and high quantile: two teachers fitted on different videos
        then score the same normal object on scales several times apart. With more unseen normal
        video (cross-fitting holds out whole folds), the calibrated scores of these objects get
        median 0 and high quantile (the teacher's ``quantile`` option) 1, as ``fit`` intends.

        Example:
            >>> rng = np.random.default_rng(0)
            >>> teacher = build_teacher("density", percentiles=(50,), direction_weight=0, appearance_weight=0)
            >>> teacher = teacher.fit([rng.normal(size=(50, 2)) for _ in range(4)])
            >>> unseen = [rng.normal(size=(400, 2))]
            >>> scores = teacher.recalibrate(unseen).score(unseen[0])
            >>> abs(float(np.median(scores))) < 1e-6, abs(float(np.quantile(scores, 0.95)) - 1) < 1e-6
            (True, True)
        """
        self._require_fitted()
        arrays = [array for array in as_feature_list(feature_arrays) if len(array)]
        if not arrays:
            raise ValueError("recalibration needs normal objects of unseen videos, got none")
        scores = self.score(np.concatenate(arrays))
        self.calibration = self.calibration.then(RobustCalibration.fit(scores, self.options["quantile"]))
        return self

    @abstractmethod
    def _fitted_state(self):
        """Fitted parameters as a flat dict of numpy arrays and plain values."""

    @abstractmethod
    def _load_fitted_state(self, state):
        """Restore what `_fitted_state` returned."""

    @property
    def is_fitted(self):
        """Whether `fit` (or `from_state`) has run.

        Example:
            >>> build_teacher("density").is_fitted
            False
        """
        return getattr(self, "_fitted", False)

    def _require_fitted(self):
        if not self.is_fitted:
            raise ValueError(f"teacher '{self.name}' is not fitted: call fit(...) or from_state(...) first")

    def state_dict(self):
        """Everything needed to rebuild the fitted teacher: a flat dict of numpy arrays and plain
        values (str, int, float), storable as HDF5 datasets/attributes or in an npz file.

        Example:
            >>> state = build_teacher("density").fit(train_features).state_dict()  # doctest: +SKIP
            >>> state["teacher"]  # doctest: +SKIP
            'density'
        """
        self._require_fitted()
        state = {
            "teacher": self.name,
            "format_version": STATE_FORMAT_VERSION,
            "options": json.dumps(self.options, sort_keys=True),
        }
        state.update(self._fitted_state())
        return state

    @classmethod
    def from_state(cls, state):
        """Rebuild a fitted teacher from `state_dict()` output (values may come back from HDF5 or
        npz as 0-d arrays or bytes). `Teacher.from_state` picks the class by the stored name.

        Example:
            >>> same = Teacher.from_state(teacher.state_dict())  # doctest: +SKIP
        """
        state = {key: plain_value(value) for key, value in state.items()}
        for key in ("teacher", "format_version", "options"):
            if key not in state:
                raise ValueError(f"teacher state has no '{key}' entry: pass the output of state_dict()")
        if state["format_version"] != STATE_FORMAT_VERSION:
            raise ValueError(
                f"teacher state has format version {state['format_version']}, this code reads "
                f"{STATE_FORMAT_VERSION}: refit the teacher"
            )
        target = TEACHERS.get(state["teacher"])
        if not issubclass(target, cls):
            raise ValueError(f"state is of teacher '{state['teacher']}', not of {cls.__name__}")
        teacher = target(**json.loads(state["options"]))
        teacher._load_fitted_state(state)
        teacher._fitted = True
        return teacher


def plain_value(value):
    """Turn what HDF5/npz give back (0-d arrays, numpy scalars, bytes) into str/int/float; arrays
    with dimensions stay arrays.

    Example:
        >>> plain_value(np.array(b"density")), plain_value(np.float32(2.5)), plain_value(np.array(3))
        ('density', 2.5, 3)
    """
    if isinstance(value, np.ndarray) and value.ndim == 0:
        value = value.item()
    elif isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, bytes):
        value = value.decode("utf-8")
    return value


def register_teacher(name):
    """Class decorator registering a `Teacher` subclass under `name`.

    Example:
        >>> "autoencoder" in available_teachers()
        True
    """
    return TEACHERS.register(name)


def build_teacher(name, **options):
    """Build the (unfitted) teacher registered as `name` with its options.

    ValueError for an unknown name (listing the available ones) or an unknown option.

    Example:
        >>> build_teacher("density", k=5).options["k"]
        5
    """
    return TEACHERS.build(name, **options)


def available_teachers():
    """Sorted names of the registered teachers.

    Example:
        >>> available_teachers()
        ['autoencoder', 'density', 'jigsaw']
    """
    return TEACHERS.names()


def as_feature_list(feature_arrays):
    """The list of per-video feature arrays `fit` takes (a single array counts as one video).

    Example:
        >>> len(as_feature_list(np.zeros((3, 2))))
        1
    """
    if isinstance(feature_arrays, np.ndarray):
        return [feature_arrays]
    return [np.asarray(array) for array in feature_arrays]


def held_out_folds(sizes, folds, min_rows=2):
    """Split the rows of concatenated per-video arrays into `folds` (train rows, held-out rows).

    Whole videos are held out together, round-robin by video, so held-out objects come from video
    the model did not see; with a single video, contiguous blocks of its rows are held out instead.

    Example:
        >>> [(a.tolist(), b.tolist()) for a, b in held_out_folds([2, 1, 2], 2)]
        [([2], [0, 1, 3, 4]), ([0, 1, 3, 4], [2])]
    """
    sizes = [int(size) for size in sizes]
    total = sum(sizes)
    if total < 2 * min_rows:
        raise ValueError(
            f"only {total} normal training objects: teachers need at least {2 * min_rows} "
            "(more training video, or a detector that finds objects)"
        )
    videos = [i for i, size in enumerate(sizes) if size > 0]
    rows = np.arange(total)
    if len(videos) >= 2:
        video_of_row = np.repeat(np.arange(len(sizes)), sizes)
        fold_of_video = np.full(len(sizes), -1)
        fold_of_video[videos] = np.arange(len(videos)) % min(folds, len(videos))
        fold_of_row = fold_of_video[video_of_row]
    else:
        fold_of_row = np.minimum(rows * folds // total, folds - 1)
    return [
        (rows[fold_of_row != fold], rows[fold_of_row == fold])
        for fold in range(int(fold_of_row.max()) + 1)
    ]
