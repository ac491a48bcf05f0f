"""``SHARDS/report.json``: how good and how fast the teachers and their fusion are.

Frame score of a teacher = the maximum of its map in that frame (the calibrated score of the
frame's most anomalous object, 0 without objects), read back from the float16 shard maps the
student learns from. The teachers' fusion (:mod:`pipeline.precompute.fusion`) is calibrated on
the training shards and chosen on training video only (:mod:`pipeline.precompute.validation`:
training frames against pseudo-anomaly frames): with ``fusion="auto"`` the first listed candidate
whose validation micro AUC is within :data:`VALIDATION_TIE` of the highest, else the named one.
Its test AUCs are under ``fused``, and under ``ensemble`` as well, the name earlier reports used.

Sections: ``teachers`` and ``fused`` (test AUCs, smoothed per video with a Gaussian of ``sigma``
frames; the same unsmoothed under ``unsmoothed``), ``validation`` (per teacher and for the
fusion), ``fusion`` (the chosen fusion's parameters, how it was chosen, and every candidate's
validation AUCs and, for information only, its test AUCs), and the cost: seconds per frame in
total and by part. AUCs come from :func:`pipeline.metrics.frame_metrics`: ``macro_auc`` is the
padded convention, ``macro_auc_plain`` leaves single-class videos out.

Example:
    >>> scores = shard_frame_scores(list_shards("shards", "train") + list_shards("shards", "test")
    ...                             + list_shards("shards", "pseudo"), ["density", "autoencoder"])  # doctest: +SKIP
    >>> report = build_report(scores, dataset.frame_labels())                                     # doctest: +SKIP
    >>> report["fusion"]["name"], report["validation"]["fused"]["micro_auc"]                      # doctest: +SKIP
    ('sum@0.999', 0.83)
"""
import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError
from pipeline.metrics import frame_metrics, plot_roc_curves, smooth_scores
from pipeline.precompute.config import DEFAULT_SIGMA
from pipeline.precompute.fusion import FALLBACK, candidate_fusions
from pipeline.precompute.validation import pooled, validation_metrics
from pipeline.shards.format import PSEUDO_SPLIT
from pipeline.shards.reader import open_shard
from student.fusion import Fusion

REPORT_NAME = "report.json"
ROC_PLOT_NAME = "validation_roc.png"
FUSED = "fused"
ENSEMBLE = "ensemble"
AUTO = "auto"
VALIDATION_TIE = 0.002
"""Validation AUCs closer than this count as equal: where the pseudo-anomalies are easy, every
candidate scores about 1 and what is left of the difference is a few hundred frame pairs out of
millions, which says nothing about real anomalies; the order of the candidates decides then."""


@dataclass
class FrameScores:
    """Every frame score the report needs, read from the shards in one pass.

    ``teachers`` are the teachers' names, ``fusions`` the candidate :class:`Fusion` s (calibrated
    on the training shards), ``test`` and ``train`` map a scorer (teacher or fusion name) to
    ``{video: (T,) scores}``, ``pseudo`` maps a scorer to ``{clip: (source video, kind, (T,))}``,
    and ``timing`` is the cost read from the shards' attributes.
    """

    teachers: tuple
    fusions: tuple
    test: dict
    train: dict
    pseudo: dict
    timing: dict

    @property
    def scorers(self):
        return (*self.teachers, *(fusion.name for fusion in self.fusions))


