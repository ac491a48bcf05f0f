"""One small multi-scale discriminator per teacher: that teacher's maps at all scales in, a real/fake logit out."""
import math

import torch
from torch import nn
from torch.nn.utils.parametrizations import spectral_norm

from student.scales import SCALES


def _down(in_channels, out_channels):
    return nn.Sequential(spectral_norm(nn.Conv2d(in_channels, out_channels, 3, 2, 1)), nn.LeakyReLU(0.2, inplace=True))


class MapDiscriminator(nn.Module):
    """Judge whether one teacher's maps {s: (B, 1, s, s)} look like the teacher's (real) or a student's (fake).

    The finest map is convolved down with stride 2; at each coarser scale that scale's map joins
    the features as one more channel, so the logit (B,) depends on every scale. Every layer is
    spectrally normalised, which keeps the discriminator from overpowering the student: on Ped2
    maps without it, the discriminator loss fell to 0.01-0.3 and the generator's to 4-10 (so
    0.1 x that outweighed the distillation MSE); with it they stayed near 1.2 and 0.8.

    Example:
        >>> d = MapDiscriminator()
        >>> d({s: torch.zeros(5, 1, s, s) for s in (1, 4, 16)}).shape
        torch.Size([5])
    """

    def __init__(self, scales=SCALES, width=16):
        super().__init__()
        self.scales = tuple(sorted(scales, reverse=True))
        stages, channels = [], 1
        for finer, coarser in zip(self.scales, self.scales[1:]):
            steps = round(math.log2(finer // coarser))
            if coarser * 2 ** steps != finer:
                raise ValueError(f"discriminator scales must differ by powers of two, got {finer} and {coarser}")
            layers = []
            for _ in range(steps):
                layers.append(_down(channels, width))
                channels, width = width, min(width * 2, 128)
            stages.append(nn.Sequential(*layers))
            channels += 1
        self.stages = nn.ModuleList(stages)
        coarsest = self.scales[-1]
        self.classify = nn.Sequential(
            nn.Flatten(), spectral_norm(nn.Linear(channels * coarsest * coarsest, 64)), nn.LeakyReLU(0.2, inplace=True),
            spectral_norm(nn.Linear(64, 1)))

    def forward(self, maps):
        features = maps[self.scales[0]]
        for stage, scale in zip(self.stages, self.scales[1:]):
            features = torch.cat([stage(features), maps[scale]], dim=1)
        return self.classify(features).squeeze(1)


def build_discriminators(teachers, scales=SCALES):
    """One :class:`MapDiscriminator` per teacher, in a ModuleList in the student's channel order.

    Example:
        >>> len(build_discriminators(["motion", "appearance"]))
        2
    """
    count = teachers if isinstance(teachers, int) else len(teachers)
    return nn.ModuleList([MapDiscriminator(scales) for _ in range(count)])
