"""Detector backend: any torchvision detection model, weights from a local checkpoint file.

torchvision is an optional extra (`pip install 'fastaed[torchvision]'`); it is imported only when
this detector is built. Nothing is downloaded: the weights come from `checkpoint`.
"""

from pathlib import Path

import numpy as np

from teachers.detection.base import Detector, detections_from_continuous, register_detector


@register_detector("torchvision")
class TorchvisionDetector(Detector):
    """A torchvision detection model (e.g. fasterrcnn_resnet50_fpn) loaded from `checkpoint`.

    `checkpoint` holds a state dict (or a dict with the state dict under "model"); `labels` keeps
    only those class ids (COCO person = 1), None keeps all.

    Example:
        >>> detector = TorchvisionDetector(checkpoint="frcnn.pth")  # doctest: +SKIP
        >>> detector.detect(frames)[0]  # (N, 5) x1, y1, x2, y2, score  # doctest: +SKIP
    """

    def __init__(
        self,
        checkpoint=None,
        model="fasterrcnn_resnet50_fpn",
        num_classes=91,
        labels=(1,),
        score_threshold=0.5,
        batch_size=4,
        device="cpu",
    ):
        try:
            import torch
            import torchvision
        except ImportError as error:
            raise ValueError(
                "torchvision is not installed: pip install 'fastaed[torchvision]' "
                "(or pip install torchvision matching your torch), or use --detector foreground"
            ) from error
        if checkpoint is None or not Path(checkpoint).is_file():
            raise ValueError(
                f"torchvision detector checkpoint {checkpoint!r} is not a file: "
                "pass checkpoint=PATH to a saved state dict of the model"
            )
        network = torchvision.models.get_model(
            model, weights=None, weights_backbone=None, num_classes=num_classes
        )
        state = torch.load(checkpoint, map_location="cpu", weights_only=True)
        network.load_state_dict(state.get("model", state))
        self._torch = torch
        self.network = network.eval().to(device)
        self.labels = None if labels is None else set(int(label) for label in labels)
        self.score_threshold = score_threshold
        self.batch_size = batch_size
        self.device = device

    def detect(self, frames, video=None):
        """One (N, 5) float32 array (x1, y1, x2, y2, score) per frame.

        Example:
            >>> TorchvisionDetector(checkpoint="frcnn.pth").detect(frames)  # doctest: +SKIP
        """
        torch = self._torch
        detections, batch = [], []
        for index, frame in enumerate(frames):
            batch.append(np.asarray(frame))
            if len(batch) == self.batch_size or index == len(frames) - 1:
                images = [
                    torch.from_numpy(f).float().div(255).expand(3, *f.shape).to(self.device)
                    for f in batch
                ]
                with torch.inference_mode():
                    outputs = self.network(images)
                for frame_array, output in zip(batch, outputs):
                    keep = self._kept(output["labels"].cpu().numpy())
                    detections.append(
                        detections_from_continuous(
                            output["boxes"].cpu().numpy()[keep],
                            output["scores"].cpu().numpy()[keep],
                            frame_array.shape,
                            self.score_threshold,
                        )
                    )
                batch = []
        return detections

    def _kept(self, labels):
        if self.labels is None:
            return np.ones(len(labels), bool)
        return np.isin(labels, list(self.labels))
