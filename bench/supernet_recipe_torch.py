"""PyTorch reference for `npm run bench:recipe`: an independent supernet of the mnist preset with
{SEP_3, MB_3_1, MB_5_6, Choice_7_SE} in every layer, written here from docs/method.md §4 alone,
trained by SPOS's uniform single-path sampling on the first 8,000 Fashion-MNIST training images
(normalised, random 28x28 crops of the image padded by 2): SGD momentum 0.9, weight decay 4e-5 on
weights with more than one dimension, label smoothing 0.1, batch 64, linear decay to 0; optionally a
linear warm-up and zero-γ (the last BatchNorm of each residual branch starts at γ = 0). Kaiming-normal
(fan-out) convolutions, N(0, 0.01²) fully connected weights, as Hurricane. Prints one JSON object with
the loss EMA (0.98) every 25 steps. Args: steps warmup zero lr seed [data_dir]. Uses Debian's
python3-torch and dataset-fashion-mnist."""
import gzip, json, random, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

steps, warmup, zero, lr, seed = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5])
torch.set_num_threads(2)
torch.manual_seed(seed)
random.seed(seed)
D = (sys.argv[6] if len(sys.argv) > 6 else '/usr/share/datasets/fashion-mnist') + '/'
with gzip.open(D + 'train-images-idx3-ubyte.gz') as f:
    X = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:8000].astype(np.float32) / 255
with gzip.open(D + 'train-labels-idx1-ubyte.gz') as f:
    Y = np.frombuffer(f.read(), np.uint8, offset=8)[:8000].astype(np.int64)
X = (X - X.mean()) / X.std()


def cbn(ci, co, k, s=1, g=1):
    return nn.Sequential(nn.Conv2d(ci, co, k, s, k // 2, groups=g, bias=False), nn.BatchNorm2d(co))


class SE(nn.Module):
    def __init__(self, c):
        super().__init__()
        r = max(1, c // 4)
        self.a, self.b = nn.Conv2d(c, r, 1), nn.Conv2d(r, c, 1)

    def forward(self, x):
        s = F.adaptive_avg_pool2d(x, 1)
        return x * (F.relu6(self.b(F.relu(self.a(s))) + 3) / 6)


class SEP(nn.Module):
    def __init__(self, ci, co, s, k):
        super().__init__()
        self.dw1 = nn.Conv2d(ci, ci, k, s, k // 2, groups=ci, bias=False)
        self.pw1 = cbn(ci, ci, 1)
        self.dw2 = nn.Conv2d(ci, ci, k, 1, k // 2, groups=ci, bias=False)
        self.pw2 = cbn(ci, co, 1)

    def forward(self, x):
        return self.pw2(self.dw2(F.relu(self.pw1(self.dw1(F.relu(x))))))


class MB(nn.Module):
    def __init__(self, ci, co, s, k, e):
        super().__init__()
        h = ci * e
        self.expand = cbn(ci, h, 1) if e != 1 else None
        self.dw = cbn(h, h, k, s, h)
        self.project = cbn(h, co, 1)
        self.res = s == 1 and ci == co

    def forward(self, x):
        y = F.relu6(self.expand(x)) if self.expand is not None else x
        y = self.project(F.relu6(self.dw(y)))
        return x + y if self.res else y


class Choice(nn.Module):
    def __init__(self, ci, co, s, k, se):
        super().__init__()
        self.s = s
        mid = co // 2
        if s == 2:
            self.proj = nn.Sequential(cbn(ci, ci, k, s, ci), cbn(ci, ci, 1), nn.ReLU())
            main_in, main_out = ci, co - ci
        else:
            main_in, main_out = ci // 2, co - ci // 2
        self.main = nn.Sequential(cbn(main_in, mid, 1), nn.ReLU(), cbn(mid, mid, k, s, mid), cbn(mid, main_out, 1), nn.ReLU())
        self.se = SE(main_out) if se else None

    def forward(self, x):
        if self.s == 2:
            p, m = self.proj(x), x
        else:
            p, m = x[:, 0::2], x[:, 1::2]
        m = self.main(m)
        if self.se is not None:
            m = self.se(m)
        return torch.cat([p, m], 1)


def op(name, ci, co, s):
    return {'SEP_3': lambda: SEP(ci, co, s, 3), 'MB_3_1': lambda: MB(ci, co, s, 3, 1), 'MB_5_6': lambda: MB(ci, co, s, 5, 6),
            'Choice_7_SE': lambda: Choice(ci, co, s, 7, True)}[name]()


OPS = ['SEP_3', 'MB_3_1', 'MB_5_6', 'Choice_7_SE']


class Supernet(nn.Module):
    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(cbn(1, 8, 3), nn.ReLU())
        layers, c = [], 8
        for co, n, s in [(16, 4, 1), (40, 4, 2), (80, 8, 2), (160, 4, 2)]:
            for i in range(n):
                layers.append(nn.ModuleList([op(o, c, co, s if i == 0 else 1) for o in OPS]))
                c = co
        self.layers = nn.ModuleList(layers)
        self.head = nn.Sequential(cbn(c, 256, 1), nn.ReLU(), nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.1), nn.Linear(256, 10))

    def forward(self, x, path):
        x = self.stem(x)
        for l, i in zip(self.layers, path):
            x = l[i](x)
        return self.head(x)


net = Supernet()
for m in net.modules():
    if isinstance(m, nn.Conv2d):
        nn.init.kaiming_normal_(m.weight, mode='fan_out', nonlinearity='relu')
        if m.bias is not None:
            nn.init.zeros_(m.bias)
    elif isinstance(m, nn.Linear):
        nn.init.normal_(m.weight, 0, 0.01)
        nn.init.zeros_(m.bias)
if zero:
    for m in net.modules():
        if isinstance(m, MB) and m.res:
            nn.init.zeros_(m.project[1].weight)
decay = [p for p in net.parameters() if p.dim() > 1]
rest = [p for p in net.parameters() if p.dim() <= 1]
opt = torch.optim.SGD([{'params': decay, 'weight_decay': 4e-5}, {'params': rest, 'weight_decay': 0}], lr=lr, momentum=0.9)
crit = nn.CrossEntropyLoss(label_smoothing=0.1)
g = np.random.default_rng(seed)
ema, out, t0 = None, [], time.perf_counter()
net.train()
order = g.permutation(8000)
for step in range(steps):
    f = (1 - step / steps) * (min(1, (step + 1) / warmup) if warmup > 0 else 1)
    for pg in opt.param_groups:
        pg['lr'] = lr * f
    b = order[(step * 64) % 8000:(step * 64) % 8000 + 64]
    if len(b) < 64:
        order = g.permutation(8000)
        b = order[:64]
    x = np.pad(X[b], ((0, 0), (0, 0), (2, 2), (2, 2)))
    sh = g.integers(0, 5, (64, 2))
    x = torch.from_numpy(np.stack([x[i, :, a:a + 28, c:c + 28] for i, (a, c) in enumerate(sh)]))
    path = [random.randrange(4) for _ in range(20)]
    loss = crit(net(x, path), torch.from_numpy(Y[b]))
    opt.zero_grad()
    loss.backward()
    opt.step()
    ema = loss.item() if ema is None else 0.98 * ema + 0.02 * loss.item()
    if (step + 1) % 25 == 0:
        out.append(f'{ema:.3f}')
print(json.dumps({'engine': 'pytorch', 'steps': steps, 'warmup': warmup, 'zero': zero, 'lr': lr, 'seed': seed, 'emas': ' '.join(out), 'final': ema, 's': round(time.perf_counter() - t0)}))
