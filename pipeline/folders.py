"""Putting a completely written folder in place of an older one."""
import os
import shutil


def replace_folder(partial, out):
    """Rename the complete folder ``partial`` to ``out``, replacing what ``out`` held before.

    The old ``out`` is moved aside first and deleted only once ``partial`` is in place, so an
    interruption never leaves ``out`` half-written.

    Example:
        >>> import tempfile
        >>> from pathlib import Path
        >>> root = Path(tempfile.mkdtemp())
        >>> (root / ".new").mkdir(); (root / "report").mkdir()
        >>> replace_folder(root / ".new", root / "report"); sorted(p.name for p in root.iterdir())
        ['report']
    """
    if not out.exists():
        partial.rename(out)
        return
    old = out.parent / f".{out.name}.old-{os.getpid()}"
    out.rename(old)
    partial.rename(out)
    shutil.rmtree(old)
