"""Loading ground-truth arrays from ``.npy`` and MATLAB ``.mat`` files: FastaedError naming the file on any damage.

Nothing is unpickled: a ``.npy`` holding Python objects is refused.
"""
import reprlib
import zipfile

import numpy as np
import scipy.io

from pipeline.errors import FastaedError

NUMERIC_KINDS = "biuf"  # bool, signed and unsigned integers, floats
NPY_MAGIC = b"\x93NUMPY"
ZIP_MAGIC = b"PK\x03\x04"


def _require_magic(path, magic, kind, what):
    with open(path, "rb") as file:
        head = file.read(len(magic))
    if not head:
        raise FastaedError(f"{path} is empty (0 bytes): replace it with {what}")
    if head != magic:
        raise FastaedError(f"{path} is not {kind} (it does not start like one): replace it with {what}")


def load_npy(path, what, mmap_mode=None):
    """The array in the ``.npy`` file ``path`` (memory-mapped with ``mmap_mode``); ``what`` it should hold.

    FastaedError if the file is empty, no ``.npy`` (an ``.npz`` included), cut short, or holds
    anything but numbers.

    Example:
        >>> load_npy(Path("shanghaitech/testing/test_frame_mask/01_0014.npy"), "a (frames,) array of 0/1").shape
        (265,)
    """
    _require_magic(path, NPY_MAGIC, "a .npy file", what)
    try:
        array = np.load(path, mmap_mode=mmap_mode, allow_pickle=False)
    except (OSError, ValueError, EOFError) as error:
        raise FastaedError(f"cannot read {path} as a .npy array ({str(error) or 'cut short'}): "
                           f"replace it with {what}") from None
    if array.dtype.kind not in NUMERIC_KINDS:
        raise FastaedError(f"{path} holds {array.dtype} values, not numbers: replace it with {what}")
    return array


def load_npz(path, what):
    """``{name: array}`` from the ``.npz`` archive ``path``; ``what`` it should hold, for messages.

    Example:
        >>> sorted(load_npz(Path("ped2/gt/frame_labels.npz"), "one array of 0/1 per test video"))[:2]
        ['01', '02']
    """
    _require_magic(path, ZIP_MAGIC, "an .npz archive", what)
    try:
        with np.load(path, allow_pickle=False) as archive:
            return {name: archive[name] for name in archive.files}
    except (OSError, ValueError, EOFError, zipfile.BadZipFile) as error:
        raise FastaedError(f"cannot read {path} as an .npz archive ({str(error) or 'cut short'}): "
                           f"replace it with {what}") from None


def load_mat_variable(path, variable, what):
    """The variable ``variable`` of the MATLAB v5 file ``path``, or None without it; ``what`` it should hold.

    FastaedError if the file is empty, cut short, or no MATLAB v5 file (v7.3 files are HDF5).

    Example:
        >>> load_mat_variable(Path("ped2/gt/ped2.mat"), "gt", "[start; end] frame ranges").shape
        (1, 12)
    """
    advice = f"save it as a MATLAB v5 .mat file with a variable '{variable}' ({what})"
    if path.stat().st_size == 0:
        raise FastaedError(f"{path} is empty (0 bytes): {advice}")
    try:
        return scipy.io.loadmat(path, variable_names=[variable]).get(variable)
    except (OSError, ValueError, EOFError, NotImplementedError, scipy.io.matlab.MatReadError) as error:
        raise FastaedError(f"cannot read {path} as a MATLAB file ({str(error) or type(error).__name__}): "
                           f"{advice}") from None


def numeric_array(value, where, what):
    """``value`` (a MATLAB cell, a JSON list) as a numeric array; FastaedError "``where`` must be ``what``" otherwise.

    Example:
        >>> numeric_array([[61], [180]], "ped2.mat: 'gt' cell 1", "[start; end] frame numbers")
        array([[ 61],
               [180]])
    """
    try:
        array = np.asarray(value)
    except ValueError:  # nested lists of different lengths
        array = None
    if array is None or array.dtype.kind not in NUMERIC_KINDS:
        raise FastaedError(f"{where} must be {what}, not {reprlib.repr(value)}: fix it")
    return array
