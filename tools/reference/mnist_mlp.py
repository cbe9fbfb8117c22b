#!/usr/bin/python3
"""PyTorch 1.13 reference for samples/MnistMlp: Flatten → Linear 128 → ReLU → Dropout 0.2 → Linear 10, Adam 1e-3,
cross-entropy on logits, batch 32, pixels/255, seed 1; prints test accuracy after each epoch.
    /usr/bin/python3 tools/reference/mnist_mlp.py [fashion|mnist] [epochs]"""
import sys
import torch, torch.nn as nn, torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from mnist_data import load

which = sys.argv[1] if len(sys.argv) > 1 else "fashion"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 10
(x, y), (xt, yt) = load(which)
torch.manual_seed(1)
model = nn.Sequential(nn.Flatten(), nn.Linear(784, 128), nn.ReLU(), nn.Dropout(0.2), nn.Linear(128, 10))
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(TensorDataset(x.float() / 255, y), batch_size=32, shuffle=True)
for epoch in range(1, epochs + 1):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        F.cross_entropy(model(xb), yb).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = (model(xt.float() / 255).argmax(1) == yt).float().mean().item()
    print(f"epoch {epoch}: test accuracy {acc:.4f}")
print(f"test accuracy: {acc:.4f}")
