"""UCSD Ped1/Ped2 in two layouts: the original ``.tif`` tree and the re-packed frame-folder layout.

The re-packed layout is also what ``fastaed synth`` writes, and it is read for any dataset
re-packed that way (Avenue or ShanghaiTech frames with an ano_pred ``.mat``, for example)::

    ROOT/training/frames/<video>/<NNN>.jpg
    ROOT/testing/frames/<video>/<NNN>.jpg
    ROOT/testing/pixel_masks/<video>/<NNN>.png        optional
    ROOT/gt/frame_labels.json | frame_labels.npz | *.mat ('gt') | UCSDpedN.m   optional (also in ROOT)

The original UCSD tree (pass the ``UCSDped1`` or ``UCSDped2`` folder)::

    ROOT/Train/Train001/001.tif ...
    ROOT/Test/Test001/001.tif ...
    ROOT/Test/Test001_gt/001.bmp ...                   pixel masks, where UCSD gives them
    ROOT/Test/UCSDpedN.m                               frame ranges, 1-based inclusive
"""
from pipeline.datasets.dataset import Dataset, build_videos
from pipeline.datasets.frame_labels import find_frame_label_files
from pipeline.datasets.frame_sources import frame_folders
from pipeline.datasets.listing import visible_entries
from pipeline.datasets.mask_sources import ImageMasks
from pipeline.errors import FastaedError

REPACKED = "ucsd-repacked"
ORIGINAL = "ucsd-original"
MASK_SUFFIX = "_gt"


def matches_repacked(root):
    """True if ``root`` has ``training/frames`` or ``testing/frames``.

    Example:
        >>> matches_repacked(Path("data/synthetic"))
        True
    """
    return (root / "training" / "frames").is_dir() or (root / "testing" / "frames").is_dir()


def load_repacked(root):
    """Read the re-packed layout (see the module docstring).

    Example:
        >>> load_repacked(Path("../shared/data/ucsd_ped2")).summary()["test"]["anomalous_frames"]
        1648
    """
    masks_folder = root / "testing" / "pixel_masks"
    masks = {name: ImageMasks(frames.source) for name, frames in frame_folders(masks_folder).items()}
    return Dataset(root, REPACKED,
                   train=build_videos("train", frame_folders(root / "training" / "frames")),
                   test=build_videos("test", frame_folders(root / "testing" / "frames"), masks,
                                     find_frame_label_files(root, root / "gt")))


def matches_original(root):
    """True if ``root`` has UCSD's ``Train`` or ``Test`` folder.

    A folder holding ``UCSDped1``/``UCSDped2`` raises FastaedError asking for one of them.

    Example:
        >>> matches_original(Path("UCSD_Anomaly_Dataset.v1p2/UCSDped2"))
        True
    """
    folders = [entry for entry in visible_entries(root) if entry.is_dir()]
    if {"Train", "Test"} & {entry.name for entry in folders}:  # exact case: "train/" is the folder layout's
        return True
    inner = [entry for entry in folders if entry.name.startswith("UCSDped")]
    if inner:
        raise FastaedError(f"{root} holds {', '.join(entry.name for entry in inner)}: "
                           f"pass one of them as the dataset root, e.g. {inner[0]}")
    return False


def load_original(root):
    """Read the original UCSD tree (see the module docstring).

    Example:
        >>> load_original(Path("UCSD_Anomaly_Dataset.v1p2/UCSDped2")).summary()["train"]
        {'videos': 16, 'frames': 2550}
    """
    test_folder = root / "Test"
    masks = {}
    if test_folder.is_dir():
        for entry in visible_entries(test_folder):
            if entry.is_dir() and entry.name.endswith(MASK_SUFFIX):
                masks[entry.name[:-len(MASK_SUFFIX)]] = ImageMasks(entry)
    return Dataset(root, ORIGINAL,
                   train=build_videos("train", frame_folders(root / "Train")),
                   test=build_videos("test", frame_folders(test_folder, skip_suffix=MASK_SUFFIX), masks,
                                     find_frame_label_files(test_folder, root, root / "gt")))
