"""The one exception type the CLI turns into a one-line message and a non-zero exit."""


class FastaedError(Exception):
    """Bad input or a state the user must fix; the message says what is wrong and what to do.

    Example:
        >>> raise FastaedError("no frames in data/x/training/frames/01: add frames or remove the folder")
        Traceback (most recent call last):
        ...
        pipeline.errors.FastaedError: no frames in data/x/training/frames/01: add frames or remove the folder
    """
