"""The student: frame-level networks, discriminators, distillation losses, training and inference.

Knows nothing of teachers, files or HDF5: tensors and a torch ``Dataset`` in, a checkpoint out.
"""
