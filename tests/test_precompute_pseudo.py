"""Pseudo-anomaly clips: what each kind does to the frames, the option's errors, and their use in training."""
import numpy as np
import pytest
from click.testing import CliRunner

from pipeline.cli import main
from pipeline.errors import FastaedError
from pipeline.precompute.pseudo import KINDS, MAX_FRAMES, PseudoClip, parse_kinds, pseudo_frames
from pipeline.training_data import ShardTrainingSet


def moving_dot(count=48, size=(40, 60)):
    """A bright 4x4 square moving one pixel right per frame on a ramp background."""
    frames = np.tile(np.linspace(40, 120, size[1]).astype(np.uint8), (count, size[0], 1))
    for t in range(count):
        frames[t, 10:14, 5 + t // 2:9 + t // 2] = 250
    return frames


def test_skips_keep_every_kth_frame_and_reverse_plays_backwards():
    frames = moving_dot()
    np.testing.assert_array_equal(pseudo_frames(frames, "skip2", "01"), frames[::2])
    np.testing.assert_array_equal(pseudo_frames(frames, "skip4", "01"), frames[::4])
    np.testing.assert_array_equal(pseudo_frames(frames, "reverse", "01"), frames[::-1])


def test_patch_pastes_one_moving_inverted_rectangle_and_leaves_the_rest():
    frames = moving_dot()
    clip = pseudo_frames(frames, "patch", "01")
    assert clip.shape == frames.shape and clip.dtype == np.uint8
    changed = clip != frames
    boxes = []
    for t in range(len(clip)):
        rows, cols = np.nonzero(changed[t])
        assert len(rows), f"frame {t} has no pasted patch"
        boxes.append((rows.min(), cols.min(), rows.max(), cols.max()))
        # everything changed lies in one rectangle no larger than the largest patch (0.3 x 2.0 of 40 px)
        assert np.ptp(rows) < 24 and np.ptp(cols) < 24
    assert len(set(boxes)) > len(clip) // 2, "the patch does not move"
    np.testing.assert_array_equal(clip, pseudo_frames(frames, "patch", "01"))
    assert not np.array_equal(clip, pseudo_frames(frames, "patch", "02")), "the seed ignores the video id"


def walkway(count=60, size=(60, 90)):
    """Textured 8x5 blobs walking right along a horizontal walkway, at 1.5 pixels per frame."""
    rng = np.random.default_rng(3)
    frames = np.tile(np.linspace(60, 110, size[1]).astype(np.uint8), (count, size[0], 1))
    blob = rng.integers(180, 250, (8, 5)).astype(np.uint8)
    for t in range(count):
        for row, start in ((20, 0), (34, 30), (46, 55)):
            left = int(start + 1.5 * t) % (size[1] - 5)
            frames[t, row:row + 8, left:left + 5] = blob
    return frames


def test_cross_moves_one_of_the_videos_objects_across_the_way_things_move():
    frames = walkway()
    clip = pseudo_frames(frames, "cross", "01")
    assert clip.shape == frames.shape and clip.dtype == np.uint8
    centres = []
    for t in range(len(clip)):
        rows, cols = np.nonzero(clip[t] != frames[t])
        assert len(rows), f"frame {t} has no pasted object"
        assert np.ptp(rows) < 12 and np.ptp(cols) < 12, "more than one object's worth of pixels changed"
        centres.append((rows.mean(), cols.mean()))
    steps = np.abs(np.diff(np.array(centres), axis=0)).mean(axis=0)
    assert steps[0] > 0.7 and steps[1] < 0.5 * steps[0], f"it moves {steps} (rows, cols) per frame, not across"
    np.testing.assert_array_equal(clip, pseudo_frames(frames, "cross", "01"))


def test_long_videos_give_clips_of_at_most_max_frames():
    frames = moving_dot(count=MAX_FRAMES + 50)
    for kind in KINDS:
        assert len(pseudo_frames(frames, kind, "01")) <= MAX_FRAMES
    assert len(pseudo_frames(frames, "skip2", "01")) == (MAX_FRAMES + 50 + 1) // 2


def test_bad_frames_and_kinds_are_refused():
    with pytest.raises(ValueError, match="uint8"):
        pseudo_frames(np.zeros((4, 8, 8), np.float32), "skip2", "01")
    with pytest.raises(ValueError, match="unknown pseudo-anomaly kind"):
        pseudo_frames(moving_dot(), "slow", "01")
    with pytest.raises(ValueError, match="skip2, skip4, reverse, patch, cross"):
        parse_kinds("skip2,sideways")
    assert parse_kinds("none") == () and parse_kinds("skip4, skip4,patch") == ("skip4", "patch")


def test_clip_ids_attributes_and_fingerprints():
    clip = PseudoClip("03", "reverse")
    assert (clip.split, clip.id) == ("pseudo", "03-reverse")
    assert clip.fingerprint("a") != clip.fingerprint("b") != PseudoClip("03", "patch").fingerprint("b")


def test_cli_refuses_an_unknown_kind_in_one_line(tiny_scene, tmp_path):
    result = CliRunner().invoke(main, ["precompute-teachers", "--dataset", str(tiny_scene), "--out",
                                       str(tmp_path / "s"), "--pseudo-anomalies", "skip3"])
    assert result.exit_code == 2
    assert result.output.count("\n") == 1 and "--pseudo-anomalies skip3" in result.output
    assert not (tmp_path / "s").exists()


def test_training_set_adds_the_pseudo_clips_only_when_asked(tiny_shards):
    plain = ShardTrainingSet(tiny_shards)
    with_pseudo = ShardTrainingSet(tiny_shards, pseudo_anomalies=True)
    assert {shard.split for shard in plain.shards} == {"train"}
    pseudo = [shard for shard in with_pseudo.shards if shard.split == "pseudo"]
    assert sorted(shard.video for shard in pseudo) == ["01-patch", "01-skip4", "02-patch", "02-skip4"]
    assert len(with_pseudo) == len(plain) + sum(shard.num_frames for shard in pseudo)
    frames, maps = with_pseudo[len(with_pseudo) - 1]
    assert frames.shape == (3, *with_pseudo.frame_size) and set(maps) == set(with_pseudo.teachers)


def test_training_set_without_pseudo_clips_says_how_to_get_them(tiny_scene, tmp_path):
    from pipeline.precompute import PrecomputeOptions, precompute_teachers

    out = tmp_path / "shards"
    options = PrecomputeOptions(frame_size=(80, 120), teachers=("density",), folds=2, pseudo_anomalies=())
    precompute_teachers(tiny_scene, out, options, workers=1, progress=False)
    with pytest.raises(FastaedError, match="no pseudo-anomaly clips.*--pseudo-anomalies false"):
        ShardTrainingSet(out, pseudo_anomalies=True)
    assert len(ShardTrainingSet(out)) == 80
