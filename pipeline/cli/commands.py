"""Registers every command module on the ``fastaed`` group."""
from pipeline.cli import main
from pipeline.cli import (
    benchmark_fps,
    calibrate,
    dataset_info,
    evaluate,
    export,
    metrics,
    precompute_teachers,
    score,
    summary,
    synth,
    train_student,
    validate_student,
)

for module in (synth, dataset_info, metrics, precompute_teachers, train_student, evaluate, score,
               benchmark_fps, export, summary, calibrate, validate_student):
    main.add_command(module.command)
