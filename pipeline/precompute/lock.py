"""One precomputation at a time per shards folder (a second one would delete the first's temporary files)."""
import contextlib
import json
import os
import socket
from pathlib import Path

from pipeline.errors import FastaedError

LOCK = ".precompute.lock"


@contextlib.contextmanager
def shards_lock(root):
    """Hold ``root/.precompute.lock`` while the block runs; refuse when a live process holds it.

    A lock left by a killed run (its process is gone) is taken over.

    Example:
        >>> import tempfile
        >>> with shards_lock(tempfile.mkdtemp()):
        ...     pass
    """
    path = Path(root) / LOCK
    path.parent.mkdir(parents=True, exist_ok=True)
    owner = {"pid": os.getpid(), "host": socket.gethostname()}
    for _ in range(2):
        try:
            descriptor = os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o644)
        except FileExistsError:
            holder = _holder(path)
            if holder and _alive(holder):
                raise FastaedError(
                    f"{root}: another `fastaed precompute-teachers` (pid {holder['pid']} on {holder['host']}) "
                    f"is writing these shards: wait for it to finish or stop it, then run again") from None
            with contextlib.suppress(FileNotFoundError):
                path.unlink()
            continue
        with os.fdopen(descriptor, "w") as handle:
            json.dump(owner, handle)
        break
    else:
        raise FastaedError(f"{path}: could not take the lock: remove the file if no precomputation is running")
    try:
        yield
    finally:
        with contextlib.suppress(FileNotFoundError):
            if _holder(path) == owner:
                path.unlink()


def _holder(path):
    try:
        return json.loads(path.read_text())
    except (OSError, ValueError):
        return None


def _alive(holder):
    if holder.get("host") != socket.gethostname():
        return True  # cannot check another machine's processes: assume it is running
    try:
        os.kill(int(holder["pid"]), 0)
    except ProcessLookupError:
        return False
    except (PermissionError, ValueError, TypeError, KeyError):
        return True
    return True