def shard_frame_scores(shard_paths, teachers):
    """Frame scores of every teacher and every candidate fusion in every shard (train, test, pseudo).

    Example:
        >>> scores = shard_frame_scores(sorted(Path("shards").glob("*/*.h5")), ["density"])  # doctest: +SKIP
        >>> sorted(scores.test["density"])                                                    # doctest: +SKIP
        ['01', '02']
    """
    teachers = tuple(teachers)
    shards = [open_shard(path) for path in shard_paths]
    train = [shard for shard in shards if shard.split == "train"]
    maxima = {t: [] for t in teachers}
    for shard in train:
        with shard:
            for teacher in teachers:
                maxima[teacher].append(_maps(shard, teacher).max(axis=(1, 2)))
    fusions = (tuple(candidate_fusions({t: np.concatenate(m) for t, m in maxima.items()})) if train
               else (Fusion("mean_map"),))
    result = FrameScores(teachers, fusions, {}, {}, {}, _timing(shards))
    names = result.scorers
    for split in ("test", "train", PSEUDO_SPLIT):
        getattr(result, split).update({name: {} for name in names})
    for shard in shards:
        with shard:
            maps = {teacher: _maps(shard, teacher) for teacher in teachers}
        values = {teacher: maps[teacher].max(axis=(1, 2)) for teacher in teachers}
        values.update({fusion.name: fusion.frame_scores(maps) for fusion in fusions})
        for name, frame_scores in values.items():
            if shard.split == PSEUDO_SPLIT:
                result.pseudo[name][shard.video] = (shard.attrs["source_video"], shard.attrs["pseudo_kind"],
                                                    frame_scores)
            else:
                getattr(result, shard.split)[name][shard.video] = frame_scores
    return result


def build_report(scores, labels, sigma=DEFAULT_SIGMA, fusion=AUTO):
    """The report dict from :func:`shard_frame_scores`' ``scores`` and the test ``labels``.

    ``labels`` maps test video ids to 0/1 frame labels; test videos without labels are left out
    of the AUCs (all test AUCs are None when no video has labels). ``fusion`` is ``"auto"`` (the
    candidate best on the validation) or a candidate's name (``sum@0.999``, ``mean_map``, ...).

    Example:
        >>> report = build_report(shard_frame_scores(paths, ["density"]), dataset.frame_labels())  # doctest: +SKIP
        >>> report["teachers"]["density"]["micro_auc"], report["fused"] == report["ensemble"]      # doctest: +SKIP
        (0.93, True)
    """
    teachers = scores.teachers
    validation = {name: validation_metrics(scores.train[name], scores.pseudo[name], sigma) for name in scores.scorers}
    chosen = _choose(scores.fusions, validation, fusion)
    labelled = sorted(set(labels) & set(scores.test[teachers[0]]))
    tests = {key: {name: _aucs(scores.test[name], labels, labelled, smoothing) for name in scores.scorers}
             for key, smoothing in (("smoothed", sigma), ("unsmoothed", 0.0))}
    report = {
        "frame_score": "max of a teacher's map per frame; fused: the fusion named under fusion.name",
        "smoothing": {"mode": "gaussian", "sigma": sigma},
        "test_videos": len(scores.test[teachers[0]]), "labelled_test_videos": len(labelled),
    }
    sections = {key: {"teachers": {t: results[t] for t in teachers}, FUSED: results[chosen.name],
                      ENSEMBLE: results[chosen.name]} for key, results in tests.items()}
    report.update(sections["smoothed"])
    report["unsmoothed"] = sections["unsmoothed"]
    report["fusion"] = {
        **chosen.to_dict(),
        "chosen_by": _chosen_by(fusion, validation[chosen.name]),
        "candidates": {f.name: {"validation": validation[f.name], "test_for_information": tests["smoothed"][f.name]}
                       for f in scores.fusions},
    }
    report["validation"] = {
        "negatives": "frames of the training videos (cross-fitted teachers)",
        "positives": "frames of their pseudo-anomaly clips",
        "normal_frames": int(sum(len(v) for v in scores.train[teachers[0]].values())),
        "pseudo_frames": int(sum(len(v[2]) for v in scores.pseudo[teachers[0]].values())),
        "teachers": {t: validation[t] for t in teachers}, FUSED: validation[chosen.name],
    }
    report.update(scores.timing)
    return report


