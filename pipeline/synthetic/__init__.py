"""The synthetic scene: a fixed grey camera over a walkway, people walking along it, and in test
videos runners, cyclists, carts, people on the lawn and people crossing the walkway, each with a
pixel mask. Deterministic by seed, written in seconds.

Example:
    >>> import tempfile, pathlib
    >>> from pipeline.synthetic import write_synthetic
    >>> ds = write_synthetic(pathlib.Path(tempfile.mkdtemp()) / "syn", train_videos=1, test_videos=1,
    ...                      frames=40, progress=False)
    >>> ds.test_videos
    ('01',)
"""
from pipeline.synthetic.choreography import VARIANT_KINDS
from pipeline.synthetic.conditions import SceneConditions
from pipeline.synthetic.writer import AnomalyEvent, SyntheticDataset, write_synthetic

ANOMALY_KINDS = ("too_fast", "wrong_place", "unusual_object", "wrong_direction")

__all__ = ["ANOMALY_KINDS", "VARIANT_KINDS", "AnomalyEvent", "SceneConditions", "SyntheticDataset",
           "write_synthetic"]
