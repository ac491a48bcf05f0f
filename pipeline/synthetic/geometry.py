"""Where things are in the synthetic scene: the walkway band, the grass, perspective and speeds.

The camera looks over a lawn crossed by a slightly tilted walkway that runs left to right. A
point's ``scale`` grows linearly with its image row (things further up the frame are further
away and smaller); people's height and walking speed in pixels follow that scale.
"""
from dataclasses import dataclass

# Walkway band edges as fractions of the frame height, at the frame's horizontal middle.
BAND_TOP = 0.34
BAND_BOTTOM = 0.72
# How far (fraction of H) the band drops from the left edge of the frame to the right edge.
BAND_TILT = 0.05
# Perspective: scale = SCALE_AT_TOP + SCALE_GAIN * row / H.
SCALE_AT_TOP = 0.35
SCALE_GAIN = 0.75
# A person of scale 1 in a 160-row frame is this tall, and walks this many pixels per frame.
PERSON_HEIGHT_PX = 44.0
WALKING_SPEED_PX = 1.8


@dataclass(frozen=True)
class WalkwayGeometry:
    """The fixed camera's view: frame size, walkway band, perspective scale and walking speed.

    ``person_scale`` makes people and their image speed that many times larger (a camera closer
    to the walkway).

    Example:
        >>> g = WalkwayGeometry(160, 240)
        >>> g.band_top(120.0) < g.lane_y(120.0, 0.5) < g.band_bottom(120.0)
        True
        >>> g.scale(10.0) < g.scale(150.0)
        True
    """

    height: int
    width: int
    person_scale: float = 1.0

    @property
    def unit(self):
        """Pixels per unit of a 160x240 reference frame (sizes and speeds scale with it)."""
        return min(self.height / 160.0, self.width / 240.0)

    @property
    def slope(self):
        """Rows the walkway's axis descends per column."""
        return BAND_TILT * self.height / self.width

    def _tilt_rows(self, x):
        return BAND_TILT * self.height * (x / self.width - 0.5)

    def band_top(self, x):
        """Row of the walkway's far edge at column ``x``."""
        return BAND_TOP * self.height + self._tilt_rows(x)

    def band_bottom(self, x):
        """Row of the walkway's near edge at column ``x``."""
        return BAND_BOTTOM * self.height + self._tilt_rows(x)

    def lane_y(self, x, u):
        """Row of the feet of someone at lateral position ``u`` (0 = far edge, 1 = near edge)."""
        top = self.band_top(x)
        return top + u * (self.band_bottom(x) - top)

    def scale(self, y):
        """Perspective scale of a point standing at row ``y``."""
        return SCALE_AT_TOP + SCALE_GAIN * y / self.height

    def person_height(self, y):
        """Height in pixels of an average person whose feet are at row ``y``."""
        return PERSON_HEIGHT_PX * self.unit * self.scale(y) * self.person_scale

    def walking_speed(self, y):
        """Image speed in pixels per frame of an average walker whose feet are at row ``y``."""
        return WALKING_SPEED_PX * self.unit * self.scale(y) * self.person_scale
