#!/usr/bin/env python3
"""PyTorch side of `node scripts/init-vs-pytorch.mjs`: builds the network described by a Hurricane
graph (JSON, NCHW), initialises it as PyTorch code for these networks does (torchvision's
MobileNetV2/MNASNet, docs/method.md §7's reference): convolutions kaiming_normal_(mode='fan_out',
nonlinearity='relu'), biases 0, BatchNorm 1/0, Linear N(0, 0.01) and bias 0; trains it on the
batches the Node side wrote (SGD momentum 0.9, weight decay 4e-5 on weights of rank > 1, label
smoothing 0.1, linear decay), and prints one loss per line. Debian's python3-torch."""
import json
import struct
import sys

import torch
import torch.nn as nn
import torch.nn.functional as F

graph_file, batches_file, lr, steps, seed = sys.argv[1], sys.argv[2], float(sys.argv[3]), int(sys.argv[4]), int(sys.argv[5])
init_file = sys.argv[6] if len(sys.argv) > 6 else None  # also write the initial weights here (safetensors, Hurricane names)
torch.manual_seed(seed)
torch.set_num_threads(2)
g = json.load(open(graph_file))


class Net(nn.Module):
    def __init__(self, g):
        super().__init__()
        self.g = g
        self.mods = nn.ModuleDict()
        for n in g["nodes"]:
            key = n.get("param", "").replace(".", "_")
            if n["op"] == "conv":
                self.mods[key] = nn.Conv2d(n["cin"], n["cout"], n["k"], n["stride"], n["k"] // 2, groups=n["groups"], bias=n["bias"])
            elif n["op"] == "bn":
                self.mods[key] = nn.BatchNorm2d(n["channels"], eps=1e-5, momentum=0.1)
            elif n["op"] == "fc":
                self.mods[key] = nn.Linear(n["cin"], n["cout"])
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")
                if m.bias is not None:
                    nn.init.zeros_(m.bias)
            elif isinstance(m, nn.Linear):
                nn.init.normal_(m.weight, 0, 0.01)
                nn.init.zeros_(m.bias)

    def forward(self, x):
        v = {self.g["input"]: x}
        for n in self.g["nodes"]:
            op = n["op"]
            key = n.get("param", "").replace(".", "_")
            if op in ("conv", "bn", "fc"):
                v[n["output"]] = self.mods[key](v[n["input"]])
            elif op == "relu":
                v[n["output"]] = F.relu(v[n["input"]])
            elif op == "relu6":
                v[n["output"]] = F.relu6(v[n["input"]])
            elif op == "hsigmoid":
                v[n["output"]] = F.relu6(v[n["input"]] + 3) / 6
            elif op == "add":
                v[n["output"]] = v[n["inputs"][0]] + v[n["inputs"][1]]
            elif op == "scale":
                v[n["output"]] = v[n["inputs"][0]] * v[n["inputs"][1]]
            elif op == "concat":
                v[n["output"]] = torch.cat([v[i] for i in n["inputs"]], 1)
            elif op == "shuffle_split":
                x = v[n["input"]]
                v[n["outputs"][0]], v[n["outputs"][1]] = x[:, 0::2], x[:, 1::2]
            elif op == "gap":
                v[n["output"]] = x = v[n["input"]].mean((2, 3), keepdim=True)
            elif op == "flatten":
                v[n["output"]] = torch.flatten(v[n["input"]], 1)
            elif op == "dropout":
                v[n["output"]] = F.dropout(v[n["input"]], n["rate"], self.training)
            else:
                raise ValueError(f"unknown op {op}")
        return v[self.g["output"]]


net = Net(g)


def save_initial(path):
    """The initial weights as a safetensors file under Hurricane's parameter names (ONNX layout = PyTorch's)."""
    names = {"weight": "weight", "bias": "bias"}
    tensors = {}
    for n in g["nodes"]:
        if n["op"] not in ("conv", "bn", "fc"):
            continue
        m = net.mods[n["param"].replace(".", "_")]
        if n["op"] == "bn":
            parts = {"gamma": m.weight, "beta": m.bias, "mean": m.running_mean, "var": m.running_var}
        else:
            parts = {k: getattr(m, v) for k, v in names.items() if getattr(m, v) is not None}
        for k, t in parts.items():
            tensors[f"{n['param']}.{k}"] = t.detach().contiguous().float()
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        b = t.numpy().tobytes()
        header[name] = {"dtype": "F32", "shape": list(t.shape), "data_offsets": [offset, offset + len(b)]}
        blobs.append(b)
        offset += len(b)
    h = json.dumps(header).encode()
    h += b" " * ((8 - len(h) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(h)) + h + b"".join(blobs))


if init_file:
    save_initial(init_file)
decay = [p for p in net.parameters() if p.dim() > 1]
no_decay = [p for p in net.parameters() if p.dim() <= 1]
opt = torch.optim.SGD([{"params": decay, "weight_decay": 4e-5}, {"params": no_decay, "weight_decay": 0}], lr=lr, momentum=0.9)
sched = torch.optim.lr_scheduler.LambdaLR(opt, lambda s: 1 - s / steps)
loss_fn = nn.CrossEntropyLoss(label_smoothing=0.1)
c, h, w = g["inputShape"]
with open(batches_file, "rb") as f:
    net.train()
    for step in range(steps):
        (n,) = struct.unpack("<I", f.read(4))
        x = torch.frombuffer(bytearray(f.read(n * h * w * c * 4)), dtype=torch.float32).reshape(n, h, w, c).permute(0, 3, 1, 2).contiguous()
        y = torch.frombuffer(bytearray(f.read(n * 4)), dtype=torch.int32).long()
        opt.zero_grad()
        loss = loss_fn(net(x), y)
        loss.backward()
        opt.step()
        sched.step()
        print(f"{loss.item():.6f}", flush=True)
