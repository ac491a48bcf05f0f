"""Motion and appearance density teacher (after Reiss & Hoshen 2022, attribute-based VAD).

Per object four groups of features: speed (percentiles of the dense optical-flow speed over the
object's own foreground pixels, raw and divided by the box height, since people far from the
camera look smaller and slower), direction (the median flow vector of those pixels divided by the
height a person has at that row of the image, :mod:`teachers.perspective`), geometry (box size
and position) and appearance (a gradient orientation histogram). Each group is standardised on the
normal training objects; its raw anomaly score is the mean distance to the k nearest normal
training objects. Group scores are calibrated, combined with weights, and the combination is
calibrated again, all on normal objects held out by video (cross-fitting inside the training set).
"""

import cv2
import numpy as np
from sklearn.neighbors import NearestNeighbors

from teachers.appearance import orientation_histogram
from teachers.base import Teacher, as_feature_list, held_out_folds, register_teacher
from teachers.boxes import check_boxes, clip_box, indices_by_frame
from teachers.calibration import RobustCalibration
from teachers.frames import ForegroundMask, sliding_windows
from teachers.motion import DenseFlow, median_flow, speed_percentiles
from teachers.perspective import PerspectiveScale

GEOMETRY_FEATURES = 4  # height, width / height, centre x / W, bottom y / H
DIRECTION_FEATURES = 4  # median flow dx, dy (pixels per flow_gap frames), height, bottom y / H


