"""Events: runs of frames whose score is above a threshold, found while the scores stream in.

A frame alarms when its score is strictly above the threshold (no hysteresis). Alarming runs
separated by at most ``merge_gap`` quiet frames are one event (an object hidden for a moment does
not split its alarm); an event is kept when it spans at least ``min_duration`` frames from its
first to its last alarming frame. Defaults: :data:`DEFAULT_MIN_DURATION` and
:data:`DEFAULT_MERGE_GAP` frames. An event closes, and is reported, as soon as ``merge_gap + 1``
quiet frames follow it (or the stream ends); memory is one open event, whatever the stream's
length.
"""
import json
from typing import NamedTuple

from pipeline.errors import FastaedError

DEFAULT_MIN_DURATION = 3
"""Frames: with the calibration's causal smoothing, a shorter crossing is a flicker, not an event."""
DEFAULT_MERGE_GAP = 10
"""Frames (0.4 s at 25 frames/s): quieter stretches this short do not split an event."""


class Event(NamedTuple):
    """One event of one video: frames ``start`` to ``end`` inclusive (0-based), its highest score and frame."""

    video: str
    start: int
    end: int
    peak_frame: int
    peak_score: float

    def to_json(self):
        """The event as one JSON line (no newline), keys in the documented order.

        Example:
            >>> Event("01", 4, 9, 6, 1.5).to_json()
            '{"video": "01", "start": 4, "end": 9, "peak_frame": 6, "peak_score": 1.5}'
        """
        return json.dumps({"video": self.video, "start": self.start, "end": self.end,
                           "peak_frame": self.peak_frame, "peak_score": self.peak_score})


class EventDetector:
    """Feed it each frame's score in order; it returns the events that close on the way.

    ``is_open`` is True while an event that already spans ``min_duration`` frames may still
    grow (the overlay's red border).

    Example:
        >>> detector = EventDetector("01", threshold=1.0, min_duration=2, merge_gap=1)
        >>> [detector.update(i, s) for i, s in enumerate([0, 2, 3, 0, 2, 0, 0, 5])]
        [[], [], [], [], [], [], [Event(video='01', start=1, end=4, peak_frame=2, peak_score=3.0)], []]
        >>> detector.finish()     # the single alarming frame 7 is shorter than min_duration
        []
    """

    def __init__(self, video, threshold, min_duration=DEFAULT_MIN_DURATION, merge_gap=DEFAULT_MERGE_GAP):
        if min_duration < 1 or merge_gap < 0:
            raise FastaedError(f"events need --min-duration >= 1 and --merge-gap >= 0 frames, got {min_duration} "
                               f"and {merge_gap}")
        self.video, self.threshold = str(video), float(threshold)
        self.min_duration, self.merge_gap = int(min_duration), int(merge_gap)
        self._open = None  # [start, last alarming frame, peak frame, peak score]
        self._last_index = -1

    @property
    def is_open(self):
        """Whether an event long enough to be kept is open at the last frame fed."""
        return self._open is not None and self._open[1] - self._open[0] + 1 >= self.min_duration

    def update(self, index, score):
        """Take frame ``index``'s score; return the list of events that closed (empty or one)."""
        if index <= self._last_index:
            raise FastaedError(f"frame {index} came after frame {self._last_index}: scores must come in frame order")
        self._last_index = index
        closed = []
        if self._open is not None and index - self._open[1] > self.merge_gap + (score > self.threshold):
            closed = self._close()
        if score > self.threshold:
            if self._open is None:
                self._open = [index, index, index, float(score)]
            else:
                self._open[1] = index
                if score > self._open[3]:
                    self._open[2:] = [index, float(score)]
        return closed

    def finish(self):
        """The stream has ended: return the open event if it is long enough (empty list otherwise)."""
        return self._close()

    def _close(self):
        event, self._open = self._open, None
        if event is None or event[1] - event[0] + 1 < self.min_duration:
            return []
        return [Event(self.video, *event)]


class EventLog:
    """Writes events as JSON lines to an open text file, flushing each line as it is written.

    Example:
        >>> import io
        >>> log = EventLog(io.StringIO())
        >>> log.write([Event("01", 0, 3, 1, 2.0)]); log.count
        1
    """

    def __init__(self, file):
        self.file = file
        self.count = 0

    def write(self, events):
        """Append each event of ``events`` as one line and flush."""
        for event in events:
            self.file.write(event.to_json() + "\n")
            self.count += 1
        if events:
            self.file.flush()


def events_of_scores(video, scores, threshold, min_duration=DEFAULT_MIN_DURATION, merge_gap=DEFAULT_MERGE_GAP):
    """Every event of one whole video's scores (the streaming detector run to the end).

    Example:
        >>> events_of_scores("a", [0, 2, 2, 2, 0], 1.0)
        [Event(video='a', start=1, end=3, peak_frame=1, peak_score=2.0)]
    """
    detector = EventDetector(video, threshold, min_duration, merge_gap)
    events = []
    for index, score in enumerate(scores):
        events += detector.update(index, float(score))
    return events + detector.finish()
