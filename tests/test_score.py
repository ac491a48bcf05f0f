"""`fastaed score` on real files: a generated .avi, a frame folder, streams that must not be held whole."""
import csv
import io

import cv2
import numpy as np
import pytest
import torch
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import FastaedError
from pipeline.evaluation.causal_smoothing import CausalGaussian
from pipeline.evaluation.inference import load_inference_student, stream_frame_scores
from pipeline.evaluation.scoring import score_stream
from pipeline.evaluation.sources import FrameStream
from student import build_student, frame_scores, load_student, save_checkpoint

HEIGHT, WIDTH = 48, 64


def moving_square(count, seed=0):
    """(count, H, W) uint8 frames: a bright square crossing a noisy background."""
    frames = np.random.default_rng(seed).integers(40, 90, size=(count, HEIGHT, WIDTH), dtype=np.uint8)
    for index, frame in enumerate(frames):
        x = (3 * index) % (WIDTH - 10)
        frame[20:30, x:x + 10] = 230
    return frames


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory):
    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("score") / "student.pt"
    save_checkpoint(path, build_student("fast", ["motion", "appearance"], (32, 32)))
    return path


@pytest.fixture(scope="module")
def avi(tmp_path_factory):
    """A 23-frame Motion-JPEG .avi and the grey frames OpenCV decodes from it."""
    path = tmp_path_factory.mktemp("video") / "clip.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 10, (WIDTH, HEIGHT))
    for frame in moving_square(23):
        writer.write(cv2.cvtColor(frame, cv2.COLOR_GRAY2BGR))
    writer.release()
    capture, decoded = cv2.VideoCapture(str(path)), []
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        decoded.append(cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY))
    assert len(decoded) == 23
    return path, np.stack(decoded)


def run(*args):
    return CliRunner().invoke(main, ["score", *map(str, args), "--quiet"])


def read_scores(text):
    rows = list(csv.DictReader(io.StringIO(text)))
    return [int(row["frame"]) for row in rows], np.array([float(row["score"]) for row in rows])


def count_frames(path):
    capture, count = cv2.VideoCapture(str(path)), 0
    while capture.read()[0]:
        count += 1
    return count


def test_avi_gives_one_score_per_frame_equal_to_scoring_the_decoded_frames(checkpoint, avi, tmp_path):
    path, decoded = avi
    out = tmp_path / "scores.csv"
    result = run(path, "--checkpoint", checkpoint, "--out", out, "--batch-size", 4)
    assert result.exit_code == 0, result.output
    frames, scores = read_scores(out.read_text())
    assert frames == list(range(23))
    np.testing.assert_allclose(scores, frame_scores(load_student(checkpoint), decoded), rtol=1e-4, atol=1e-5)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["scores.csv"]


def test_without_out_the_csv_goes_to_stdout_and_batch_size_does_not_change_scores(checkpoint, avi, tmp_path):
    one = run(avi[0], "--checkpoint", checkpoint, "--batch-size", 1)
    many = run(avi[0], "--checkpoint", checkpoint, "--batch-size", 64)
    assert one.exit_code == 0 and many.exit_code == 0, one.output + many.output
    assert one.stdout.startswith("frame,score\n")
    frames, scores_one = read_scores(one.stdout)
    assert frames == list(range(23))
    np.testing.assert_allclose(scores_one, read_scores(many.stdout)[1], rtol=1e-4, atol=1e-5)