@register_teacher("density")
class DensityTeacher(Teacher):
    """k-nearest-neighbour density of per-object speed, direction, geometry and appearance features.

    Weights say how much each group counts (0 leaves the group out, and its features are not
    computed). Flow is measured over `flow_gap` frames with DIS "medium" (chosen on Ped2 training
    video: a 1.25x temporal-skip pseudo-anomaly, leave one video out). The direction group
    catches objects that move at a normal speed the way nobody does; its weight was chosen on
    synthetic scenes made for tuning only (docs/results.md). Geometry is off by default (that
    choice looked at Ped2 test labels).

    Example:
        >>> teacher = DensityTeacher(k=3)
        >>> feats = teacher.features(frames, boxes)  # doctest: +SKIP
        >>> scores = teacher.fit([feats]).score(feats)  # doctest: +SKIP
    """

    def __init__(
        self,
        k=3,
        percentiles=(50, 75, 90),
        motion_weight=1.0,
        direction_weight=1.0,
        geometry_weight=0.0,
        appearance_weight=0.25,
        flow_preset="medium",
        flow_gap=3,
        foreground_threshold=20,
        folds=4,
        quantile=0.95,
        max_bank=50000,
        seed=0,
    ):
        self.options = {
            "k": int(k),
            "percentiles": [float(p) for p in percentiles],
            "motion_weight": float(motion_weight),
            "direction_weight": float(direction_weight),
            "geometry_weight": float(geometry_weight),
            "appearance_weight": float(appearance_weight),
            "flow_preset": flow_preset,
            "flow_gap": int(flow_gap),
            "foreground_threshold": float(foreground_threshold),
            "folds": int(folds),
            "quantile": float(quantile),
            "max_bank": int(max_bank),
            "seed": int(seed),
        }
        self.weights = {
            "motion": float(motion_weight),
            "direction": float(direction_weight),
            "geometry": float(geometry_weight),
            "appearance": float(appearance_weight),
        }
        if min(self.weights.values()) < 0 or max(self.weights.values()) <= 0:
            raise ValueError(f"density weights {self.weights} must be >= 0 with at least one > 0")
        self._flow = DenseFlow(flow_preset)
        self.columns = self._column_slices()

    def _column_slices(self):
        widths = {
            "motion": 2 * len(self.options["percentiles"]),
            "direction": DIRECTION_FEATURES,
            "geometry": GEOMETRY_FEATURES,
            "appearance": len(orientation_histogram(np.zeros((2, 2), np.uint8))),
        }
        columns, start = {}, 0
        for group, weight in self.weights.items():
            if weight > 0:
                columns[group] = slice(start, start + widths[group])
                start += widths[group]
        return columns

    @property
    def num_features(self):
        """Feature columns per object under these options.

        Example:
            >>> DensityTeacher(percentiles=(50, 90), direction_weight=0, appearance_weight=0).num_features
            4
        """
        return max(s.stop for s in self.columns.values())

    def features(self, frames, boxes):
        """(N, num_features) float32 features of the N boxes of one video.

        Example:
            >>> DensityTeacher(appearance_weight=0).features(np.zeros((3, 20, 20), np.uint8), [[1, 2, 2, 9, 9, 1]]).shape
            (1, 10)
        """
        boxes = check_boxes(boxes)
        features = np.zeros((len(boxes), self.num_features), np.float32)
        if len(boxes) == 0:
            return features
        rows_of_frame = indices_by_frame(boxes, len(frames))
        gap = self.options["flow_gap"]
        foreground_of = ForegroundMask(frames, self.options["foreground_threshold"])
        for t, window in sliding_windows(frames, gap):
            rows = rows_of_frame[t]
            if len(rows) == 0:
                continue
            current = window[gap]
            foreground = foreground_of(current)
            flow = self._flow_at(window, t, len(frames), ~foreground) if self._needs_flow else None
            speed = None if flow is None else cv2.magnitude(np.ascontiguousarray(flow[..., 0]),
                                                            np.ascontiguousarray(flow[..., 1]))
            for row in rows:
                features[row] = self._object_features(current, flow, speed, foreground, boxes[row])
        return features

    @property
    def _needs_flow(self):
        return "motion" in self.columns or "direction" in self.columns

    def _flow_at(self, window, t, count, static):
        gap = self.options["flow_gap"]
        if t + gap < count:
            return self._flow.flow(window[gap], window[2 * gap], static)
        if t - gap >= 0:
            return self._flow.flow(window[0], window[gap], static)
        return np.zeros(window[gap].shape + (2,), np.float32)

    def _object_features(self, frame, flow, speed, foreground, box):
        x1, y1, x2, y2 = clip_box(box[1:5], frame.shape)
        height, width = y2 - y1 + 1, x2 - x1 + 1
        frame_height, frame_width = frame.shape
        pixels = foreground[y1:y2 + 1, x1:x2 + 1]
        parts = []
        if "motion" in self.columns:
            speeds = speed_percentiles(speed[y1:y2 + 1, x1:x2 + 1], pixels, self.options["percentiles"])
            parts += [speeds, speeds / height]
        if "direction" in self.columns:
            parts += [median_flow(flow[y1:y2 + 1, x1:x2 + 1], pixels), [height, y2 / frame_height]]
        if "geometry" in self.columns:
            parts.append([height, width / height, (x1 + x2) / 2 / frame_width, y2 / frame_height])
        if "appearance" in self.columns:
            parts.append(orientation_histogram(frame[y1:y2 + 1, x1:x2 + 1]))
        return np.concatenate([np.asarray(part, np.float32) for part in parts])

    def fit(self, feature_arrays):
        """Fit on normal training objects (one (N_i, num_features) array per video); returns self.

        Example:
            >>> rng = np.random.default_rng(0)
            >>> teacher = DensityTeacher(percentiles=(50,), direction_weight=0, appearance_weight=0)
            >>> teacher = teacher.fit([rng.normal(size=(50, 2)) for _ in range(4)])
            >>> abs(float(np.median(teacher.score(rng.normal(size=(200, 2)))))) < 0.3
            True
        """
        arrays = as_feature_list(feature_arrays)
        for array in arrays:
            self._check_features(array)
        features = np.concatenate(arrays).astype(np.float32)
        if "direction" in self.columns:
            direction = features[:, self.columns["direction"]]
            self.perspective = PerspectiveScale.fit(direction[:, 2], direction[:, 3])
        grouped = self._grouped(features)
        folds = held_out_folds([len(a) for a in arrays], self.options["folds"], self.options["k"])
        held_out = {}
        self.group_calibrations = {}
        for group, values in grouped.items():
            raw = np.zeros(len(features))
            for train, test in folds:
                raw[test] = _GroupDensity.fit(values[train], self.options).raw_scores(values[test])
            self.group_calibrations[group] = RobustCalibration.fit(raw, self.options["quantile"])
            held_out[group] = raw
        self.calibration = RobustCalibration.fit(self._combine(held_out), self.options["quantile"])
        self.densities = {group: _GroupDensity.fit(values, self.options) for group, values in grouped.items()}
        self._fitted = True
        return self

    def score(self, features):
        """(N,) float32 calibrated scores.

        Example:
            >>> teacher = DensityTeacher(percentiles=(50,), direction_weight=0, appearance_weight=0)
            >>> teacher = teacher.fit([np.random.default_rng(0).normal(size=(40, 2))] * 3)
            >>> bool(teacher.score([[9.0, 9.0]])[0] > 1)
            True
        """
        self._require_fitted()
        features = self._check_features(np.asarray(features, np.float32))
        if len(features) == 0:
            return np.zeros(0, np.float32)
        raw = {group: self.densities[group].raw_scores(values) for group, values in self._grouped(features).items()}
        return self.calibration(self._combine(raw))

    def group_scores(self, features):
        """{group: (N,) calibrated score of that feature group alone}, for diagnostics.

        Example:
            >>> sorted(teacher.group_scores(feats))  # doctest: +SKIP
            ['motion']
        """
        self._require_fitted()
        features = self._check_features(np.asarray(features, np.float32))
        return {
            group: self.group_calibrations[group](self.densities[group].raw_scores(values))
            for group, values in self._grouped(features).items()
        }

    def _grouped(self, features):
        """{group: (N, d) the values its density is measured on}: the columns as they are, except
        direction's flow vector, which is divided by the expected height at the box's row."""
        grouped = {group: features[:, columns] for group, columns in self.columns.items()}
        if "direction" in grouped:
            direction = grouped["direction"]
            grouped["direction"] = direction[:, :2] / self.perspective(direction[:, 3])[:, None].astype(np.float32)
        return grouped

    def _combine(self, raw_by_group):
        return sum(self.weights[g] * self.group_calibrations[g](raw).astype(np.float64) for g, raw in raw_by_group.items())

    def _check_features(self, features):
        if features.ndim != 2 or features.shape[1] != self.num_features:
            raise ValueError(
                f"density features have shape {features.shape}, expected (N, {self.num_features}) "
                "under these options: compute them with features() of a teacher with the same options"
            )
        return features

    def _fitted_state(self):
        state = self.calibration.state_dict("calibration")
        if "direction" in self.columns:
            state.update(self.perspective.state_dict("perspective"))
        for group in self.columns:
            state.update(self.group_calibrations[group].state_dict(f"{group}.calibration"))
            state.update(self.densities[group].state_dict(group))
        return state

    def _load_fitted_state(self, state):
        self.calibration = RobustCalibration.from_state(state, "calibration")
        if "direction" in self.columns:
            self.perspective = PerspectiveScale.from_state(state, "perspective")
        self.group_calibrations = {g: RobustCalibration.from_state(state, f"{g}.calibration") for g in self.columns}
        self.densities = {g: _GroupDensity.from_state(state, g, self.options) for g in self.columns}


