#!/usr/bin/env python3
"""PyTorch CPU reference for `npm run bench:search`: images/s through SPOS's evaluation of one path of
the `cifar`-preset network (MB_3_3 in every layer, bench/torch_network.py): reset the BatchNorm
running statistics, recalibrate them in training mode over R batches of B images with
`momentum=None` (a plain average, as SPOS), then validate V images in eval mode under no_grad in
batches of E. Arguments: threads R B V E rounds. Prints one JSON object. Uses Debian's python3-torch."""
import json
import sys
import time

import torch
import torch.nn as nn

from torch_network import network

threads, R, B, V, E, rounds = (int(a) for a in sys.argv[1:7])
torch.set_num_threads(threads)
torch.manual_seed(0)
net = network()
recal = [torch.randn(B, 3, 32, 32) for _ in range(R)]
valid = [torch.randn(min(E, V - s), 3, 32, 32) for s in range(0, V, E)]
labels = [torch.randint(0, 10, (v.shape[0],)) for v in valid]


def evaluate_path():
    for m in net.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.reset_running_stats()
            m.momentum = None
    net.train()
    with torch.no_grad():
        for x in recal:
            net(x)
    net.eval()
    correct = 0
    with torch.no_grad():
        for x, y in zip(valid, labels):
            correct += (net(x).argmax(1) == y).sum().item()
    return correct


evaluate_path()  # warm-up
t0 = time.perf_counter()
for _ in range(rounds):
    evaluate_path()
seconds = (time.perf_counter() - t0) / rounds
print(json.dumps({"engine": f"pytorch-cpu ({torch.get_num_threads()} threads, torch {torch.__version__})", "seconds_per_path": seconds, "images_per_s": (R * B + V) / seconds}))
