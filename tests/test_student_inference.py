"""Inference: one score per frame, t-3/t/t+3 triplets clamped at the borders, streaming, speed measurement."""
import copy
import platform

import numpy as np
import pytest
import torch

from student import (
    build_student, frame_scores, iter_frame_scores, maps_to_scores, measure_fps, prepare_for_inference,
    resize_frame, resize_frames, triplet_indices, triplets_to_input)


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@pytest.fixture(scope="module")
def model():
    torch.manual_seed(0)
    return build_student("fast", ["motion", "appearance"], (32, 48)).eval()


def _video(length, seed=0):
    return np.random.default_rng(seed).integers(0, 256, size=(length, 96, 144), dtype=np.uint8)


def test_triplets_are_clamped_at_the_first_and_last_frame():
    assert triplet_indices(range(5), 5).tolist() == [[0, 0, 3], [0, 1, 4], [0, 2, 4], [0, 3, 4], [1, 4, 4]]
    assert triplet_indices([0], 1).tolist() == [[0, 0, 0]]


@pytest.mark.parametrize("length, batch_size", [(1, 4), (2, 1), (7, 3), (70, 16)])
def test_one_score_per_frame_equal_to_scoring_the_clamped_triplets_directly(model, length, batch_size):
    video = _video(length)
    scores = frame_scores(model, video, batch_size=batch_size)
    assert scores.shape == (length,) and scores.dtype == np.float32
    resized = np.stack([resize_frame(frame, (32, 48)) for frame in video])
    x = triplets_to_input(resized, triplet_indices(range(length), length))
    with torch.no_grad():
        expected, _ = maps_to_scores(model(x), target_transform=model.config["target_transform"])
    np.testing.assert_allclose(scores, expected.numpy(), rtol=1e-5, atol=1e-6)


def test_border_frames_see_repeated_frames_not_wrapped_ones(model):
    video = _video(9)
    scores = frame_scores(model, video)
    changed = video.copy()
    changed[8] = 255 - changed[8]
    rescored = frame_scores(model, changed)
    np.testing.assert_array_equal(scores[:5], rescored[:5])
    assert not np.allclose(scores[5:], rescored[5:]), "frames 5..8 see frame 8"


def test_scores_stream_lazily_with_bounded_lookahead(model):
    consumed = []

    def stream():
        for index in range(1000):
            consumed.append(index)
            yield np.zeros((96, 144), np.uint8)

    chunks = iter_frame_scores(model, stream(), batch_size=16)
    first = next(chunks)
    assert (first.start, len(first.scores)) == (0, 16)
    assert len(consumed) == 16 + 3, "a chunk is yielded as soon as the frames 3 ahead have arrived"
    rest = list(chunks)
    assert sum(len(c.scores) for c in rest) == 1000 - 16
    assert [c.start for c in rest] == list(range(16, 1000, 16))


def test_maps_on_request_and_empty_videos_or_training_mode_are_refused(model):
    scores, maps = frame_scores(model, _video(5), return_maps=True)
    assert maps.shape == (5, 16, 16)
    np.testing.assert_allclose(scores, maps.max(axis=(1, 2)))
    with pytest.raises(ValueError, match="no frames to score"):
        frame_scores(model, np.zeros((0, 96, 144), np.uint8))
    with pytest.raises(ValueError, match="training mode"):
        frame_scores(build_student("fast", 1, (32, 48)), _video(2))


def _with_batch_norm_statistics(model):
    generator = torch.Generator().manual_seed(2)
    for module in model.modules():
        if isinstance(module, torch.nn.BatchNorm2d):
            module.running_mean.normal_(0, 0.5, generator=generator)
            module.running_var.uniform_(0.5, 2, generator=generator)
            module.weight.data.uniform_(0.5, 1.5, generator=generator)
    return model.eval()


def test_inference_copy_folds_batch_norm_without_changing_scores_or_the_model():
    torch.manual_seed(1)
    reference = _with_batch_norm_statistics(build_student("fast", 1, (32, 48)))
    state = {k: v.clone() for k, v in reference.state_dict().items()}
    folded, dtype = prepare_for_inference(reference, bf16=False)
    video = _video(12)
    assert dtype == torch.float32
    assert not any(isinstance(m, torch.nn.BatchNorm2d) for m in folded.modules())
    np.testing.assert_allclose(frame_scores(folded, video), frame_scores(reference, video), rtol=1e-4, atol=1e-5)
    assert all(torch.equal(state[k], v) for k, v in reference.state_dict().items()), "the original is untouched"


