"""``fps.json`` and its plot: the student's measured speed, the machine it ran on, the speed-up over the teachers.

The teachers' speed is the one precompute-teachers recorded: ``seconds_per_frame`` in
``SHARDS/report.json`` (detection, features, scoring and painting per frame), or, before that
report exists, the frame-weighted mean of the ``teacher_seconds_per_frame`` attribute of the
shards listed in ``SHARDS/manifest.json``. The speed-up compares the student's best end-to-end
rate (decoded frames in, frame scores out) with that.
"""
import datetime
import json
import platform
from pathlib import Path

import torch
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError
from pipeline.runtime_choice import Candidate
from pipeline.shards import open_shard, read_manifest

TEACHERS_REPORT = "report.json"


def teacher_speed(shards_root):
    """``{"seconds_per_frame", "source"}`` of the teachers that wrote ``shards_root``.

    Example:
        >>> teacher_speed("data/shards")                                     # doctest: +SKIP
        {'seconds_per_frame': 0.21, 'source': 'data/shards/report.json'}
    """
    root = Path(shards_root)
    if not root.is_dir():
        raise FastaedError(f"--shards {root}: no such folder: give the folder written by "
                           f"`fastaed precompute-teachers`, or leave --shards out")
    report_path = root / TEACHERS_REPORT
    if report_path.is_file():
        try:
            seconds = json.loads(report_path.read_text())["seconds_per_frame"]
        except (ValueError, KeyError, TypeError) as error:
            raise FastaedError(f"{report_path}: not a precompute report ({type(error).__name__}: {error}): "
                               f"run `fastaed precompute-teachers` again to rewrite it") from None
        if isinstance(seconds, (int, float)) and seconds > 0:
            return {"seconds_per_frame": float(seconds), "source": str(report_path)}
    return _speed_from_shard_attributes(root)


def _speed_from_shard_attributes(root):
    manifest = read_manifest(root)
    frames, seconds = 0, 0.0
    for relpath in sorted(manifest["shards"]):
        with open_shard(root / relpath) as shard:
            frames += int(shard.num_frames)
            seconds += float(shard.attrs["teacher_seconds_per_frame"]) * int(shard.num_frames)
    if not frames or seconds <= 0:
        raise FastaedError(f"{root}: no timed teacher frames in {TEACHERS_REPORT} or in the shards of its "
                           f"manifest: run `fastaed precompute-teachers --out {root}` to finish the shards")
    return {"seconds_per_frame": seconds / frames, "source": f"{root}/*/*.h5 (teacher_seconds_per_frame)"}


def cpu_name():
    """The CPU's model name from /proc/cpuinfo (``platform.processor()`` where there is none).

    Example:
        >>> isinstance(cpu_name(), str)
        True
    """
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            key, _, value = line.partition(":")
            if key.strip() == "model name":
                return value.strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def build_speed_report(results, *, model_config, device, threads, runtime, dtype, teachers=None, **details):
    """The ``fps.json`` dict: INTERFACES.md's keys, then the model, machine and settings.

    ``results`` are the rows of :func:`student.measure_fps`; ``teachers`` is
    :func:`teacher_speed`'s dict or None (then ``teacher_fps`` and ``speedup_vs_teachers`` are
    None); ``details`` (warm-up, repeats, ...) are added as they are.

    Example:
        >>> rows = [{"batch_size": 1, "fps_forward": 900.0, "fps_end_to_end": 500.0,
        ...          "latency_ms_p50": 2.0, "latency_ms_p95": 2.5}]
        >>> report = build_speed_report(rows, model_config={"size": "fast", "input_size": [80, 120]},
        ...     device="cpu", threads=2, runtime="torch", dtype="float32",
        ...     teachers={"seconds_per_frame": 0.1, "source": "shards/report.json"})
        >>> report["teacher_fps"], report["speedup_vs_teachers"]
        (10.0, 50.0)
    """
    results = [dict(row) for row in results]
    best = max(results, key=lambda row: row["fps_end_to_end"])
    teacher_fps = None if teachers is None else 1.0 / teachers["seconds_per_frame"]
    device = torch.device(device)
    return {
        "device": device.type,
        "threads": int(threads),
        "torch": torch.__version__,
        "runtime": runtime,
        "results": results,
        "teacher_fps": teacher_fps,
        "speedup_vs_teachers": None if teacher_fps is None else best["fps_end_to_end"] / teacher_fps,
        "speedup_batch_size": None if teacher_fps is None else best["batch_size"],
        "teacher_seconds_per_frame": None if teachers is None else teachers["seconds_per_frame"],
        "teacher_speed_source": None if teachers is None else teachers["source"],
        "model_size": model_config["size"],
        "input_size": list(model_config["input_size"]),
        "dtype": dtype,
        "device_name": torch.cuda.get_device_name(device) if device.type == "cuda" else cpu_name(),
        "cpu": cpu_name(),
        "date": datetime.datetime.now(datetime.timezone.utc).isoformat(timespec="seconds"),
        **details,
    }


