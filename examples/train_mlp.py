"""Train a small MLP by hand-written SGD: autograd computes the gradients, you apply them.

    python examples/train_mlp.py [--steps N]

The data is made here: 256 points of the plane and a smooth target, y = sin(2 x0) cos(x1).
The weights are leaves that require grad; each step runs the forward pass, ``loss.backward()``
fills ``w.grad``, and the update runs under ``no_grad`` -- an in-place change of a leaf that
requires grad would otherwise be refused (and would be recorded into the graph).
"""

import argparse
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src"))

import tensor as torch  # noqa: E402  -- it reads like PyTorch on purpose


def make_data(n=256):
    torch.manual_seed(0)
    x = torch.rand(n, 2) * 4 - 2                       # uniform in [-2, 2]^2
    y = ((2 * x.select(1, 0)).sin() * x.select(1, 1).cos()).unsqueeze(1)
    return x, y


def init_params(sizes=(2, 32, 32, 1)):
    params = []
    for fan_in, fan_out in zip(sizes[:-1], sizes[1:]):
        w = torch.randn(fan_in, fan_out) * (1.0 / fan_in ** 0.5)
        params += [w.requires_grad_(), torch.zeros(fan_out, requires_grad=True)]
    return params


def model(params, x):
    h = x
    for i in range(0, len(params), 2):
        h = h @ params[i] + params[i + 1]
        if i + 2 < len(params):
            h = h.tanh()
    return h


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=500)
    parser.add_argument("--lr", type=float, default=0.05)
    args = parser.parse_args(argv)

    x, y = make_data()
    params = init_params()
    losses = []
    for step in range(args.steps + 1):
        diff = model(params, x) - y
        loss = (diff * diff).mean()                    # mean squared error
        losses.append(loss.item())
        if step % 50 == 0:
            print(f"step {step:4d}  loss {losses[-1]:.5f}")
        if step == args.steps:
            break
        loss.backward()                                # fills p.grad for every leaf p
        with torch.no_grad():                          # the update is not part of the model
            for p in params:
                p -= args.lr * p.grad
                p.grad = None                          # or p.grad.zero_()
    print(f"loss: initial {losses[0]:.5f} -> final {losses[-1]:.5f}")
    return losses


if __name__ == "__main__":
    main()
