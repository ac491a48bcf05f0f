"""Student networks by size name: ``build_student(size, teachers, input_size)``."""
from dataclasses import dataclass

from torch import nn

from student.networks.fast import FastStudent, SeparableStudent
from student.networks.paper import PaperStudent
from student.target_transforms import DEFAULT_TARGET_TRANSFORM, check_target_transform


@dataclass(frozen=True)
class StudentSize:
    """One registered student size: its network class, default input size (H, W) and purpose."""

    network: type
    input_size: tuple
    description: str


STUDENT_SIZES = {
    "fast": StudentSize(FastStudent, (80, 120), "small strided CNN for CPU throughput (default)"),
    "accurate": StudentSize(FastStudent, (120, 180), "the fast CNN at 120x180 input: Ped2's accuracy target, "
                                                      "2.25x fast's arithmetic"),
    "separable": StudentSize(SeparableStudent, (80, 120), "fast with depthwise-separable convolutions: about "
                                                          "a quarter of its arithmetic"),
    "paper": StudentSize(PaperStudent, (240, 360), "~4.4M-parameter conv. transformer as in the paper (GPUs)"),
}
DEFAULT_SIZE = "fast"


def teacher_names(teachers):
    """Normalise ``teachers`` (a list of names or a count) to a list of unique names.

    Example:
        >>> teacher_names(2)
        ['teacher0', 'teacher1']
        >>> teacher_names(["motion", "appearance"])
        ['motion', 'appearance']
    """
    if isinstance(teachers, int):
        if teachers < 1:
            raise ValueError(f"a student needs at least one teacher, got {teachers}")
        return [f"teacher{i}" for i in range(teachers)]
    names = [str(name) for name in teachers]
    if not names or len(set(names)) != len(names):
        raise ValueError(f"teacher names must be a non-empty list of unique names, got {names}")
    return names


def build_student(size=DEFAULT_SIZE, teachers=1, input_size=None, target_transform=DEFAULT_TARGET_TRANSFORM):
    """Build an untrained student of a registered ``size`` predicting one map channel per teacher.

    ``teachers`` is a list of teacher names (their order is the channel order) or a count.
    ``input_size`` (H, W) defaults to the size's own. ``target_transform`` names what the maps
    regress (see :mod:`student.target_transforms`). The module's ``config`` attribute holds the
    plain-data description that checkpoints store.

    Example:
        >>> net = build_student("fast", ["motion", "appearance"])
        >>> net.config["teachers"], net.config["input_size"], net.config["target_transform"]
        (['motion', 'appearance'], [80, 120], 'capped-log1p')
    """
    if size not in STUDENT_SIZES:
        raise ValueError(f"unknown student size '{size}': choose one of {', '.join(STUDENT_SIZES)}")
    spec = STUDENT_SIZES[size]
    input_size = spec.input_size if input_size is None else tuple(int(v) for v in input_size)
    if len(input_size) != 2 or min(input_size) < 16:
        raise ValueError(f"student input size must be (height, width) of at least 16 pixels, got {input_size}")
    check_target_transform(target_transform)
    names = teacher_names(teachers)
    network: nn.Module = spec.network(num_teachers=len(names))
    network.config = {"size": size, "teachers": names, "input_size": list(input_size),
                      "target_transform": target_transform}
    return network