def write_speed_report(path, report):
    """Write ``report`` as JSON to ``path`` atomically (temporary name in the same folder, then rename).

    Example:
        >>> write_speed_report("fps.json", report)                           # doctest: +SKIP
    """
    with atomic_output(Path(path)) as temporary:
        temporary.write_text(json.dumps(report, indent=2, allow_nan=False) + "\n")


def plot_speed_report(path, report):
    """Write a PNG of frames per second against batch size (log x): forward, end to end, teachers.

    Example:
        >>> plot_speed_report("fps.png", report)                             # doctest: +SKIP
    """
    rows = sorted(report["results"], key=lambda row: row["batch_size"])
    batch_sizes = [row["batch_size"] for row in rows]
    figure = Figure(figsize=(6, 4), layout="constrained")
    axes = figure.add_subplot()
    axes.plot(batch_sizes, [row["fps_forward"] for row in rows], "o-", label="network forward")
    axes.plot(batch_sizes, [row["fps_end_to_end"] for row in rows], "s-", label="end to end (uint8 frames to scores)")
    if report["teacher_fps"] is not None:
        axes.axhline(report["teacher_fps"], color="tab:red", linestyle="--", label="teachers (precompute)")
    axes.set_xscale("log", base=2)
    axes.set_yscale("log")
    axes.set_xticks(batch_sizes, [str(b) for b in batch_sizes])
    axes.set_xlabel("batch size")
    axes.set_ylabel("frames per second")
    height, width = report["input_size"]
    runtimes = set((report.get("runtime_by_batch_size") or {}).values())
    runtime = "fastest runtime per batch size" if len(runtimes) > 1 else f"{report['runtime']} {report['dtype']}"
    axes.set_title(f"student '{report['model_size']}' {height}x{width}, {runtime}, "
                   f"{_threads(report['threads'])}\n{report['device_name']}", fontsize="medium")
    axes.grid(True, which="both", alpha=0.3)
    axes.legend(fontsize="small")
    FigureCanvasAgg(figure)
    with atomic_output(Path(path)) as temporary:
        figure.savefig(temporary, format="png", dpi=120)


def format_speed_table(report):
    """The report as a few lines of text: settings, one row per batch size, the speed-up.

    Example:
        >>> print(format_speed_table(report))                                # doctest: +SKIP
        student 'fast' 80x120 | torch 2.13.0 runtime torch, bfloat16 | cpu (AMD EPYC), 2 threads
        ...
    """
    height, width = report["input_size"]
    lines = [f"student '{report['model_size']}' {height}x{width} | torch {report['torch']} runtime "
             f"{report['runtime']}, {report['dtype']} | {report['device']} ({report['device_name']}), "
             f"{_threads(report['threads'])}",
             f"{'batch':>5}  {'forward FPS':>12}  {'end-to-end FPS':>14}  {'p50 ms':>9}  {'p95 ms':>9}  runtime"]
    by_batch_size = report.get("runtime_by_batch_size") or {}
    for row in report["results"]:
        name = by_batch_size.get(str(row["batch_size"]), Candidate(report["runtime"], report["dtype"]).name)
        lines.append(f"{row['batch_size']:>5}  {row['fps_forward']:>12.1f}  {row['fps_end_to_end']:>14.1f}  "
                     f"{row['latency_ms_p50']:>9.2f}  {row['latency_ms_p95']:>9.2f}  {name}")
    if report.get("runtime_reason"):
        lines.append(f"runtime (best overall) {report['runtime']} {report['dtype']}: {report['runtime_reason']}")
    for skipped in report.get("skipped_candidates") or []:
        lines.append(f"not tried: {skipped['name']}: {skipped['reason']}")
    if report["teacher_fps"] is None:
        lines.append("teachers: not measured here (give --shards SHARDS for the speed-up)")
    else:
        lines.append(f"teachers: {report['teacher_fps']:.2f} FPS ({report['teacher_speed_source']}); speed-up "
                     f"{report['speedup_vs_teachers']:.0f}x (end to end, batch {report['speedup_batch_size']})")
    return "\n".join(lines)


def _threads(count):
    return f"{count} thread" if count == 1 else f"{count} threads"
