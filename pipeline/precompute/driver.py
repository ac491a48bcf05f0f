"""The precomputation end to end: plan, resume, run the tasks on dask, keep the manifest, report.

Task graph (one task per box; shards wait only for what they need)::

    extract_features(video)  ──►  fit_teacher(fit, teacher)  ──►  write_video_shard(video)
      one per video                 K folds + "all", per teacher     one per video
                                    (a fold's fit also reads its own
                                     videos, to calibrate on them)

Shards have the highest dask priority and fits the next, so complete shards appear as early as
possible and an interrupted run has lost as little as it can. The manifest is rewritten by this
(client) process as shard tasks finish (at most once a second); nothing else is shared between
tasks but files.
"""
import sys
import time
import uuid
from pathlib import Path

from tqdm import tqdm

from pipeline.datasets import open_dataset
from pipeline.errors import FastaedError
from pipeline.precompute import tasks
from pipeline.precompute.cluster import dask_client
from pipeline.precompute.config import DEFAULT_SIGMA, config_document, features_key, short_hash
from pipeline.precompute.feature_cache import cache_path, cached_key
from pipeline.precompute.fingerprint import dataset_fingerprint, video_fingerprint
from pipeline.precompute.lock import shards_lock
from pipeline.precompute.plan import effective_folds, make_plan
from pipeline.precompute.pseudo import PseudoClip, pseudo_clips
from pipeline.precompute.report import (
    AUTO,
    REPORT_NAME,
    ROC_PLOT_NAME,
    build_report,
    plot_validation_roc,
    shard_frame_scores,
    write_report,
)
from pipeline.precompute.resume import remove_temporaries, survey
from pipeline.precompute.teacher_store import fit_seconds, is_saved, teacher_path
from pipeline.shards import format as fmt
from pipeline.shards.manifest import write_manifest

PRIORITY = {"features": 0, "fit": 1, "shard": 2}
MANIFEST_INTERVAL_S = 1.0
"""At most one manifest rewrite per this many seconds; a shard finished but not yet listed when
the run dies is validated and listed (not recomputed) by the next run."""


def precompute_teachers(dataset_root, out, options, workers=None, scheduler=None, overwrite=False,
                        sigma=DEFAULT_SIGMA, fusion=AUTO, log=None, progress=True):
    """Write every shard of ``dataset_root`` under ``out`` (resuming), then ``report.json`` and its
    validation ROC plot; return the report.

    ``options`` is a :class:`pipeline.precompute.config.PrecomputeOptions`. ``fusion`` names the
    teachers' fusion of the report (``auto``: chosen on the validation, see
    :mod:`pipeline.precompute.report`). ``log`` takes one line per notable decision (default: stderr).

    Example:
        >>> from pipeline.precompute.config import PrecomputeOptions
        >>> report = precompute_teachers("data/synthetic", "data/shards",
        ...                              PrecomputeOptions(frame_size=(80, 120)), workers=2)  # doctest: +SKIP
        >>> report["fused"]["micro_auc"]                                                     # doctest: +SKIP
        0.97
    """
    started = time.perf_counter()
    log = log or (lambda line: tqdm.write(f"fastaed: {line}", file=sys.stderr))
    root, out = Path(dataset_root).resolve(), Path(out).resolve()
    dataset = open_dataset(root)
    detector_inputs = check_buildable(options, {split: {v.id: (len(v), tuple(v.frame_size)) for v in videos}
                                                for split, videos in (("train", dataset.train), ("test", dataset.test))})
    videos = {fmt.shard_relpath(v.split, v.id): v for v in (*dataset.train, *dataset.test)}
    clips = {fmt.shard_relpath(c.split, c.id): c for c in pseudo_clips(dataset.train, options.pseudo_anomalies)}
    folds = effective_folds(options.folds, len(dataset.train))
    if folds < options.folds:
        log(f"--folds {options.folds} but {len(dataset.train)} training videos: using {folds} folds")
    plan = make_plan([v.id for v in dataset.train], folds)
    fingerprints = {relpath: video_fingerprint(video)
                    for relpath, video in tqdm(videos.items(), desc="fingerprints", unit="video",
                                               disable=None if progress else True, leave=False)}
    fingerprints.update({relpath: clip.fingerprint(fingerprints[fmt.shard_relpath("train", clip.source_id)])
                         for relpath, clip in clips.items()})
    videos.update(clips)
    document = config_document(options, dataset.name, dataset_fingerprint(fingerprints), folds,
                               detector_inputs=detector_inputs)
    config_hash = short_hash(document)
    with shards_lock(out):
        manifest, todo = survey(out, document, config_hash, list(videos), overwrite, log)
        write_manifest(out, manifest)
        if todo:
            graph = _TaskGraph(root, out, options, plan, document, config_hash, dataset.name, videos, fingerprints)
            graph.add_shards(todo)
            try:
                with dask_client(workers, scheduler, shared_paths=(root, out)) as client:
                    graph.run(client, manifest, progress)
            finally:
                # of tasks stopped part-way: by an error, a dying worker, or the cluster's shutdown
                remove_temporaries(out)
        scores = shard_frame_scores([out / r for r in sorted(manifest["shards"])], options.teachers)
        report = build_report(scores, dataset.frame_labels(), sigma, fusion)
        report["config_hash"] = config_hash
        report["fit_seconds"] = fit_seconds(out, options.teachers)
        report["wall_seconds"] = time.perf_counter() - started
        report["validation"]["roc_plot"] = (ROC_PLOT_NAME if plot_validation_roc(out / ROC_PLOT_NAME, scores, report,
                                                                                 sigma) else None)
        write_report(out / REPORT_NAME, report)
    return report


