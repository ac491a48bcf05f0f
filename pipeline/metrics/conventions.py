"""Frame AUCs as each reference code computes them, by name, so numbers compare with the papers'.

The conventions differ in the smoothing, in what a video's scores are padded with before its
AUC, and in what single-class videos count for. Each one below is the code of its reference
re-expressed on our scores and labels dicts; its smoothing is the default (``--sigma``,
``--smoothing`` and ``--window`` override it, and the output says what was used).

* ``fastaed``: our protocol. Smoothing as the command's options say. Padded macro AUC with the
  video's own minimum and maximum (:mod:`pipeline.metrics.frame_auc`), the plain one beside it.
* ``aed-mae-avenue`` (Ristea et al., CVPR 2024, Avenue): the group's reference smoothing with
  window 38, sigma 11; NaN scores become 0; each video padded with the literal scores 0 and 1
  (labels 0 and 1) on its raw scale; macro = mean over videos ignoring NaN.
* ``aed-mae-shanghaitech`` (same code, ShanghaiTech): window 900, sigma 282; each smoothed video
  min-max normalised to [0, 1] (a constant video gives 0/0 = NaN, which becomes 0), then padded
  with 0 and 1; the micro AUC is over the normalised scores too.
* ``ai-vad`` (Reiss and Hoshen, AI-VAD): scipy's Gaussian, sigma 3, per video; each video padded
  with the score 0 and the largest float (labels 0 and 1) on its raw scale.
* ``fast-aed`` (Croitoru et al., the student's paper): reference smoothing, window 302, sigma 21;
  plain per-video AUC, where a single-class video's undefined AUC (NaN) counts as 1.0.

In every convention the micro AUC is the plain AUC over all smoothed frames concatenated.
"""
import sys
from dataclasses import dataclass
from typing import Callable

import numpy as np
from sklearn.metrics import roc_auc_score

from pipeline.errors import FastaedError
from pipeline.metrics.frame_auc import check_frame_inputs, frame_metrics
from pipeline.metrics.smoothing import REFERENCE_SIGMA, REFERENCE_WINDOW, smooth_scores


@dataclass(frozen=True)
class Convention:
    """A named evaluation convention: its default smoothing and how it turns smoothed scores into AUCs."""

    name: str
    description: str
    smoothing: str
    sigma: float
    window: int
    aucs: Callable


def _literal_padded_auc(scores, labels, top):
    return float(roc_auc_score(np.concatenate(([0], labels, [1])), np.concatenate(([0.0], scores, [top]))))


def _micro(scores, labels, videos):
    all_labels = np.concatenate([np.asarray(labels[v]) for v in videos])
    return float(roc_auc_score(all_labels, np.concatenate([scores[v] for v in videos])))


def _aed_mae(normalise):
    def aucs(scores, labels):
        videos = sorted(labels)
        prepared = {}
        for video in videos:
            values = np.asarray(scores[video], dtype=np.float64)
            if normalise:
                with np.errstate(invalid="ignore", divide="ignore"):
                    values = (values - values.min()) / (values.max() - values.min())
            prepared[video] = np.nan_to_num(values, nan=0.0)
        per_video = {v: _literal_padded_auc(prepared[v], np.asarray(labels[v]), 1.0) for v in videos}
        return {"micro_auc": _micro(prepared, labels, videos), "macro_auc": float(np.nanmean(list(per_video.values()))),
                "macro_auc_plain": None, "per_video_auc": per_video}
    return aucs


def _ai_vad(scores, labels):
    videos = sorted(labels)
    per_video = {v: _literal_padded_auc(np.asarray(scores[v], dtype=np.float64), np.asarray(labels[v]),
                                        sys.float_info.max) for v in videos}
    return {"micro_auc": _micro(scores, labels, videos), "macro_auc": float(np.mean(list(per_video.values()))),
            "macro_auc_plain": None, "per_video_auc": per_video}