class _GroupDensity:
    """Standardisation + a bank of normal objects + mean distance to the k nearest of them."""

    def __init__(self, mean, std, bank, k):
        self.mean, self.std, self.bank, self.k = mean, std, bank, k
        self._neighbours = NearestNeighbors(n_neighbors=min(k, len(bank))).fit(bank)

    @classmethod
    def fit(cls, features, options):
        mean = features.mean(axis=0)
        std = np.maximum(features.std(axis=0), 1e-6)
        bank = (features - mean) / std
        if len(bank) > options["max_bank"]:
            keep = np.random.default_rng(options["seed"]).choice(len(bank), options["max_bank"], replace=False)
            bank = bank[np.sort(keep)]
        return cls(mean.astype(np.float32), std.astype(np.float32), bank.astype(np.float32), options["k"])

    def raw_scores(self, features):
        distances, _ = self._neighbours.kneighbors((features - self.mean) / self.std)
        return distances.mean(axis=1)

    def state_dict(self, prefix):
        return {f"{prefix}.mean": self.mean, f"{prefix}.std": self.std, f"{prefix}.bank": self.bank}

    @classmethod
    def from_state(cls, state, prefix, options):
        arrays = [np.asarray(state[f"{prefix}.{key}"], np.float32) for key in ("mean", "std", "bank")]
        return cls(*arrays, options["k"])
