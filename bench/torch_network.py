"""The `cifar`-preset network with MB_3_3 in every layer, in PyTorch, shared by the benchmark
references (bench/train_torch.py, bench/search_torch.py): stem 3x3 s1 8ch, stages 16/40/80/160 with
first strides 1/2/2/2 and 4/4/8/4 layers, head 1x1 256, pool, dropout 0.1, fc 10."""
import torch.nn as nn


def conv_bn(ci, co, k, s, groups=1, act=None):
    layers = [nn.Conv2d(ci, co, k, s, k // 2, groups=groups, bias=False), nn.BatchNorm2d(co)]
    if act:
        layers.append(act())
    return layers


class MB(nn.Module):
    def __init__(self, ci, co, s, k=3, e=3):
        super().__init__()
        h = ci * e
        self.res = s == 1 and ci == co
        self.body = nn.Sequential(*conv_bn(ci, h, 1, 1, act=nn.ReLU6), *conv_bn(h, h, k, s, groups=h, act=nn.ReLU6), *conv_bn(h, co, 1, 1))

    def forward(self, x):
        y = self.body(x)
        return x + y if self.res else y


def network():
    layers = [*conv_bn(3, 8, 3, 1, act=nn.ReLU)]
    c = 8
    for co, n, s in [(16, 4, 1), (40, 4, 2), (80, 8, 2), (160, 4, 2)]:
        for i in range(n):
            layers.append(MB(c, co, s if i == 0 else 1))
            c = co
    layers += [*conv_bn(c, 256, 1, 1, act=nn.ReLU), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.1), nn.Linear(256, 10)]
    return nn.Sequential(*layers)
