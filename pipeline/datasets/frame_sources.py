"""Where a video's frames come from: one image file per frame, or one video file (OpenCV/FFmpeg).

Both sources read frames lazily as (H, W) uint8 grayscale, know their frame count without
decoding every frame, and can be pickled (for worker processes) without their open decoder.
"""
import os
from pathlib import Path

# FFmpeg logs decoding errors straight to stderr; every failure here becomes one FastaedError line
# instead. Must be set before OpenCV first initialises FFmpeg; a user's own setting wins.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

import cv2  # noqa: E402

from pipeline.datasets.image_decoding import checked_image_size, read_image  # noqa: E402
from pipeline.datasets.listing import checked_video_id, image_files, video_files, visible_entries  # noqa: E402
from pipeline.errors import FastaedError  # noqa: E402

_GRAY = cv2.IMREAD_GRAYSCALE | cv2.IMREAD_IGNORE_ORIENTATION  # same pixel grid as Pillow's header says


def read_gray_image(path):
    """Decode an image file as (H, W) uint8 grayscale, FastaedError naming the file if it is damaged.

    Example:
        >>> read_gray_image("data/synthetic/training/frames/01/000.jpg").shape
        (240, 360)
    """
    return read_image(path, _GRAY)


def size_mismatch(path, size, expected):
    """The FastaedError for a frame or mask whose size differs from the video's frame size.

    Example:
        >>> raise size_mismatch("01/007.jpg", (30, 40), (24, 32))
        Traceback (most recent call last):
        ...
        pipeline.errors.FastaedError: 01/007.jpg is 40x30 but the video's frames are 32x24 (width x height): ...
    """
    return FastaedError(f"{path} is {size[1]}x{size[0]} but the video's frames are {expected[1]}x{expected[0]} "
                        "(width x height): give every frame of a video the same size")


class ImageFrames:
    """Frames stored as one image file per frame in ``folder``, in frame-number order.

    ``files`` lists the images (see :func:`~pipeline.datasets.listing.image_files`: the folder must
    hold frames only).

    Example:
        >>> frames = ImageFrames(Path("ped2/testing/frames/01"))
        >>> len(frames), frames.frame_size, frames.read(0).dtype
        (180, (240, 360), dtype('uint8'))
    """

    def __init__(self, folder):
        self.source = Path(folder)
        self.files = image_files(self.source)
        self._frame_size = None

    def __len__(self):
        return len(self.files)

    @property
    def frame_size(self):
        """(H, W) of the first frame, read from its header."""
        if self._frame_size is None:
            self._frame_size = checked_image_size(self.files[0])
        return self._frame_size

    def read(self, index):
        """Frame ``index`` (0 <= index < len) as (H, W) uint8."""
        path = self.files[index]
        frame = read_gray_image(path)
        if frame.shape != self.frame_size:
            raise size_mismatch(path, frame.shape, self.frame_size)
        return frame

    def iter(self, start, stop):
        """Frames start..stop-1 in order."""
        for index in range(start, stop):
            yield self.read(index)

    def check(self):
        """Read every file's header: each must be an image of the first frame's size."""
        for path in self.files:
            size = checked_image_size(path)
            if size != self.frame_size:
                raise size_mismatch(path, size, self.frame_size)


