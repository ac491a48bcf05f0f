"""The student: frame-level networks, discriminators, distillation losses, training and inference.

Knows nothing of teachers, files or HDF5: tensors and a torch ``Dataset`` in, a checkpoint out.

Example:
    >>> from student import build_student, frame_scores
    >>> import numpy as np
    >>> frame_scores(build_student("fast", ["motion"]).eval(), np.zeros((4, 240, 360), np.uint8)).shape
    (4,)
"""
from student.checkpoints import load_checkpoint, load_student, save_calibration, save_checkpoint
from student.discriminators import MapDiscriminator, build_discriminators
from student.export import TupleOutputs, export_onnx
from student.inference import (
    FRAME_SCORE_SCALE, ScoredFrames, frame_scores, iter_frame_scores, maps_to_scores, native_bf16,
    prepare_for_inference)
from student.losses import discriminator_loss, distillation_mse, generator_adversarial_loss
from student.networks import DEFAULT_SIZE, STUDENT_SIZES, build_student, teacher_names
from student.preprocessing import TRIPLET_OFFSETS, resize_frame, resize_frames, triplet_indices, triplets_to_input
from student.scales import SCALES, pool_to_scales
from student.speed import measure_fps
from student.target_transforms import DEFAULT_TARGET_TRANSFORM, TARGET_TRANSFORMS, to_student_units, to_teacher_units
from student.training import prepare_batch, train

__all__ = [
    "DEFAULT_SIZE", "DEFAULT_TARGET_TRANSFORM", "FRAME_SCORE_SCALE", "SCALES", "STUDENT_SIZES", "TARGET_TRANSFORMS",
    "TRIPLET_OFFSETS", "MapDiscriminator",
    "ScoredFrames", "TupleOutputs", "build_discriminators", "build_student", "discriminator_loss", "distillation_mse",
    "export_onnx", "frame_scores", "generator_adversarial_loss", "iter_frame_scores", "load_checkpoint", "load_student",
    "maps_to_scores", "measure_fps", "native_bf16", "pool_to_scales", "prepare_batch", "prepare_for_inference",
    "resize_frame", "resize_frames", "save_calibration", "save_checkpoint", "teacher_names", "to_student_units", "to_teacher_units",
    "train", "triplet_indices", "triplets_to_input",
]
