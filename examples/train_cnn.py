"""A small convolutional network, written as a PyTorch script would be (``import tensor as
torch``): synthetic 12x12 images, a DataLoader, Conv2d / BatchNorm2d / MaxPool2d, Adam with a
learning-rate schedule, a checkpoint saved and restored with torch.save / torch.load, and an
evaluation under inference_mode.

The task: tell whether an image's bright 3x3 patch sits in its left or its right half.

    python examples/train_cnn.py
"""

import io

import numpy as np

import tensor as torch
import tensor.nn as nn
import tensor.nn.functional as F
from tensor.utils.data import DataLoader, TensorDataset


def make_data(n, rng):
    x = rng.normal(0.0, 0.3, (n, 1, 12, 12)).astype(np.float32)
    y = rng.integers(0, 2, n)
    for i in range(n):
        col = rng.integers(0, 4) + (6 if y[i] else 0)
        row = rng.integers(0, 10)
        x[i, 0, row:row + 3, col:col + 3] += 2.0
    return torch.from_numpy(x), torch.from_numpy(y)


class Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(8, 16, 3, padding=1), nn.ReLU(), nn.AdaptiveAvgPool2d((1, 2)))
        self.head = nn.Linear(32, 2)

    def forward(self, x):
        return self.head(self.features(x).flatten(1))


def accuracy(model, x, y):
    model.eval()
    with torch.inference_mode():
        return (model(x).argmax(1) == y).float().mean().item()


def main():
    torch.manual_seed(0)
    rng = np.random.default_rng(0)
    xtr, ytr = make_data(256, rng)
    xte, yte = make_data(128, rng)
    loader = DataLoader(TensorDataset(xtr, ytr), batch_size=32, shuffle=True)
    model = Net()
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=2, gamma=0.5)
    print(f"test accuracy before training: {accuracy(model, xte, yte):.2f}")
    for epoch in range(4):
        model.train()
        total = 0.0
        for xb, yb in loader:
            opt.zero_grad()
            loss = F.cross_entropy(model(xb), yb)
            loss.backward()
            opt.step()
            total += loss.item() * len(xb)
        sched.step()
        print(f"epoch {epoch}: loss {total / len(xtr):.4f}, lr {sched.get_last_lr()[0]:.4f}")
    acc = accuracy(model, xte, yte)
    buf = io.BytesIO()
    torch.save(model.state_dict(), buf)
    buf.seek(0)
    restored = Net()
    restored.load_state_dict(torch.load(buf))
    same = accuracy(restored, xte, yte) == acc
    print(f"test accuracy after training: {acc:.2f} (restored from a checkpoint: "
          f"{'same' if same else 'DIFFERENT'})")


if __name__ == "__main__":
    main()
