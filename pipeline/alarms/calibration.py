"""The distribution of smoothed frame scores on normal video, and the alarm threshold it gives.

A calibration is a dict of plain values stored in the student checkpoint (key ``calibration``):
``quantiles`` (:data:`NUM_QUANTILES` values, the 0, 0.001, ..., 1 quantiles of the smoothed
frame scores of normal video), ``causal_sigma`` (the causal smoothing those scores had, the one
`fastaed score` applies), ``num_frames``, ``num_videos``, ``videos`` and ``source`` (what the
footage was). The threshold for a false-alarm rate F is the (1 - F) quantile: on footage like the
calibration's, a fraction F of normal frames scores above it.
"""
import math

import numpy as np

from pipeline.errors import FastaedError

NUM_QUANTILES = 1001
"""Quantiles stored: levels 0, 0.001, ..., 1, so rates down to 0.001 are read off without loss."""
DEFAULT_CALIBRATION_SIGMA = 3.0
"""Causal smoothing (frames) of the calibrated scores: single-frame spikes rarely cross the threshold."""
CALIBRATE_COMMAND = "fastaed calibrate --checkpoint CKPT --dataset ROOT"


def calibration_from_scores(raw_scores, causal_sigma=DEFAULT_CALIBRATION_SIGMA, source="", videos=()):
    """A calibration from the raw frame scores of normal videos (a list of 1-D arrays, one per video).

    Each video is smoothed on its own with the causal Gaussian `score` uses
    (:func:`~pipeline.evaluation.causal_smoothing.causal_smoothed`), then all frames are pooled.

    Example:
        >>> calibration = calibration_from_scores([np.zeros(10), np.ones(10)], causal_sigma=0)
        >>> calibration["num_frames"], calibration["quantiles"][0], calibration["quantiles"][-1]
        (20, 0.0, 1.0)
    """
    from pipeline.evaluation.causal_smoothing import causal_smoothed

    smoothed = [causal_smoothed(scores, causal_sigma) for scores in raw_scores]
    pooled = np.concatenate(smoothed) if smoothed else np.zeros(0)
    if pooled.size == 0:
        raise FastaedError("no normal frames to calibrate on: give normal videos with at least one frame")
    if not np.isfinite(pooled).all():
        raise FastaedError("the student gave non-finite scores on the calibration video: its checkpoint is broken; "
                           "train it again")
    quantiles = np.quantile(pooled, np.linspace(0.0, 1.0, NUM_QUANTILES))
    return {"quantiles": [float(value) for value in quantiles], "causal_sigma": float(causal_sigma),
            "num_frames": int(pooled.size), "num_videos": len(smoothed), "videos": [str(v) for v in videos],
            "source": str(source)}


def calibrate_on_videos(model, videos, causal_sigma=DEFAULT_CALIBRATION_SIGMA, source="", batch_size=64,
                        progress=True):
    """Score normal videos with the student as `score` does and return their calibration.

    ``videos`` is a list of ``(video id, iterable of (H, W) uint8 frames, frame count or None)``;
    frames are read one video at a time, within the student's bounded streaming window.

    Example:
        >>> calibrate_on_videos(model, [("01", frames, len(frames))], source="normal footage")  # doctest: +SKIP
    """
    from tqdm import tqdm

    from pipeline.evaluation.inference import stream_frame_scores

    raw = []
    with tqdm(total=sum(count or 0 for _, _, count in videos) or None, unit="frame", desc="calibrate",
              disable=not progress, dynamic_ncols=True) as bar:
        for _, frames, _ in videos:
            scores = []
            for item in stream_frame_scores(model, frames, batch_size):
                scores.append(item.score)
                bar.update(1)
            raw.append(np.asarray(scores, dtype=np.float64))
    return calibration_from_scores(raw, causal_sigma, source, [video for video, _, _ in videos])


def read_calibration(checkpoint):
    """The calibration stored in a student checkpoint, or None; a bad checkpoint is a FastaedError.

    Example:
        >>> read_calibration("run/student.pt")["causal_sigma"]        # doctest: +SKIP
        3.0
    """
    from student import load_checkpoint

    try:
        return load_checkpoint(checkpoint).get("calibration")
    except FileNotFoundError:
        raise FastaedError(f"checkpoint {checkpoint} does not exist: give the student.pt that train-student wrote "
                           "(RUN/student.pt)") from None
    except ValueError as error:
        raise FastaedError(str(error)) from None


def write_calibration(checkpoint, calibration):
    """Store ``calibration`` in the checkpoint (rewritten atomically, the rest kept).

    Example:
        >>> write_calibration("run/student.pt", calibration_from_scores([np.zeros(5)]))   # doctest: +SKIP
    """
    from student import save_calibration

    save_calibration(checkpoint, calibration)


def check_calibration(calibration, checkpoint):
    """The calibration of ``checkpoint`` (a dict as stored), FastaedError naming `fastaed calibrate` if absent.

    Example:
        >>> check_calibration(None, "run/student.pt")
        Traceback (most recent call last):
        ...
        pipeline.errors.FastaedError: checkpoint run/student.pt holds no calibration on normal footage, so no \
false-alarm rate can be turned into a threshold: run `fastaed calibrate --checkpoint CKPT --dataset ROOT` on normal \
video first, or give --threshold
    """
    quantiles = calibration.get("quantiles") if isinstance(calibration, dict) else None
    if not quantiles or len(quantiles) != NUM_QUANTILES:
        raise FastaedError(f"checkpoint {checkpoint} holds no calibration on normal footage, so no false-alarm rate "
                           f"can be turned into a threshold: run `{CALIBRATE_COMMAND}` on normal video first, "
                           f"or give --threshold")
    return calibration


def threshold_for_rate(calibration, rate):
    """The score above which a fraction ``rate`` of the calibration's normal frames lie (its 1 - rate quantile).

    Rates below ``1 / num_frames`` cannot be resolved by the footage and give its maximum.

    Example:
        >>> threshold_for_rate({"quantiles": list(np.linspace(0, 1, NUM_QUANTILES))}, 0.25)
        0.75
    """
    check_rate(rate)
    quantiles = np.asarray(calibration["quantiles"], dtype=np.float64)
    return float(np.interp(1.0 - rate, np.linspace(0.0, 1.0, quantiles.size), quantiles))


def check_rate(rate):
    """FastaedError unless ``rate`` is a fraction strictly between 0 and 1.

    Example:
        >>> check_rate(0.01)
    """
    if not (math.isfinite(rate) and 0 < rate < 1):
        raise FastaedError(f"--false-alarm-rate {rate}: give the fraction of normal frames allowed to alarm, "
                           f"strictly between 0 and 1 (0.01 = one frame in a hundred)")


def describe(calibration):
    """One line on where a calibration comes from.

    Example:
        >>> describe({"num_frames": 120, "num_videos": 2, "causal_sigma": 3.0, "source": "held-out frames"})
        'calibrated on 120 normal frames of 2 videos (held-out frames), causal sigma 3'
    """
    return (f"calibrated on {calibration['num_frames']} normal frames of {calibration['num_videos']} videos "
            f"({calibration['source']}), causal sigma {calibration['causal_sigma']:g}")
