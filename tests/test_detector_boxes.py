"""`--detector boxes`: detections made elsewhere, read from CSV files, reach the shards (also those of
pseudo-anomaly clips, through their source frames); min_score, the union with the foreground
detector, clipping at the frame edge, and one-line errors naming file and line for bad rows."""
import csv
import shutil
import subprocess
import sys
from pathlib import Path

import h5py
import numpy as np
import pytest

from pipeline.datasets import open_dataset
from pipeline.errors import FastaedError
from pipeline.precompute import PrecomputeOptions, precompute_teachers
from pipeline.precompute.driver import check_buildable
from pipeline.precompute.pseudo import KINDS, pseudo_clip
from teachers.detection import VideoIdentity, build_detector, detections_from_continuous

HEADER = ["video", "frame", "x1", "y1", "x2", "y2", "score"]
PED2 = Path(__file__).resolve().parents[2] / "shared/data/ucsd_ped2"
FRAMES, HEIGHT, WIDTH = 40, 80, 120
"""The tiny scene's (conftest.TINY_SCENE) video length and frame size."""


def write_boxes(folder, rows_by_split):
    """Write ``training.csv`` / ``testing.csv`` under ``folder`` from lists of rows (header added)."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, rows in rows_by_split.items():
        with open(folder / name, "w", newline="") as handle:
            writer = csv.writer(handle)
            writer.writerow(HEADER)
            writer.writerows(rows)
    return folder


def scene_rows(video_ids):
    """Per video and frame: one strong box whose x1 is the frame index (so a shard's box says which
    source frame it came from) and whose y1 is 10 * the video's position, plus one weak box."""
    rows = []
    for position, video in enumerate(video_ids):
        for frame in range(FRAMES):
            rows.append([video, frame, frame + 0.5, 10 * position + 2.25, frame + 20.0, 10 * position + 30.0, 0.9])
            rows.append([video, frame, 70.0, 40.0, 90.0, 70.0, 0.1])
    return rows


@pytest.fixture(scope="module")
def scene_boxes(tiny_scene, tmp_path_factory):
    dataset = open_dataset(tiny_scene)
    return write_boxes(tmp_path_factory.mktemp("boxes") / "dets", {
        "training.csv": scene_rows([v.id for v in dataset.train]),
        "testing.csv": scene_rows([v.id for v in dataset.test])})


def test_boxes_reach_the_shards_and_pseudo_clips_use_their_source_frames(tiny_scene, scene_boxes, tmp_path):
    out = tmp_path / "shards"
    options = PrecomputeOptions(frame_size=(HEIGHT, WIDTH), detector="boxes",
                                detector_options={"path": str(scene_boxes), "min_score": 0.5, "union": "none"},
                                teachers=("density",), folds=2, pseudo_anomalies=("skip4", "reverse"))
    precompute_teachers(tiny_scene, out, options, workers=1, progress=False)
    dataset = open_dataset(tiny_scene)
    assert {(len(v), tuple(v.frame_size)) for v in (*dataset.train, *dataset.test)} == {(FRAMES, (HEIGHT, WIDTH))}
    positions = {("train", v.id): i for i, v in enumerate(dataset.train)}
    positions.update({("test", v.id): i for i, v in enumerate(dataset.test)})
    expected_sources = {"skip4": np.arange(0, FRAMES, 4), "reverse": np.arange(FRAMES)[::-1]}
    shards = sorted(out.glob("*/*.h5"))
    assert len(shards) == len(dataset.train) * 3 + len(dataset.test)
    for shard in shards:
        with h5py.File(shard, "r") as handle:
            boxes, split = handle["boxes"][()], handle.attrs["split"]
            if split == "pseudo":
                source = ("train", handle.attrs["source_video"])
                sources = expected_sources[handle.attrs["pseudo_kind"]]
            else:
                source, sources = (split, handle.attrs["video"]), np.arange(FRAMES)
        # one box per frame: the weak ones are gone, the strong one is the source frame's
        assert boxes[:, 0].tolist() == list(range(len(sources))), shard
        y1 = 10 * positions[source] + 2
        expected = [[s, y1, s + 19, y1 + 27, np.float32(0.9)] for s in sources]
        np.testing.assert_array_equal(boxes[:, 1:], np.array(expected, np.float32), err_msg=str(shard))

    # the same path with other boxes in it is another configuration: its shards are not reused
    rows = scene_rows([v.id for v in dataset.test])
    rows[0][-1] = 0.8
    write_boxes(scene_boxes, {"testing.csv": rows})
    with pytest.raises(FastaedError, match="another configuration.*changed: detector"):
        precompute_teachers(tiny_scene, out, options, workers=1, progress=False)


