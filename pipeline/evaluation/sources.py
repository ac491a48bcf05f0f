"""What `fastaed score` reads: a video file, a folder of frame images or a camera, as a stream of grey frames."""
import os
from pathlib import Path
from typing import Iterator, NamedTuple

os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")  # decoding problems become one FastaedError line

import cv2  # noqa: E402

from pipeline.errors import FastaedError  # noqa: E402


class FrameStream(NamedTuple):
    """Frames read one at a time as (H, W) uint8 grey, with what is known about their source.

    ``length`` is the expected frame count (None for a camera, approximate for a video file);
    ``fps`` the source's frame rate when it states one; ``live`` is True for a camera, whose
    stream ends only when it stops or the user interrupts it.
    """

    frames: Iterator
    description: str
    length: int = None
    fps: float = None
    live: bool = False


def open_frame_stream(spec):
    """Open ``spec``: a camera index ("0"), a folder of frame images, or a video file OpenCV can decode.

    The source is opened (and a video's first frame decoded) right away, so that unreadable input
    fails before any output is written; frames are then read lazily, in order, one at a time.

    Example:
        >>> stream = open_frame_stream("data/synthetic/testing/frames/01")      # doctest: +SKIP
        >>> next(stream.frames).shape                                           # doctest: +SKIP
        (160, 240)
    """
    text = str(spec)
    if text.isdigit():
        return _camera(int(text))
    path = Path(text)
    if not path.exists():
        raise FastaedError(f"input {path} does not exist: give a video file, a folder of frame images "
                           "or a camera index such as 0")
    if path.is_dir():
        return _frame_folder(path)
    return _video_file(path)


def _gray(frame):
    return frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)


def _frame_folder(folder):
    from pipeline.datasets.frame_sources import ImageFrames

    frames = ImageFrames(folder)
    if not len(frames):
        raise FastaedError(f"frame folder {folder} holds no images: give a folder of frames "
                           "(.jpg, .png, .bmp, .tif) or a video file")
    frames.frame_size  # reads the first header now: a damaged first image fails before any output
    return FrameStream(frames.iter(0, len(frames)), f"frame folder {folder}", len(frames))


def _captured_frames(capture, first):
    try:
        yield _gray(first)
        while True:
            ok, frame = capture.read()
            if not ok:
                return
            yield _gray(frame)
    finally:
        capture.release()


def _video_file(path):
    name = str(path)
    try:
        name.encode("utf-8")
    except UnicodeEncodeError:  # OpenCV crashes the process on such a name
        raise FastaedError(f"video path {path} is not valid UTF-8, which OpenCV cannot open: rename it") from None
    if path.stat().st_size == 0:
        raise FastaedError(f"video {path} is empty (0 bytes): give a complete video file")
    capture = cv2.VideoCapture(name)
    ok, first = capture.read() if capture.isOpened() else (False, None)
    if not ok:
        capture.release()
        raise FastaedError(f"cannot decode a frame of {path}: give a video file OpenCV can read (.avi, .mp4, ...), "
                           "a folder of frame images or a camera index")
    count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    return FrameStream(_captured_frames(capture, first), f"video {path}", count if count > 0 else None,
                       capture.get(cv2.CAP_PROP_FPS))


def _camera(index):
    previous = cv2.utils.logging.getLogLevel()
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)  # its warnings would add lines
    try:
        capture = cv2.VideoCapture(index)
        ok, first = capture.read() if capture.isOpened() else (False, None)
    finally:
        cv2.utils.logging.setLogLevel(previous)
    if not ok:
        capture.release()
        raise FastaedError(f"cannot read from camera {index}: check that it is connected and free, "
                           "or give a video file or a folder of frames")
    return FrameStream(_captured_frames(capture, first), f"camera {index}", None, capture.get(cv2.CAP_PROP_FPS),
                       live=True)