def test_bfloat16_inference_stays_close_to_float32():
    torch.manual_seed(1)
    reference = _with_batch_norm_statistics(build_student("fast", 1, (32, 48)))
    fast, dtype = prepare_for_inference(reference, bf16=True)
    video = _video(12)
    assert dtype == torch.bfloat16 and next(fast.parameters()).dtype == torch.bfloat16
    expected = frame_scores(reference, video)
    np.testing.assert_allclose(frame_scores(fast, video), expected, atol=0.02 * np.abs(expected).max() + 1e-3)


def test_measure_fps_reports_forward_and_end_to_end_rates_per_batch_size(model):
    rows = measure_fps(model, batch_sizes=(1, 4), warmup=1, repeats=3, source_size=(96, 144), threads=1)
    assert [r["batch_size"] for r in rows] == [1, 4]
    for row in rows:
        assert row["fps_forward"] > 0 and row["fps_end_to_end"] > 0
        assert 0 < row["latency_ms_p50"] <= row["latency_ms_p95"]


def test_scores_come_back_in_teacher_units():
    maps = {16: torch.zeros(1, 2, 16, 16)}
    maps[16][0, :, 2, 3] = torch.log1p(torch.tensor(4.0))
    scores, combined = maps_to_scores(maps, target_transform="log1p")
    assert scores.item() == pytest.approx(4.0) and combined.shape == (1, 16, 16)


def test_batched_resize_matches_one_frame_at_a_time():
    frames = _video(5)
    for size in [(32, 48), (37, 55), (120, 200)]:
        together = resize_frames(frames, size)
        np.testing.assert_array_equal(together, np.stack([resize_frame(f, size) for f in frames]))
    with pytest.raises(ValueError, match="same size"):
        resize_frames([frames[0], frames[0][:50]], (32, 48))


