"""What the actors look like and how one is drawn in one frame.

An actor is a walker, a runner, a cyclist or a cart. Each has a :class:`Look` (grey levels and
clothing texture drawn once) and a per-frame :class:`Pose` (feet position, height, heading, gait
phase). All actors draw their grey levels from the same palette, so nothing but shape, place and
motion tells an anomalous one apart.
"""
from dataclasses import dataclass

import cv2
import numpy as np

_SHIFT = 4  # OpenCV drawing with 4 fractional bits: positions to 1/16 pixel
_ONE = 1 << _SHIFT
# Half width and height of each body type's box, in units of the person height at its depth.
_EXTENT = {"walker": (0.30, 1.0), "runner": (0.40, 1.0), "cyclist": (0.52, 1.0), "cart": (0.80, 0.80)}


@dataclass(frozen=True)
class Look:
    """Grey levels of an actor's parts and its clothing texture (added inside its silhouette).

    Example:
        >>> import numpy as np
        >>> look = random_look(np.random.default_rng(0), size=64)
        >>> look.texture.shape
        (64, 64)
    """

    body: float
    legs: float
    head: float
    texture: np.ndarray


@dataclass(frozen=True)
class Pose:
    """Where an actor is in one frame: feet at (x, y), ``height`` in pixels, heading in radians
    (0 = moving right, pi/2 = moving down the frame), gait ``phase`` in radians.

    Example:
        >>> Pose(x=50.0, y=100.0, height=40.0, heading=0.0, phase=0.0).height
        40.0
    """

    x: float
    y: float
    height: float
    heading: float
    phase: float


def _clothing_level(rng):
    """A grey level well away from both grass and paving: dark or light clothes."""
    return float(rng.uniform(20, 55) if rng.random() < 0.5 else rng.uniform(195, 240))


def random_look(rng, size):
    """Draw an actor's grey levels and a ``size`` x ``size`` clothing texture.

    Example:
        >>> import numpy as np
        >>> look = random_look(np.random.default_rng(1), size=32)
        >>> 0 <= look.body <= 255
        True
    """
    body = _clothing_level(rng)
    legs = _clothing_level(rng) if rng.random() < 0.5 else float(rng.uniform(20, 60))
    head = float(rng.uniform(25, 60))
    grain = rng.standard_normal((size, size)).astype(np.float32)
    texture = cv2.GaussianBlur(grain, (0, 0), 0.8) * float(rng.uniform(6, 12))
    if rng.random() < 0.4:  # striped clothes
        period = rng.uniform(3, 7)
        texture += (10 * np.sin(np.arange(size, dtype=np.float32) * 2 * np.pi / period))[:, None]
    return Look(body=body, legs=legs, head=head, texture=texture)


def extent(body_type, height):
    """Half width and height in pixels of a ``body_type``'s box for a person ``height`` tall.

    Example:
        >>> extent("cart", 40.0)
        (32.0, 32.0)
    """
    half_width, tall = _EXTENT[body_type]
    return half_width * height, tall * height


def _pt(x, y):
    return int(round(x * _ONE)), int(round(y * _ONE))


def _len(value):
    return max(1, int(round(value * _ONE)))


def _thick(value):
    return max(1, int(round(value)))


class _Canvas:
    """A region of interest where parts are drawn both as grey levels and as a silhouette."""

    def __init__(self, x0, y0, width, height):
        self.x0, self.y0 = x0, y0
        self.grey = np.zeros((height, width), np.float32)
        self.mask = np.zeros((height, width), np.uint8)

    def _local(self, x, y):
        return _pt(x - self.x0, y - self.y0)

    def ellipse(self, cx, cy, ax, ay, angle, level):
        for image, value in ((self.grey, level), (self.mask, 255)):
            cv2.ellipse(image, self._local(cx, cy), (_len(ax), _len(ay)), angle, 0, 360, value, -1,
                        cv2.LINE_8, _SHIFT)

    def line(self, x1, y1, x2, y2, thickness, level):
        for image, value in ((self.grey, level), (self.mask, 255)):
            cv2.line(image, self._local(x1, y1), self._local(x2, y2), value, _thick(thickness),
                     cv2.LINE_8, _SHIFT)

    def ring(self, cx, cy, radius, thickness, level):
        for image, value in ((self.grey, level), (self.mask, 255)):
            cv2.circle(image, self._local(cx, cy), _len(radius), value, _thick(thickness), cv2.LINE_8, _SHIFT)

    def polygon(self, points, level):
        pts = np.array([self._local(x, y) for x, y in points], np.int32)
        for image, value in ((self.grey, level), (self.mask, 255)):
            cv2.fillConvexPoly(image, pts, value, cv2.LINE_8, _SHIFT)


