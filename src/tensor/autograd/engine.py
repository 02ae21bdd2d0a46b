"""The backward engine: runs the graph from the roots in dependency order.

1. Discover the graph reachable from the roots and count, for every node, how many edges
   point at it.
2. Run ready nodes (all their incoming gradients have arrived), latest-created first, the
   way PyTorch orders its ready queue; sum gradients arriving at the same input slot.
3. Leaves: ``AccumulateGrad`` adds into ``.grad``. For ``autograd.grad`` the gradients of the
   requested inputs are captured instead, and only the part of the graph that leads to them runs.

Grad mode during backward equals ``create_graph`` (so formulas, written with our own ops,
record a graph of the backward pass only when asked). Without ``retain_graph`` every node run
frees its saved tensors.

Note [Stealing gradients into .grad]
    The first gradient stored into a leaf's ``.grad`` is taken without a copy when nothing else
    can see its buffer (produced by a node, not a numpy view, not already handed to another
    leaf in this run); otherwise it is copied. Later backwards add into ``.grad`` in place, so
    two leaves must never share one buffer.
"""

from __future__ import annotations

import heapq

import numpy as np

from dispatch.record import current_record as _get, set_record as _set, ModeRecord

from .. import _tensor as T
from . import graph as G

__all__ = ["run_backward", "backward", "grad", "accumulate_into_leaf"]


class _Run:
    """State of one engine run (shared with AccumulateGrad through a module slot)."""

    __slots__ = ("create_graph", "accumulate", "captures", "given_away", "leaf_filter")

    def __init__(self, create_graph, accumulate, captures, leaf_filter):
        self.create_graph = create_graph
        self.accumulate = accumulate
        self.captures = captures          # {(node, nr): index} for autograd.grad
        self.given_away = set()           # ids of tensors already stored into some .grad
        self.leaf_filter = leaf_filter    # backward(inputs=...): only these leaves accumulate


_current: list[_Run] = []


def _make_root_grad(t, g, i):
    if g is None:
        if t._data.size != 1:
            raise RuntimeError("grad can be implicitly created only for scalar outputs. Hint: "
                               "pass gradient= (a tensor shaped like the output), or reduce "
                               "the output to a scalar first (e.g. .sum()).")
        return T.wrap(np.ones(t._data.shape, t._data.dtype)), True
    if not isinstance(g, T.Tensor):
        from ..opdefs.factories import tensor as _tensor
        g = _tensor(g, dtype=t.dtype)
    if tuple(g._data.shape) != tuple(t._data.shape):
        raise RuntimeError(
            f"Mismatch in shape: grad_output[{i}] has a shape of "
            f"torch.Size([{', '.join(map(str, g._data.shape))}]) and output[{i}] has a shape "
            f"of torch.Size([{', '.join(map(str, t._data.shape))}]).")
    return g, False


