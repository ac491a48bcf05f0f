"""Writing a file under a temporary name in its own folder and renaming it when complete.

Every file fastaed writes goes through :func:`atomic_output`, so a reader never sees a
half-written file and an interrupted or failed write leaves the previous version in place.
"""
import contextlib
import errno
import hashlib
import os
import re
from pathlib import Path

TEMP_MARKER = ".tmp-"
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)
# HDF5 reports a failed write as a RuntimeError or an errno-less OSError whose text carries the errno.
_HDF5_ERRNO = re.compile(r"errno = (\d+)")


def temporary_name(path):
    """The temporary sibling that ``path`` is written to before the rename (unique per process).

    Example:
        >>> temporary_name("/tmp/s/test/01.h5").name.startswith("01.h5.tmp-")
        True
    """
    path = Path(path)
    return path.with_name(f"{path.name}{TEMP_MARKER}{os.getpid()}")


@contextlib.contextmanager
def atomic_output(path):
    """Yield a temporary path next to ``path``; on success fsync it and rename it to ``path``.

    On any error (or interruption) the temporary file is removed and ``path`` is left as it was;
    a full disk is raised as ``OSError(ENOSPC, ..., path)`` whatever library was writing.
    A SIGKILL can leave the temporary file behind; :func:`is_temporary` recognises it so that the
    next run removes it.

    Example:
        >>> import tempfile
        >>> folder = Path(tempfile.mkdtemp())
        >>> with atomic_output(folder / "a.txt") as tmp:
        ...     _ = tmp.write_text("done")
        >>> (folder / "a.txt").read_text()
        'done'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = temporary_name(path)
    try:
        yield tmp
        _fsync_file(tmp)
        os.replace(tmp, path)
    except BaseException as error:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        code = disk_full_errno(error)
        if code is not None:
            raise OSError(code, os.strerror(code), str(path)) from error
        raise
    _fsync_folder(path.parent)


def is_temporary(path):
    """Whether ``path`` is a leftover temporary file of an interrupted writer.

    Example:
        >>> is_temporary("shards/test/01.h5.tmp-1234")
        True
    """
    return TEMP_MARKER in Path(path).name


def disk_full_errno(error):
    """The errno when ``error`` says the disk (or quota, or file size limit) is full, else None.

    Example:
        >>> disk_full_errno(RuntimeError("file write failed: errno = 28, error message = 'No space left'"))
        28
        >>> disk_full_errno(ValueError("bad")) is None
        True
    """
    if isinstance(error, OSError) and error.errno in DISK_FULL:
        return error.errno
    if isinstance(error, (OSError, RuntimeError)):
        match = _HDF5_ERRNO.search(str(error))
        if match and int(match.group(1)) in DISK_FULL:
            return int(match.group(1))
    return None


def file_sha256(path, block_size=1 << 20):
    """The hex SHA-256 of a file's bytes.

    Example:
        >>> import tempfile
        >>> p = Path(tempfile.mkdtemp()) / "x"
        >>> _ = p.write_bytes(b"abc")
        >>> file_sha256(p)[:12]
        'ba7816bf8f01'
    """
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while block := handle.read(block_size):
            digest.update(block)
    return digest.hexdigest()


def _fsync_file(path):
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def _fsync_folder(folder):
    descriptor = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
