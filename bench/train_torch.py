#!/usr/bin/env python3
"""PyTorch CPU reference for `npm run bench:train`: the `cifar` preset network with MB_3_3 in every
layer (the same backbone as Hurricane's: stem 3x3 s1 8ch, stages 16/40/80/160 with first strides
1/2/2/2 and 4/4/8/4 layers, head 1x1 256, pool, dropout 0.1, fc 10), batch 64, SGD momentum 0.9,
label smoothing 0.1. Prints one JSON object. Uses Debian's python3-torch (/usr/bin/python3)."""
import json
import sys
import time

import torch
import torch.nn as nn

torch.set_num_threads(int(sys.argv[1]) if len(sys.argv) > 1 else 2)
torch.manual_seed(0)


from torch_network import network  # noqa: E402


net = network()
params = sum(p.numel() for p in net.parameters())
x = torch.randn(64, 3, 32, 32)
y = torch.randint(0, 10, (64,))
opt = torch.optim.SGD(net.parameters(), lr=0.1, momentum=0.9, weight_decay=4e-5)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)


def timed(fn, min_s=10.0, warmup=3):
    for _ in range(warmup):
        fn()
    n, t0 = 0, time.perf_counter()
    while time.perf_counter() - t0 < min_s:
        fn()
        n += 1
    return n * 64 / (time.perf_counter() - t0)


def train_step():
    opt.zero_grad()
    loss_fn(net(x), y).backward()
    opt.step()


net.train()
train = timed(train_step)
net.eval()
with torch.no_grad():
    infer = timed(lambda: net(x))
print(json.dumps({"engine": f"pytorch-cpu ({torch.get_num_threads()} threads, torch {torch.__version__})", "params": params, "train_images_per_s": round(train, 1), "eval_images_per_s": round(infer, 1)}))