def _draw_person(canvas, look, pose, running):
    h, x, y = pose.height, pose.x, pose.y
    along = float(np.cos(pose.heading))  # 1 or -1 side view, 0 seen from the front or back
    across = abs(float(np.sin(pose.heading)))
    facing = 1.0 if along >= 0 else -1.0
    stride = (0.30 if running else 0.16) * h
    lean = (0.10 if running else 0.02) * h * along
    swing = np.sin(pose.phase)
    hip_x, hip_y = x + 0.3 * lean, y - 0.47 * h
    for side in (1.0, -1.0):
        foot_x = hip_x + side * swing * stride * along + side * 0.06 * h * across
        foot_y = y - (0.05 * h * max(0.0, side * np.cos(pose.phase)) if running else 0.0) \
            - side * swing * 0.03 * h * across
        if running:  # bent knee
            knee_x = (hip_x + foot_x) / 2 + 0.08 * h * facing * max(0.0, side * swing)
            knee_y = y - 0.25 * h
            canvas.line(hip_x, hip_y, knee_x, knee_y, 0.08 * h, look.legs)
            canvas.line(knee_x, knee_y, foot_x, foot_y, 0.07 * h, look.legs)
        else:
            canvas.line(hip_x, hip_y, foot_x, foot_y, 0.075 * h, look.legs)
    shoulder_x, shoulder_y = x + lean, y - 0.78 * h
    for side in (1.0, -1.0):
        hand_x = shoulder_x - side * swing * 0.6 * stride * along + side * 0.14 * h * across
        hand_y = y - (0.62 if running else 0.45) * h
        canvas.line(shoulder_x + side * 0.1 * h * across, shoulder_y, hand_x, hand_y, 0.05 * h, look.body)
    torso_tilt = float(np.degrees(np.arctan2(lean, 0.3 * h)))
    canvas.ellipse(x + 0.6 * lean, y - 0.64 * h, (0.085 + 0.045 * across) * h, 0.19 * h, torso_tilt, look.body)
    canvas.ellipse(x + lean, y - 0.915 * h, 0.072 * h, 0.08 * h, 0, look.head)


def _draw_cyclist(canvas, look, pose):
    h, x, y = pose.height, pose.x, pose.y
    facing = 1.0 if np.cos(pose.heading) >= 0 else -1.0
    radius = 0.19 * h
    rear_x, front_x, hub_y = x - facing * 0.32 * h, x + facing * 0.32 * h, y - radius
    seat_x, seat_y = x - facing * 0.10 * h, y - 0.50 * h
    bar_x, bar_y = x + facing * 0.24 * h, y - 0.56 * h
    frame_level = look.legs
    wheel = 0.045 * h
    canvas.ring(rear_x, hub_y, radius, wheel, frame_level)
    canvas.ring(front_x, hub_y, radius, wheel, frame_level)
    bar = 0.04 * h
    canvas.line(rear_x, hub_y, seat_x, seat_y, bar, frame_level)
    canvas.line(seat_x, seat_y, bar_x, bar_y, bar, frame_level)
    canvas.line(bar_x, bar_y, front_x, hub_y, bar, frame_level)
    canvas.line(rear_x, hub_y, x, hub_y, bar, frame_level)
    crank_x, crank_y = x, hub_y
    for side in (0.0, np.pi):
        pedal_x = crank_x + 0.09 * h * np.cos(pose.phase + side)
        pedal_y = crank_y + 0.09 * h * np.sin(pose.phase + side)
        knee_x, knee_y = (seat_x + pedal_x) / 2 + facing * 0.12 * h, (seat_y + pedal_y) / 2 - 0.05 * h
        canvas.line(seat_x, seat_y, knee_x, knee_y, 0.075 * h, look.legs)
        canvas.line(knee_x, knee_y, pedal_x, pedal_y, 0.065 * h, look.legs)
    shoulder_x, shoulder_y = x + facing * 0.06 * h, y - 0.80 * h
    canvas.line(shoulder_x, shoulder_y, bar_x, bar_y, 0.05 * h, look.body)
    canvas.ellipse((seat_x + shoulder_x) / 2, (seat_y + shoulder_y) / 2, 0.09 * h, 0.18 * h,
                   float(facing * 35.0), look.body)
    canvas.ellipse(shoulder_x + facing * 0.06 * h, y - 0.92 * h, 0.07 * h, 0.078 * h, 0, look.head)


