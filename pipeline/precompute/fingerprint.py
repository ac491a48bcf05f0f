"""Source fingerprints: a cheap hash that changes when a video's frames change."""
import hashlib

from pipeline.precompute.config import short_hash


def video_fingerprint(video):
    """Hash of a video's split, id, length, frame size and the pixels of its first, middle and last frame.

    Reads three frames, so it is cheap for any dataset size; a re-encoded or re-cut video changes it.

    Example:
        >>> from pipeline.datasets import open_dataset                   # doctest: +SKIP
        >>> video_fingerprint(open_dataset("data/synthetic").test[0])    # doctest: +SKIP
        '5c1f0e6a2b3d4e7f'
    """
    digest = hashlib.sha256()
    for index in sorted({0, len(video) // 2, len(video) - 1}):
        digest.update(video[index].tobytes())
    return short_hash({"split": video.split, "id": video.id, "frames": len(video),
                       "frame_size": list(video.frame_size), "pixels": digest.hexdigest()})


def dataset_fingerprint(video_fingerprints):
    """Hash of every video's fingerprint ({"train/01": fingerprint, ...}).

    Example:
        >>> dataset_fingerprint({"test/01": "a"}) != dataset_fingerprint({"test/01": "b"})
        True
    """
    return short_hash(video_fingerprints)
