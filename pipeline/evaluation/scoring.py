"""`fastaed score`'s work: per-frame scores of a video, frame folder or camera, written as they come."""
import contextlib
import os
import sys
from pathlib import Path

from tqdm import tqdm

from pipeline.evaluation.causal_smoothing import CausalGaussian
from pipeline.evaluation.defaults import SCORE_BATCH_SIZE
from pipeline.evaluation.inference import stream_frame_scores
from pipeline.overlay import OverlayWriter



def score_stream(model, stream, csv_file, batch_size=SCORE_BATCH_SIZE, overlay=None, causal_sigma=0.0,
                 progress=True, detector=None, event_log=None):
    """Score a :class:`~pipeline.evaluation.sources.FrameStream`, writing ``frame,score`` rows to ``csv_file``.

    Rows are written (and flushed) as frames are scored; only the student's bounded window of
    frames is held (see :func:`~pipeline.evaluation.inference.stream_frame_scores`). ``overlay``
    is an open :class:`~pipeline.overlay.OverlayWriter` or None. ``causal_sigma`` > 0 replaces
    each score by its :class:`CausalGaussian` smoothing (current and past frames only). With a
    ``detector`` (:class:`~pipeline.alarms.events.EventDetector`) the smoothed scores are turned
    into events, each written to ``event_log`` (:class:`~pipeline.alarms.events.EventLog`) as it
    closes, and the overlay has a red border while an event is open. A live stream ends cleanly
    on Ctrl-C. Returns the number of frames scored.

    Example:
        >>> score_stream(model, open_frame_stream("clip.avi"), sys.stdout)      # doctest: +SKIP
        frame,score
        0,0.0123
        ...
    """
    smooth = CausalGaussian(causal_sigma)
    csv_file.write("frame,score\n")
    count = 0
    scored = stream_frame_scores(model, stream.frames, batch_size, return_maps=overlay is not None,
                                 keep_frames=overlay is not None)
    with tqdm(total=stream.length, unit="frame", desc=f"score {stream.description}", disable=not progress,
              dynamic_ncols=True) as bar:
        try:
            for item in scored:
                score = smooth(item.score)
                csv_file.write(f"{item.index},{score:.9g}\n")
                if detector is not None:
                    event_log.write(detector.update(item.index, score))
                if overlay is not None:
                    overlay.write(item.frame, item.map, item.index, score,
                                  alarm=detector is not None and detector.is_open)
                count += 1
                bar.update(1)
                if item.index % batch_size == batch_size - 1:
                    csv_file.flush()
        except KeyboardInterrupt:
            if not stream.live:
                raise
        csv_file.flush()
    if detector is not None:
        event_log.write(detector.finish())
    return count


@contextlib.contextmanager
def open_scores_output(path, atomic=True):
    """A text file for the scores CSV: stdout when ``path`` is None, else ``path``.

    With ``atomic`` the rows go to a temporary file in the same folder, renamed to ``path`` when
    the block ends without error and deleted otherwise.

    Example:
        >>> with open_scores_output("scores.csv") as out:                  # doctest: +SKIP
        ...     out.write("frame,score\\n")
    """
    if path is None:
        yield sys.stdout
        return
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    if not atomic:
        with open(path, "w", newline="") as file:
            yield file
        return
    temporary = path.with_name(f".{path.name}.{os.getpid()}.partial")
    try:
        with open(temporary, "w", newline="") as file:
            yield file
        os.replace(temporary, path)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def open_overlay(path, fps, atomic=True):
    """An :class:`~pipeline.overlay.OverlayWriter` for ``path``, or a do-nothing context giving None.

    Example:
        >>> with open_overlay(None, 25) as overlay:
        ...     overlay is None
        True
    """
    return OverlayWriter(path, fps, atomic=atomic) if path is not None else contextlib.nullcontext()