def _draw_cart(canvas, look, pose):
    h, x, y = pose.height, pose.x, pose.y
    facing = 1.0 if np.cos(pose.heading) >= 0 else -1.0
    wheel = 0.13 * h
    body_bottom, body_top = y - 0.5 * wheel, y - 0.50 * h
    canvas.polygon([(x - 0.78 * h, body_bottom), (x + 0.78 * h, body_bottom),
                    (x + 0.78 * h, body_top), (x - 0.78 * h, body_top)], look.body)
    # A cabin set back from the front, with a darker window band.
    cabin_back, cabin_front = x - facing * 0.55 * h, x + facing * 0.25 * h
    canvas.polygon([(cabin_back, body_top + 1), (cabin_front, body_top + 1),
                    (cabin_front - facing * 0.12 * h, y - 0.78 * h), (cabin_back, y - 0.78 * h)], look.body)
    canvas.polygon([(cabin_back + facing * 0.05 * h, y - 0.54 * h), (cabin_front - facing * 0.06 * h, y - 0.54 * h),
                    (cabin_front - facing * 0.15 * h, y - 0.72 * h), (cabin_back + facing * 0.05 * h, y - 0.72 * h)],
                   look.head)
    for wheel_x in (x - 0.50 * h, x + 0.50 * h):
        canvas.ellipse(wheel_x, y - wheel, wheel, wheel, 0, min(look.legs, 60.0))


def draw_actor(frame, owner, actor_index, body_type, look, pose):
    """Draw one actor into ``frame`` (float32, modified in place) and mark its pixels in ``owner``.

    ``owner`` is an int32 image of which actor (index) is visible at each pixel, -1 for the
    background; later draws cover earlier ones. Returns the number of pixels drawn.

    Example:
        >>> import numpy as np
        >>> frame, owner = np.full((80, 80), 100, np.float32), np.full((80, 80), -1, np.int32)
        >>> look = random_look(np.random.default_rng(0), size=64)
        >>> drawn = draw_actor(frame, owner, 0, "walker", look, Pose(40.0, 70.0, 40.0, 0.0, 0.0))
        >>> drawn > 0 and drawn == int((owner == 0).sum())
        True
    """
    half_width, tall = extent(body_type, pose.height)
    margin = 2 + 0.1 * pose.height
    x0, y0 = int(np.floor(pose.x - half_width - margin)), int(np.floor(pose.y - tall - margin))
    x1, y1 = int(np.ceil(pose.x + half_width + margin)), int(np.ceil(pose.y + margin))
    canvas = _Canvas(x0, y0, x1 - x0, y1 - y0)
    if body_type in ("walker", "runner"):
        _draw_person(canvas, look, pose, running=body_type == "runner")
    elif body_type == "cyclist":
        _draw_cyclist(canvas, look, pose)
    else:
        _draw_cart(canvas, look, pose)

    texture = look.texture[:canvas.grey.shape[0], :canvas.grey.shape[1]]
    grey = canvas.grey
    grey[:texture.shape[0], :texture.shape[1]] += texture
    fx0, fy0 = max(x0, 0), max(y0, 0)
    fx1, fy1 = min(x1, frame.shape[1]), min(y1, frame.shape[0])
    if fx0 >= fx1 or fy0 >= fy1:
        return 0
    local = (slice(fy0 - y0, fy1 - y0), slice(fx0 - x0, fx1 - x0))
    inside = canvas.mask[local] > 0
    frame_roi = frame[fy0:fy1, fx0:fx1]
    frame_roi[inside] = grey[local][inside]
    owner[fy0:fy1, fx0:fx1][inside] = actor_index
    return int(inside.sum())
