"""Cross-fitting: which teachers score which video.

Training videos (sorted by id) are dealt round-robin into K folds. A training video's maps come
from teachers fitted on the other K - 1 folds and calibrated on the videos of its own fold, which
they never saw (so every fold's maps share one scale: median normal object 0, its high quantile
1); test maps come from teachers fitted on every training video (the ``ALL`` fit). That is K + 1
fits per teacher, and no training video is ever scored by a teacher that saw it.
"""
from dataclasses import dataclass

from pipeline.errors import FastaedError

ALL = -1
"""The fold number of the teachers fitted on every training video (they score the test split)."""


@dataclass(frozen=True)
class CrossFitPlan:
    """The folds of the training videos and the fit that scores each video.

    Example:
        >>> plan = make_plan(["01", "02", "03", "04", "05"], folds=2)
        >>> plan.folds
        (('01', '03', '05'), ('02', '04'))
        >>> plan.fit_videos(0), plan.fit_videos(ALL)
        (('02', '04'), ('01', '02', '03', '04', '05'))
        >>> plan.fold_scoring("train", "03"), plan.fold_scoring("test", "01")
        (0, -1)
    """

    folds: tuple

    @property
    def fits(self):
        """Every fit: the folds 0..K-1, then ``ALL``."""
        return tuple(range(len(self.folds))) + (ALL,)

    def fit_videos(self, fit):
        """Ids of the training videos that the teachers of ``fit`` learn from."""
        return tuple(sorted(v for k, fold in enumerate(self.folds) if k != fit for v in fold))

    def held_out_videos(self, fit):
        """Ids of the training videos that ``fit`` leaves out (its fold's own; none for ``ALL``).

        Example:
            >>> make_plan(["01", "02", "03"], folds=2).held_out_videos(1), make_plan(["01", "02"], 2).held_out_videos(ALL)
            (('02',), ())
        """
        return () if fit == ALL else tuple(sorted(self.folds[fit]))

    def fold_scoring(self, split, video_id):
        """The fit whose teachers score ``video_id`` of ``split``: its own fold for training videos."""
        if split == "test":
            return ALL
        for k, fold in enumerate(self.folds):
            if video_id in fold:
                return k
        raise KeyError(f"training video {video_id!r} is in no fold")


def effective_folds(requested, num_train):
    """The number of folds used: ``requested``, at most one per training video.

    Example:
        >>> effective_folds(4, 3)
        3
    """
    if requested < 2:
        raise FastaedError(f"--folds {requested}: cross-fitting needs at least 2 folds: use --folds 2 or more")
    if num_train < 2:
        raise FastaedError(f"the dataset has {num_train} training video(s); cross-fitting needs at least 2: "
                           f"add training videos")
    return min(requested, num_train)


def make_plan(train_ids, folds):
    """Deal the sorted training video ids round-robin into ``folds`` folds.

    Example:
        >>> make_plan(["b", "a", "c"], 3).folds
        (('a',), ('b',), ('c',))
    """
    ids = sorted(train_ids)
    return CrossFitPlan(tuple(tuple(ids[k::folds]) for k in range(folds)))
