"""The HDF5 shard format: schema, atomic writing, validation on read, manifest checksums."""
import json
import math

import h5py
import numpy as np
import pytest

from pipeline.atomic_files import atomic_output
from pipeline.errors import FastaedError
from pipeline.shards import format as fmt
from pipeline.shards import list_shards, open_shard, read_manifest, verify, write_manifest, write_shard
from pipeline.shards.manifest import new_manifest

SOURCE = (60, 92)            # deliberately not a multiple of 8
STUDENT = (32, 48)
TEACHERS = ["density", "autoencoder"]


def moving_blob_shard(num_frames=12, video="01", split="test", config_hash="c0ffee"):
    """Frames of a bright square moving right, its boxes and per-teacher maps and scores."""
    rng = np.random.default_rng(0)
    frames = rng.integers(0, 40, (num_frames, *STUDENT), dtype=np.uint8)
    boxes, grid = [], fmt.map_grid(SOURCE)
    maps = {t: np.zeros((num_frames, *grid), np.float32) for t in TEACHERS}
    for t in range(num_frames):
        x1 = 4 * t
        frames[t, 10:20, x1 // 2: x1 // 2 + 10] = 250
        boxes.append((t, x1, 20, x1 + 19, 39, 0.9))
        for k, teacher in enumerate(TEACHERS):
            maps[teacher][t, 2:5, x1 // 8: (x1 + 19) // 8 + 1] = 0.5 * t + k
    boxes = np.array(boxes, np.float32)
    scores = {teacher: 0.5 * boxes[:, 0] + k for k, teacher in enumerate(TEACHERS)}
    attrs = {"dataset": "blobs", "video": video, "split": split, "num_frames": num_frames,
             "frame_size": SOURCE, "config_hash": config_hash, "teacher_seconds_per_frame": 0.012,
             "source_fingerprint": "f" * 16, "fold": -1}
    return dict(frames=frames, maps=maps, boxes=boxes, scores=scores, attrs=attrs)


@pytest.fixture
def shard_file(tmp_path):
    path = fmt.shard_path(tmp_path, "test", "01")
    content = moving_blob_shard()
    info = write_shard(path, **content)
    return path, content, info


def test_plain_h5py_sees_every_dataset_and_attribute_of_the_schema(shard_file):
    path, content, _ = shard_file
    num_frames, grid = 12, (math.ceil(SOURCE[0] / 8), math.ceil(SOURCE[1] / 8))
    with h5py.File(path, "r") as handle:
        assert set(handle) == {"frames", "maps", "boxes", "scores"}
        frames = handle["frames"]
        assert frames.shape == (num_frames, *STUDENT) and frames.dtype == np.uint8
        assert frames.chunks == (1, *STUDENT)
        np.testing.assert_array_equal(frames[()], content["frames"])
        assert set(handle["maps"]) == set(TEACHERS) == set(handle["scores"])
        for teacher in TEACHERS:
            maps = handle["maps"][teacher]
            assert maps.shape == (num_frames, *grid) == (12, 8, 12) and maps.dtype == np.float16
            assert maps.chunks == (1, *grid)
            assert maps.compression == "gzip" and maps.shuffle and maps.fletcher32
            np.testing.assert_array_equal(maps[()], content["maps"][teacher].astype(np.float16))
            scores = handle["scores"][teacher]
            assert scores.shape == (num_frames,) and scores.dtype == np.float32
            np.testing.assert_array_equal(scores[()], content["scores"][teacher])
        boxes = handle["boxes"]
        assert boxes.shape == (num_frames, 6) and boxes.dtype == np.float32
        np.testing.assert_array_equal(boxes[()], content["boxes"])
        attrs = handle.attrs
        assert attrs["format_version"] == fmt.FORMAT_VERSION
        assert attrs["dataset"] == "blobs" and attrs["video"] == "01" and attrs["split"] == "test"
        assert attrs["num_frames"] == num_frames
        assert tuple(attrs["frame_size"]) == SOURCE
        assert list(attrs["teachers"]) == TEACHERS
        assert attrs["config_hash"] == "c0ffee"
        assert attrs["teacher_seconds_per_frame"] == pytest.approx(0.012)
        assert attrs["source_fingerprint"] == "f" * 16 and attrs["fold"] == -1
        assert set(fmt.REQUIRED_ATTRS) <= set(attrs)


def test_maps_compress_well(tmp_path):
    content = moving_blob_shard(num_frames=200)
    path = tmp_path / "a.h5"
    write_shard(path, **content)
    with h5py.File(path, "r") as handle:
        stored = handle["maps/density"].id.get_storage_size()
    assert stored < content["maps"]["density"].astype(np.float16).nbytes / 4


def test_open_shard_reads_lazily_and_pickles_without_its_handle(shard_file):
    import pickle

    path, content, _ = shard_file
    shard = open_shard(path, config_hash="c0ffee", full=True)
    assert shard.teachers == tuple(TEACHERS) and shard.num_frames == 12 and shard.frame_size == SOURCE
    assert shard._handle is None
    np.testing.assert_array_equal(shard.read_frames([0, 3, 6]), content["frames"][[0, 3, 6]])
    np.testing.assert_array_equal(shard.read_frames([3, 0, 0]), content["frames"][[3, 0, 0]])
    np.testing.assert_array_equal(shard.read_map("density", np.array([11, 11, 8])),
                                  content["maps"]["density"][[11, 11, 8]].astype(np.float16))
    assert shard.read_map("autoencoder", 5).shape == (8, 12)
    copy = pickle.loads(pickle.dumps(shard))
    assert copy._handle is None
    np.testing.assert_array_equal(copy.read_scores("density"), content["scores"]["density"])
    shard.close()


def test_writing_leaves_no_temporary_file_and_an_error_leaves_nothing(tmp_path):
    content = moving_blob_shard()
    path = tmp_path / "test" / "01.h5"
    write_shard(path, **content)
    assert [p.name for p in path.parent.iterdir()] == ["01.h5"]
    broken = moving_blob_shard()
    broken["maps"]["density"] = broken["maps"]["density"][:, :3]
    with pytest.raises(ValueError, match="map of density"):
        write_shard(tmp_path / "test" / "02.h5", **broken)
    assert [p.name for p in path.parent.iterdir()] == ["01.h5"]


def test_atomic_output_keeps_the_old_file_when_writing_fails(tmp_path):
    target = tmp_path / "x.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_output(target) as tmp:
            tmp.write_text("half")
            raise RuntimeError("interrupted")
    assert target.read_text() == "old" and sorted(p.name for p in tmp_path.iterdir()) == ["x.txt"]


def test_a_truncated_shard_is_named_with_what_to_do(shard_file):
    path, _, _ = shard_file
    data = path.read_bytes()
    path.write_bytes(data[: len(data) // 2])
    with pytest.raises(FastaedError, match=r"01\.h5: not a complete shard .*precompute-teachers"):
        open_shard(path)


def test_a_file_that_is_not_hdf5_is_refused(tmp_path):
    path = tmp_path / "01.h5"
    path.write_text("hello")
    with pytest.raises(FastaedError, match="not a complete shard"):
        open_shard(path)


def test_another_format_version_is_refused(shard_file):
    path, _, _ = shard_file
    with h5py.File(path, "a") as handle:
        handle.attrs["format_version"] = fmt.FORMAT_VERSION + 1
    with pytest.raises(FastaedError, match=r"format version 2.*--overwrite"):
        open_shard(path)


def test_another_configuration_is_refused(shard_file):
    path, _, _ = shard_file
    with pytest.raises(FastaedError, match=r"another configuration \(config_hash c0ffee, expected beef\)"):
        open_shard(path, config_hash="beef")


@pytest.mark.parametrize("damage", ["maps/autoencoder", "boxes", "attr:teacher_seconds_per_frame"])
def test_missing_parts_are_named(shard_file, damage):
    path, _, _ = shard_file
    with h5py.File(path, "a") as handle:
        if damage.startswith("attr:"):
            del handle.attrs[damage[5:]]
        else:
            del handle[damage]
    with pytest.raises(FastaedError, match=damage.split(":")[-1]):
        open_shard(path)


def test_inconsistent_shapes_are_named(tmp_path):
    path = tmp_path / "01.h5"
    write_shard(path, **moving_blob_shard())
    with h5py.File(path, "a") as handle:
        handle.attrs["num_frames"] = 13
    with pytest.raises(FastaedError, match="frames are uint8"):
        open_shard(path)


def test_full_validation_finds_a_damaged_chunk_that_the_header_check_misses(shard_file):
    path, _, _ = shard_file
    with h5py.File(path, "r") as handle:
        offset = handle["frames"].id.get_chunk_info(5).byte_offset
    with open(path, "r+b") as handle:
        handle.seek(offset + 4)
        handle.write(b"\xff\xff\xff\xff\xff\xff\xff\xff")
    open_shard(path)
    with pytest.raises(FastaedError, match="not a complete shard"):
        open_shard(path, full=True)


def test_manifest_checksums_catch_a_flipped_byte(tmp_path):
    content = moving_blob_shard()
    info = write_shard(fmt.shard_path(tmp_path, "test", "01"), **content)
    manifest = new_manifest({"demo": True}, "c0ffee", ["test/01.h5"])
    manifest["shards"]["test/01.h5"] = {**info, "split": "test", "video": "01", "num_frames": 12}
    write_manifest(tmp_path, manifest)
    assert verify(tmp_path)["shards"].keys() == {"test/01.h5"}
    assert list_shards(tmp_path, "test", verify_checksums=True) == [tmp_path / "test" / "01.h5"]
    assert list_shards(tmp_path, "train") == []
    path = tmp_path / "test" / "01.h5"
    data = bytearray(path.read_bytes())
    data[len(data) // 3] ^= 0x01
    path.write_bytes(bytes(data))
    with pytest.raises(FastaedError, match=r"test/01\.h5: checksum differs"):
        verify(tmp_path)
    with pytest.raises(FastaedError, match="checksum differs"):
        list_shards(tmp_path, "test", verify_checksums=True)


def test_a_malformed_or_missing_manifest_says_what_to_do(tmp_path):
    with pytest.raises(FastaedError, match="no shard manifest: run `fastaed precompute-teachers"):
        read_manifest(tmp_path)
    (tmp_path / "manifest.json").write_text(json.dumps({"shards": {}}))
    with pytest.raises(FastaedError, match="not a fastaed shard manifest"):
        read_manifest(tmp_path)


def test_open_shards_refuses_an_unfinished_folder_and_checks_the_configuration(tmp_path):
    from pipeline.shards import open_shards

    info = write_shard(fmt.shard_path(tmp_path, "test", "01"), **moving_blob_shard())
    manifest = new_manifest({}, "c0ffee", ["test/01.h5", "test/02.h5"])
    manifest["shards"]["test/01.h5"] = {**info, "split": "test", "video": "01", "num_frames": 12}
    write_manifest(tmp_path, manifest)
    with pytest.raises(FastaedError, match=r"incomplete \(1 of 2 shards missing, e.g. test/02.h5\)"):
        open_shards(tmp_path, "test")
    assert [s.video for s in open_shards(tmp_path, "test", require_complete=False)] == ["01"]
    manifest["config_hash"] = "other"
    write_manifest(tmp_path, manifest)
    with pytest.raises(FastaedError, match="another configuration"):
        open_shards(tmp_path, "test", require_complete=False)


@pytest.mark.parametrize("video_id", ["..", "../../outside", "a/b", "a\\b", ""])
def test_a_video_id_that_is_not_a_plain_name_can_never_name_a_shard_outside_the_root(video_id, tmp_path):
    with pytest.raises(FastaedError, match="is not a plain file name"):
        fmt.shard_path(tmp_path, "test", video_id)
    assert fmt.shard_path(tmp_path, "test", "Ünïcode video 01").parent == tmp_path / "test"
