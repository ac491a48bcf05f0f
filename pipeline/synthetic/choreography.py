"""Who walks where and when: the trajectories of normal walkers and of the anomalies.

Normal: people walk along the walkway in either direction at walking speed. Anomalies (test
videos only), each a variant of one of the four kinds:

- ``runner`` and ``cyclist`` (too_fast): along the walkway at 3.5 to 5 times walking speed;
- ``off_path`` (wrong_place): a walker who steps off the walkway and walks on the lawn above or
  below it (anomalous while its feet are off the walkway);
- ``cart`` (unusual_object): a small car-like cart driving along the walkway at 1.3 to 1.7 times
  walking speed: its shape is what is wrong;
- ``crosser`` (wrong_direction): a walker who turns and crosses the walkway perpendicular to its
  axis (anomalous while crossing), at walking speed: its direction is what is wrong.

A test video alternates normal stretches and anomalies (sized for ~80-frame stretches, so longer
videos hold a sequence of them). Every actor is planned for the whole video before anything is
drawn, and a candidate whose box would touch another actor's box in any frame is dropped, so
blobs never merge.
"""
import collections
from dataclasses import dataclass

import numpy as np

from pipeline.synthetic.actors import Look, Pose, extent, random_look

VARIANT_KINDS = {
    "runner": "too_fast",
    "off_path": "wrong_place",
    "cart": "unusual_object",
    "crosser": "wrong_direction",
    "cyclist": "too_fast",
}
VARIANTS = tuple(VARIANT_KINDS)
_BODY_TYPE = {"runner": "runner", "cyclist": "cyclist", "cart": "cart", "off_path": "walker", "crosser": "walker"}
_SPEED_FACTOR = {"walker": (0.8, 1.2), "runner": (3.5, 4.5), "cyclist": (4.0, 5.0), "cart": (1.3, 1.7)}
# Walking distance of one gait cycle (or one crank turn), in person heights.
_CYCLE_LENGTH = {"walker": 0.75, "runner": 1.6, "cyclist": 2.4, "cart": 1.0}
_MAX_NORMAL_VISIBLE = 3
_ARRIVAL_RATE = 0.04  # chance per frame that a new walker enters at a frame edge
STRETCH = 80  # frames: anomalies and normal gaps are sized as fractions of this
_GAP = 6.0  # pixels (in a 160x240 frame) kept free between the boxes of any two actors


@dataclass
class Actor:
    """One moving thing, planned for every frame of its video.

    ``x``, ``y`` (feet), ``height``, ``heading``, ``phase`` are (T,) float arrays; ``anomalous``
    is a (T,) bool array of the frames where it counts as an anomaly (all False for normal
    walkers); ``variant`` names the anomaly variant or is None.

    Example:
        >>> import numpy as np
        >>> from pipeline.synthetic.geometry import WalkwayGeometry
        >>> actor = normal_walker(WalkwayGeometry(160, 240), np.random.default_rng(0), 40, 0, 120.0, 0.5, 1)
        >>> actor.boxes().shape
        (40, 4)
    """

    body_type: str
    look: Look
    x: np.ndarray
    y: np.ndarray
    height: np.ndarray
    heading: np.ndarray
    phase: np.ndarray
    anomalous: np.ndarray
    variant: str = None

    @property
    def kind(self):
        """The anomaly kind of this actor's variant, or None for a normal walker."""
        return VARIANT_KINDS.get(self.variant)

    def pose(self, t):
        """The actor's :class:`Pose` in frame ``t``."""
        return Pose(float(self.x[t]), float(self.y[t]), float(self.height[t]), float(self.heading[t]),
                    float(self.phase[t]))

    def boxes(self):
        """(T, 4) float boxes x1, y1, x2, y2 that contain the actor in each frame."""
        half_width, tall = extent(self.body_type, self.height)
        return np.stack([self.x - half_width, self.y - tall, self.x + half_width, self.y], axis=1)

    def visible(self, frame_size):
        """(T,) bool: whether the actor's box reaches into a frame of ``frame_size`` (H, W)."""
        h, w = frame_size
        b = self.boxes()
        return (b[:, 2] > 0) & (b[:, 0] < w - 1) & (b[:, 3] > 0) & (b[:, 1] < h - 1)


def _along_walkway(geometry, direction, speed_factor):
    def velocity(x, y):
        vx = direction * speed_factor * geometry.walking_speed(y)
        return vx, vx * geometry.slope
    return velocity


def _across_walkway(geometry, direction, speed_factor):
    def velocity(x, y):
        return 0.0, direction * speed_factor * geometry.walking_speed(y)
    return velocity


