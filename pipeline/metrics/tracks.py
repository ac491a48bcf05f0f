"""Regions from pixels: ground-truth tracks from anomaly masks, predicted regions from anomaly maps.

Both use connected components with 8-connectivity (pixels touching at a corner belong together)
and report boxes in inclusive pixel coordinates.
"""
import cv2
import numpy as np
from scipy import ndimage

from pipeline.errors import FastaedError
from pipeline.metrics.boxes import Region, TrackRegion

_EIGHT_CONNECTED = np.ones((3, 3), dtype=bool)


def tracks_from_masks(video_id, masks):
    """Ground-truth regions and tracks of one video from its per-frame pixel masks.

    Each connected component of a frame's mask is one region. A region continues the track of
    the previous frame's region it overlaps most (pixel overlap); the links are one-to-one, taken
    in order of decreasing overlap, so a track has at most one region per frame: when blobs
    merge the merged blob continues the track it overlaps most and the others end, and when a
    blob splits the part that overlaps most continues the track and the others start new ones. A
    region with no overlap starts a new track. Track ids count from 0 in order of appearance.
    ``masks`` is any iterable of (H, W) arrays (nonzero = anomalous), read one at a time.

    Example:
        >>> m = np.zeros((2, 4, 4), bool); m[0, 0:2, 0:2] = True; m[1, 1:3, 1:3] = True
        >>> tracks_from_masks("01", m)
        [TrackRegion(video='01', track=0, frame=0, x1=0, y1=0, x2=1, y2=1), TrackRegion(video='01', track=0, frame=1, x1=1, y1=1, x2=2, y2=2)]
    """
    rows = []
    previous_labels, previous_tracks = None, {}
    next_track = 0
    for frame, mask in enumerate(masks):
        if mask is None:
            raise FastaedError(f"video {video_id!r}: frame {frame} has no pixel mask: "
                               f"ground-truth tracks need a mask for every frame")
        mask = np.asarray(mask)
        if mask.ndim != 2:
            raise FastaedError(f"video {video_id!r}: the mask of frame {frame} has shape {mask.shape}, "
                               f"not (height, width): give one 2-D mask per frame")
        if previous_labels is not None and mask.shape != previous_labels.shape:
            raise FastaedError(f"video {video_id!r}: the mask of frame {frame} is {mask.shape}, the one "
                               f"before is {previous_labels.shape}: all masks of a video must have one size")
        labels, _ = ndimage.label(mask != 0, structure=_EIGHT_CONNECTED)
        tracks = {}
        if previous_labels is not None:
            for previous, current in _links_by_overlap(previous_labels, labels):
                tracks[current] = previous_tracks[previous]
        for component, (rows_slice, cols_slice) in enumerate(ndimage.find_objects(labels), start=1):
            if component not in tracks:
                tracks[component] = next_track
                next_track += 1
            rows.append(TrackRegion(video_id, tracks[component], frame, cols_slice.start, rows_slice.start,
                                    cols_slice.stop - 1, rows_slice.stop - 1))
        previous_labels, previous_tracks = labels, tracks
    return rows


def regions_from_maps(video_id, maps, threshold, frame_size=None):
    """Predicted regions of one video: components of each anomaly map above ``threshold``.

    Each map (h, w) is first resized to ``frame_size`` (H, W) with bilinear interpolation
    (OpenCV) when given; every 8-connected component of the pixels strictly above the threshold
    is one region, scored by its maximum. Choose a low threshold: RBDC/TBDC sweep over the
    region scores, so regions never produced are never counted.

    Example:
        >>> regions_from_maps("01", [np.array([[0.0, 0.9], [0.0, 0.2]])], threshold=0.5)
        [Region(video='01', frame=0, x1=1, y1=0, x2=1, y2=0, score=0.9)]
    """
    regions = []
    for frame, anomaly_map in enumerate(maps):
        anomaly_map = np.asarray(anomaly_map, dtype=np.float64)
        if anomaly_map.ndim != 2:
            raise FastaedError(f"video {video_id!r}: the anomaly map of frame {frame} has shape "
                               f"{anomaly_map.shape}, not (height, width)")
        if frame_size is not None:
            height, width = frame_size
            anomaly_map = cv2.resize(anomaly_map, (int(width), int(height)), interpolation=cv2.INTER_LINEAR)
        labels, count = ndimage.label(anomaly_map > threshold, structure=_EIGHT_CONNECTED)
        if count == 0:
            continue
        peaks = ndimage.maximum(anomaly_map, labels, index=np.arange(1, count + 1))
        for (rows_slice, cols_slice), peak in zip(ndimage.find_objects(labels), peaks):
            regions.append(Region(video_id, frame, cols_slice.start, rows_slice.start,
                                  cols_slice.stop - 1, rows_slice.stop - 1, float(peak)))
    return regions


def _links_by_overlap(previous_labels, labels):
    """One-to-one (previous component, current component) pairs, largest pixel overlap first."""
    both = (previous_labels > 0) & (labels > 0)
    if not both.any():
        return []
    pairs, overlaps = np.unique(np.stack((previous_labels[both], labels[both]), axis=1),
                                axis=0, return_counts=True)
    order = np.lexsort((pairs[:, 1], pairs[:, 0], -overlaps))
    used_previous, used_current, links = set(), set(), []
    for previous, current in pairs[order].tolist():
        if previous not in used_previous and current not in used_current:
            used_previous.add(previous)
            used_current.add(current)
            links.append((previous, current))
    return links