def check_buildable(options, videos=None):
    """Build the detector and every teacher once, here, so that a bad name or option fails in one
    line before any worker starts (a ValueError from ``teachers`` becomes a FastaedError).

    With ``videos`` ({split: {video id: (frames, (H, W))}}) the detector also checks that it can
    serve them (one that reads boxes from files checks every row). Returns the detector's input
    fingerprint (None for a detector that reads no files of its own).

    Example:
        >>> from pipeline.precompute.config import PrecomputeOptions
        >>> check_buildable(PrecomputeOptions((80, 120), teachers=("density",),
        ...                                   detector_options={"nope": 1}))  # doctest: +ELLIPSIS
        Traceback (most recent call last):
        ...
        pipeline.errors.FastaedError: --detector foreground: detector 'foreground' has no option 'nope': its options are ...
    """
    from teachers import build_detector, build_teacher

    try:
        detector = build_detector(options.detector, **options.detector_options)
        if videos is not None:
            detector.check_videos(videos)
        fingerprint = detector.input_fingerprint()
    except ValueError as error:
        raise FastaedError(f"--detector {options.detector}: {error}") from None
    for teacher in options.teachers:
        try:
            build_teacher(teacher, **options.options_of(teacher))
        except ValueError as error:
            raise FastaedError(f"--teachers {teacher}: {error}") from None
    return fingerprint