class VideoFrames:
    """Frames decoded from one video file with OpenCV's FFmpeg backend.

    The frame count comes from the container (CAP_PROP_FRAME_COUNT), so it is known without
    decoding. Reading frame i right after frame i-1 continues decoding; any other index seeks.

    Example:
        >>> frames = VideoFrames(Path("Avenue/testing_videos/01.avi"))
        >>> len(frames), frames.frame_size
        (1439, (360, 640))
    """

    def __init__(self, path):
        self.path = Path(path)
        self._count = None
        self._frame_size = None
        self._capture = None
        self._position = None

    def __getstate__(self):
        return {**self.__dict__, "_capture": None, "_position": None}

    @property
    def source(self):
        """The video file."""
        return self.path

    def _open(self):
        name = str(self.path)
        try:
            name.encode("utf-8")
        except UnicodeEncodeError:  # OpenCV crashes the process on such a name
            raise FastaedError(f"video path {self.path} is not valid UTF-8, which OpenCV cannot open: "
                               "rename the file or its folders") from None
        if self.path.stat().st_size == 0:
            raise FastaedError(f"video {self.path} is empty (0 bytes): copy the complete file again or remove it")
        capture = cv2.VideoCapture(name)
        if not capture.isOpened():
            raise FastaedError(f"cannot open video {self.path}: check that it is a complete video file, "
                               "or extract its frames into a folder of images")
        return capture

    def _read_metadata(self):
        capture = self._open()
        try:
            count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
            size = (int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)))
        finally:
            capture.release()
        if count <= 0:
            raise FastaedError(f"video {self.path} has no frames (or its container does not say how many): "
                               "re-encode it, or extract its frames into a folder of images")
        self._count, self._frame_size = count, size

    def __len__(self):
        if self._count is None:
            self._read_metadata()
        return self._count

    @property
    def frame_size(self):
        """(H, W) as the container states it."""
        if self._frame_size is None:
            self._read_metadata()
        return self._frame_size

    def _decode_next(self, capture, index):
        ok, frame = capture.read()
        if not ok:
            raise FastaedError(f"cannot decode frame {index} of video {self.path} (its container says "
                               f"{len(self)} frames): the file may be truncated; copy the complete file again, "
                               "re-encode it, or extract its frames into a folder")
        gray = frame if frame.ndim == 2 else cv2.cvtColor(frame, cv2.COLOR_BGR2GRAY)
        if gray.shape != self.frame_size:
            raise size_mismatch(f"frame {index} of {self.path}", gray.shape, self.frame_size)
        return gray

    def read(self, index):
        """Frame ``index`` (0 <= index < len) as (H, W) uint8."""
        if self._capture is None:
            self._capture = self._open()
            self._position = 0
        if self._position != index:
            self._capture.set(cv2.CAP_PROP_POS_FRAMES, index)
        self._position = None  # unknown until the read succeeds
        frame = self._decode_next(self._capture, index)
        self._position = index + 1
        return frame

    def iter(self, start, stop):
        """Frames start..stop-1, decoded sequentially by a decoder of their own."""
        if start >= stop:
            return
        capture = self._open()
        try:
            if start:
                capture.set(cv2.CAP_PROP_POS_FRAMES, start)
            for index in range(start, stop):
                yield self._decode_next(capture, index)
        finally:
            capture.release()

    def check(self):
        """Decode the first and the last frame (the container's frame count must hold)."""
        next(self.iter(0, 1))
        next(self.iter(len(self) - 1, len(self)))



def frame_folders(folder, skip_suffix=None):
    """``{video_id: ImageFrames}`` for each subfolder of ``folder`` (none if ``folder`` is missing).

    Subfolders whose name ends with ``skip_suffix`` (UCSD's ``_gt`` mask folders) are left out.

    Example:
        >>> list(frame_folders(Path("ped2/training/frames")))[:2]
        ['01', '02']
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    return {checked_video_id(entry.name, folder): ImageFrames(entry) for entry in visible_entries(folder)
            if entry.is_dir() and not (skip_suffix and entry.name.endswith(skip_suffix))}


def video_file_frames(folder):
    """``{video_id: VideoFrames}`` for each video file in ``folder``, named by the file's stem.

    Example:
        >>> list(video_file_frames(Path("Avenue/training_videos")))[:2]
        ['01', '02']
    """
    folder = Path(folder)
    if not folder.is_dir():
        return {}
    videos = {}
    for path in video_files(folder):
        video_id = checked_video_id(path.stem, folder)
        if video_id in videos:
            raise FastaedError(f"{videos[video_id].path} and {path} would both be video {video_id!r}: "
                               "rename or remove one of them")
        videos[video_id] = VideoFrames(path)
    return videos
