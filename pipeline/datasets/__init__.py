"""Dataset readers: UCSD Ped1/Ped2 (original and re-packed), Avenue, ShanghaiTech, any folder of videos.

Example:
    >>> from pipeline.datasets import open_dataset
    >>> dataset = open_dataset("../shared/data/ucsd_ped2")
    >>> dataset.layout, len(dataset.test), dataset.test[0][0].shape
    ('ucsd-repacked', 12, (240, 360))
"""
from pipeline.datasets.dataset import Dataset
from pipeline.datasets.detect import LAYOUTS, open_dataset
from pipeline.datasets.video import Video

__all__ = ["Dataset", "LAYOUTS", "Video", "open_dataset"]
