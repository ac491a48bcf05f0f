"""Scoring frames with a trained student: streaming, batched, t-3/t/t+3 triplets clamped at the video's borders."""
import contextlib
import copy
from typing import NamedTuple

import numpy as np
import torch

from student.allocator import keep_freed_memory
from student.cpu_features import cpu_has_native_bf16
from student.fusion import scoring_fusion
from student.networks.layers import fold_batch_norms
from student.preprocessing import (
    TRIPLET_OFFSETS, opencv_on_calling_thread, resize_frame, triplet_indices, triplets_to_input)
from student.scales import SCALES
from student.target_transforms import to_teacher_units

FRAME_SCORE_SCALE = SCALES[-1]
"""Head whose map gives the frame score (its maximum over cells) and the localisation map."""


class ScoredFrames(NamedTuple):
    """Scores of frames ``start .. start + len(scores) - 1`` and, on request, their maps (n, s, s)."""

    start: int
    scores: np.ndarray
    maps: np.ndarray = None


def prepare_for_inference(model, device="cpu", bf16=None, channels_last=True, dtype=None):
    """An inference copy of a student: eval mode, batch norms folded, on ``device``, channels-last, bf16 if native.

    ``bf16=None`` picks bfloat16 on CPUs with native bf16 support (AVX512-BF16 or AMX) and on
    CUDA devices that support it; ``dtype`` (a torch dtype, e.g. ``torch.float16`` on CUDA)
    overrides ``bf16``. ``model`` itself is left as it is (train or save that one). Returns the
    copy and the input dtype it expects; the copy's ``input_channels_last`` tells
    :func:`iter_frame_scores` which input layout to build.

    Example:
        >>> from student.networks import build_student
        >>> model, dtype = prepare_for_inference(build_student("fast", 1), bf16=False)
        >>> dtype
        torch.float32
    """
    device = torch.device(device)
    if dtype is None:
        dtype = torch.bfloat16 if (native_bf16(device) if bf16 is None else bf16) else torch.float32
    config = model.config
    model = fold_batch_norms(copy.deepcopy(model).eval()).to(device=device, dtype=dtype)
    model.config = config
    model.input_channels_last = bool(channels_last)
    if channels_last:
        model.to(memory_format=torch.channels_last)
    return model, dtype


def native_bf16(device="cpu", flags=None):
    """Whether ``device`` runs bfloat16 convolutions natively (CPU: AVX512-BF16 or AMX flags; CUDA: Ampere+).

    On a CPU the answer comes from its feature flags (see :mod:`student.cpu_features`; ``flags``
    overrides them), not from oneDNN, which calls bfloat16 supported wherever it can emulate it.

    Example:
        >>> native_bf16("cpu", flags={"avx2"}), native_bf16("cpu", flags={"avx512f", "avx512_bf16"})
        (False, True)
    """
    device = torch.device(device)
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    return cpu_has_native_bf16(flags) and torch.backends.mkldnn.is_available()


def maps_to_scores(maps, scale=FRAME_SCORE_SCALE, target_transform="identity", fusion=None, teachers=None):
    """Frame scores (B,) and the teacher-averaged map (B, s, s) from a student's output, in teacher units.

    The maps are mapped back through the student's ``target_transform``. The frame score combines
    the per-teacher maps as the teachers' own fusion combines theirs: ``fusion`` is a
    :class:`student.fusion.Fusion` over ``teachers`` (the student's head order), so the student's
    frame scores live on the fused teachers' scale; without one it is the largest cell of the
    averaged map. The averaged map (for localisation) stays in teacher units either way.

    Example:
        >>> maps = {16: torch.zeros(2, 2, 16, 16)}
        >>> maps[16][1, 0, 3, 4] = 2.0
        >>> maps_to_scores(maps)[0].tolist()
        [0.0, 1.0]
        >>> from student.fusion import Fusion
        >>> sum_of_maxima = Fusion("sum", 0.999, {"a": (0.0, 4.0), "b": (0.0, 1.0)})
        >>> maps_to_scores(maps, fusion=sum_of_maxima, teachers=["a", "b"])[0].tolist()
        [0.0, 0.5]
    """
    values = maps[scale].float()
    if fusion is None and values.device.type != "cpu":
        combined = to_teacher_units(values, target_transform).mean(dim=1)
        return combined.amax(dim=(1, 2)), combined
    # numpy: a batch of one frame spends less time in these few calls
    values = to_teacher_units(values.cpu().numpy(), target_transform)
    combined = values.mean(axis=1)
    if fusion is None:
        return torch.from_numpy(combined.max(axis=(1, 2))), torch.from_numpy(combined)
    scores = fusion.frame_scores({name: values[:, k] for k, name in enumerate(teachers)})
    return torch.from_numpy(scores.astype(np.float32)), torch.from_numpy(combined)