def run_backward(tensors, grad_tensors, retain_graph, create_graph, inputs=None,
                 allow_unused=False, accumulate=True):
    """Shared core of ``Tensor.backward``, ``autograd.backward`` and ``autograd.grad``."""
    if retain_graph is None:
        retain_graph = create_graph
    roots = []
    user_roots = set()     # gradients the caller gave us: never stored into .grad uncopied
    for i, (t, g) in enumerate(zip(tensors, grad_tensors)):
        edge = G.gradient_edge(t) if (t._requires_grad or t._grad_fn is not None
                                      or t._view is not None) else None
        if edge is None:
            raise RuntimeError(
                f"element {i} of tensors does not require grad and does not have a grad_fn. "
                "Hint: make an input require grad (x.requires_grad_()) before computing this, "
                "and do not compute it under no_grad()/inference_mode().")
        g, owned = _make_root_grad(t, g, i)
        if not owned:
            user_roots.add(id(g))
        roots.append((edge, g))

    captures = None
    leaf_filter = None
    targets = None
    if inputs is not None:
        targets = []
        for t in inputs:
            e = G.gradient_edge(t)
            if e is None:
                raise RuntimeError("One of the differentiated Tensors does not require grad")
            targets.append(e)
        if accumulate:
            leaf_filter = {id(e[0]) for e in targets}
        else:
            captures = {}
            for idx, e in enumerate(targets):
                captures.setdefault((e[0], e[1]), []).append(idx)

    # 1. discover the graph and count, per node, the edges pointing at it
    deps: dict = {}
    order = []
    stack = [e[0] for e, _ in roots]
    seen = set(stack)
    while stack:
        n = stack.pop()
        order.append(n)
        for e in n._next:
            if e is not None:
                nxt = e[0]
                deps[nxt] = deps.get(nxt, 0) + 1
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append(nxt)
    needed = None
    if targets is not None:
        needed = _needed_nodes(order, {id(e[0]) for e in targets})

    run = _Run(create_graph, accumulate, captures, leaf_filter)
    results = [None] * len(inputs) if (inputs is not None and not accumulate) else None
    buffers: dict = {}
    for (node, nr), g in roots:
        _add_to_buffer(buffers, node, nr, g)
    ready = []
    queued = set()
    for (node, nr), _ in roots:
        if deps.get(node, 0) == 0 and node not in queued:
            queued.add(node)
            heapq.heappush(ready, (-node._seq, id(node), node))

    # 2. run ready nodes, latest-created first
    rec = _get()
    _current.append(run)
    _set(ModeRecord(rec[0], rec[1], bool(create_graph), rec[3]))
    Acc = G.AccumulateGrad
    push, pop = heapq.heappush, heapq.heappop
    try:
        while ready:
            node = pop(ready)[2]
            grads = buffers.pop(node, None) or []
            if node._pre_hooks:
                for nr_fn in list(node._pre_hooks):
                    grads = _run_pre_hook(node, nr_fn, grads)
            if captures is not None:
                for nr in range(len(grads)):
                    idxs = captures.get((node, nr))
                    if idxs:
                        g = grads[nr]
                        ex = node.variable._extra if type(node) is G.AccumulateGrad else None
                        if g is not None and ex and ex.get("hooks"):
                            for h in list(ex["hooks"]):   # a leaf's tensor hooks (as torch)
                                r = h(g)
                                g = g if r is None else r
                        for idx in idxs:
                            results[idx] = g
            run_it = needed is None or id(node) in needed
            nexts = node._next
            if type(node) is Acc:
                if captures is None and run_it and grads and grads[0] is not None:
                    if leaf_filter is None or id(node) in leaf_filter:
                        accumulate_into_leaf(node.variable, grads[0],
                                             owned=id(grads[0]) not in user_roots, run=run)
                continue
            have = False
            for g in grads:
                if g is not None:
                    have = True
                    break
            if not run_it or not have:
                outs = ()
            else:
                n_out = len(node._meta) if node._meta is not None else 1
                if len(grads) < n_out:
                    grads = list(grads) + [None] * (n_out - len(grads))
                outs = node.apply(grads)
                if node._hooks:
                    for h in list(node._hooks):
                        r = h(tuple(outs), tuple(grads))
                        if r is not None:
                            outs = list(r)
                if not retain_graph:
                    node._release()
            n_outs = len(outs)
            for j, e in enumerate(nexts):
                if e is None:
                    continue
                nxt = e[0]
                if j < n_outs:
                    g = outs[j]
                    if g is not None:
                        _add_to_buffer(buffers, nxt, e[1], g)
                left = deps[nxt] - 1
                deps[nxt] = left
                if left == 0:
                    push(ready, (-nxt._seq, id(nxt), nxt))
    finally:
        _set(rec)
        _current.pop()
    if results is not None:
        for i, r in enumerate(results):
            if r is None and not allow_unused:
                raise RuntimeError(
                    f"The differentiated Tensor at index {i} appears to not have been used in "
                    "the graph. Set allow_unused=True if this is the desired behavior.")
            if r is not None and not create_graph and r._grad_fn is not None:
                results[i] = r.detach()
        return tuple(results)
    return None