def _integrate(geometry, frames, anchor_frame, anchor_x, anchor_y, velocity_before, velocity_after):
    """Positions in every frame of something at (anchor_x, anchor_y) in ``anchor_frame`` that moves
    with ``velocity_before`` up to the anchor and ``velocity_after`` from it on. Far outside the
    frame it stops (perspective would otherwise make it grow without bound)."""
    xs, ys = np.empty(frames), np.empty(frames)
    w, h = geometry.width, geometry.height

    def step(x, y, velocity, sign):
        if not (-w < x < 2 * w and -0.4 * h < y < 2 * h):
            return x, y
        vx, vy = velocity(x, y)
        return x + sign * vx, y + sign * vy

    x, y = anchor_x, anchor_y
    for t in range(anchor_frame, frames):
        xs[t], ys[t] = x, y
        x, y = step(x, y, velocity_after, 1)
    x, y = anchor_x, anchor_y
    for t in range(anchor_frame - 1, -1, -1):
        x, y = step(x, y, velocity_before, -1)
        xs[t], ys[t] = x, y
    return xs, ys


def _make_actor(geometry, rng, body_type, xs, ys, variant=None, anomalous=None):
    size_factor = rng.uniform(0.9, 1.1)
    height = size_factor * geometry.person_height(ys)
    steps = np.hypot(np.diff(xs), np.diff(ys))
    heading = np.arctan2(np.diff(ys), np.diff(xs))
    heading = np.append(heading, heading[-1]) if len(heading) else np.zeros(1)
    cycles = np.concatenate([[0.0], np.cumsum(steps / (_CYCLE_LENGTH[body_type] * height[:-1]))])
    phase = rng.uniform(0, 2 * np.pi) + 2 * np.pi * cycles
    half_width, tall = extent(body_type, float(height.max()))
    look = random_look(rng, size=int(np.ceil(2 * (half_width + tall))) + 8)
    if anomalous is None:
        anomalous = np.zeros(len(xs), bool)
    return Actor(body_type, look, xs, ys, height, heading, phase, anomalous, variant)


def normal_walker(geometry, rng, frames, anchor_frame, anchor_x, lane, direction):
    """A walker on the walkway at lateral position ``lane`` (0..1), at ``anchor_x`` in
    ``anchor_frame``, walking right (``direction`` 1) or left (-1) at a normal speed.

    Example:
        >>> import numpy as np
        >>> from pipeline.synthetic.geometry import WalkwayGeometry
        >>> w = normal_walker(WalkwayGeometry(160, 240), np.random.default_rng(0), 10, 0, 100.0, 0.5, -1)
        >>> bool(w.x[-1] < w.x[0]), w.kind
        (True, None)
    """
    velocity = _along_walkway(geometry, direction, rng.uniform(*_SPEED_FACTOR["walker"]))
    xs, ys = _integrate(geometry, frames, anchor_frame, anchor_x, geometry.lane_y(anchor_x, lane), velocity, velocity)
    return _make_actor(geometry, rng, "walker", xs, ys)


def _edge_x(geometry, body_type, y, direction, entering):
    """Feet column where an actor (of any size) just reaches into the frame edge it enters by, or
    is just out of the frame edge it leaves through."""
    half_width, _ = extent(body_type, (0.9 if entering else 1.1) * geometry.person_height(y))
    inward = 1.0 if entering else -1.0
    if (direction > 0) == entering:
        return -half_width + inward
    return geometry.width - 1 + half_width - inward


def anomaly_actor(geometry, rng, frames, variant, mode, anchor_frame):
    """An actor of anomaly ``variant`` whose anomalous stretch starts at ``anchor_frame`` (``mode``
    "enter": it comes into view, or a walker turns across the walkway or off it) or ends there
    (``mode`` "leave": it has just left the frame, or a walker is back to walking along it).

    Example:
        >>> import numpy as np
        >>> from pipeline.synthetic.geometry import WalkwayGeometry
        >>> a = anomaly_actor(WalkwayGeometry(160, 240), np.random.default_rng(0), 80, "runner", "enter", 50)
        >>> a.kind, int(np.flatnonzero(a.visible((160, 240)))[0])
        ('too_fast', 50)
    """
    body_type = _BODY_TYPE[variant]
    direction = 1 if rng.random() < 0.5 else -1
    entering = mode == "enter"
    if variant == "crosser":
        return _crosser(geometry, rng, frames, anchor_frame, entering, direction)
    if variant == "off_path":
        return _off_path_walker(geometry, rng, frames, anchor_frame, entering, direction)
    velocity = _along_walkway(geometry, direction, rng.uniform(*_SPEED_FACTOR[body_type]))
    lane = rng.uniform(0.15, 0.85)
    x = _edge_x(geometry, body_type, geometry.lane_y(geometry.width / 2, lane), direction, entering)
    xs, ys = _integrate(geometry, frames, anchor_frame, x, geometry.lane_y(x, lane), velocity, velocity)
    return _make_actor(geometry, rng, body_type, xs, ys, variant, np.ones(frames, bool))