def _fast_aed(scores, labels):
    videos = sorted(labels)
    per_video = {}
    for video in videos:
        video_labels = np.asarray(labels[video])
        single_class = np.unique(video_labels).size < 2
        per_video[video] = 1.0 if single_class else float(roc_auc_score(video_labels, scores[video]))
    return {"micro_auc": _micro(scores, labels, videos), "macro_auc": float(np.mean(list(per_video.values()))),
            "macro_auc_plain": None, "per_video_auc": per_video}


CONVENTIONS = {convention.name: convention for convention in (
    Convention("fastaed", "padded with each video's own min and max (plain macro beside it); smoothing as given",
               None, None, None, frame_metrics),
    Convention("aed-mae-avenue", "aed-mae's Avenue code: reference smoothing R=38 sigma=11, raw scores padded "
               "with literal 0 and 1", "reference", 11.0, 38, _aed_mae(normalise=False)),
    Convention("aed-mae-shanghaitech", "aed-mae's ShanghaiTech code: reference smoothing R=900 sigma=282, "
               "per-video min-max, then padded with 0 and 1", "reference", 282.0, 900, _aed_mae(normalise=True)),
    Convention("ai-vad", "AI-VAD's code: Gaussian sigma 3, raw scores padded with 0 and the largest float",
               "gaussian", 3.0, None, _ai_vad),
    Convention("fast-aed", "fast-aed's code: reference smoothing R=302 sigma=21, plain per-video AUC, "
               "single-class videos count 1.0", "reference", 21.0, 302, _fast_aed),
)}
DEFAULT_CONVENTION = "fastaed"


def convention_smoothing(name, sigma=None, smoothing=None, window=None, default_sigma=0.0):
    """The (smoothing, sigma, window) a convention uses: the options given, else the convention's own.

    ``default_sigma`` is the command's own default, for ``fastaed`` (which fixes none).

    Example:
        >>> convention_smoothing("fast-aed")
        ('reference', 21.0, 302)
        >>> convention_smoothing("fastaed", default_sigma=3.0)
        ('gaussian', 3.0, None)
    """
    convention = get_convention(name)
    smoothing = smoothing or convention.smoothing or "gaussian"
    own = convention.smoothing == smoothing
    if sigma is None:
        sigma = convention.sigma if own else (REFERENCE_SIGMA if smoothing == "reference" else default_sigma)
    if smoothing == "reference" and window is None:
        window = convention.window if own else REFERENCE_WINDOW
    return smoothing, float(sigma), window


def get_convention(name):
    """The :class:`Convention` called ``name``; FastaedError listing the known ones otherwise.

    Example:
        >>> get_convention("ai-vad").sigma
        3.0
    """
    if name not in CONVENTIONS:
        raise FastaedError(f"unknown convention {name!r}: use one of {', '.join(CONVENTIONS)}")
    return CONVENTIONS[name]


def convention_metrics(name, raw_scores, labels, sigma=None, smoothing=None, window=None, default_sigma=0.0):
    """Frame AUCs of ``raw_scores`` under the convention ``name``; returns (metrics dict, smoothed scores).

    The dict has ``micro_auc``, ``macro_auc``, ``macro_auc_plain`` (``fastaed`` only, else None),
    ``per_video_auc``, ``convention``, ``macro_auc_convention`` (its description), ``smoothing``,
    ``sigma`` and ``window`` (what was applied).

    Example:
        >>> labels = {"a": np.array([0, 1, 0]), "b": np.array([0, 1])}
        >>> scores = {"a": np.array([-2.0, -1.0, -3.0]), "b": np.array([2.0, 3.0])}
        >>> convention_metrics("aed-mae-avenue", scores, labels, sigma=0)[0]["per_video_auc"]
        {'a': 0.8333333333333334, 'b': 0.75}
    """
    convention = get_convention(name)
    smoothing, sigma, window = convention_smoothing(name, sigma, smoothing, window, default_sigma)
    smoothed = smooth_scores(raw_scores, sigma, smoothing, window)
    check_frame_inputs(smoothed, labels)
    result = dict(convention.aucs(smoothed, labels))
    result.update(convention=name, macro_auc_convention="padded" if name == DEFAULT_CONVENTION else
                  convention.description, smoothing=smoothing, sigma=sigma, window=window)
    return result, smoothed
