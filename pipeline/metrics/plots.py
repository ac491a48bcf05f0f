"""PNG plots of an evaluation: per-video score against ground truth, and ROC curves.

Figures are drawn with matplotlib's Agg canvas directly (no pyplot, no display needed) and
written to a temporary name in the target folder, then renamed.
"""
import re

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from sklearn.metrics import roc_auc_score, roc_curve

from pipeline.atomic_files import atomic_output


def plot_video_scores(path, video_id, scores, labels):
    """Write a PNG of one video's per-frame score with its anomalous frames shaded.

    Example:
        >>> plot_video_scores("plots/scores_01.png", "01", [0.1, 0.9, 0.2], [0, 1, 0])   # doctest: +SKIP
    """
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels)
    figure = Figure(figsize=(8, 2.6), layout="constrained")
    axes = figure.add_subplot()
    frames = np.arange(len(scores))
    axes.fill_between(frames, 0, 1, where=labels == 1, step="mid", transform=axes.get_xaxis_transform(),
                      color="tab:red", alpha=0.25, linewidth=0, label="anomalous (ground truth)")
    axes.plot(frames, scores, color="tab:blue", linewidth=1.2, label="anomaly score")
    axes.set_xlim(-0.5, max(len(scores) - 0.5, 0.5))
    axes.set_xlabel("frame")
    axes.set_ylabel("score")
    axes.set_title(f"video {video_id}")
    axes.legend(loc="upper left", fontsize="small")
    _save(figure, path)


def plot_roc(path, scores, labels):
    """Write a PNG of the micro ROC curve (all videos' frames together) with its AUC.

    Example:
        >>> plot_roc("plots/roc.png", {"01": [0.1, 0.9]}, {"01": [0, 1]})   # doctest: +SKIP
    """
    videos = sorted(labels)
    all_labels = np.concatenate([np.asarray(labels[v]) for v in videos])
    all_scores = np.concatenate([np.asarray(scores[v], dtype=np.float64) for v in videos])
    false_positive_rate, true_positive_rate, _ = roc_curve(all_labels, all_scores)
    figure = Figure(figsize=(4.5, 4.5), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(false_positive_rate, true_positive_rate, color="tab:blue",
              label=f"micro AUC {roc_auc_score(all_labels, all_scores):.4f}")
    _frame_roc_axes(axes)
    axes.legend(loc="lower right")
    _save(figure, path)


def plot_roc_curves(path, curves, title):
    """Write a PNG of several ROC curves on one axes, ``curves`` = {name: (labels, scores)}, each with its AUC.

    Example:
        >>> plot_roc_curves("validation_roc.png", {"density": ([0, 1], [0.2, 0.7])}, "validation")  # doctest: +SKIP
    """
    figure = Figure(figsize=(5, 5), layout="constrained")
    axes = figure.add_subplot()
    for name, (labels, scores) in curves.items():
        false_positive_rate, true_positive_rate, _ = roc_curve(labels, scores)
        axes.plot(false_positive_rate, true_positive_rate, linewidth=1.2,
                  label=f"{name} (AUC {roc_auc_score(labels, scores):.3f})")
    _frame_roc_axes(axes)
    axes.set_title(title, fontsize="medium")
    axes.legend(loc="lower right", fontsize="small")
    _save(figure, path)



def _frame_roc_axes(axes):
    """The chance diagonal, limits and labels every frame-level ROC plot shares."""
    axes.plot([0, 1], [0, 1], color="grey", linestyle=":", linewidth=1)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.01)
    axes.set_xlabel("false positive rate (frames)")
    axes.set_ylabel("true positive rate (frames)")

def plot_file_names(video_ids):
    """A safe, distinct PNG file name for each video id (nothing can point outside the folder).

    Example:
        >>> plot_file_names(["01", "../x", "a b"])
        {'01': 'scores_01.png', '../x': 'scores_.._x.png', 'a b': 'scores_a_b.png'}
    """
    names, used = {}, set()
    for video in video_ids:
        stem = "scores_" + re.sub(r"[^A-Za-z0-9._-]", "_", str(video))
        name, count = f"{stem}.png", 1
        while name in used:
            count += 1
            name = f"{stem}_{count}.png"
        used.add(name)
        names[video] = name
    return names


def _save(figure, path):
    FigureCanvasAgg(figure)
    with atomic_output(path) as temporary:
        figure.savefig(temporary, format="png", dpi=100)
