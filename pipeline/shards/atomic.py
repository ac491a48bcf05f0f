"""Writing a file under a temporary name in its own folder and renaming it when complete."""
import contextlib
import hashlib
import os
from pathlib import Path

from pipeline.shards.format import TEMP_MARKER


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

    On any error (or interruption) the temporary file is removed and ``path`` is left as it was.
    A SIGKILL can leave the temporary file behind; :func:`pipeline.shards.format.is_temporary`
    recognises it so that the next run removes it.

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
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()
        raise
    _fsync_folder(path.parent)


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
