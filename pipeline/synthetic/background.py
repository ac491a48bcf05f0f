"""The static background: a textured lawn with a paved walkway across it."""
import cv2
import numpy as np

GRASS_LEVEL = 100.0
PAVING_LEVEL = 150.0


def _smooth_noise(rng, shape, sigma, amplitude):
    """Gaussian noise blurred by ``sigma`` pixels, rescaled to a standard deviation of ``amplitude``."""
    noise = rng.standard_normal(shape).astype(np.float32)
    if sigma > 0:
        noise = cv2.GaussianBlur(noise, (0, 0), sigma)
    return noise * (amplitude / max(float(noise.std()), 1e-6))


def render_background(geometry, rng):
    """Render the empty scene as a float32 (H, W) image in grey levels.

    Grass is darker and grainy; the walkway is lighter with paving joints and a kerb on both edges.

    Example:
        >>> import numpy as np
        >>> from pipeline.synthetic.geometry import WalkwayGeometry
        >>> image = render_background(WalkwayGeometry(160, 240), np.random.default_rng(0))
        >>> image.shape, image.dtype
        ((160, 240), dtype('float32'))
    """
    h, w = geometry.height, geometry.width
    unit = geometry.unit
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float32)

    grass = (GRASS_LEVEL
             + _smooth_noise(rng, (h, w), 12 * unit, 7.0)
             + _smooth_noise(rng, (h, w), 0.7, 11.0))

    paving = PAVING_LEVEL + _smooth_noise(rng, (h, w), 0.6, 4.0) + _smooth_noise(rng, (h, w), 8 * unit, 3.0)
    top, bottom = geometry.band_top(cols), geometry.band_bottom(cols)
    u = (rows - top) / (bottom - top)
    # Slabs: three courses across the walkway, joints every ~24 px along it, each slab a bit
    # lighter or darker than its neighbours.
    course = np.floor(u * 3).astype(np.int64)
    along = np.floor(cols / (24 * unit)).astype(np.int64)
    slab_shade = rng.uniform(-6, 6, size=(5, int(along.max()) + 2)).astype(np.float32)
    paving += slab_shade[np.clip(course, 0, 4), along]
    joint = (np.abs(u * 3 - np.round(u * 3)) < 0.5 / (bottom - top) * 3) | ((cols % (24 * unit)) < 1.0)
    paving[joint] -= 22.0

    image = np.where((u >= 0) & (u <= 1), paving, grass)
    kerb = max(1.0, 2 * unit)
    image[(rows - top >= -kerb) & (rows - top < 0)] = 190.0
    image[(rows - bottom > 0) & (rows - bottom <= kerb)] = 125.0
    return image.astype(np.float32)