def plot_validation_roc(path, scores, report, sigma=DEFAULT_SIGMA):
    """Write the validation ROC curves (each teacher and the fusion) as a PNG; False when there is no
    validation (no training or no pseudo-anomaly shards), True when written.

    Example:
        >>> plot_validation_roc("shards/validation_roc.png", scores, report)   # doctest: +SKIP
        True
    """
    names = {teacher: teacher for teacher in scores.teachers}
    names[f"fused ({report['fusion']['name']})"] = report["fusion"]["name"]
    curves = {label: pooled(scores.train[name], scores.pseudo[name], sigma) for label, name in names.items()}
    if any(np.unique(labels).size < 2 for labels, _ in curves.values()):
        return False
    plot_roc_curves(path, curves, "validation: training frames against their pseudo-anomaly clips")
    return True


def write_report(path, report):
    """Write the report JSON atomically.

    Example:
        >>> write_report("shards/report.json", report)                 # doctest: +SKIP
    """
    with atomic_output(Path(path)) as tmp:
        tmp.write_text(json.dumps(report, indent=1, sort_keys=True) + "\n")


def read_fusion(shards):
    """The fusion ``SHARDS/report.json`` chose (a :class:`student.fusion.Fusion`), or None when the
    shards have no report yet. An unreadable report raises FastaedError.

    Example:
        >>> read_fusion("shards").name                                   # doctest: +SKIP
        'sum@0.999'
    """
    path = Path(shards) / REPORT_NAME
    if not path.is_file():
        return None
    try:
        return Fusion.from_dict(json.loads(path.read_text())["fusion"])
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise FastaedError(f"{path}: the teachers' fusion cannot be read ({type(error).__name__}: {error}): "
                           f"run `fastaed precompute-teachers` on these shards again to rewrite it") from error


def _maps(shard, teacher):
    return shard.read_map(teacher).astype(np.float32)


def _choose(fusions, validation, requested):
    by_name = {fusion.name: fusion for fusion in fusions}
    if requested != AUTO:
        if requested not in by_name:
            raise FastaedError(f"--fusion {requested}: not a fusion of these shards: use auto or one of "
                               f"{', '.join(by_name)}")
        return by_name[requested]
    measured = [f for f in fusions if validation[f.name]["micro_auc"] is not None]
    if not measured:
        return by_name.get(FALLBACK, fusions[0])
    best = max(validation[f.name]["micro_auc"] for f in measured)
    return next(f for f in measured if validation[f.name]["micro_auc"] >= best - VALIDATION_TIE)


def _chosen_by(requested, validation):
    if requested != AUTO:
        return "named by the user"
    if validation["micro_auc"] is None:
        return "the default: no training and pseudo-anomaly shards to validate on"
    return (f"the first candidate within {VALIDATION_TIE} of the highest validation micro AUC (training frames "
            f"against their pseudo-anomaly clips)")


def _aucs(per_video, labels, labelled, sigma):
    if not labelled:
        return {"micro_auc": None, "macro_auc": None, "macro_auc_plain": None}
    smoothed = smooth_scores({v: per_video[v] for v in labelled}, sigma)
    metrics = frame_metrics(smoothed, {v: np.asarray(labels[v]) for v in labelled})
    return {key: metrics[key] for key in ("micro_auc", "macro_auc", "macro_auc_plain")}


def _timing(shards):
    frames, seconds, parts = 0, 0.0, {}
    for shard in shards:
        frames += shard.num_frames
        seconds += shard.attrs["teacher_seconds_per_frame"] * shard.num_frames
        for part, value in json.loads(shard.attrs.get("teacher_seconds", "{}")).items():
            parts[part] = parts.get(part, 0.0) + value
    if not frames:
        return {"seconds_per_frame": None}
    return {"seconds_per_frame": seconds / frames, "frames_per_second": frames / seconds if seconds else None,
            "seconds_per_frame_by_part": {part: value / frames for part, value in sorted(parts.items())},
            "timed_frames": frames}
