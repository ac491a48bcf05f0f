"""Validation on training video only: how well a frame score tells normal frames from pseudo-anomalies.

Negatives are the frames of the training shards, each scored by the teachers of the fold that
left its video out (cross-fitting); positives are the frames of the pseudo-anomaly clips made
from those videos (:mod:`pipeline.precompute.pseudo`), scored by the same teachers. No test
video, no test label. Scores are smoothed per video (``sigma`` frames, Gaussian) as for the test
AUCs, then:

- ``micro_auc``: ROC AUC over every normal and every pseudo-anomaly frame pooled;
- ``macro_auc``: the mean over source videos of the AUC of a video's own frames against its clips;
- ``by_kind``: micro AUC of all normal frames against the clips of one kind.

The pooled AUCs leave out the kinds of :data:`SCENE_DEPENDENT_KINDS` (they are still under
``by_kind``) unless there is nothing else: a reversed clip is anomalous only where people move one
way, and on a two-way path it is normal video, so counting it as a positive would reward the
teachers, and the fusion chosen on this validation, for alarming on normal motion.

Example:
    >>> import numpy as np
    >>> normal = {"01": np.array([0.0, 0.1, 0.2]), "02": np.array([0.1, 0.3, 0.2])}
    >>> pseudo = {"01-skip4": ("01", "skip4", np.array([0.5, 0.4])), "02-skip4": ("02", "skip4", np.array([0.25]))}
    >>> round(validation_metrics(normal, pseudo, sigma=0)["macro_auc"], 4)  # (1 + 2/3) / 2
    0.8333
"""
import numpy as np
from sklearn.metrics import roc_auc_score

from pipeline.metrics import smooth_scores

SCENE_DEPENDENT_KINDS = ("reverse",)
"""Pseudo-anomaly kinds that are anomalous on some scenes and normal on others."""


def validation_metrics(normal, pseudo, sigma):
    """``{"micro_auc", "macro_auc", "by_kind"}`` of one frame score (None where a class is missing).

    ``normal`` maps training video ids to (T,) frame scores, ``pseudo`` maps clip ids to
    ``(source video, kind, (T,) frame scores)``.

    Example:
        >>> validation_metrics({"01": np.zeros(3)}, {}, sigma=0)["micro_auc"] is None
        True
    """
    normal, pseudo = _smoothed(normal, pseudo, sigma)
    labels, scores = pooled(normal, pseudo, sigma=0)
    positives = _pooled_positives(pseudo)
    per_source = []
    for video in sorted(normal):
        clips = [s for source, _, s in positives.values() if source == video]
        if clips:
            per_source.append(_auc(np.concatenate([np.zeros(len(normal[video])), np.ones(sum(map(len, clips)))]),
                                   np.concatenate([normal[video], *clips])))
    kinds = sorted({kind for _, kind, _ in pseudo.values()})
    by_kind = {kind: _auc(*pooled(normal, {c: v for c, v in pseudo.items() if v[1] == kind}, sigma=0))
               for kind in kinds}
    return {"micro_auc": _auc(labels, scores),
            "macro_auc": float(np.mean(per_source)) if per_source else None,
            "by_kind": by_kind}


def pooled(normal, pseudo, sigma):
    """(labels, scores) of every frame, normal frames 0 and pseudo-anomaly frames 1, smoothed per video;
    the clips of :data:`SCENE_DEPENDENT_KINDS` count only when there are no others.

    Example:
        >>> pooled({"01": np.array([0.1, 0.2])}, {"01-reverse": ("01", "reverse", np.array([0.9]))}, 0)[0].tolist()
        [0.0, 0.0, 1.0]
        >>> clips = {"01-reverse": ("01", "reverse", np.array([0.9])), "01-skip2": ("01", "skip2", np.array([0.8]))}
        >>> pooled({"01": np.array([0.1])}, clips, 0)[1].tolist()
        [0.1, 0.8]
    """
    normal, pseudo = _smoothed(normal, pseudo, sigma)
    pseudo = _pooled_positives(pseudo)
    negatives = [normal[v] for v in sorted(normal)]
    positives = [pseudo[c][2] for c in sorted(pseudo)]
    labels = np.concatenate([np.zeros(sum(map(len, negatives))), np.ones(sum(map(len, positives)))])
    return labels, np.concatenate([*negatives, *positives]) if labels.size else np.zeros(0)


def _pooled_positives(pseudo):
    kept = {clip: value for clip, value in pseudo.items() if value[1] not in SCENE_DEPENDENT_KINDS}
    return kept or pseudo


def _smoothed(normal, pseudo, sigma):
    normal = smooth_scores(normal, sigma)
    clips = smooth_scores({clip: scores for clip, (_, _, scores) in pseudo.items()}, sigma)
    return normal, {clip: (source, kind, clips[clip]) for clip, (source, kind, _) in pseudo.items()}


def _auc(labels, scores):
    if np.unique(labels).size < 2:
        return None
    return float(roc_auc_score(labels, scores))
