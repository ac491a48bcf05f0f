"""The trained student on real video: `fastaed evaluate` and `fastaed score`.

Modules (imported one by one, so that the CLI starts without loading torch or scikit-learn):

* :mod:`~pipeline.evaluation.defaults`: the commands' defaults.
* :mod:`~pipeline.evaluation.inference`: loading a checkpoint with one-line errors, and scoring a
  stream frame by frame with bounded memory.
* :mod:`~pipeline.evaluation.report`: `evaluate`'s report on a dataset's test split.
* :mod:`~pipeline.evaluation.sources`: video files, frame folders and cameras as frame streams.
* :mod:`~pipeline.evaluation.scoring`: `score`'s CSV (and overlay) written as frames come.
* :mod:`~pipeline.evaluation.causal_smoothing`: smoothing that uses past frames only, for streams.

Example:
    >>> from pipeline.evaluation.report import EvaluationOptions, evaluate_student
    >>> evaluate_student("run/student.pt", "data/synthetic", "reports/x", EvaluationOptions(sigma=3))  # doctest: +SKIP
"""
