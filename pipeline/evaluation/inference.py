"""The trained student as the pipeline runs it: loaded with one-line errors, scoring a stream frame by frame."""
import collections
import queue
import threading
from typing import NamedTuple

from pipeline.errors import FastaedError
from pipeline.evaluation.defaults import DEVICES


class ScoredFrame(NamedTuple):
    """One scored frame: its index, frame score, and on request its (s, s) map and the frame itself."""

    index: int
    score: float
    map: object = None
    frame: object = None


def load_inference_student(checkpoint, device="cpu", runtime="torch", dtype="float32", batch_size=64,
                           calibration=None):
    """Load a student checkpoint for inference on ``device`` ("cpu" or "cuda"), on the runtime asked or chosen.

    ``runtime``/``dtype`` are those of :mod:`pipeline.runtime_choice` ("auto" measures the
    candidates at ``batch_size`` once per machine and model, then uses the cached choice);
    ``calibration`` (runs of training frames) lets it calibrate and check int8 and check
    bfloat16. The default, torch float32, gives scores that do not depend on the CPU. The
    returned runner is called like the student and carries ``runtime_choice`` (the record of
    what runs and why). A missing, corrupt or mismatched checkpoint and an unavailable device
    raise FastaedError.

    Example:
        >>> model = load_inference_student("data/run/student.pt", runtime="auto")      # doctest: +SKIP
        >>> model.config["input_size"], model.runtime_choice["name"]                    # doctest: +SKIP
        ([80, 120], 'onnx-float32')
    """
    import torch

    from pipeline.runtime_choice import choose_runtime
    from student import load_student

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
    runner, _, record = choose_runtime(model, runtime, dtype, device, batch_size=batch_size, calibration=calibration)
    runner.runtime_choice = record
    return runner


def prefetched(frames, depth):
    """Iterate over ``frames`` while a background thread decodes up to ``depth`` frames ahead.

    Decoding (OpenCV, image readers) releases the GIL, so it overlaps with the network. An error
    raised while reading is raised here, at the frame where it happened; leaving the loop early
    stops the thread.

    Example:
        >>> list(prefetched(iter(range(5)), depth=2))
        [0, 1, 2, 3, 4]
    """
    items = queue.Queue(maxsize=max(1, int(depth)))
    stop = threading.Event()
    end = object()

    def put(item):
        while not stop.is_set():
            try:
                items.put(item, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def read():
        try:
            for frame in frames:
                if not put((frame, None)):
                    return
        except BaseException as error:  # handed to the consumer, raised there
            put((end, error))
            return
        put((end, None))

    thread = threading.Thread(target=read, name="fastaed-decode", daemon=True)
    thread.start()
    try:
        while True:
            frame, error = items.get()
            if frame is end:
                if error is not None:
                    raise error
                return
            yield frame
    finally:
        stop.set()
        thread.join(timeout=5)


def stream_frame_scores(model, frames, batch_size, return_maps=False, keep_frames=False):
    """Score an iterable of (H, W) uint8 frames, yielding one :class:`ScoredFrame` per frame, in order.

    Frame t is scored from frames t-3, t, t+3 (clamped at the ends) and yielded as soon as frame
    t+3 has been read (or the input has ended), in batches of ``batch_size``: at most
    ``2 * (batch_size + 3)`` frames are held (the window and the frames decoded ahead), however long the input. ``return_maps`` adds the
    teacher-averaged (s, s) map in teacher units; ``keep_frames`` hands each input frame back
    with its score (for overlays) from that same bounded buffer. Frames are decoded by a
    background thread (:func:`prefetched`, one batch ahead) while the network runs.

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
        for frame in prefetched(frames, batch_size + 3):
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
