"""Building blocks shared by the student networks, and folding batch norm away for inference."""
from torch import nn
from torch.nn.utils.fusion import fuse_conv_bn_eval


def conv_bn(in_channels, out_channels, stride, activation):
    """3x3 convolution, batch norm and ``activation`` (a module class), as one Sequential.

    Example:
        >>> [type(m).__name__ for m in conv_bn(3, 16, 2, nn.ReLU)]
        ['Conv2d', 'BatchNorm2d', 'ReLU']
    """
    act = activation(inplace=True) if activation is nn.ReLU else activation()
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, stride, 1, bias=False),
                         nn.BatchNorm2d(out_channels), act)


def separable_conv_bn(in_channels, out_channels, stride, activation):
    """Depthwise 3x3 convolution and pointwise 1x1 convolution, each with batch norm and ``activation``.

    About a ninth of a dense 3x3 convolution's arithmetic at these widths; one flat Sequential, so
    :func:`fold_batch_norms` folds both batch norms.

    Example:
        >>> [type(m).__name__ for m in separable_conv_bn(16, 32, 2, nn.ReLU)]
        ['Conv2d', 'BatchNorm2d', 'ReLU', 'Conv2d', 'BatchNorm2d', 'ReLU']
    """
    depthwise = nn.Conv2d(in_channels, in_channels, 3, stride, 1, groups=in_channels, bias=False)
    pointwise = nn.Conv2d(in_channels, out_channels, 1, bias=False)
    return nn.Sequential(depthwise, *conv_bn(in_channels, in_channels, 1, activation)[1:],
                         pointwise, *conv_bn(in_channels, out_channels, 1, activation)[1:])


def fold_batch_norms(model):
    """Fold every BatchNorm2d that follows a Conv2d in a Sequential into that convolution, in place.

    The model must be in eval mode; its outputs do not change, but its state dict does, so fold
    only copies used for inference (never one you train or save). Returns the model.

    Example:
        >>> import torch
        >>> block = conv_bn(3, 8, 1, nn.ReLU).eval()
        >>> x = torch.rand(1, 3, 8, 8)
        >>> before = block(x)
        >>> torch.allclose(fold_batch_norms(block)(x), before, atol=1e-6), type(block[1]).__name__
        (True, 'Identity')
    """
    if model.training:
        raise ValueError("fold batch norms only in eval mode: call model.eval() first")
    for module in list(model.modules()):
        if not isinstance(module, nn.Sequential):
            continue
        for i in range(len(module) - 1):
            if isinstance(module[i], nn.Conv2d) and isinstance(module[i + 1], nn.BatchNorm2d):
                module[i] = fuse_conv_bn_eval(module[i], module[i + 1])
                module[i + 1] = nn.Identity()
    return model
