"""Quickstart: tensors, a view, an in-place op, the version counter, and the dispatch trace.

Run: python examples/quickstart.py
"""

import tensor as torch

x = torch.tensor([[0., 1., 2.], [3., 4., 5.]])
row = x[0] if hasattr(torch.Tensor, "__getitem__") else x.select(0, 0)
print("x =", x)
print("row is a view of x:", row._base is x, "| versions:", x._version, row._version)

print("\nrow.add_(10) — traced through the dispatcher:")
with torch.dispatch_trace():
    row.add_(10)
print("\nx after the in-place op on its view:", x)
print("versions are shared by base and view:", x._version, row._version)

w = torch.ones(3, requires_grad=True)
loss = (w * x).sum()
loss.backward()
print("\nd(sum(w*x))/dw =", w.grad)
