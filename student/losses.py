"""Distillation losses: MSE to the teachers' pooled maps and the non-saturating adversarial losses.

Maps are dicts {scale: (B, K, s, s)} with one channel per teacher; discriminator k judges channel k.
"""
import torch
import torch.nn.functional as F


def distillation_mse(student_maps, target_maps):
    """Mean over scales of the mean squared error between student and teacher maps.

    Example:
        >>> maps = {1: torch.zeros(2, 1, 1, 1), 4: torch.ones(2, 1, 4, 4)}
        >>> float(distillation_mse(maps, {1: torch.ones(2, 1, 1, 1), 4: torch.ones(2, 1, 4, 4)}))
        0.5
    """
    losses = [F.mse_loss(student_maps[s], target_maps[s]) for s in student_maps]
    return torch.stack(losses).mean()


def _teacher_maps(maps, k):
    return {s: m[:, k:k + 1] for s, m in maps.items()}


def _logits(discriminators, maps):
    return [d(_teacher_maps(maps, k)) for k, d in enumerate(discriminators)]


def generator_adversarial_loss(discriminators, student_maps):
    """Non-saturating generator loss, mean over teachers of softplus(-D(student maps)).

    Gradients flow into the student's maps (and so into the student); the caller must not step
    the discriminators on it.

    Example:
        >>> from student.discriminators import build_discriminators
        >>> maps = {s: torch.zeros(2, 2, s, s) for s in (1, 4, 16)}
        >>> generator_adversarial_loss(build_discriminators(2), maps).dim()
        0
    """
    return torch.stack([F.softplus(-logit).mean() for logit in _logits(discriminators, student_maps)]).mean()


def discriminator_loss(discriminators, teacher_maps, student_maps):
    """Discriminator loss, mean over teachers of softplus(-D(teacher maps)) + softplus(D(student maps)).

    The student's maps are a real input of this loss: each discriminator learns to call them fake.
    Pass them detached from the student so the student is not pushed by this loss.

    Example:
        >>> from student.discriminators import build_discriminators
        >>> real = {s: torch.ones(2, 1, s, s) for s in (1, 4, 16)}
        >>> fake = {s: torch.zeros(2, 1, s, s) for s in (1, 4, 16)}
        >>> discriminator_loss(build_discriminators(1), real, fake).dim()
        0
    """
    real = _logits(discriminators, teacher_maps)
    fake = _logits(discriminators, student_maps)
    return torch.stack([F.softplus(-r).mean() + F.softplus(f).mean() for r, f in zip(real, fake)]).mean()
