"""HDF5 shards: one file per video with the student's frames and the teachers' maps.

Example:
    >>> from pipeline.shards import open_shards
    >>> for shard in open_shards("shards", "train"):          # doctest: +SKIP
    ...     clip = shard.read_frames([0, 3, 6])               # (3, H, W) uint8, read lazily
    ...     target = shard.read_map("density", 3)             # (h, w) float16
"""
from pipeline.shards.format import FORMAT_VERSION, SPLITS, map_grid, shard_path, shard_relpath
from pipeline.shards.manifest import list_shards, open_shards, read_manifest, verify, write_manifest
from pipeline.shards.reader import Shard, open_shard
from pipeline.shards.writer import write_shard

__all__ = ["FORMAT_VERSION", "SPLITS", "Shard", "list_shards", "map_grid", "open_shard", "open_shards", "read_manifest",
           "shard_path", "shard_relpath", "verify", "write_manifest", "write_shard"]
