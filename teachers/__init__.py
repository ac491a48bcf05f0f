"""Object detectors and object-level teachers: frames and boxes in, calibrated scores and maps out.

Knows nothing of files, shards or the CLI.
"""
