"""Reading image files that may be empty, cut short or no image at all: one FastaedError, never a partial frame.

Decoders do not agree on damaged files: OpenCV returns None (or, for a JPEG cut short, prints a
libjpeg warning and returns None), Pillow reads the header of a half-copied file happily, and
both print their own warnings to stderr. So a file is checked to be complete before any decoder
sees it: a JPEG must have its end marker (EOI) and a PNG its IEND chunk near the end of the file;
other formats (BMP, TIFF: UCSD's originals, usually uncompressed) are decoded whole by Pillow.
"""
import io
import os
import warnings

import cv2
import numpy as np
from PIL import Image

from pipeline.errors import FastaedError

JPEG_START, JPEG_END = b"\xff\xd8", b"\xff\xd9"
PNG_START, PNG_END = b"\x89PNG\r\n\x1a\n", b"IEND\xaeB`\x82"
# Some writers append padding or a trailer after the end marker; the marker must lie in this tail.
# (0xFF 0xD9 cannot occur inside JPEG entropy-coded data, so a JPEG cut short has none there.)
TAIL_BYTES = 1024


def _require_complete(path, head, tail, size):
    """Raise FastaedError if the file whose first and last bytes are ``head`` and ``tail`` is empty or cut short."""
    if size == 0:
        raise FastaedError(f"{path} is empty (0 bytes): replace or remove the file")
    for name, start, end in (("JPEG", JPEG_START, JPEG_END), ("PNG", PNG_START, PNG_END)):
        if head.startswith(start) and end not in tail:
            raise FastaedError(f"{path} is truncated (a {name} file of {size} bytes without its end marker): "
                               "copy the complete file again or remove it")


def _is_jpeg_or_png(head):
    return head.startswith(JPEG_START) or head.startswith(PNG_START)


def _open_with_pillow(path, file, decode):
    """(H, W) from Pillow's header of ``file``; the whole image is decoded too when ``decode``."""
    try:
        with warnings.catch_warnings():  # Pillow warns on stderr about damaged files; the error says it all
            warnings.simplefilter("ignore")
            with Image.open(file) as image:
                width, height = image.size
                if decode:
                    image.load()
    except Image.UnidentifiedImageError:
        raise FastaedError(f"{path} is not a readable image (no image format recognised: damaged, cut short or no image): "
                           "replace or remove the file") from None
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise FastaedError(f"{path} is not a readable image ({error}): replace or remove the file") from None
    return height, width


def checked_image_size(path):
    """(H, W) of an image file, FastaedError naming the file if it is empty, cut short or no image.

    Reads the header (Pillow) and the last KiB of a JPEG or PNG; other formats are decoded whole.

    Example:
        >>> checked_image_size("data/synthetic/training/frames/01/000.jpg")
        (240, 360)
    """
    with open(path, "rb") as file:
        head = file.read(len(PNG_START))
        size = file.seek(0, os.SEEK_END)
        file.seek(max(0, size - TAIL_BYTES))
        _require_complete(path, head, file.read(), size)
        file.seek(0)
        return _open_with_pillow(path, file, decode=not _is_jpeg_or_png(head))


def read_image(path, flags):
    """Decode a complete image file with OpenCV ``flags``; FastaedError naming the file otherwise.

    The bytes are read by Python and decoded from memory, so any file name OpenCV cannot take
    (not UTF-8) still works.

    Example:
        >>> read_image("data/synthetic/training/frames/01/000.jpg", cv2.IMREAD_GRAYSCALE).shape
        (240, 360)
    """
    with open(path, "rb") as file:
        data = file.read()
    _require_complete(path, data[:len(PNG_START)], data[-TAIL_BYTES:], len(data))
    if not _is_jpeg_or_png(data):
        _open_with_pillow(path, io.BytesIO(data), decode=True)
    image = cv2.imdecode(np.frombuffer(data, np.uint8), flags)
    if image is None:
        raise FastaedError(f"cannot decode image {path}: replace or remove the file")
    return image
