"""`paper`: a convolutional transformer of about 5M parameters, close to Croitoru et al. (2211.15597)."""
import torch.nn.functional as F
from torch import nn

from student.networks.heads import MultiScaleHeads
from student.networks.layers import conv_bn


class ConvTransformerBlock(nn.Module):
    """Pre-norm transformer block on a (B, C, H, W) feature map with a depthwise-conv position code.

    Example:
        >>> import torch
        >>> ConvTransformerBlock(dim=64, heads=4)(torch.zeros(2, 64, 5, 7)).shape
        torch.Size([2, 64, 5, 7])
    """

    def __init__(self, dim, heads, mlp_ratio=4):
        super().__init__()
        self.heads = heads
        self.position = nn.Conv2d(dim, dim, 3, padding=1, groups=dim)
        self.attention_norm = nn.LayerNorm(dim)
        self.qkv = nn.Linear(dim, 3 * dim)
        self.projection = nn.Linear(dim, dim)
        self.mlp_norm = nn.LayerNorm(dim)
        self.mlp = nn.Sequential(nn.Linear(dim, mlp_ratio * dim), nn.GELU(), nn.Linear(mlp_ratio * dim, dim))

    def forward(self, x):
        batch, channels, height, width = x.shape
        x = x + self.position(x)
        tokens = x.flatten(2).transpose(1, 2)
        qkv = self.qkv(self.attention_norm(tokens))
        q, k, v = qkv.reshape(batch, -1, 3, self.heads, channels // self.heads).permute(2, 0, 3, 1, 4)
        attended = F.scaled_dot_product_attention(q, k, v).transpose(1, 2).reshape(batch, -1, channels)
        tokens = tokens + self.projection(attended)
        tokens = tokens + self.mlp(self.mlp_norm(tokens))
        return tokens.transpose(1, 2).reshape(batch, channels, height, width)


class PaperStudent(nn.Module):
    """Convolutional stem (batch norm, GELU) to 1/16 resolution, transformer blocks there, multi-scale heads (for GPUs).

    The stem's 1/8 features feed the 16x16 head, the transformer's 1/16 features the 4x4 and 1x1
    heads and the 16x16 head's context. About 4.4M parameters and 3.4 GFLOP per 240x360 input.

    Example:
        >>> import torch
        >>> net = PaperStudent(num_teachers=2)
        >>> net(torch.zeros(1, 3, 64, 96))[4].shape
        torch.Size([1, 2, 4, 4])
    """

    def __init__(self, num_teachers, stem_widths=(32, 64, 128), dim=256, depth=5, heads=8):
        super().__init__()
        w = stem_widths
        self.stem = nn.Sequential(conv_bn(3, w[0], 2, nn.GELU), conv_bn(w[0], w[1], 2, nn.GELU),
                                  conv_bn(w[1], w[2], 2, nn.GELU))
        self.embed = conv_bn(w[2], dim, 2, nn.GELU)
        self.blocks = nn.Sequential(*[ConvTransformerBlock(dim, heads) for _ in range(depth)])
        self.heads = MultiScaleHeads(w[2], dim, num_teachers)

    def forward(self, frames):
        fine = self.stem(frames)
        return self.heads(fine, self.blocks(self.embed(fine)))