def _off_path_walker(geometry, rng, frames, anchor_frame, steps_off, direction):
    """A walker who steps off the walkway onto the lawn and walks on there (``steps_off``), or
    walks on the lawn and steps back onto the walkway at ``anchor_frame``. It counts as anomalous
    while its feet are off the walkway."""
    speed = rng.uniform(*_SPEED_FACTOR["walker"])
    if rng.random() < 0.5:  # the far lawn, above the walkway
        lane, outward = rng.uniform(0.03, 0.15), -1.0
        lawn_line = geometry.band_top(0.0) - rng.uniform(0.12, 0.16) * geometry.height
    else:  # the near lawn, below it
        lane, outward = rng.uniform(0.85, 0.97), 1.0
        lawn_line = geometry.band_bottom(0.0) + rng.uniform(0.12, 0.18) * geometry.height
    along = _along_walkway(geometry, direction, speed)

    def diagonal(towards):
        """Along its lawn line once there, else diagonally towards the lawn (``towards`` =
        outward) or the walkway."""
        def velocity(x, y):
            vx, vy = along(x, y)
            if (y - (lawn_line + geometry.slope * x)) * outward >= 0:
                return vx, vy
            return 0.7 * vx, 0.7 * vy + towards * 0.7 * abs(vx)
        return velocity

    x = rng.uniform(0.25, 0.75) * geometry.width
    y = geometry.lane_y(x, lane)
    if steps_off:
        xs, ys = _integrate(geometry, frames, anchor_frame, x, y, along, diagonal(outward))
    else:
        xs, ys = _integrate(geometry, frames, anchor_frame, x, y, diagonal(-outward), along)
    off_path = (ys < geometry.band_top(xs)) | (ys > geometry.band_bottom(xs))
    return _make_actor(geometry, rng, "walker", xs, ys, "off_path", off_path)


def _crosser(geometry, rng, frames, anchor_frame, turns_off_the_lane, direction):
    """A walker who crosses the walkway: walks along it and then turns across it
    (``turns_off_the_lane``), or crosses it first and then walks along it."""
    down = rng.random() < 0.5
    across = _across_walkway(geometry, 1 if down else -1, rng.uniform(0.9, 1.2))
    along = _along_walkway(geometry, direction, rng.uniform(*_SPEED_FACTOR["walker"]))
    x = rng.uniform(0.25, 0.75) * geometry.width
    if turns_off_the_lane:  # starts its crossing from the edge it walks along
        lane = rng.uniform(0.0, 0.15) if down else rng.uniform(0.85, 1.0)
        xs, ys = _integrate(geometry, frames, anchor_frame, x, geometry.lane_y(x, lane), along, across)
        anomalous = np.arange(frames) >= anchor_frame
    else:  # ends its crossing near the edge it came towards
        lane = rng.uniform(0.8, 1.0) if down else rng.uniform(0.0, 0.2)
        xs, ys = _integrate(geometry, frames, anchor_frame, x, geometry.lane_y(x, lane), across, along)
        anomalous = np.arange(frames) < anchor_frame
    return _make_actor(geometry, rng, "walker", xs, ys, "crosser", anomalous)


def _touches(candidate, others, geometry):
    """Whether ``candidate`` comes within _GAP pixels of any actor in ``others`` in a frame where
    both are in view."""
    frame_size, gap = (geometry.height, geometry.width), _GAP * geometry.unit
    boxes, visible = candidate.boxes(), candidate.visible(frame_size)
    for other in others:
        ob = other.boxes()
        apart = ((boxes[:, 2] + gap < ob[:, 0]) | (ob[:, 2] + gap < boxes[:, 0])
                 | (boxes[:, 3] + gap < ob[:, 1]) | (ob[:, 3] + gap < boxes[:, 1])
                 | ~(visible & other.visible(frame_size)))
        if not apart.all():
            return True
    return False


def _try_add(actors, candidate, geometry, max_visible):
    frame_size = (geometry.height, geometry.width)
    if not candidate.visible(frame_size).any() or _touches(candidate, actors, geometry):
        return False
    normal = [a for a in actors if a.variant is None] + [candidate]
    if sum(a.visible(frame_size) for a in normal).max() > max_visible:
        return False
    actors.append(candidate)
    return True