def test_min_score_drops_weaker_boxes_and_boxes_are_clipped_within_the_tolerance(tmp_path):
    folder = write_boxes(tmp_path / "dets", {"testing.csv": [
        ["a", 0, -3.0, 5.0, 10.0, 20.0, 0.9],            # 3 px left of the frame: clipped
        ["a", 0, 30.0, 5.0, WIDTH + 2.5, HEIGHT + 1, 0.4],  # past the right and bottom edges: clipped
        ["a", 2, 1.0, 1.0, 4.0, 4.0, 0.2]]})
    frames = np.zeros((3, HEIGHT, WIDTH), np.uint8)
    identity = VideoIdentity("test", "a", np.arange(3))
    detector = build_detector("boxes", path=str(folder), union="none")
    detector.check_videos({"test": {"a": (3, (HEIGHT, WIDTH))}})
    found = detector.detect(frames, video=identity)
    assert [len(d) for d in found] == [2, 0, 1]
    assert found[0][:, :4].tolist() == [[0, 5, 9, 19], [30, 5, WIDTH - 1, HEIGHT - 1]]
    strong = build_detector("boxes", path=str(folder), min_score=0.5, union="none").detect(frames, video=identity)
    assert [d[:, 4].tolist() for d in strong] == [[np.float32(0.9)], [], []]