def test_frame_folder_with_overlay_and_causal_smoothing(checkpoint, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    frames = moving_square(17)
    for index, frame in enumerate(frames):
        cv2.imwrite(str(folder / f"{index:03d}.png"), frame)
    raw, smooth = tmp_path / "raw.csv", tmp_path / "smooth.csv"
    result = run(folder, "--checkpoint", checkpoint, "--out", raw, "--overlay", tmp_path / "overlay.avi")
    assert result.exit_code == 0, result.output
    assert run(folder, "--checkpoint", checkpoint, "--out", smooth, "--causal-sigma", 2).exit_code == 0
    indices, raw_scores = read_scores(raw.read_text())
    assert indices == list(range(17))
    np.testing.assert_allclose(raw_scores, frame_scores(load_student(checkpoint), frames), rtol=1e-4, atol=1e-5)
    causal = CausalGaussian(2)
    np.testing.assert_allclose(read_scores(smooth.read_text())[1], [causal(s) for s in raw_scores],
                               rtol=1e-6, atol=1e-6)
    assert count_frames(tmp_path / "overlay.avi") == 17


def test_scores_come_out_before_the_input_ends_with_a_bounded_buffer(checkpoint):
    model = load_inference_student(checkpoint)
    reads = 0

    def camera():
        nonlocal reads
        for index in range(200):
            reads += 1
            frame = np.full((HEIGHT, WIDTH), 60, np.uint8)
            frame[0, :2] = index // 256, index % 256  # the frame says which one it is
            yield frame

    batch_size, seen = 4, 0
    for item in stream_frame_scores(model, camera(), batch_size, return_maps=True, keep_frames=True):
        assert item.index == seen
        # frames read but not yet scored stay few: the window and the frames decoded ahead (and one in hand)
        assert reads - item.index <= 2 * (batch_size + 3) + 1
        assert int(item.frame[0, 0]) * 256 + int(item.frame[0, 1]) == item.index
        assert item.map.shape == (16, 16)
        seen += 1
    assert seen == reads == 200


def test_a_live_stream_ends_cleanly_on_ctrl_c_and_a_file_does_not(checkpoint):
    model = load_inference_student(checkpoint)

    def interrupted():
        yield from moving_square(30)
        raise KeyboardInterrupt

    out = io.StringIO()
    count = score_stream(model, FrameStream(interrupted(), "camera 0", live=True), out, batch_size=4, progress=False)
    assert 0 < count <= 30 and out.getvalue().count("\n") == count + 1
    with pytest.raises(KeyboardInterrupt):
        score_stream(model, FrameStream(interrupted(), "clip"), io.StringIO(), batch_size=4, progress=False)


def test_causal_smoothing_uses_past_frames_only():
    scores = np.random.default_rng(1).random(50)
    smooth = CausalGaussian(3.0)
    out = [smooth(value) for value in scores]
    weights = np.exp(-0.5 * (np.arange(13) / 3.0) ** 2)
    assert out[30] == pytest.approx(np.dot(weights, scores[30:17:-1]) / weights.sum())
    changed = CausalGaussian(3.0)
    assert [changed(value) for value in np.concatenate((scores[:31], [9.0] * 19))][:31] == pytest.approx(out[:31])
    assert [CausalGaussian(0)(value) for value in scores[:3]] == pytest.approx(scores[:3])
    with pytest.raises(FastaedError):
        CausalGaussian(-1)


def check_one_line_error(result, *words):
    assert result.exit_code == 2, result.output
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("fastaed: error: "), result.stderr
    assert all(word in lines[0] for word in words), lines[0]


def test_unreadable_inputs_are_one_line_errors(checkpoint, tmp_path):
    broken = tmp_path / "broken.avi"
    broken.write_bytes(b"RIFF but not really a video" * 10)
    check_one_line_error(run(broken, "--checkpoint", checkpoint, "--out", tmp_path / "s.csv"), "broken.avi")
    check_one_line_error(run(tmp_path / "missing.avi", "--checkpoint", checkpoint), "does not exist")
    check_one_line_error(run("97", "--checkpoint", checkpoint), "camera 97")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["broken.avi"]


def test_wrong_checkpoint_is_one_line_error(avi, tmp_path):
    bad = tmp_path / "student.pt"
    bad.write_bytes(b"\x00" * 100)
    check_one_line_error(run(avi[0], "--checkpoint", bad), str(bad), "train-student")
    check_one_line_error(run(avi[0], "--checkpoint", tmp_path / "none.pt"), "does not exist")


def test_a_damaged_frame_midway_leaves_no_partial_outputs(checkpoint, tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(moving_square(30)):
        cv2.imwrite(str(folder / f"{index:03d}.png"), frame)
    (folder / "025.png").write_bytes(b"\x89PNG damaged")
    result = run(folder, "--checkpoint", checkpoint, "--out", tmp_path / "s.csv", "--overlay", tmp_path / "o.mp4",
                 "--batch-size", 2)
    check_one_line_error(result, "025.png")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["frames"]


def test_overlay_needs_a_known_container(checkpoint, avi, tmp_path):
    check_one_line_error(run(avi[0], "--checkpoint", checkpoint, "--overlay", tmp_path / "o.gif"), ".mp4", ".avi")
