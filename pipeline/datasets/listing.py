"""Finding frame files and video files in folders, and checking video ids are safe file names."""
import re
from pathlib import Path

from pipeline.errors import FastaedError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
VIDEO_EXTENSIONS = frozenset({".avi", ".mp4", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv", ".webm"})


def natural_key(name):
    """Sort key that orders the numbers inside a name by value: ``2.jpg`` before ``10.jpg``.

    Example:
        >>> sorted(["10.jpg", "2.jpg", "frame001.bmp"], key=natural_key)
        ['2.jpg', '10.jpg', 'frame001.bmp']
    """
    parts = re.split(r"(\d+)", Path(name).stem)
    return tuple(int(part) if position % 2 else part.lower() for position, part in enumerate(parts))


def visible_entries(folder):
    """The entries of ``folder`` in natural order, without hidden ones (``.DS_Store``, ``._001.tif``).

    Example:
        >>> [entry.name for entry in visible_entries(Path("data/synthetic/training/frames"))]
        ['01', '02', '03', '04']
    """
    return sorted((entry for entry in Path(folder).iterdir() if not entry.name.startswith(".")),
                  key=lambda entry: natural_key(entry.name))


def image_files(folder):
    """The image files directly in ``folder``, in frame-number order (``000.jpg``, ``1.png``, ``frame001.bmp``).

    Two files with the same frame number (``1.jpg`` and ``01.jpg``) raise FastaedError.

    Example:
        >>> [path.name for path in image_files("data/synthetic/training/frames/01")][:2]
        ['000.jpg', '001.jpg']
    """
    files = [entry for entry in visible_entries(folder)
             if entry.suffix.lower() in IMAGE_EXTENSIONS and entry.is_file()]
    for before, after in zip(files, files[1:]):
        if natural_key(before.name) == natural_key(after.name):
            raise FastaedError(f"{before} and {after} have the same frame number: "
                               "keep one image per frame in that folder")
    return files


def video_files(folder):
    """The video files (``.avi``, ``.mp4``, ...) directly in ``folder``, in natural order.

    Example:
        >>> [path.name for path in video_files("Avenue/testing_videos")][:2]
        ['01.avi', '02.avi']
    """
    return [entry for entry in visible_entries(folder)
            if entry.suffix.lower() in VIDEO_EXTENSIONS and entry.is_file()]


def checked_video_id(name, where):
    """Return ``name`` if it is safe as a file name (shards are named after videos), else raise FastaedError.

    Example:
        >>> checked_video_id("01_0014", "testing/frames")
        '01_0014'
    """
    unsafe = (not name or name in {".", ".."} or name.startswith(".") or "/" in name or "\\" in name
              or any(ord(character) < 32 for character in name))
    if unsafe:
        raise FastaedError(f"video name {name!r} in {where} is not a safe file name: rename it "
                           "(no path separators, no leading '.', no control characters)")
    return name
