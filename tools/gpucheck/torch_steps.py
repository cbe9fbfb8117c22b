#!/usr/bin/env python3
"""PyTorch eager's side of tools/gpucheck: the same training steps gpucheck times for Ignis, on the same GPU.

Random images and labels already on the device, cross-entropy, SGD (lr 0.01, momentum 0.9); warm-up steps, then each
step timed to completion (torch.cuda.synchronize) and the median printed as
`step MODEL SIZE BATCH MEDIAN_MS MIN_MS`, gpucheck's format. Uses torchvision's models when torchvision is installed,
else the small definitions below (the same layers as torchvision 0.14's resnet18 and mobilenet_v2).
"""
import argparse
import statistics
import sys
import time

import torch
from torch import nn


def conv_bn(cin, cout, k, s, groups=1, act=True):
    layers = [nn.Conv2d(cin, cout, k, s, (k - 1) // 2, groups=groups, bias=False), nn.BatchNorm2d(cout)]
    if act:
        layers.append(nn.ReLU6(inplace=True))
    return nn.Sequential(*layers)


class InvertedResidual(nn.Module):
    def __init__(self, cin, cout, stride, expand):
        super().__init__()
        hidden = cin * expand
        layers = [conv_bn(cin, hidden, 1, 1)] if expand != 1 else []
        layers += [conv_bn(hidden, hidden, 3, stride, groups=hidden), conv_bn(hidden, cout, 1, 1, act=False)]
        self.conv = nn.Sequential(*layers)
        self.residual = stride == 1 and cin == cout

    def forward(self, x):
        return x + self.conv(x) if self.residual else self.conv(x)


def mobilenet_v2(num_classes=1000):
    settings = [(1, 16, 1, 1), (6, 24, 2, 2), (6, 32, 3, 2), (6, 64, 4, 2), (6, 96, 3, 1), (6, 160, 3, 2), (6, 320, 1, 1)]
    layers, cin = [conv_bn(3, 32, 3, 2)], 32
    for t, c, n, s in settings:
        for i in range(n):
            layers.append(InvertedResidual(cin, c, s if i == 0 else 1, t))
            cin = c
    layers.append(conv_bn(cin, 1280, 1, 1))
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Dropout(0.2), nn.Linear(1280, num_classes))


class BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.down = None
        if stride != 1 or cin != cout:
            self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return torch.relu(y + (self.down(x) if self.down is not None else x))


def resnet18(num_classes=1000):
    layers = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1)]
    cin = 64
    for cout, stride in [(64, 1), (128, 2), (256, 2), (512, 2)]:
        layers += [BasicBlock(cin, cout, stride), BasicBlock(cout, cout, 1)]
        cin = cout
    return nn.Sequential(*layers, nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(512, num_classes))


def model(name):
    try:
        import torchvision
        return getattr(torchvision.models, name)(num_classes=1000)
    except ImportError:
        return {"resnet18": resnet18, "mobilenet_v2": mobilenet_v2}[name]()


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--models", default="resnet18,mobilenet_v2")
    p.add_argument("--image-size", type=int, default=224)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--warmup", type=int, default=3)
    p.add_argument("--steps", type=int, default=10)
    p.add_argument("--device", default="cuda:0")
    a, _ = p.parse_known_args()
    if not a.device.startswith(("cuda", "cpu")):
        print(f"# PyTorch has no {a.device} device: timing on the CPU instead", file=sys.stderr)
        a.device = "cpu"
    if a.device.startswith("cuda") and not torch.cuda.is_available():
        print("PyTorch sees no CUDA device", file=sys.stderr)
        return 2
    device = torch.device(a.device)
    print(f"# PyTorch {torch.__version__}, CUDA {torch.version.cuda}, cuDNN {torch.backends.cudnn.version()}, "
          f"{torch.cuda.get_device_name(device) if device.type == 'cuda' else 'cpu'}")
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == "cuda" else (lambda: None)
    for name in a.models.split(","):
        torch.manual_seed(0)
        net = model(name).to(device).train()
        opt = torch.optim.SGD(net.parameters(), lr=0.01, momentum=0.9)
        x = torch.randn(a.batch, 3, a.image_size, a.image_size, device=device)
        y = torch.randint(0, 1000, (a.batch,), device=device)

        def step():
            loss = nn.functional.cross_entropy(net(x), y)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sync()
            return loss

        for _ in range(a.warmup):
            step()
        times = []
        for _ in range(a.steps):
            t = time.perf_counter()
            loss = step()
            times.append((time.perf_counter() - t) * 1000)
        print(f"step {name} {a.image_size} {a.batch} {statistics.median(times):.2f} {min(times):.2f} "
              f"(PyTorch eager on {device}, median of {a.steps} after {a.warmup} warm-up, last loss {loss.item():.4f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