@torch.inference_mode()
def iter_frame_scores(model, frames, batch_size=64, return_maps=False, device=None, dtype=None,
                      scale=FRAME_SCORE_SCALE):
    """Score a stream of (H, W) uint8 grayscale frames, yielding :class:`ScoredFrames` chunks in order.

    Each frame is resized once; frame t is scored from frames t-3, t, t+3, clamped to the first
    and last frame. Memory stays bounded by ``batch_size`` whatever the stream's length; a chunk
    is yielded as soon as the frames 3 ahead of it have arrived. OpenCV resizes on this thread
    meanwhile (:func:`~student.preprocessing.opencv_on_calling_thread`), unless the model's
    ``threads_spin(batch_size)`` says its threads sleep between calls. ``device`` and ``dtype`` default
    to those of the model's parameters (see :func:`prepare_for_inference`). Scores and maps come
    from the head at ``scale`` (see :func:`maps_to_scores`); the (s, s) maps cover the whole frame
    (resize them to the frame's size for localisation).

    Example:
        >>> from student.networks import build_student
        >>> model = build_student("fast", 1).eval()
        >>> chunks = iter_frame_scores(model, np.zeros((5, 240, 360), np.uint8), batch_size=2)
        >>> [(c.start, len(c.scores)) for c in chunks]
        [(0, 2), (2, 2), (4, 1)]
    """
    if model.training:
        raise ValueError("the student is in training mode: call model.eval() or prepare_for_inference(model) first")
    keep_freed_memory()  # each batch frees and reallocates the same buffers: keep them mapped
    parameter = next(model.parameters())
    device = parameter.device if device is None else torch.device(device)
    dtype = parameter.dtype if dtype is None else dtype
    input_size = tuple(model.config["input_size"])
    channels_last = getattr(model, "input_channels_last", True)
    target_transform = model.config["target_transform"]
    fusion, teachers = scoring_fusion(model.config), model.config["teachers"]
    lookahead = max(TRIPLET_OFFSETS)
    lookbehind = -min(TRIPLET_OFFSETS)
    # resized frames window_start .. received - 1; each frame is resized once, as it arrives
    window = np.empty((lookbehind + batch_size + lookahead, *input_size), np.uint8)
    window_start, next_frame, received = 0, 0, 0

    def score(stop, total):
        nonlocal window_start
        rows = triplet_indices(np.arange(next_frame, stop), total) - window_start
        x = triplets_to_input(window[:received - window_start], rows, dtype, channels_last, device)
        frame_scores, maps = maps_to_scores(model(x), scale, target_transform, fusion, teachers)
        keep_from = max(0, stop - lookbehind - window_start)
        kept = received - window_start - keep_from
        window[:kept] = window[keep_from:keep_from + kept]
        window_start += keep_from
        return ScoredFrames(int(next_frame), frame_scores.cpu().numpy(),
                            maps.cpu().numpy() if return_maps else None)

    # OpenCV keeps to this thread unless the runner's threads sleep between calls at this batch size
    spinning = getattr(model, "threads_spin", lambda size: True)(batch_size)
    with opencv_on_calling_thread() if spinning else contextlib.nullcontext():
        for frame in frames:
            resize_frame(frame, input_size, window[received - window_start])
            received += 1
            if received - lookahead - next_frame >= batch_size:
                chunk = score(next_frame + batch_size, total=received)
                next_frame += batch_size
                yield chunk
        while next_frame < received:
            stop = min(next_frame + batch_size, received)
            chunk = score(stop, total=received)
            next_frame = stop
            yield chunk


def frame_scores(model, frames, batch_size=64, return_maps=False, device=None, dtype=None, scale=FRAME_SCORE_SCALE):
    """Scores (T,) float32 of a whole sequence of uint8 frames, and with ``return_maps`` its maps (T, s, s).

    Example:
        >>> from student.networks import build_student
        >>> scores = frame_scores(build_student("fast", 1).eval(), np.zeros((7, 60, 90), np.uint8))
        >>> scores.shape
        (7,)
    """
    chunks = list(iter_frame_scores(model, frames, batch_size, return_maps, device, dtype, scale))
    if not chunks:
        raise ValueError("no frames to score: the sequence is empty")
    scores = np.concatenate([c.scores for c in chunks]).astype(np.float32)
    if return_maps:
        return scores, np.concatenate([c.maps for c in chunks]).astype(np.float32)
    return scores
