"""Detector backend: a detectron2 model from a config file and weights, if detectron2 is installed.

detectron2 is not on PyPI and is not a dependency of fastaed; this adapter only wraps its
DefaultPredictor and fails with a clear message when the package is missing.
"""

from pathlib import Path

import numpy as np

from teachers.detection.base import Detector, detections_from_continuous, register_detector

INSTALL_HINT = (
    "detectron2 is not installed, and it is not on PyPI: build it from source with "
    "pip install 'git+https://github.com/facebookresearch/detectron2.git' (needs a C++ compiler "
    "and a matching torch; see https://detectron2.readthedocs.io/en/latest/tutorials/install.html), "
    "or use --detector foreground"
)


@register_detector("detectron2")
class Detectron2Detector(Detector):
    """A detectron2 model: `config` (a .yaml config file) plus `weights` (a .pkl/.pth file).

    `labels` keeps only those class ids (COCO person = 0 in detectron2), None keeps all.

    Example:
        >>> detector = Detectron2Detector(config="mask_rcnn.yaml", weights="model.pkl")  # doctest: +SKIP
        >>> detector.detect(frames)[0]  # (N, 5) x1, y1, x2, y2, score  # doctest: +SKIP
    """

    def __init__(self, config=None, weights=None, labels=(0,), score_threshold=0.5, device="cpu"):
        try:
            from detectron2.config import get_cfg
            from detectron2.engine import DefaultPredictor
        except ImportError as error:
            raise ValueError(INSTALL_HINT) from error
        for option, path in (("config", config), ("weights", weights)):
            if path is None or not Path(path).is_file():
                raise ValueError(f"detectron2 {option} {path!r} is not a file: pass {option}=PATH")
        cfg = get_cfg()
        cfg.merge_from_file(str(config))
        cfg.MODEL.WEIGHTS = str(weights)
        cfg.MODEL.DEVICE = device
        cfg.INPUT.FORMAT = "BGR"
        self.predictor = DefaultPredictor(cfg)
        self.labels = None if labels is None else [int(label) for label in labels]
        self.score_threshold = score_threshold

    def detect(self, frames, video=None):
        """One (N, 5) float32 array (x1, y1, x2, y2, score) per frame.

        Example:
            >>> Detectron2Detector(config="c.yaml", weights="w.pkl").detect(frames)  # doctest: +SKIP
        """
        detections = []
        for frame in frames:
            frame = np.asarray(frame)
            instances = self.predictor(np.repeat(frame[:, :, None], 3, axis=2))["instances"].to("cpu")
            classes = instances.pred_classes.numpy()
            keep = np.ones(len(classes), bool) if self.labels is None else np.isin(classes, self.labels)
            detections.append(
                detections_from_continuous(
                    instances.pred_boxes.tensor.numpy()[keep],
                    instances.scores.numpy()[keep],
                    frame.shape,
                    self.score_threshold,
                )
            )
        return detections
