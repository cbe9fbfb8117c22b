#!/usr/bin/python3
"""PyTorch 1.13 reference for samples/MnistCnn (pytorch/examples mnist network), Adam 1e-3, batch 64, pixels/255
(no normalisation), seed 1; prints test accuracy after each epoch.
    /usr/bin/python3 tools/reference/mnist_cnn.py [fashion|mnist] [epochs]"""
import sys
import torch, torch.nn as nn, torch.nn.functional as F
from torch.utils.data import DataLoader, TensorDataset
from mnist_data import load


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 32, 3, 1)
        self.conv2 = nn.Conv2d(32, 64, 3, 1)
        self.dropout1 = nn.Dropout(0.25)
        self.dropout2 = nn.Dropout(0.5)
        self.fc1 = nn.Linear(9216, 128)
        self.fc2 = nn.Linear(128, 10)

    def forward(self, x):
        x = F.relu(self.conv2(F.relu(self.conv1(x))))
        x = torch.flatten(self.dropout1(F.max_pool2d(x, 2)), 1)
        x = self.dropout2(F.relu(self.fc1(x)))
        return F.log_softmax(self.fc2(x), dim=1)


which = sys.argv[1] if len(sys.argv) > 1 else "fashion"
epochs = int(sys.argv[2]) if len(sys.argv) > 2 else 2
(x, y), (xt, yt) = load(which)
torch.manual_seed(1)
model = Net()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
loader = DataLoader(TensorDataset(x.float().unsqueeze(1) / 255, y), batch_size=64, shuffle=True)
for epoch in range(1, epochs + 1):
    model.train()
    for xb, yb in loader:
        opt.zero_grad()
        F.nll_loss(model(xb), yb).backward()
        opt.step()
    model.eval()
    with torch.no_grad():
        acc = sum((model(xt[i:i + 1000].float().unsqueeze(1) / 255).argmax(1) == yt[i:i + 1000]).sum().item()
                  for i in range(0, len(yt), 1000)) / len(yt)
    print(f"epoch {epoch}: test accuracy {acc:.4f}")
print(f"test accuracy: {acc:.4f}")
