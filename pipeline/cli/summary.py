"""`fastaed summary`: the pipeline's result in a few lines, from the reports the stages wrote.

Reads the teachers' ``report.json`` (precompute-teachers), the student's ``metrics.json``
(evaluate) and ``fps.json`` (benchmark-fps); any of them may be missing, and is then left out.
``dvc repro`` ends with this, and writes it to ``data/summary.md``.

Example:
    $ fastaed summary --teachers data/teacher_report.json --student data/student_metrics.json --fps data/fps.json
"""
import json
from pathlib import Path

import click

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError


def read_report(path, what):
    """The JSON at ``path``, None when ``path`` is None; FastaedError naming ``what`` when unreadable.

    Example:
        >>> read_report(None, "teachers") is None
        True
    """
    if path is None:
        return None
    try:
        return json.loads(Path(path).read_text())
    except (OSError, ValueError) as error:
        raise FastaedError(f"{path}: cannot read the {what} report ({error}): run its stage first") from None


def summary_lines(teachers=None, student=None, fps=None):
    """Markdown lines: one table row per teacher, their fusion and the student, then the speed.

    A teachers' report without ``fused`` (from an earlier version) has its ``ensemble`` row instead.

    Example:
        >>> print("\\n".join(summary_lines(teachers={"teachers": {"density": {"micro_auc": 0.9, "macro_auc": 0.95}},
        ...                                          "fused": {"micro_auc": 0.92, "macro_auc": 0.96},
        ...                                          "fusion": {"name": "sum@0.999"}})))
        | model | micro AUC | macro AUC |
        |---|---|---|
        | teacher density | 0.900 | 0.950 |
        | teachers fused (sum@0.999) | 0.920 | 0.960 |
    """
    rows = []
    if teachers is not None:
        rows += [(f"teacher {name}", values) for name, values in teachers["teachers"].items()]
        if "fused" in teachers:
            rows.append((f"teachers fused ({teachers['fusion']['name']})", teachers["fused"]))
        else:
            rows.append(("teachers' ensemble", teachers["ensemble"]))
    if student is not None:
        rows.append(("student", student))
    lines = ["| model | micro AUC | macro AUC |", "|---|---|---|"] if rows else []
    lines += [f"| {name} | {_auc(values.get('micro_auc'))} | {_auc(values.get('macro_auc'))} |" for name, values in rows]
    if fps is not None:
        best = max(fps["results"], key=lambda row: row["fps_end_to_end"])
        single = [row for row in fps["results"] if row["batch_size"] == 1]
        speed = (f"student speed: {best['fps_end_to_end']:.0f} frames/s end to end at batch {best['batch_size']}"
                 + (f", {single[0]['fps_end_to_end']:.0f} at batch 1" if single else "")
                 + f" ({fps['device']}, {fps['threads']} thread(s), {fps['runtime']})")
        if fps.get("speedup_vs_teachers"):
            speed += f"; {fps['speedup_vs_teachers']:.0f}x the teachers' {fps['teacher_fps']:.1f} frames/s"
        lines += ["", speed]
    return lines


def _auc(value):
    return "n/a" if value is None else f"{value:.3f}"


@click.command("summary")
@click.option("--teachers", "teachers_path", type=click.Path(path_type=Path),
              help="The teachers' report.json from precompute-teachers.")
@click.option("--student", "student_path", type=click.Path(path_type=Path),
              help="The student's metrics.json from evaluate.")
@click.option("--fps", "fps_path", type=click.Path(path_type=Path), help="fps.json from benchmark-fps.")
@click.option("--out", "out_path", type=click.Path(path_type=Path), help="Also write the summary (Markdown) here.")
def command(teachers_path, student_path, fps_path, out_path):
    """Print the teachers' and the student's AUC and the student's speed in a few lines."""
    lines = summary_lines(read_report(teachers_path, "teachers"), read_report(student_path, "student"),
                          read_report(fps_path, "speed"))
    if not lines:
        raise FastaedError("nothing to summarise: give --teachers, --student or --fps")
    text = "\n".join(lines) + "\n"
    click.echo(text, nl=False)
    if out_path is not None:
        with atomic_output(out_path) as tmp:
            tmp.write_text(text)