def _needed_nodes(order, target_ids):
    """Nodes from which some target node can be reached."""
    memo = {}

    def reach(n):
        k = id(n)
        if k in memo:
            return memo[k]
        memo[k] = False
        r = k in target_ids
        for e in n._next:
            if e is not None and reach(e[0]):
                r = True
        memo[k] = r
        return r

    import sys
    old = sys.getrecursionlimit()
    sys.setrecursionlimit(max(old, 10 * len(order) + 1000))
    try:
        return {id(n) for n in order if reach(n)}
    finally:
        sys.setrecursionlimit(old)


def _add_to_buffer(buffers, node, nr, g):
    buf = buffers.get(node)
    if buf is None:
        buf = buffers[node] = []
    while len(buf) <= nr:
        buf.append(None)
    prev = buf[nr]
    buf[nr] = g if prev is None else prev + g


def _run_pre_hook(node, nr_fn, grads):
    nr, fn = nr_fn
    if nr < len(grads) and grads[nr] is not None:
        r = fn(grads[nr])
        if r is not None:
            grads = list(grads)
            grads[nr] = r
    return grads


def accumulate_into_leaf(t, g, owned=True, run=None):
    """Add gradient ``g`` into ``t.grad`` (Note [Stealing gradients into .grad])."""
    run = run or (_current[-1] if _current else None)
    ex = t._extra
    if ex is not None and ex.get("hooks"):
        for h in list(ex["hooks"]):
            r = h(g)
            if r is not None:
                g = r
                owned = False
    create_graph = run.create_graph if run is not None else False
    if g._data.dtype != t._data.dtype:
        g = g.to(t.dtype)
    cur = t._grad
    if cur is None:
        if create_graph:
            t._grad = g
        else:
            shared = (run is not None and id(g) in run.given_away) or g._data.base is not None \
                or g._base is not None or g._grad_fn is not None or not owned
            new = g.detach() if not shared else T.wrap(np.array(g._data, copy=True))
            if new._data.base is not None:
                new = T.wrap(np.array(g._data, copy=True))
            t._grad = new
            if run is not None:
                run.given_away.add(id(g))
        return
    if create_graph:
        t._grad = cur + g
    else:
        cur.add_(g)


def backward(tensors, grad_tensors=None, retain_graph=None, create_graph=False,
             grad_variables=None, inputs=None):
    """``autograd.backward``: accumulate gradients of ``tensors`` into the leaves."""
    if isinstance(tensors, T.Tensor):
        tensors = (tensors,)
    tensors = tuple(tensors)
    if grad_tensors is None:
        grad_tensors = (None,) * len(tensors)
    elif isinstance(grad_tensors, T.Tensor) or not isinstance(grad_tensors, (list, tuple)):
        grad_tensors = (grad_tensors,)
    if inputs is not None:
        inputs = (inputs,) if isinstance(inputs, T.Tensor) else tuple(inputs)
        if not inputs:
            raise RuntimeError("'inputs' argument to backward() cannot be empty.")
    run_backward(tensors, tuple(grad_tensors), retain_graph, create_graph, inputs=inputs,
                 accumulate=True)


def grad(outputs, inputs, grad_outputs=None, retain_graph=None, create_graph=False,
         only_inputs=True, allow_unused=None, is_grads_batched=False, materialize_grads=False):
    """``autograd.grad``: gradients of ``outputs`` with respect to ``inputs`` (returned, not
    accumulated)."""
    single = isinstance(inputs, T.Tensor)
    outputs = (outputs,) if isinstance(outputs, T.Tensor) else tuple(outputs)
    inputs = (inputs,) if single else tuple(inputs)
    if grad_outputs is None:
        grad_outputs = (None,) * len(outputs)
    elif isinstance(grad_outputs, T.Tensor):
        grad_outputs = (grad_outputs,)
    if allow_unused is None:
        allow_unused = materialize_grads
    res = run_backward(outputs, tuple(grad_outputs), retain_graph, create_graph,
                       inputs=inputs, allow_unused=allow_unused, accumulate=False)
    if materialize_grads:
        from ..opdefs.factories import zeros_like
        res = tuple(zeros_like(i) if r is None else r for r, i in zip(res, inputs))
    return res
