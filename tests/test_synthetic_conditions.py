"""The synthetic scene's camera conditions: each option changes the written frames as it says,
stays deterministic by seed, leaves the plain scene as it was, and is documented in --help."""
import hashlib
import json
import os
import subprocess
import sys

import cv2
import numpy as np
import pytest

from pipeline.errors import FastaedError
from pipeline.synthetic import SceneConditions, write_synthetic
from pipeline.synthetic.choreography import plan_video
from pipeline.synthetic.geometry import WalkwayGeometry

SMALL = dict(seed=5, train_videos=1, test_videos=2, frames=40, size=(96, 144), progress=False)


@pytest.fixture(scope="module")
def plain(tmp_path_factory):
    return write_synthetic(tmp_path_factory.mktemp("plain") / "scene", **SMALL).root


def _write(tmp_path, name, **conditions):
    return write_synthetic(tmp_path / name, conditions=SceneConditions(**conditions), **SMALL).root


def _frames(root, split="testing", video="01"):
    paths = sorted((root / split / "frames" / video).glob("*.jpg"))
    return np.stack([cv2.imread(str(p), cv2.IMREAD_GRAYSCALE) for p in paths])


def _hashes(root):
    return {str(p.relative_to(root)): hashlib.sha256(p.read_bytes()).hexdigest()
            for p in sorted(root.rglob("*")) if p.is_file()}


def _labels(root):
    return json.loads((root / "gt/frame_labels.json").read_text())


def test_default_conditions_write_the_plain_scene_byte_for_byte(tmp_path, plain):
    explicit = _write(tmp_path, "explicit")
    assert _hashes(explicit) == _hashes(plain)
    assert "conditions" not in json.loads((plain / "gt/anomalies.json").read_text())


def test_jitter_moves_the_camera_by_at_most_its_amplitude_and_keeps_the_plan(tmp_path, plain):
    shaken = _write(tmp_path, "shaken", jitter=2.0)
    still, moved = _frames(plain, "training").astype(np.float32), _frames(shaken, "training").astype(np.float32)
    shifts = np.array([cv2.phaseCorrelate(a, b)[0] for a, b in zip(still, moved)])
    assert np.abs(shifts).max() <= 2.5
    assert np.abs(shifts).max(axis=1).mean() > 0.7  # most frames moved clearly
    assert np.abs(np.diff(shifts, axis=0)).max() > 1.0  # and the shake changes from frame to frame
    assert _labels(shaken) == _labels(plain)  # the same people, walking the same way
    conditions = json.loads((shaken / "gt/anomalies.json").read_text())["conditions"]
    assert conditions["jitter"] == 2.0 and conditions["flicker"] == 0.0


def test_flicker_changes_brightness_per_video_and_per_frame(tmp_path, plain):
    flickering = _write(tmp_path, "flicker", flicker=0.3)

    def medians(root):
        return {video: np.median(_frames(root, "testing", video).reshape(SMALL["frames"], -1), axis=1)
                for video in ("01", "02")}

    before, after = medians(plain), medians(flickering)
    assert all(np.std(after[v]) > 3 * np.std(before[v]) for v in after)  # over time within a video
    between = abs(np.median(after["01"]) - np.median(after["02"]))
    assert between > abs(np.median(before["01"]) - np.median(before["02"])) + 3  # between videos
    assert _labels(flickering) == _labels(plain)


def test_noise_and_jpeg_quality_degrade_the_frames(tmp_path, plain):
    noisy = _write(tmp_path, "noisy", noise=8.0)
    compressed = _write(tmp_path, "compressed", jpeg_quality=20)

    def grain(root):
        frames = _frames(root, "training").astype(np.float32)
        return float(np.mean([np.std(f - cv2.GaussianBlur(f, (5, 5), 0)) for f in frames]))

    assert grain(noisy) > 1.5 * grain(plain)
    size = {name: sum(p.stat().st_size for p in (root / "training").rglob("*.jpg"))
            for name, root in (("plain", plain), ("compressed", compressed))}
    assert size["compressed"] < 0.6 * size["plain"]
    blocks = np.abs(_frames(compressed, "training").astype(np.float32) - _frames(plain, "training"))
    assert blocks.mean() > 1.0


def test_person_scale_makes_people_larger(tmp_path, plain):
    large = _write(tmp_path, "large", person_scale=2.0)

    def anomaly_pixels(root):
        counts = []
        for video in ("01", "02"):
            for path in sorted((root / "testing/pixel_masks" / video).glob("*.png")):
                pixels = int((cv2.imread(str(path), cv2.IMREAD_GRAYSCALE) > 0).sum())
                if pixels:
                    counts.append(pixels)
        return np.median(counts)

    assert anomaly_pixels(large) > 2.5 * anomaly_pixels(plain)  # area grows with the square of the scale


def test_crowding_puts_more_people_in_view():
    geometry = WalkwayGeometry(160, 240)

    def in_view(crowding):
        counts = []
        for index in range(4):
            actors = plan_video(geometry, np.random.default_rng([1, index]), 80, crowding=crowding)
            counts.append(sum(actor.visible((160, 240)) for actor in actors).mean())
        return float(np.mean(counts))

    assert in_view(2.5) > 1.5 * in_view(1.0)


def test_same_seed_and_conditions_give_the_same_bytes(tmp_path):
    conditions = dict(jitter=1.5, flicker=0.2, noise=4.0, jpeg_quality=50, person_scale=1.5, crowding=2.0)
    first = _hashes(_write(tmp_path, "a", **conditions))
    again = _hashes(_write(tmp_path, "b", **conditions))
    other = _hashes(write_synthetic(tmp_path / "c", conditions=SceneConditions(**conditions),
                                    **{**SMALL, "seed": 6}).root)
    assert first == again
    assert any(first[name] != other.get(name) for name in first if name.endswith(".jpg"))


def test_out_of_range_conditions_are_refused(tmp_path):
    with pytest.raises(FastaedError, match="--person-scale 9.0"):
        write_synthetic(tmp_path / "x", conditions=SceneConditions(person_scale=9.0), **SMALL)
    assert not (tmp_path / "x").exists()


def _fastaed(*arguments):
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    return subprocess.run([sys.executable, "-m", "pipeline", *arguments], capture_output=True, text=True, env=env)


def test_cli_documents_and_applies_every_condition(tmp_path):
    help_text = _fastaed("synth", "--help").stdout
    for option in ("--jitter", "--flicker", "--noise", "--jpeg-quality", "--person-scale", "--crowding"):
        assert option in help_text
    out = tmp_path / "cli"
    result = _fastaed("synth", str(out), "--seed", "2", "--train-videos", "1", "--test-videos", "1",
                      "--frames", "30", "--size", "64x96", "--jitter", "1", "--flicker", "0.1",
                      "--jpeg-quality", "60", "--person-scale", "1.5", "--crowding", "2")
    assert result.returncode == 0, result.stderr
    conditions = json.loads((out / "gt/anomalies.json").read_text())["conditions"]
    assert conditions == dict(jitter=1.0, flicker=0.1, noise=2.0, jpeg_quality=60, person_scale=1.5, crowding=2.0)
    bad = _fastaed("synth", str(tmp_path / "bad"), "--jpeg-quality", "0")
    assert bad.returncode == 2 and "--jpeg-quality 0" in bad.stderr and bad.stderr.count("\n") == 1
