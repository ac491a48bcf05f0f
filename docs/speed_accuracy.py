"""Draw the README's speed-accuracy plot from measured reports.

Points are (frames per second, Ped2 micro AUC): the teachers from the shards' ``report.json``
(their per-core speed times the cores used), each student from its ``metrics.json`` and
``fps.json``; a speed without an accuracy (a student size not trained here, the paper's reported
GPU speed) is drawn as a labelled vertical line. Every label names its machine.

Example:
    $ python docs/speed_accuracy.py --teachers shards/report.json --cores 2 \
        --student "fast student=report/metrics.json,fps.json" --speed-only "paper-size student=paper_fps.json" \
        --out docs/speed_accuracy.png
"""
import argparse
import json
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

PAPER_GPU_FPS = 1480
"""The paper's student, as reported (Croitoru et al., arXiv 2211.15597), on its GPU."""


def read(path):
    return json.loads(Path(path).read_text())


def best_fps(fps):
    return max(row["fps_end_to_end"] for row in fps["results"])


def machine(fps):
    return f"{fps['device']}, {fps['threads']} thr" if fps["device"] == "cpu" else fps["device_name"]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--teachers", required=True, help="report.json of precompute-teachers")
    parser.add_argument("--cores", type=int, default=2, help="cores the teachers' per-core speed is scaled to")
    parser.add_argument("--student", action="append", default=[], metavar="LABEL=METRICS,FPS")
    parser.add_argument("--speed-only", action="append", default=[], metavar="LABEL=FPS")
    parser.add_argument("--out", required=True)
    args = parser.parse_args()

    teachers = read(args.teachers)
    teacher_fps = args.cores / teachers["seconds_per_frame"]
    figure = Figure(figsize=(7, 4.2))
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    axes.scatter([teacher_fps], [teachers["ensemble"]["micro_auc"]], marker="s", color="tab:red")
    axes.annotate(f"teachers (ensemble)\nCPU, {args.cores} cores", (teacher_fps, teachers["ensemble"]["micro_auc"]),
                  textcoords="offset points", xytext=(8, -4), fontsize=8)
    for spec in args.student:
        label, files = spec.split("=", 1)
        metrics_path, fps_path = files.split(",")
        metrics, fps = read(metrics_path), read(fps_path)
        speed = best_fps(fps)
        axes.scatter([speed], [metrics["micro_auc"]], color="tab:blue")
        axes.annotate(f"{label}\n{machine(fps)}", (speed, metrics["micro_auc"]), textcoords="offset points",
                      xytext=(-10, -26), fontsize=8, ha="right")
    lines = [(label, best_fps(read(path)), f"{machine(read(path))}, not trained here")
             for label, path in (spec.split("=", 1) for spec in args.speed_only)]
    lines.append(("paper's student", PAPER_GPU_FPS, "GPU, as reported"))
    for label, speed, where in lines:
        axes.axvline(speed, color="grey", linestyle="--", linewidth=1)
        axes.text(speed * 1.05, 0.5, f"{label}\n{where}", rotation=90, fontsize=8, va="bottom", color="dimgrey")
    axes.set_xscale("log")
    axes.set_xlim(10, 30000)
    axes.set_ylim(0.5, 1.0)
    axes.set_xlabel("frames per second (end to end, best batch size)")
    axes.set_ylabel("UCSD Ped2 micro AUC")
    axes.grid(True, which="both", alpha=0.3)
    figure.tight_layout()
    figure.savefig(args.out, dpi=110)


if __name__ == "__main__":
    main()