class _TaskGraph:
    """The jobs still needed for a set of shards, and their submission to dask."""

    def __init__(self, root, out, options, plan, document, config_hash, dataset_name, videos, fingerprints):
        self.root, self.out, self.options, self.plan = root, out, options, plan
        self.document, self.config_hash, self.dataset_name = document, config_hash, dataset_name
        self.videos, self.fingerprints = videos, fingerprints
        self.features, self.fits, self.shards = {}, {}, {}
        self.token = uuid.uuid4().hex[:8]

    def add_shards(self, relpaths):
        for relpath in relpaths:
            video = self.videos[relpath]
            fit = (self.plan.fold_scoring("train", video.source_id) if isinstance(video, PseudoClip)
                   else self.plan.fold_scoring(video.split, video.id))
            for teacher in self.options.teachers:
                self._add_fit(fit, teacher)
            self._add_features(relpath)
            self.shards[relpath] = tasks.ShardJob(
                video=self._ref(relpath), cache=str(self._cache(relpath)), key=self._key(relpath),
                teachers=tuple(self.options.teachers),
                teacher_files=tuple(str(teacher_path(self.out, fit, t)) for t in self.options.teachers),
                out=str(self.out / relpath), frame_size=tuple(self.options.frame_size),
                link_radius=self.options.link_radius,
                attrs={"dataset": self.dataset_name, "video": video.id, "split": video.split,
                       "config_hash": self.config_hash, "source_fingerprint": self.fingerprints[relpath],
                       "fold": fit, **(video.attrs if isinstance(video, PseudoClip) else {})})

    def run(self, client, manifest, progress):
        """Submit every job, record each finished shard in the manifest; cancel the rest on error."""
        futures = {}
        for relpath, job in self.features.items():
            futures[relpath, "features"] = self._submit(client, tasks.extract_features, job, (), "features", relpath)
        for (fit, teacher), job in self.fits.items():
            needed = self._train_relpaths(fit) + self._held_out_relpaths(fit)
            upstream = [futures[r, "features"] for r in needed if (r, "features") in futures]
            futures[(fit, teacher), "fit"] = self._submit(client, tasks.fit_teacher, job, upstream, "fit",
                                                          f"{fit}-{teacher}")
        for relpath, job in self.shards.items():
            fit = job.attrs["fold"]
            upstream = [futures[(fit, t), "fit"] for t in self.options.teachers if ((fit, t), "fit") in futures]
            if (relpath, "features") in futures:
                upstream.append(futures[relpath, "features"])
            futures[relpath, "shard"] = self._submit(client, tasks.write_video_shard, job, upstream, "shard", relpath)
        _wait_and_record(client, futures, manifest, self.out, progress)

    def _submit(self, client, function, job, upstream, kind, name):
        return client.submit(function, job, *upstream, key=f"{kind}-{name}-{self.token}", pure=False,
                             priority=PRIORITY[kind])

    def _add_fit(self, fit, teacher):
        path = teacher_path(self.out, fit, teacher)
        if (fit, teacher) in self.fits or is_saved(path, self.config_hash):
            return
        train, held_out = self._train_relpaths(fit), self._held_out_relpaths(fit)
        for relpath in train + held_out:
            self._add_features(relpath)
        self.fits[fit, teacher] = tasks.FitJob(
            fit=fit, teacher=teacher, options=self.options.options_of(teacher),
            videos=tuple(self.videos[r].id for r in train), caches=tuple(str(self._cache(r)) for r in train),
            keys=tuple(self._key(r) for r in train), out=str(path), config_hash=self.config_hash,
            held_out=tuple((self.videos[r].id, str(self._cache(r)), self._key(r)) for r in held_out))

    def _add_features(self, relpath):
        if relpath in self.features or cached_key(self._cache(relpath)) == self._key(relpath):
            return
        self.features[relpath] = tasks.FeatureJob(
            video=self._ref(relpath), cache=str(self._cache(relpath)), key=self._key(relpath),
            detector=self.options.detector, detector_options=dict(self.options.detector_options),
            teachers=tuple((t, self.options.options_of(t)) for t in self.options.teachers))

    def _train_relpaths(self, fit):
        return [fmt.shard_relpath("train", v) for v in self.plan.fit_videos(fit)]

    def _held_out_relpaths(self, fit):
        return [fmt.shard_relpath("train", v) for v in self.plan.held_out_videos(fit)]

    def _ref(self, relpath):
        video = self.videos[relpath]
        if isinstance(video, PseudoClip):
            return tasks.VideoRef(str(self.root), video.split, video.id, video.source_id, video.kind)
        return tasks.VideoRef(str(self.root), video.split, video.id)

    def _cache(self, relpath):
        video = self.videos[relpath]
        return cache_path(self.out, video.split, video.id)

    def _key(self, relpath):
        return features_key(self.document, self.fingerprints[relpath])


def _wait_and_record(client, futures, manifest, out, progress):
    from distributed import as_completed

    kinds = {future: (name, kind) for (name, kind), future in futures.items()}
    bar = tqdm(total=len(futures), desc="precompute-teachers", unit="task", disable=not progress)
    last_write, unwritten = time.monotonic(), False
    try:
        for future in as_completed(list(futures.values())):
            name, kind = kinds[future]
            if future.status == "error":
                error = future.exception()
                if isinstance(error, FastaedError):
                    raise FastaedError(str(error)) from None
                raise error
            result = future.result()
            if kind == "shard":
                manifest["shards"][name] = {key: result[key] for key in
                                            ("sha256", "bytes", "split", "video", "num_frames")}
                unwritten = True
                if time.monotonic() - last_write >= MANIFEST_INTERVAL_S:
                    write_manifest(out, manifest)
                    last_write, unwritten = time.monotonic(), False
            bar.update(1)
            bar.set_postfix_str(f"{kind} {name if isinstance(name, str) else '-'.join(map(str, name))}")
    except BaseException:
        client.cancel(list(futures.values()))
        raise
    finally:
        bar.close()
        if unwritten:
            write_manifest(out, manifest)
