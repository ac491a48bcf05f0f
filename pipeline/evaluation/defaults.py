"""Defaults of `fastaed evaluate` and `fastaed score`, importable without torch, OpenCV or scikit-learn
(the CLI shows them in --help).

Example:
    >>> DEFAULT_SIGMA, DEFAULT_REGION_THRESHOLD
    (3.0, 1.0)
"""

DEVICES = ("cpu", "cuda")

DEFAULT_SIGMA = 3.0
"""Gaussian smoothing of the evaluation's frame scores, in frames: the teachers' report uses the same."""

DEFAULT_REGION_THRESHOLD = 1.0
"""Map level (teacher units) above which components become predicted regions; see pipeline.evaluation.report."""

EVALUATE_BATCH_SIZE = 64
"""Frames the evaluation scores together."""

SCORE_BATCH_SIZE = 8
"""Frames `score` scores together: a frame's score is out at most this many frames + 3 after it was read."""

RUNTIMES = ("auto", "torch", "onnx", "onnx-int8")
"""How the student runs (see pipeline.runtime_choice); auto measures and keeps the fastest correct one."""

DTYPES = ("auto", "float32", "bfloat16", "float16")
