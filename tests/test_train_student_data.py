"""The student's training data over real shards: triplets and targets, lazy per-worker HDF5, damaged shards."""
import json
import pickle
import shutil

import h5py
import numpy as np
import pytest
import torch
from torch.utils.data import DataLoader

from pipeline.errors import FastaedError
from pipeline.shards import open_shard, write_shard
from pipeline.atomic_files import file_sha256
from pipeline.training_data import ShardReadError, ShardTrainingSet

TEACHERS = ("density", "autoencoder")


@pytest.fixture
def shards(tiny_shards, tmp_path):
    """A private copy of the tiny shards, free to damage."""
    return shutil.copytree(tiny_shards, tmp_path / "shards")


def _update_manifest(root, relpath):
    manifest_file = root / "manifest.json"
    manifest = json.loads(manifest_file.read_text())
    path = root / relpath
    manifest["shards"][relpath].update(sha256=file_sha256(path), bytes=path.stat().st_size)
    manifest_file.write_text(json.dumps(manifest))


def _flip_byte(path, offset):
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_items_are_clamped_triplets_and_the_maps_at_t(tiny_shards):
    data = ShardTrainingSet(tiny_shards)
    shard = open_shard(tiny_shards / "train" / "01.h5")
    stored = shard.read_frames()
    last = shard.num_frames - 1
    assert len(data) == 80 and data.teachers == TEACHERS and data.frame_size == (80, 120)
    for t, expected in [(0, [0, 0, 3]), (10, [7, 10, 13]), (last, [last - 3, last, last])]:
        frames, targets = data[t]
        assert frames.dtype == torch.uint8 and tuple(frames.shape) == (3, 80, 120)
        assert np.array_equal(frames.numpy(), stored[expected])
        assert set(targets) == set(TEACHERS)
        for teacher in TEACHERS:
            assert targets[teacher].dtype == torch.float32 and tuple(targets[teacher].shape) == (10, 15)
            assert np.array_equal(targets[teacher].numpy(), shard.read_map(teacher, t).astype(np.float32))
    second_video = open_shard(tiny_shards / "train" / "02.h5")
    assert np.array_equal(data[40][0].numpy(), second_video.read_frames()[[0, 0, 3]])
    assert any(float(data[t][1]["density"].max()) > 0 for t in range(len(data)))
    with pytest.raises(IndexError):
        data[len(data)]


def test_chosen_teachers_only(tiny_shards):
    data = ShardTrainingSet(tiny_shards, teachers=["autoencoder"])
    assert data.teachers == ("autoencoder",) and set(data[5][1]) == {"autoencoder"}
    with pytest.raises(FastaedError, match="density, autoencoder"):
        ShardTrainingSet(tiny_shards, teachers=["motion"])


def test_workers_open_their_own_files(tiny_shards):
    data = ShardTrainingSet(tiny_shards)
    data[3]  # opens a handle in this process before the workers fork
    copy = pickle.loads(pickle.dumps(data))
    assert torch.equal(copy[3][0], data[3][0])
    in_process = list(DataLoader(data, batch_size=16, num_workers=0))
    in_workers = list(DataLoader(data, batch_size=16, num_workers=2))
    assert len(in_workers) == 5
    for (frames_a, maps_a), (frames_b, maps_b) in zip(in_process, in_workers):
        assert torch.equal(frames_a, frames_b)
        assert all(torch.equal(maps_a[t], maps_b[t]) for t in TEACHERS)


def test_a_flipped_byte_names_the_shard(shards):
    path = shards / "train" / "02.h5"
    _flip_byte(path, path.stat().st_size // 2)
    with pytest.raises(FastaedError, match=r"train/02\.h5.*checksum"):
        ShardTrainingSet(shards)


def test_a_missing_map_dataset_names_the_shard(shards):
    path = shards / "train" / "01.h5"
    with h5py.File(path, "a") as handle:
        del handle["maps/density"]
    _update_manifest(shards, "train/01.h5")  # as if the writer itself had left it out
    with pytest.raises(FastaedError, match=r"train/01\.h5.*maps/density"):
        ShardTrainingSet(shards)


def test_a_shard_with_other_teachers_than_the_manifest_is_refused(shards):
    path = shards / "train" / "01.h5"
    with h5py.File(path, "r") as handle:
        attrs = {k: v for k, v in handle.attrs.items() if k not in ("format_version", "teachers")}
        content = dict(frames=handle["frames"][()], maps={"density": handle["maps/density"][()]},
                       boxes=handle["boxes"][()], scores={"density": handle["scores/density"][()]})
    write_shard(path, attrs=attrs, **content)
    _update_manifest(shards, "train/01.h5")
    with pytest.raises(FastaedError, match=r"train/01\.h5.*teachers density, but"):
        ShardTrainingSet(shards)


def test_missing_training_shards_are_refused(shards):
    manifest = json.loads((shards / "manifest.json").read_text())
    manifest["expected"].append("train/03.h5")
    (shards / "manifest.json").write_text(json.dumps(manifest))
    with pytest.raises(FastaedError, match=r"train/03\.h5.*precompute-teachers"):
        ShardTrainingSet(shards)


def test_test_shards_are_not_needed(shards):
    shutil.rmtree(shards / "test")
    assert len(ShardTrainingSet(shards)) == 80


def test_damage_found_while_reading_in_a_worker_is_one_line(shards):
    data = ShardTrainingSet(shards)
    path = shards / "train" / "01.h5"
    with h5py.File(path, "r") as handle:
        chunk = handle["frames"].id.get_chunk_info(5)
    _flip_byte(path, chunk.byte_offset + chunk.size // 2)
    with pytest.raises(ShardReadError) as caught:
        list(DataLoader(data, batch_size=8, num_workers=2))
    message = str(caught.value)
    assert "\n" not in message and str(path) in message and message.endswith("to rewrite it")