@pytest.mark.parametrize("factor", [3, 5])
def test_odd_factor_resize_gives_opencv_area_pixels_for_every_block_sum(factor):
    import cv2

    from student.preprocessing import area_by_box_filter

    size = (24, 40)
    sums = np.arange(size[0] * size[1]) * (factor * factor * 255) // (size[0] * size[1] - 1)  # 0 .. k*k*255
    blocks = np.repeat(sums[:, None] // (factor * factor), factor * factor, axis=1)
    blocks[np.arange(factor * factor)[None, :] < (sums % (factor * factor))[:, None]] += 1
    frame = blocks.reshape(*size, factor, factor).transpose(0, 2, 1, 3).reshape(size[0] * factor, size[1] * factor)
    frame = frame.astype(np.uint8)
    noise = np.random.default_rng(factor).integers(0, 256, frame.shape, dtype=np.uint8)
    for source in (frame, noise):
        expected = cv2.resize(source, size[::-1], interpolation=cv2.INTER_AREA)
        np.testing.assert_array_equal(area_by_box_filter(source, factor), expected)
        np.testing.assert_array_equal(resize_frame(source, size), expected)
        out = np.empty(size, np.uint8)
        assert resize_frame(source, size, out) is out
        np.testing.assert_array_equal(out, expected)
    bigger = noise[:size[0] * 2 + 1, :size[1] * 2 + 1]  # no integer factor: INTER_AREA into out
    assert resize_frame(bigger, size, out) is out
    np.testing.assert_array_equal(out, cv2.resize(bigger, size[::-1], interpolation=cv2.INTER_AREA))


@pytest.mark.parametrize("channels_last", [True, False])
@pytest.mark.parametrize("offsets", [(-3, 0, 3), (0,)])
def test_triplet_batches_hold_the_indexed_frames_scaled_to_one(channels_last, offsets):
    frames = _video(10)[:, :32, :48]
    indices = triplet_indices([0, 4, 9], 10, offsets)
    x = triplets_to_input(frames, indices, channels_last=channels_last)
    assert x.shape == (3, len(offsets), 32, 48)
    assert x.is_contiguous(memory_format=torch.channels_last if channels_last else torch.contiguous_format)
    np.testing.assert_allclose(x.numpy(), frames[indices] / np.float32(255), rtol=1e-6)


@pytest.mark.skipif(platform.libc_ver()[0] != "glibc", reason="mallopt thresholds are glibc's")
def test_scoring_keeps_freed_memory_in_the_process_on_glibc():
    from student.allocator import keep_freed_memory

    assert keep_freed_memory() is True


def test_opencv_resizes_on_the_scoring_thread_while_scoring_and_gets_its_threads_back(model):
    import cv2

    cv2.setNumThreads(2)
    seen = []

    def frames():
        for frame in _video(12):
            seen.append(cv2.getNumThreads())
            yield frame

    try:
        chunks = iter_frame_scores(model, frames(), batch_size=4)
        next(chunks)
        assert cv2.getNumThreads() == 1, "OpenCV's pool must stay idle while the network runs"
        list(chunks)
        assert set(seen) == {1}
        assert cv2.getNumThreads() == 2
        next(iter_frame_scores(model, frames(), batch_size=4))  # a stream left unfinished, then dropped
        assert cv2.getNumThreads() == 2
    finally:
        cv2.setNumThreads(-1)


@pytest.mark.parametrize("transform", ["capped-log1p", "log1p", "identity"])
def test_frame_scores_from_cpu_maps_equal_the_torch_formula(transform):
    from student.target_transforms import to_teacher_units

    maps = {s: 3 * torch.randn(5, 2, s, s, generator=torch.Generator().manual_seed(s)) for s in (1, 4, 16)}
    scores, combined = maps_to_scores(maps, target_transform=transform)
    expected = to_teacher_units(maps[16], transform).mean(dim=1)
    assert torch.is_tensor(scores) and torch.is_tensor(combined)
    torch.testing.assert_close(combined, expected)
    torch.testing.assert_close(scores, expected.amax(dim=(1, 2)))
    as_array = to_teacher_units(maps[16].numpy(), transform)
    assert isinstance(as_array, np.ndarray)
    np.testing.assert_allclose(as_array, to_teacher_units(maps[16], transform).numpy(), rtol=1e-6)


def _with_fusion(model, fusion):
    scored = copy.deepcopy(model)
    scored.config = {**model.config, "fusion": fusion.to_dict()}
    return scored


def test_a_student_scores_frames_with_the_teachers_fusion_and_keeps_the_mean_map(model):
    from student.fusion import Fusion

    video = _video(9)
    plain, plain_maps = frame_scores(model, video, return_maps=True)
    unit = {"motion": (0.0, 1.0), "appearance": (0.0, 1.0)}
    shifted = {"motion": (1.0, 3.0), "appearance": (1.0, 3.0)}
    scored = {name: frame_scores(_with_fusion(model, fusion), video, return_maps=True) for name, fusion in {
        "sum_map": Fusion("sum_map", 0.999, unit), "sum_map shifted": Fusion("sum_map", 0.999, shifted),
        "sum": Fusion("sum", 0.999, unit), "max": Fusion("max", 0.999, unit), "mean_map": Fusion("mean_map")}.items()}
    for scores, maps in scored.values():
        np.testing.assert_array_equal(maps, plain_maps)  # localisation stays on the averaged map
    np.testing.assert_allclose(scored["mean_map"][0], plain, rtol=1e-6)
    np.testing.assert_allclose(scored["sum_map"][0], 2 * plain, rtol=1e-5)  # the sum of two maps is twice their mean
    np.testing.assert_allclose(scored["sum_map shifted"][0], plain - 1, rtol=1e-5, atol=1e-6)  # ((2 mean - 2) / 2)
    assert np.all(scored["sum"][0] >= scored["sum_map"][0] - 1e-6)  # the sum of maxima bounds the maximum of sums
    # the largest of two maxima >= their mean >= the largest cell of the mean map
    assert np.all(scored["max"][0] >= scored["sum"][0] / 2 - 1e-6) and np.all(scored["sum"][0] / 2 >= plain - 1e-6)
    assert np.any(scored["sum"][0] > scored["sum_map"][0] + 1e-4)  # the two heads peak in different cells


def test_a_student_fusion_over_other_teachers_is_refused(model):
    from student.fusion import Fusion

    with pytest.raises(ValueError, match="no calibration for teachers"):
        frame_scores(_with_fusion(model, Fusion("sum", 0.999, {"motion": (0.0, 1.0)})), _video(3))