def _add_normal_walkers(geometry, rng, frames, actors, crowding):
    max_visible = _max_visible(crowding)
    for _ in range(int(rng.integers(1, max_visible + 1))):
        for _attempt in range(5):
            candidate = normal_walker(geometry, rng, frames, 0, rng.uniform(0.05, 0.95) * geometry.width,
                                      rng.uniform(0.03, 0.97), 1 if rng.random() < 0.5 else -1)
            if _try_add(actors, candidate, geometry, max_visible):
                break
    for t in range(1, frames):
        if rng.random() >= _ARRIVAL_RATE * crowding:
            continue
        for _attempt in range(3):
            direction = 1 if rng.random() < 0.5 else -1
            lane = rng.uniform(0.03, 0.97)
            x = _edge_x(geometry, "walker", geometry.lane_y(geometry.width / 2, lane), direction, entering=True)
            if _try_add(actors, normal_walker(geometry, rng, frames, t, x, lane, direction), geometry, max_visible):
                break


def _add_anomalies(geometry, rng, frames, actors, variants, opening):
    """Anomalies one after another, each after a normal stretch, until the video ends.

    ``opening`` is None (the video starts normal), "short" or "long" (it starts with an anomaly
    already in view that leaves after 20-25% or 40-50% of a stretch). Durations are fractions of a
    stretch of STRETCH frames, so a long video gets a sequence of events with normal gaps between.
    """
    frame_size = (geometry.height, geometry.width)
    stretch = min(frames, STRETCH)
    shortest = int(np.ceil(0.2 * stretch))

    def add(mode, anchor):
        """Place the next variant in turn; return its first and after-last anomalous frame, or
        None when it cannot be placed clear of the others (people still in view may block it)."""
        for _attempt in range(30):
            actor = anomaly_actor(geometry, rng, frames, variants[0], mode, anchor)
            shown = np.flatnonzero(actor.anomalous & actor.visible(frame_size))
            if len(shown) and _try_add(actors, actor, geometry, _MAX_NORMAL_VISIBLE):
                variants.rotate(-1)
                return int(shown[0]), int(shown[-1]) + 1
        return None

    def gap_after(duration):
        return int(round(max(rng.uniform(0.5, 0.55) * stretch, rng.uniform(0.8, 1.2) * duration)))

    if opening is None:
        start = int(round(rng.uniform(0.5, 0.65) * stretch))
    else:
        low, high = (0.2, 0.25) if opening == "short" else (0.4, 0.5)
        placed = add("leave", int(round(rng.uniform(low, high) * stretch)))
        if placed is None:
            raise RuntimeError(f"could not open a video of {frames} frames with a {variants[0]}")
        start = placed[1] + gap_after(placed[1] - placed[0])
    while frames - start >= shortest:
        placed = add("enter", start)
        if placed is None:
            start += max(1, stretch // 10)
            continue
        if placed[1] >= frames:
            break
        start = placed[1] + gap_after(placed[1] - placed[0])
    if not any(actor.variant for actor in actors):
        raise RuntimeError(f"could not place any anomaly in a video of {frames} frames")


def _max_visible(crowding):
    return max(1, int(round(_MAX_NORMAL_VISIBLE * crowding)))


def plan_video(geometry, rng, frames, variants=None, opening=None, crowding=1.0):
    """Plan every actor of one video: anomalies first (test videos: ``variants`` is a deque of
    variant names from :func:`variant_cycle`, taken in turn), then normal walkers around them.
    ``crowding`` multiplies how many walkers may be in view at once (3 by default) and how often
    new ones arrive.

    ``opening`` (None, "short" or "long") says whether and how long the video starts with an
    anomaly already in view; otherwise it starts normal. Every test video holds both normal and
    anomalous frames.

    Example:
        >>> import collections
        >>> import numpy as np
        >>> from pipeline.synthetic.geometry import WalkwayGeometry
        >>> actors = plan_video(WalkwayGeometry(160, 240), np.random.default_rng(0), 80,
        ...                     collections.deque(["cart"]))
        >>> [a.variant for a in actors][0], len(actors) > 1
        ('cart', True)
    """
    actors = []
    if variants is not None:
        _add_anomalies(geometry, rng, frames, actors, variants, opening)
    _add_normal_walkers(geometry, rng, frames, actors, crowding)
    return actors


def variant_cycle(rng):
    """The anomaly variants in turn, as a deque whose first item is the next one to use (rotated
    as they are used), starting from a random one, so any five consecutive anomalies cover every
    variant.

    Example:
        >>> import numpy as np
        >>> sorted(variant_cycle(np.random.default_rng(0))) == sorted(VARIANTS)
        True
    """
    start = int(rng.integers(len(VARIANTS)))
    return collections.deque(VARIANTS[start:] + VARIANTS[:start])
