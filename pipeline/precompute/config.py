"""The precomputation's configuration and its hash: what decides the content of every shard.

The hash covers the canonical JSON (sorted keys, no spaces) of: the shard format version, the
fastaed version (so that a release with other teachers does not resume old shards), the dataset's name and fingerprint (every video's split, id, length, frame size and sampled pixels),
the detector, its options and the fingerprint of the files it reads (the SHA-256 of the box files of
``--detector boxes``), the teachers and their options (in map order), the number of
cross-fitting folds, the pseudo-anomaly kinds, the score-linking radius, the student frame size stored in the shards, the map cell and the seed.
Paths, worker counts, the scheduler and the report's smoothing do not change shards and are left out.
"""
import hashlib
import importlib.metadata
import json
from dataclasses import dataclass, field

from pipeline.shards.format import FORMAT_VERSION, MAP_CELL

SEED = 0
DEFAULT_TEACHERS = ("density", "autoencoder")
DEFAULT_FOLDS = 4
DEFAULT_DETECTOR = "foreground"
DEFAULT_LINK_RADIUS = 4
DEFAULT_PSEUDO_ANOMALIES = ("skip2", "skip4", "reverse", "patch", "cross")
"""Pseudo-anomaly clips made from each training video (:mod:`pipeline.precompute.pseudo`)."""
DEFAULT_SIGMA = 3.0
"""Gaussian smoothing (in frames) of the frame scores in report.json."""


@dataclass(frozen=True)
class PrecomputeOptions:
    """What the user chose: detector, teachers, folds, the student frame size (H, W), and the
    radius (in frames) over which each object's score is replaced by the median of its linked
    boxes (``teachers.link_and_smooth``; 0 turns it off).

    Example:
        >>> PrecomputeOptions(frame_size=(80, 120)).teachers
        ('density', 'autoencoder')
    """

    frame_size: tuple
    detector: str = DEFAULT_DETECTOR
    detector_options: dict = field(default_factory=dict)
    teachers: tuple = DEFAULT_TEACHERS
    teacher_options: dict = field(default_factory=dict)
    folds: int = DEFAULT_FOLDS
    link_radius: int = DEFAULT_LINK_RADIUS
    pseudo_anomalies: tuple = DEFAULT_PSEUDO_ANOMALIES

    def options_of(self, teacher):
        """The options ``teacher`` is built with (empty when none were given).

        Example:
            >>> PrecomputeOptions((8, 8), teacher_options={"density": {"k": 3}}).options_of("density")
            {'k': 3}
        """
        return dict(self.teacher_options.get(teacher, {}))


def canonical_json(value):
    """JSON with sorted keys and no whitespace, so equal configurations give equal text.

    Example:
        >>> canonical_json({"b": 1, "a": [1, 2]})
        '{"a":[1,2],"b":1}'
    """
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=True)


def short_hash(value):
    """The first 16 hex digits of the SHA-256 of ``value``'s canonical JSON.

    Example:
        >>> short_hash({"a": 1}) == short_hash({"a": 1}) != short_hash({"a": 2})
        True
    """
    return hashlib.sha256(canonical_json(value).encode()).hexdigest()[:16]


def config_document(options, dataset_name, dataset_fingerprint, folds, detector_inputs=None):
    """The JSON-able configuration that :func:`short_hash` turns into the shards' ``config_hash``.

    ``folds`` is the number of folds actually used (at most the number of training videos);
    ``detector_inputs`` is the detector's input fingerprint (``Detector.input_fingerprint``), left
    out when None so that detectors reading no files keep their hashes.

    Example:
        >>> doc = config_document(PrecomputeOptions((80, 120)), "synthetic", "ab12", folds=4)
        >>> doc["frame_size"], doc["format_version"]
        ([80, 120], 1)
    """
    detector = {"name": options.detector, "options": dict(options.detector_options)}
    if detector_inputs is not None:
        detector["inputs"] = detector_inputs
    return {
        "format_version": FORMAT_VERSION,
        "fastaed_version": _package_version(),
        "dataset": {"name": dataset_name, "fingerprint": dataset_fingerprint},
        "detector": detector,
        "teachers": [{"name": t, "options": options.options_of(t)} for t in options.teachers],
        "folds": folds,
        "fold_calibration": "held-out fold videos",
        "pseudo_anomalies": list(options.pseudo_anomalies),
        "link_radius": options.link_radius,
        "frame_size": list(options.frame_size),
        "map_cell": MAP_CELL,
        "seed": SEED,
    }


def features_key(document, video_fingerprint):
    """Hash of what one video's detections and teacher features depend on (the per-video cache key).

    Folds and the student frame size are left out, so changing them reuses the cached features.

    Example:
        >>> doc = config_document(PrecomputeOptions((80, 120)), "s", "ab", folds=4)
        >>> features_key(doc, "v1") == features_key({**doc, "folds": 2, "frame_size": [64, 96]}, "v1")
        True
    """
    return short_hash({"format_version": document["format_version"], "fastaed_version": document["fastaed_version"],
                       "detector": document["detector"],
                       "teachers": document["teachers"], "seed": document["seed"], "video": video_fingerprint})


def changed_fields(old, new):
    """Top-level configuration fields that differ between two documents, for error messages.

    Example:
        >>> changed_fields({"folds": 4, "seed": 0}, {"folds": 3, "seed": 0})
        ['folds']
    """
    return sorted(key for key in set(old) | set(new) if old.get(key) != new.get(key))


def _package_version():
    try:
        return importlib.metadata.version("fastaed")
    except importlib.metadata.PackageNotFoundError:
        return "unknown"
