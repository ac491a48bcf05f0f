"""The layouts fastaed reads, and :func:`open_dataset`, which recognises which one a folder holds."""
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

from pipeline.datasets import avenue, folder, shanghaitech, ucsd
from pipeline.datasets.dataset import Dataset
from pipeline.errors import FastaedError


@dataclass(frozen=True)
class Layout:
    """A dataset layout: its name, what it looks like, how to recognise and read it.

    Example:
        >>> LAYOUTS[0].name, LAYOUTS[0].matches(Path("UCSDped2"))
        ('ucsd-original', True)
    """

    name: str
    looks_like: str
    matches: Callable[[Path], bool]
    load: Callable[[Path], Dataset]


# Most specific first: the plain folder reads almost anything, so it is tried last.
LAYOUTS = (
    Layout(ucsd.ORIGINAL, "Train/ and Test/ (UCSD Ped1/Ped2)", ucsd.matches_original, ucsd.load_original),
    Layout(avenue.LAYOUT, "training_videos/ and testing_videos/ (Avenue)", avenue.matches, avenue.load),
    Layout(shanghaitech.LAYOUT, "training/videos/ or testing/test_frame_mask/ (ShanghaiTech)",
           shanghaitech.matches, shanghaitech.load),
    Layout(ucsd.REPACKED, "training/frames/ and testing/frames/ (re-packed)", ucsd.matches_repacked,
           ucsd.load_repacked),
    Layout(folder.LAYOUT, "video files or folders of frame images", folder.matches, folder.load),
)


def open_dataset(root, layout=None):
    """Open the dataset under ``root``, recognising its layout (or using ``layout``, a name of LAYOUTS).

    Frames are not decoded here; structure, frame counts and frame-level label lengths are checked.
    Bad input raises FastaedError with a one-line message.

    Example:
        >>> dataset = open_dataset("data/synthetic")
        >>> dataset.layout, len(dataset.train)
        ('ucsd-repacked', 4)
    """
    root = Path(root)
    if not root.exists():
        raise FastaedError(f"dataset folder {root} does not exist: check the path "
                           f"(`fastaed synth {root}` writes a synthetic dataset there)")
    if not root.is_dir():
        raise FastaedError(f"{root} is not a folder: pass the dataset's root folder")
    if layout is not None:
        chosen = [candidate for candidate in LAYOUTS if candidate.name == layout]
        if not chosen:
            raise FastaedError(f"unknown layout {layout!r}: use one of {', '.join(item.name for item in LAYOUTS)}")
    else:
        chosen = [candidate for candidate in LAYOUTS if candidate.matches(root)]
        if not chosen:
            expected = "; ".join(f"{item.name}: {item.looks_like}" for item in LAYOUTS)
            raise FastaedError(f"no known dataset layout in {root}: expected one of {expected}")
    dataset = chosen[0].load(root)
    if not dataset.train and not dataset.test:
        raise FastaedError(f"no videos in {root} (read as layout {chosen[0].name}): "
                           f"add videos where that layout expects them ({chosen[0].looks_like})")
    return dataset
