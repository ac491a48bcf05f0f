"""A tiny synthetic scene for the teachers' tests: blobs moving over a noisy static background.

Other test_teachers_* modules import `blob_video` from here.
"""

import numpy as np
from scipy.ndimage import gaussian_filter


def blob_video(blobs, num_frames=40, size=(96, 128), seed=0):
    """Frames (T, H, W) uint8 and true boxes (N, 6) float32 (frame, x1, y1, x2, y2, 1).

    Each blob is a dict: x, y (top-left at frame 0), vx, vy (pixels per frame), w, h, value (grey
    level) and optionally pattern="checker" (a 2-pixel checkerboard of value and 40) or "ring"
    (a hollow rectangle). The background is a fixed blurred texture plus per-frame sensor noise;
    blobs leaving the frame are clipped.
    """
    rng = np.random.default_rng(seed)
    height, width = size
    texture = gaussian_filter(rng.normal(0, 25, size), 2) + 110
    frames, boxes = [], []
    for t in range(num_frames):
        frame = texture + rng.normal(0, 2, size)
        for blob in blobs:
            x1, y1 = int(round(blob["x"] + blob["vx"] * t)), int(round(blob["y"] + blob["vy"] * t))
            x2, y2 = x1 + blob["w"] - 1, y1 + blob["h"] - 1
            cx1, cy1, cx2, cy2 = max(x1, 0), max(y1, 0), min(x2, width - 1), min(y2, height - 1)
            if cx1 > cx2 or cy1 > cy2:
                continue
            patch = np.full((blob["h"], blob["w"]), float(blob["value"]))
            if blob.get("pattern") == "checker":
                yy, xx = np.mgrid[: blob["h"], : blob["w"]]
                patch[((yy // 2 + xx // 2) % 2) == 1] = 40
            elif blob.get("pattern") == "ring":
                patch[2:-2, 2:-2] = texture[cy1:cy1 + 1, cx1:cx1 + 1].mean()
            frame[cy1:cy2 + 1, cx1:cx2 + 1] = patch[cy1 - y1:cy2 - y1 + 1, cx1 - x1:cx2 - x1 + 1]
            boxes.append([t, cx1, cy1, cx2, cy2, 1.0])
        frames.append(np.clip(frame, 0, 255).astype(np.uint8))
    return np.stack(frames), np.array(boxes, np.float32).reshape(-1, 6)


def walkers(seed, count=3, speed=(0.8, 1.4), **overrides):
    """`count` bright upright blobs walking left or right at `speed` pixels per frame."""
    rng = np.random.default_rng(seed)
    blobs = []
    for i in range(count):
        direction = 1 if rng.random() < 0.5 else -1
        blob = {
            "x": float(rng.uniform(20, 90)), "y": 8.0 + 28 * i, "vx": direction * float(rng.uniform(*speed)),
            "vy": 0.0, "w": 8, "h": 18, "value": float(rng.uniform(190, 230)),
        }
        blob.update(overrides)
        blobs.append(blob)
    return blobs


def test_blob_video_draws_the_boxes_it_reports():
    frames, boxes = blob_video([{"x": 10, "y": 20, "vx": 2, "vy": 0, "w": 6, "h": 10, "value": 250}], num_frames=5)
    assert frames.shape == (5, 96, 128) and frames.dtype == np.uint8
    frame, x1, y1, x2, y2, _ = boxes[3].astype(int)
    assert (frames[frame, y1:y2 + 1, x1:x2 + 1] > 240).all()
    assert x1 == 16 and x2 == 21
