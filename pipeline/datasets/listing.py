"""Finding frame files and video files in folders, and checking video ids are safe file names."""
import re
from pathlib import Path

from pipeline.errors import FastaedError

IMAGE_EXTENSIONS = frozenset({".jpg", ".jpeg", ".png", ".bmp", ".tif", ".tiff"})
VIDEO_EXTENSIONS = frozenset({".avi", ".mp4", ".mov", ".mkv", ".m4v", ".mpg", ".mpeg", ".wmv", ".webm"})
SYSTEM_FILES = frozenset({"thumbs.db", "ehthumbs.db", "desktop.ini"})  # lower case; Windows writes them anywhere
MAX_ID_BYTES = 200  # file names may have 255 bytes; outputs named after a video add suffixes


def natural_key(name):
    """Sort key that orders the numbers inside a name by value: ``2.jpg`` before ``10.jpg``.

    Example:
        >>> sorted(["10.jpg", "2.jpg", "frame001.bmp"], key=natural_key)
        ['2.jpg', '10.jpg', 'frame001.bmp']
    """
    parts = re.split(r"(\d+)", Path(name).stem)
    return tuple(int(part) if position % 2 else part.lower() for position, part in enumerate(parts))


def is_ignored(name):
    """True for entries no dataset means: hidden ones (``.DS_Store``, ``._001.tif``) and Windows' SYSTEM_FILES.

    Example:
        >>> [is_ignored(name) for name in [".DS_Store", "Thumbs.db", "notes.txt", "001.jpg"]]
        [True, True, False, False]
    """
    return name.startswith(".") or name.lower() in SYSTEM_FILES


def visible_entries(folder):
    """The entries of ``folder`` in natural order, without ignored ones (see :func:`is_ignored`).

    Example:
        >>> [entry.name for entry in visible_entries(Path("data/synthetic/training/frames"))]
        ['01', '02', '03', '04']
    """
    return sorted((entry for entry in Path(folder).iterdir() if not is_ignored(entry.name)),
                  key=lambda entry: natural_key(entry.name))


def is_image_file(entry):
    """True if ``entry`` is a file with an image extension (IMAGE_EXTENSIONS, any case).

    Example:
        >>> is_image_file(Path("data/synthetic/training/frames/01/000.jpg"))
        True
    """
    return entry.suffix.lower() in IMAGE_EXTENSIONS and entry.is_file()


def image_files(folder):
    """The image files of a frame folder, in frame-number order (``000.jpg``, ``1.png``, ``frame001.bmp``).

    A frame folder holds frames only: any other file or folder in it (``notes.txt``, ``000.jpg.part``)
    raises FastaedError, as do two files with the same frame number (``1.jpg`` and ``01.jpg``).
    Ignored entries (hidden files, ``Thumbs.db``, ``desktop.ini``) are skipped.

    Example:
        >>> [path.name for path in image_files("data/synthetic/training/frames/01")][:2]
        ['000.jpg', '001.jpg']
    """
    files = []
    for entry in visible_entries(folder):
        if not is_image_file(entry):
            kind = "a folder" if entry.is_dir() else "not a frame image"
            raise FastaedError(f"{entry} is {kind}, but the frame folder {folder} must hold only images "
                               f"({', '.join(sorted(IMAGE_EXTENSIONS))}; hidden files, Thumbs.db and desktop.ini "
                               "are ignored): move it out of that folder")
        files.append(entry)
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

    Safe: valid UTF-8 (OpenCV and HDF5 need it), at most MAX_ID_BYTES, no path separator, no
    control character, not starting with "." (so never "." or ".."). Spaces and non-ASCII
    letters are fine: ``vidéo 01`` is a valid id.

    Example:
        >>> checked_video_id("01_0014", "testing/frames")
        '01_0014'
    """
    try:
        size = len(name.encode("utf-8"))
    except UnicodeEncodeError:
        raise FastaedError(f"video name {name!r} in {where} is not valid UTF-8: rename it "
                           "(file names from another system's encoding; `convmv` converts them)") from None
    unsafe = (not name or name.startswith(".") or "/" in name or "\\" in name
              or any(ord(character) < 32 or ord(character) == 127 for character in name))
    if unsafe:
        raise FastaedError(f"video name {name!r} in {where} is not a safe file name: rename it "
                           "(no path separators, no leading '.', no control characters)")
    if size > MAX_ID_BYTES:
        raise FastaedError(f"video name {name[:40]!r}... in {where} is {size} bytes long: rename it "
                           f"to at most {MAX_ID_BYTES} bytes (outputs add suffixes to it)")
    return name
