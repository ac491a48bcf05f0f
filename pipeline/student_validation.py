"""Label-free validation of the student's recipe: train on some training videos, judge on the others.

Some training videos are left out of the student's training, with the pseudo-anomaly clips made
from them. The student trained on the rest scores those videos (normal footage it never saw) and
their clips (abnormal on purpose); the teachers' fusion scores the same frames from their maps in
the shards, which cross-fitted teachers wrote without seeing those videos either. Reported, with
the frame scores smoothed as for the test AUCs:

- ``student`` and ``teachers``: the validation AUCs of :mod:`pipeline.precompute.validation`
  (normal frames against pseudo-anomaly frames; micro, macro, per kind);
- ``relative_micro_auc``: the student's validation micro AUC over the teachers' (what the product
  promises on test video: a student as good as its teachers);
- ``rank_correlation``: Spearman's correlation of the student's and the teachers' frame scores
  over every held-out frame (how closely the student follows its teachers, anomalies or not).

No test video and no test label is read, so a recipe (epochs, weights, sizes) can be chosen on it.

Example:
    >>> held_out_videos(["01", "02", "03", "04", "05", "06", "07", "08"], 0.25)
    ['03', '07']
"""
import math

import numpy as np
from scipy.stats import spearmanr

from pipeline.errors import FastaedError
from pipeline.metrics import plot_roc_curves, smooth_scores
from pipeline.precompute.validation import pooled, validation_metrics
from pipeline.shards import open_shards
from pipeline.shards.format import PSEUDO_SPLIT
from pipeline.training_data import SPLIT
from student.fusion import Fusion, scoring_fusion

def held_out_videos(videos, fraction):
    """The training videos to leave out: ``ceil(fraction * n)`` of the ``n`` (at least one, at most
    ``n - 1``), spread evenly over the sorted list so that no stretch of the recording is favoured.

    Example:
        >>> held_out_videos(["a", "b", "c"], 0.1), held_out_videos(["a", "b"], 0.9)
        (['b'], ['b'])
    """
    videos = sorted(videos)
    if len(videos) < 2:
        raise FastaedError(f"{len(videos)} training video(s): validating the student needs at least 2, one to "
                           f"train on and one to leave out")
    if not 0 < fraction < 1:
        raise FastaedError(f"--held-out {fraction}: give the share of training videos to leave out, in (0, 1)")
    count = min(len(videos) - 1, max(1, math.ceil(fraction * len(videos))))
    return [videos[int((i + 0.5) * len(videos) / count)] for i in range(count)]


def validate_checkpoint(checkpoint, shards, videos, sigma, device="cpu", batch_size=64, progress=True):
    """Score the held-out training ``videos`` of ``shards`` and their pseudo-anomaly clips with the
    student ``checkpoint`` and with the teachers' fusion; return ``(report, curves)``: the report
    of the module docstring and ``{label: (labels, scores)}`` for :func:`plot_validation`.

    Example:
        >>> report, curves = validate_checkpoint("val/student.pt", "shards", ["02", "06"], sigma=3)  # doctest: +SKIP
        >>> round(report["relative_micro_auc"], 3)                                                    # doctest: +SKIP
        0.991
    """
    from tqdm import tqdm

    from pipeline.evaluation.inference import load_inference_student, stream_frame_scores

    model = load_inference_student(checkpoint, device, batch_size=batch_size)
    teachers = list(model.config["teachers"])
    fusion = scoring_fusion(model.config) or Fusion("mean_map")
    wanted = set(videos)
    held_out = [shard for shard in open_shards(shards, SPLIT, require_complete=False) if shard.video in wanted]
    held_out += [shard for shard in open_shards(shards, PSEUDO_SPLIT, require_complete=False)
                 if shard.attrs.get("source_video") in wanted]
    normal, pseudo = {"student": {}, "teachers": {}}, {"student": {}, "teachers": {}}
    for shard in tqdm(held_out, desc="validating", unit="video", disable=not progress):
        frames = np.asarray(shard.read_frames())
        maps = {teacher: shard.read_map(teacher).astype(np.float32) for teacher in teachers}
        shard.close()
        scored = {"student": np.array([item.score for item in stream_frame_scores(model, iter(frames), batch_size)]),
                  "teachers": fusion.frame_scores(maps)}
        for scorer, values in scored.items():
            if shard.split == SPLIT:
                normal[scorer][shard.video] = values
            else:
                pseudo[scorer][shard.video] = (shard.attrs["source_video"], shard.attrs["pseudo_kind"], values)
    return _report(normal, pseudo, videos, fusion, sigma), {
        f"student ({model.config.get('size', 'student')})": pooled(normal["student"], pseudo["student"], sigma),
        f"teachers ({fusion.name})": pooled(normal["teachers"], pseudo["teachers"], sigma)}


def plot_validation(path, curves):
    """Write the ROC curves of the student and its teachers on the held-out videos as a PNG.

    Example:
        >>> plot_validation("val/validation_roc.png", curves)                 # doctest: +SKIP
    """
    plot_roc_curves(path, curves, "held-out training videos against their pseudo-anomaly clips")


def _report(normal, pseudo, videos, fusion, sigma):
    if not any(pseudo["student"].values()):
        raise FastaedError("the held-out training videos have no pseudo-anomaly clips in the shards: precompute "
                           "them (`fastaed precompute-teachers --pseudo-anomalies ...`) to validate the student")
    metrics = {scorer: validation_metrics(normal[scorer], pseudo[scorer], sigma) for scorer in normal}
    smoothed = {scorer: _all_frames(normal[scorer], pseudo[scorer], sigma) for scorer in normal}
    student, teachers = metrics["student"]["micro_auc"], metrics["teachers"]["micro_auc"]
    return {"held_out_videos": sorted(videos), "sigma": sigma,
            "normal_frames": int(sum(map(len, normal["student"].values()))),
            "pseudo_frames": int(sum(len(v[2]) for v in pseudo["student"].values())),
            "student": metrics["student"], "teachers": {**metrics["teachers"], "fusion": fusion.name},
            "relative_micro_auc": student / teachers if student is not None and teachers else None,
            "rank_correlation": float(spearmanr(smoothed["student"], smoothed["teachers"]).statistic)}


def _all_frames(normal, pseudo, sigma):
    clips = {clip: scores for clip, (_, _, scores) in pseudo.items()}
    return np.concatenate([*smooth_scores(normal, sigma).values(), *smooth_scores(clips, sigma).values()])
