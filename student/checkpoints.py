"""Student checkpoints: plain tensors, numbers, strings and lists only, loaded with ``weights_only=True``."""
import io
import os
import tempfile
from pathlib import Path

import torch

from student.fusion import scoring_fusion
from student.networks import STUDENT_SIZES, build_student

CHECKPOINT_FORMAT = "fastaed-student"
FORMAT_VERSION = 1


def save_checkpoint(path, model, discriminators=None, optimizers=None, epoch=0, log=(), training=None,
                    calibration=None):
    """Write a checkpoint atomically (temporary file in the same folder, synced, then renamed).

    A failed write (a full disk) raises OSError naming ``path`` and leaves the previous
    checkpoint, if any, as it was.

    Stores the model's ``config`` and weights, the discriminators' weights, optimizer states
    (``{name: optimizer}``), the number of completed epochs, the per-epoch ``log`` (list of dicts),
    the ``training`` settings (a dict of plain values) and the score ``calibration`` on normal
    footage (a dict of plain values, or None; see :func:`save_calibration`).

    Example:
        >>> import tempfile
        >>> from student.networks import build_student
        >>> path = Path(tempfile.mkdtemp()) / "student.pt"
        >>> save_checkpoint(path, build_student("fast", 1), epoch=3)
        >>> load_checkpoint(path)["epoch"]
        3
    """
    path = Path(path)
    payload = {
        "format": CHECKPOINT_FORMAT,
        "format_version": FORMAT_VERSION,
        "config": dict(model.config),
        "model": model.state_dict(),
        "discriminators": None if discriminators is None else discriminators.state_dict(),
        "optimizers": {name: opt.state_dict() for name, opt in (optimizers or {}).items()},
        "epoch": int(epoch),
        "log": [dict(entry) for entry in log],
        "training": dict(training or {}),
        "calibration": None if calibration is None else dict(calibration),
    }
    _write_payload(path, payload)


def save_calibration(path, calibration):
    """Store ``calibration`` (a dict of plain values: numbers, strings, lists) in the checkpoint at ``path``.

    Everything else in the checkpoint is kept; the file is rewritten atomically.

    Example:
        >>> import tempfile
        >>> from student.networks import build_student
        >>> path = Path(tempfile.mkdtemp()) / "student.pt"
        >>> save_checkpoint(path, build_student("fast", 1), epoch=2)
        >>> save_calibration(path, {"quantiles": [0.0, 1.0]})
        >>> payload = load_checkpoint(path)
        >>> payload["calibration"], payload["epoch"]
        ({'quantiles': [0.0, 1.0]}, 2)
    """
    payload = load_checkpoint(path)
    payload["calibration"] = dict(calibration)
    _write_payload(path, payload)


def _write_payload(path, payload):
    path = Path(path)
    # Serialized in memory first: torch's zip writer reports a failed write as a RuntimeError
    # about stream positions, a plain file write reports it as the OSError it is.
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    path.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(handle, "wb") as stream:
            stream.write(buffer.getbuffer())
            stream.flush()
            os.fsync(stream.fileno())
        os.chmod(temporary, 0o666 & ~_umask())
        os.replace(temporary, path)
    except OSError as error:
        Path(temporary).unlink(missing_ok=True)
        raise OSError(error.errno, error.strerror, str(path)) from error
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _umask():
    current = os.umask(0)
    os.umask(current)
    return current


def _not_a_checkpoint(path, reason):
    return ValueError(f"{path} is not a fastaed student checkpoint: {reason}; "
                      "pass a student.pt written by train-student")


def load_checkpoint(path, size=None, map_location="cpu"):
    """Load and validate a checkpoint; return its dict (keys as written by :func:`save_checkpoint`).

    Raises ValueError with a one-line message for a file that is not a student checkpoint (corrupt,
    truncated, another format) and, when ``size`` is given, for a checkpoint of another size.
    A missing file raises FileNotFoundError.

    Example:
        >>> import tempfile
        >>> path = Path(tempfile.mkdtemp()) / "bad.pt"
        >>> _ = path.write_bytes(b"not a checkpoint")
        >>> try:
        ...     load_checkpoint(path)
        ... except ValueError as error:
        ...     print(str(error).split(": ")[1])
        it cannot be read as a torch file (UnpicklingError); pass a student.pt written by train-student
    """
    path = Path(path)
    if not path.is_file():
        raise FileNotFoundError(f"checkpoint {path} does not exist")
    try:
        payload = torch.load(path, map_location=map_location, weights_only=True)
    except Exception as error:  # torch raises many types for corrupt files (pickle, zip, EOF, runtime)
        if "Unsupported global" in str(error):
            reason = "it holds Python objects other than tensors and plain data, which are never loaded"
        else:
            reason = f"it cannot be read as a torch file ({type(error).__name__})"
        raise _not_a_checkpoint(path, reason) from error
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise _not_a_checkpoint(path, "it has no fastaed student header")
    if payload.get("format_version") != FORMAT_VERSION:
        raise _not_a_checkpoint(path, f"format version {payload.get('format_version')} is not {FORMAT_VERSION}")
    config = payload.get("config")
    if not isinstance(config, dict) or config.get("size") not in STUDENT_SIZES:
        raise _not_a_checkpoint(path, f"unknown student configuration {config!r}")
    if size is not None and config["size"] != size:
        raise ValueError(f"checkpoint {path} was trained for size '{config['size']}', not '{size}': "
                         f"use --size {config['size']} or train a '{size}' student")
    return payload


def load_student(path, size=None, map_location="cpu"):
    """Build the student a checkpoint describes, load its weights, return it in eval mode.

    Example:
        >>> import tempfile
        >>> from student.networks import build_student
        >>> path = Path(tempfile.mkdtemp()) / "student.pt"
        >>> save_checkpoint(path, build_student("fast", ["motion"]))
        >>> load_student(path).config["teachers"]
        ['motion']
    """
    payload = load_checkpoint(path, size=size, map_location=map_location)
    config = payload["config"]
    try:
        model = build_student(config["size"], config["teachers"], config["input_size"], config["target_transform"])
        model.load_state_dict(payload["model"])
    except (ValueError, KeyError, TypeError, RuntimeError) as error:
        first_line = str(error).strip().splitlines()[0][:160]
        raise _not_a_checkpoint(path, f"its weights do not fit a '{config['size']}' student ({first_line})") from error
    if config.get("fusion") is not None:
        try:
            scoring_fusion(config)
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise _not_a_checkpoint(path, f"its teachers' fusion cannot be read ({error})") from error
        model.config["fusion"] = config["fusion"]
    return model.eval()