def test_union_adds_the_foreground_boxes_no_file_box_matches(tiny_scene, tmp_path):
    video = open_dataset(tiny_scene).test[0]
    frames = np.stack(list(video.iter_frames()))
    foreground = build_detector("foreground").detect(frames)
    assert sum(len(f) > 1 for f in foreground) >= 5, "the tiny scene's test video should show several objects"
    # the file holds the foreground's first box of each frame (as continuous corners) and the top left
    # quarter of its second box (an IoU near 0.25 with it)
    rows = [[video.id, t, *(f[0, :2]), *(f[0, 2:4] + 1), 0.75] for t, f in enumerate(foreground) if len(f)]
    rows += [[video.id, t, f[1, 0], f[1, 1], (f[1, 0] + f[1, 2]) // 2 + 1, (f[1, 1] + f[1, 3]) // 2 + 1, 0.7]
             for t, f in enumerate(foreground) if len(f) > 1]
    folder = write_boxes(tmp_path / "dets", {"testing.csv": rows})
    identity = VideoIdentity("test", video.id, np.arange(len(frames)))
    alone = build_detector("boxes", path=str(folder), union="none").detect(frames, video=identity)
    union = build_detector("boxes", path=str(folder)).detect(frames, video=identity)
    strict = build_detector("boxes", path=str(folder), union_iou=1e-9).detect(frames, video=identity)
    for t, (file_boxes, seen) in enumerate(zip(alone, foreground)):
        assert len(file_boxes) == min(len(seen), 2)
        for both, max_iou in ((union[t], 0.5), (strict[t], 1e-9)):
            np.testing.assert_array_equal(both[:len(file_boxes)], file_boxes)
            # every foreground box is added unless a file box overlaps it with an IoU of max_iou or more
            expected = [box for box in seen if max(_iou(box, other) for other in file_boxes) < max_iou]
            np.testing.assert_array_equal(both[len(file_boxes):], np.array(expected, np.float32).reshape(-1, 5),
                                          err_msg=f"frame {t}")
    assert sum(map(len, alone)) <= sum(map(len, strict)) < sum(map(len, union))


def _iou(a, b):
    """IoU of two inclusive-pixel boxes, by counting pixels."""
    size = int(max(a[2], b[2])) + 1, int(max(a[3], b[3])) + 1
    masks = np.zeros((2, *size), bool)
    for mask, (x1, y1, x2, y2) in zip(masks, (a[:4].astype(int), b[:4].astype(int))):
        mask[x1:x2 + 1, y1:y2 + 1] = True
    return (masks[0] & masks[1]).sum() / (masks[0] | masks[1]).sum()


@pytest.mark.parametrize("kind", KINDS)
def test_pseudo_clips_name_the_source_frame_of_every_frame(kind):
    frames = np.random.default_rng(1).integers(0, 255, (150, 24, 32), np.uint8)
    clip, sources = pseudo_clip(frames, kind, "07")
    assert len(clip) == len(sources) and len(set(sources.tolist())) == len(sources)
    same = clip == frames[sources]
    if kind in ("patch", "cross"):  # everything but the pasted object is the source frame
        assert same.mean() > 0.8 and not same.all()
    else:
        assert same.all()


def _bad_row_cases():
    good = ["01", 3, 10.0, 10.0, 30.0, 40.0, 0.9]
    cases = {
        "unknown video": (["99", *good[1:]], "line 3: video '99' is not a test video"),
        "frame out of range": (["01", FRAMES, *good[2:]], f"line 3: frame {FRAMES} of test video 01 is out of range"),
        "negative frame": (["01", -1, *good[2:]], "line 3: frame -1 is not a frame index"),
        "NaN": (["01", 3, "nan", *good[3:]], "line 3: x1 is nan"),
        "not a number": (["01", 3, 10.0, "ten", *good[4:]], "line 3: y1 'ten' is not a number"),
        "box outside the frame": (["01", 3, 10.0, 10.0, WIDTH + 20.0, 40.0, 0.9], "line 3: box (10, 10, 140, 40) "
                                  "reaches 20.0 px outside the 120x80 frames"),
        "x2 < x1": (["01", 3, 30.0, 10.0, 10.0, 40.0, 0.9], "line 3: x2 10 is less than x1 30"),
        "y2 < y1": (["01", 3, 10.0, 40.0, 30.0, 10.0, 0.9], "line 3: y2 10 is less than y1 40"),
        "missing field": (good[:-1], "line 3: 6 fields, but the header has 7"),
    }
    return {name: (row, message) for name, (row, message) in cases.items()}


def _precompute_cli(dataset, out, dets):
    return subprocess.run([sys.executable, "-m", "pipeline", "precompute-teachers", "--dataset", str(dataset),
                           "--out", str(out), "--detector", "boxes", "--detector-option", f"path={dets}",
                           "--teachers", "density", "--quiet"], capture_output=True, text=True, timeout=300)


def _assert_one_line_error(result, *fragments):
    lines = result.stderr.strip().splitlines()
    assert result.returncode == 2, result.stderr
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    for fragment in fragments:
        assert fragment in lines[0], lines[0]


@pytest.mark.parametrize("case", list(_bad_row_cases()))
def test_a_bad_row_is_one_line_naming_file_and_line(tiny_scene, tmp_path, case):
    row, message = _bad_row_cases()[case]
    dataset = open_dataset(tiny_scene)
    assert [v.id for v in dataset.test] == ["01"]
    rows = {"training.csv": [[dataset.train[0].id, 0, 1.0, 1.0, 5.0, 5.0, 0.5]],
            "testing.csv": [["01", 0, 1.0, 1.0, 5.0, 5.0, 0.5], row, ["01", 5, 1.0, 1.0, 5.0, 5.0, 0.5]]}
    dets = write_boxes(tmp_path / "dets", rows)
    result = _precompute_cli(tiny_scene, tmp_path / "shards", dets)
    _assert_one_line_error(result, f"{dets.resolve() / 'testing.csv'} {message}")
    assert not (tmp_path / "shards" / "test").exists()


def test_a_bad_header_and_a_missing_split_file_are_one_line(tiny_scene, tmp_path):
    dets = write_boxes(tmp_path / "dets", {"training.csv": [], "testing.csv": []})
    (dets / "testing.csv").write_text("video,frame,left,top,right,bottom,score\n01,0,1,1,5,5,0.5\n")
    _assert_one_line_error(_precompute_cli(tiny_scene, tmp_path / "shards", dets),
                           f"{dets.resolve() / 'testing.csv'} line 1: the header is",
                           "it must be video,frame,x1,y1,x2,y2,score")
    (dets / "testing.csv").unlink()
    _assert_one_line_error(_precompute_cli(tiny_scene, tmp_path / "shards", dets),
                           f"{dets.resolve() / 'testing.csv'} is missing")
    shutil.rmtree(dets)
    _assert_one_line_error(_precompute_cli(tiny_scene, tmp_path / "shards", dets), "is not a folder: pass path=DIR")


def test_check_buildable_names_the_box_files_content(tmp_path):
    folder = write_boxes(tmp_path / "dets", {"testing.csv": [["a", 0, 1.0, 1.0, 5.0, 5.0, 0.5]]})
    options = PrecomputeOptions((8, 8), detector="boxes", detector_options={"path": str(folder)},
                                teachers=("density",))
    videos = {"test": {"a": (1, (8, 8))}}
    before = check_buildable(options, videos)
    write_boxes(folder, {"testing.csv": [["a", 0, 1.0, 1.0, 5.0, 6.0, 0.5]]})
    assert check_buildable(options, videos) != before
    assert check_buildable(PrecomputeOptions((8, 8), teachers=("density",)), videos) is None


@pytest.mark.skipif(not PED2.is_dir(), reason="UCSD Ped2 is not at ../shared/data/ucsd_ped2")
def test_the_real_yolov3_boxes_of_ped2_load_and_fit_the_dataset():
    dataset = open_dataset(PED2)
    videos = {split: {v.id: (len(v), tuple(v.frame_size)) for v in split_videos}
              for split, split_videos in (("train", dataset.train), ("test", dataset.test))}
    detector = build_detector("boxes", path=str(PED2 / "detections/yolov3"), union="none")
    detector.check_videos(videos)
    for split, file_rows in (("train", 36663), ("test", 39834)):
        table = detector._table(split)
        assert len(table.video) == file_rows
        assert set(table.video) == set(videos[split])
        for video, (num_frames, _) in videos[split].items():
            assert table.frame[table.video == video].max() == num_frames - 1
        assert table.score.min() >= 0.3
    last = dataset.test[-1]
    found = detector.detect(np.zeros((len(last), *last.frame_size), np.uint8),
                            video=VideoIdentity("test", last.id, np.arange(len(last))))
    assert sum(map(len, found)) == int((detector._table("test").video == last.id).sum())
    assert all(((d[:, :2] >= 0) & (d[:, 2:4] < [last.frame_size[1], last.frame_size[0]])).all() for d in found)
