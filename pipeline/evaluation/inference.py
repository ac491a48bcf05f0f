"""The trained student as the pipeline runs it: loaded with one-line errors, scoring a stream frame by frame."""
import collections
from typing import NamedTuple

from pipeline.errors import FastaedError
from pipeline.evaluation.defaults import DEVICES


class ScoredFrame(NamedTuple):
    """One scored frame: its index, frame score, and on request its (s, s) map and the frame itself."""

    index: int
    score: float
    map: object = None
    frame: object = None


def load_inference_student(checkpoint, device="cpu"):
    """Load a student checkpoint for inference on ``device`` ("cpu" or "cuda"), in float32.

    Batch norms are folded (:func:`student.prepare_for_inference`); bfloat16 is never used, so
    scores do not depend on the CPU they were computed on. A missing, corrupt or mismatched
    checkpoint and an unavailable device raise FastaedError.

    Example:
        >>> model = load_inference_student("data/run/student.pt")      # doctest: +SKIP
        >>> model.config["input_size"]                                  # doctest: +SKIP
        [80, 120]
    """
    import torch

    from student import load_student, prepare_for_inference

    if device not in DEVICES:
        raise FastaedError(f"--device {device}: use one of {', '.join(DEVICES)}")
    if device == "cuda" and not torch.cuda.is_available():
        raise FastaedError("--device cuda: no CUDA device is available to this torch build: use --device cpu")
    try:
        model = load_student(checkpoint)
    except FileNotFoundError:
        raise FastaedError(f"checkpoint {checkpoint} does not exist: give the student.pt that "
                           "train-student wrote (RUN/student.pt)") from None
    except ValueError as error:
        raise FastaedError(str(error)) from None
    model, _ = prepare_for_inference(model, device, bf16=False)
    return model


def stream_frame_scores(model, frames, batch_size, return_maps=False, keep_frames=False):
    """Score an iterable of (H, W) uint8 frames, yielding one :class:`ScoredFrame` per frame, in order.

    Frame t is scored from frames t-3, t, t+3 (clamped at the ends) and yielded as soon as frame
    t+3 has been read (or the input has ended), in batches of ``batch_size``: at most
    ``batch_size + 3`` frames are held, however long the input. ``return_maps`` adds the
    teacher-averaged (s, s) map in teacher units; ``keep_frames`` hands each input frame back
    with its score (for overlays) from that same bounded buffer.

    Example:
        >>> import numpy as np
        >>> from student import build_student
        >>> scored = stream_frame_scores(build_student().eval(), np.zeros((5, 64, 64), np.uint8), 2)
        >>> [item.index for item in scored]
        [0, 1, 2, 3, 4]
    """
    from student import iter_frame_scores

    held = collections.deque()

    def reading():
        for frame in frames:
            if keep_frames:
                held.append(frame)
            yield frame

    try:
        for chunk in iter_frame_scores(model, reading(), batch_size, return_maps=return_maps):
            for offset, score in enumerate(chunk.scores):
                yield ScoredFrame(chunk.start + offset, float(score),
                                  None if chunk.maps is None else chunk.maps[offset],
                                  held.popleft() if keep_frames else None)
    except ValueError as error:  # the student refuses frames it cannot score (mixed sizes, colour)
        raise FastaedError(f"cannot score the frames: {error}") from None
