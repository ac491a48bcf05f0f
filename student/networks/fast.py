"""`fast`: the default student, a small strided CNN built for CPU throughput."""
from torch import nn

from student.networks.heads import MultiScaleHeads
from student.networks.layers import conv_bn, separable_conv_bn


class FastStudent(nn.Module):
    """3x3 convolutions down to 1/4 resolution (fine features), then to 1/16 (coarse), and multi-scale heads.

    The first two fine convolutions and every coarse one have stride 2; each is followed by batch
    norm (folded into the convolution for inference) and ReLU. Input (B, 3, H, W) in [0, 1]: frames
    t-3, t, t+3. Output {1, 4, 16: (B, num_teachers, s, s)}.

    Example:
        >>> import torch
        >>> net = FastStudent(num_teachers=2)
        >>> net(torch.zeros(3, 3, 80, 120))[16].shape
        torch.Size([3, 2, 16, 16])
    """

    block = staticmethod(conv_bn)
    """How every convolution after the first is built (``conv_bn(in, out, stride, activation)``)."""

    def __init__(self, num_teachers, fine_widths=(16, 32, 32), coarse_widths=(64, 64)):
        super().__init__()
        if len(fine_widths) < 2 or not coarse_widths:
            raise ValueError("the fast student needs at least two fine and one coarse convolution")
        widths = (3, *fine_widths)
        self.fine = nn.Sequential(*[
            (conv_bn if i == 0 else self.block)(widths[i], widths[i + 1], 2 if i < 2 else 1, nn.ReLU)
            for i in range(len(fine_widths))])
        widths = (fine_widths[-1], *coarse_widths)
        self.coarse = nn.Sequential(*[
            self.block(widths[i], widths[i + 1], 2, nn.ReLU) for i in range(len(coarse_widths))])
        self.heads = MultiScaleHeads(fine_widths[-1], coarse_widths[-1], num_teachers)

    def forward(self, frames):
        fine = self.fine(frames)
        return self.heads(fine, self.coarse(fine))


class SeparableStudent(FastStudent):
    """The fast student with every convolution after the first depthwise-separable (3x3 per channel, then 1x1).

    Same layout, widths, strides and heads as :class:`FastStudent`; 11k parameters instead of
    71k and about a quarter of its arithmetic, which on CPUs whose convolutions are
    compute-bound roughly doubles the frames per second.

    Example:
        >>> import torch
        >>> net = SeparableStudent(num_teachers=2)
        >>> net(torch.zeros(3, 3, 80, 120))[16].shape, sum(p.numel() for p in net.parameters()) < 15_000
        (torch.Size([3, 2, 16, 16]), True)
    """

    block = staticmethod(separable_conv_bn)
