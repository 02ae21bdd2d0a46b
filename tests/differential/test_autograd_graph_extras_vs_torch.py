"""torch.autograd.graph extras against PyTorch: GradientEdge / get_gradient_edge,
register_multi_grad_hook, allow_mutation_on_saved_tensors, hook handles and Node methods.

Each program runs on both libraries and returns a log of plain values (gradients as lists,
hook calls in order, error types with the stable start of their messages)."""

import threading

import pytest

torch = pytest.importorskip("torch")

import tensor as ours  # noqa: E402


def _v(x):
    """A plain value for comparing logs: tensors as lists, containers element-wise."""
    if x is None:
        return None
    if hasattr(x, "tolist") and hasattr(x, "requires_grad"):
        return ("T", x.tolist())
    if isinstance(x, (list, tuple)):
        return [_v(e) for e in x]
    if isinstance(x, dict):
        return {k: _v(e) for k, e in x.items()}
    return x


def _err(e, n=60):
    return ("ERR", type(e).__name__, str(e)[:n])


def _try(log, f, n=60):
    try:
        log.append(_v(f()))
    except Exception as e:  # noqa: BLE001 -- the error itself is compared
        log.append(_err(e, n))


def both(prog):
    return prog(torch), prog(ours)


# -- 1. GradientEdge ---------------------------------------------------------------------------
def prog_edges(m):
    log = []
    G = m.autograd.graph
    a = m.tensor([1., 2.], requires_grad=True)
    b = a * 3
    c = (b * b).sum()
    eb, ea = G.get_gradient_edge(b), G.get_gradient_edge(a)
    log.append([type(eb).__name__, eb._fields, eb.output_nr, eb.ownership_token,
                ea.node.name(), eb.node.name(), ea.node is G.get_gradient_edge(a).node])
    log.append(eb.node is b.grad_fn)
    _try(log, lambda: m.autograd.grad(c, eb, retain_graph=True))
    _try(log, lambda: m.autograd.grad(c, [ea, b, a], retain_graph=True))
    _try(log, lambda: m.autograd.grad(eb, a, grad_outputs=m.ones(2), retain_graph=True))
    _try(log, lambda: m.autograd.grad([eb], [ea], grad_outputs=[m.ones(2)], retain_graph=True))
    _try(log, lambda: m.autograd.grad(eb, a, retain_graph=True), 50)
    _try(log, lambda: m.autograd.grad(eb, a, grad_outputs=m.ones(3), retain_graph=True), 200)
    _try(log, lambda: m.autograd.grad(eb, a, grad_outputs=m.ones(2, dtype=m.complex64),
                                      retain_graph=True), 200)
    _try(log, lambda: m.autograd.grad(eb, a, grad_outputs=[1.0], retain_graph=True), 200)
    s = (a * a).sum()
    _try(log, lambda: m.autograd.grad(G.get_gradient_edge(s), a, retain_graph=True))
    r = (a * a).sum().reshape(1, 1)
    _try(log, lambda: m.autograd.grad(G.get_gradient_edge(r), a, retain_graph=True))
    c.backward(inputs=[ea], retain_graph=True)
    log.append(_v(a.grad))
    c.backward(inputs=ea, retain_graph=True)
    log.append(_v(a.grad))
    m.autograd.backward(c, inputs=[ea], retain_graph=True)
    log.append(_v(a.grad))
    m.autograd.backward([eb], grad_tensors=[m.ones(2)], retain_graph=True)
    log.append(_v(a.grad))
    a.grad = None
    c.backward(inputs=[eb], retain_graph=True)       # a non-leaf edge: nothing to fill
    log.append(_v(a.grad))
    m.autograd.backward(ea, grad_tensors=m.ones(2))  # a leaf's edge as the output
    log.append(_v(a.grad))
    q = m.ones(2, requires_grad=True)
    eq = G.get_gradient_edge(q)
    _try(log, lambda: m.autograd.grad(c, [eq], retain_graph=True), 200)
    _try(log, lambda: m.autograd.grad(c, [eq], retain_graph=True, allow_unused=True))
    _try(log, lambda: m.autograd.grad(c, [eq], retain_graph=True, materialize_grads=True), 200)
    _try(log, lambda: m.autograd.grad(c, (ea.node, 0), retain_graph=True), 200)
    _try(log, lambda: m.autograd.grad(c, [a, 3], retain_graph=True), 200)
    _try(log, lambda: c.backward(inputs=[3], retain_graph=True), 200)
    _try(log, lambda: G.get_gradient_edge(m.ones(2)), 200)
    with m.no_grad():
        v = a[0:1]
    _try(log, lambda: G.get_gradient_edge(v), 200)
    u = m.ones(3, requires_grad=True).unbind(0)
    _try(log, lambda: (G.get_gradient_edge(u[2]).node.name(), G.get_gradient_edge(u[2]).output_nr))
    w = a[1:]
    _try(log, lambda: (G.get_gradient_edge(w).node.name(), G.get_gradient_edge(w).output_nr))
    # a leaf hook runs when its edge is asked for
    h = a.register_hook(lambda g: g * 10)
    _try(log, lambda: m.autograd.grad((a * 2).sum(), G.get_gradient_edge(a)))
    h.remove()
    # create_graph through an edge output
    _try(log, lambda: [x.requires_grad for x in m.autograd.grad(
        eb, a, grad_outputs=m.ones(2, requires_grad=True), create_graph=True)])
    return log


def test_gradient_edges_match_torch():
    t, o = both(prog_edges)
    assert o == t


def prog_inputs_forms(m):
    log = []
    a = m.tensor([1., 2.], requires_grad=True)
    b = a * 3
    c = (b * b).sum()
    _try(log, lambda: m.autograd.grad(c, {"x": a, "y": b}, retain_graph=True))
    c.backward(inputs={"x": a}, retain_graph=True)
    log.append(_v(a.grad))
    from collections import OrderedDict
    _try(log, lambda: m.autograd.grad(c, OrderedDict(x=a), retain_graph=True), 200)
    _try(log, lambda: m.autograd.grad(c, [], retain_graph=True), 200)
    _try(log, lambda: c.backward(inputs=[], retain_graph=True), 200)
    _try(log, lambda: m.autograd.grad([1.0], a), 200)
    return log


def test_grad_input_forms_match_torch():
    t, o = both(prog_inputs_forms)
    assert o == t


# -- 2. register_multi_grad_hook ------------------------------------------------------------
def _mk(m):
    a = m.tensor([1., 2.], requires_grad=True)
    b = m.tensor([3., 4.], requires_grad=True)
    return a, b, a * b, a * b


def prog_multi_all(m):
    G = m.autograd.graph
    log = []
    a, b, c, d = _mk(m)
    h = G.register_multi_grad_hook((a, b, c, d), lambda gs: log.append(("all", _v(gs))))
    log.append([type(h).__name__, isinstance(h, m.utils.hooks.RemovableHandle),
                hasattr(h, "id"), len(h.handles)])
    c.sum().backward(retain_graph=True)
    c.sum().backward(inputs=(a,), retain_graph=True)
    c.sum().backward(retain_graph=True)
    _try(log, lambda: m.autograd.grad(c.sum(), [b], retain_graph=True), 200)
    _try(log, lambda: m.autograd.grad(c.sum(), [c], retain_graph=True))
    (c.sum() + d.sum()).backward()
    h.remove()
    (a * 2).sum().backward()
    log.append("removed")
    # a tensor not in the graph is not waited for
    p, q = m.ones(2, requires_grad=True), m.ones(2, requires_grad=True)
    G.register_multi_grad_hook((p, q), lambda gs: log.append(("pq", _v(gs))))
    (p * 2).sum().backward()
    # outputs of one node: a slot without gradient still counts (its hook sees None)
    r = m.tensor([1., 2., 3.], requires_grad=True)
    u0, u1, _ = r.unbind(0)
    G.register_multi_grad_hook((u0, u1), lambda gs: log.append(("unbind", _v(gs))))
    (u0 * 2).backward(retain_graph=True)
    (u0 * 2 + u1).backward(retain_graph=True)
    # the same tensor twice; the list passed is a list; return value ignored
    s = m.tensor([1., 2.], requires_grad=True)
    G.register_multi_grad_hook((s, s), lambda gs: log.append(("dup", type(gs).__name__,
                                                                _v(gs))) or [g * 9 for g in gs])
    (s * 1).sum().backward()
    log.append(_v(s.grad))
    # a view and its base
    v0 = m.tensor([1., 2.], requires_grad=True)
    vv = v0[:1]
    G.register_multi_grad_hook((v0, vv), lambda gs: log.append(("view", _v(gs))))
    (vv * 3).sum().backward()
    # errors
    _try(log, lambda: G.register_multi_grad_hook((m.ones(2), s), lambda gs: None), 200)
    _try(log, lambda: G.register_multi_grad_hook((s,), lambda gs: None, mode="some"), 200)
    # handle as context manager
    z = m.tensor([1.], requires_grad=True)
    with G.register_multi_grad_hook((z,), lambda gs: log.append("ctx")):
        (z * 1).sum().backward()
    (z * 1).sum().backward()
    return log


def test_multi_grad_hook_all_matches_torch():
    t, o = both(prog_multi_all)
    assert o == t


def prog_multi_order(m):
    G = m.autograd.graph
    log = []
    a, b, c, d = _mk(m)
    a.register_hook(lambda g: log.append("a-hook"))
    b.register_hook(lambda g: log.append("b-hook"))
    c.register_hook(lambda g: log.append("c-hook"))
    a.register_post_accumulate_grad_hook(lambda t: log.append("a-post"))
    b.register_post_accumulate_grad_hook(lambda t: log.append("b-post"))
    c.grad_fn.register_hook(lambda gi, go: log.append("c-node-post"))
    c.grad_fn.register_prehook(lambda go: log.append("c-node-pre"))
    G.register_multi_grad_hook((a, b, c), lambda gs: log.append(("all", _v(gs))))
    G.register_multi_grad_hook((a, b, c), lambda g: log.append(("any", _v(g))), mode="any")
    a.register_hook(lambda g: log.append("a-hook2"))
    c.register_hook(lambda g: log.append("c-hook2"))
    c.sum().backward(retain_graph=True)
    log.append("|")
    c.sum().backward(inputs=[b], retain_graph=True)
    log.append("|")
    _try(log, lambda: m.autograd.grad(c.sum(), [a], retain_graph=True), 200)
    return log


def test_multi_grad_hook_order_matches_torch():
    t, o = both(prog_multi_order)
    assert o == t


def prog_multi_any(m):
    G = m.autograd.graph
    log = []
    a, b, _, _ = _mk(m)
    G.register_multi_grad_hook((a, b), lambda g: log.append(("any", _v(g))) or g * 100,
                               mode="any")
    (a * b).sum().backward()
    (a * 5).sum().backward()
    (b * 7).sum().backward()
    log.append([_v(a.grad), _v(b.grad)])
    x, y = m.ones(2), m.ones(2, requires_grad=True)
    h = G.register_multi_grad_hook((x, y), lambda g: log.append(("any2", _v(g))), mode="any")
    log.append(len(h.handles))
    (y * 3).sum().backward()
    return log


def test_multi_grad_hook_any_matches_torch():
    t, o = both(prog_multi_any)
    assert o == t


def prog_multi_threads(m):
    G = m.autograd.graph
    a = m.tensor([1., 2.], requires_grad=True)
    b = m.tensor([3., 4.], requires_grad=True)
    barrier = threading.Barrier(2, timeout=20)
    calls, anys = [], []
    b.register_hook(lambda g: (barrier.wait(), None)[1])   # both backwards run here
    G.register_multi_grad_hook((a, b), lambda gs: calls.append(
        (threading.current_thread().name, _v(gs))))
    G.register_multi_grad_hook((a, b), lambda g: anys.append(
        (threading.current_thread().name, _v(g))), mode="any")

    def run(k):
        (a * k + b * (k + 1)).sum().backward()
    ts = [threading.Thread(target=run, args=(k,), name=f"t{k}") for k in (1, 2)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return [sorted(calls), sorted(anys), _v(a.grad), _v(b.grad)]


def test_multi_grad_hook_threads_match_torch():
    t, o = both(prog_multi_threads)
    assert o == t


def prog_none_grads_reach_hooks(m):
    log = []

    class F(m.autograd.Function):
        @staticmethod
        def forward(ctx, x, y):
            return x + y

        @staticmethod
        def backward(ctx, g):
            return None, g
    v = m.tensor([1., 2.], requires_grad=True)
    w = v * 2
    w.register_hook(lambda g: log.append(("w", _v(g))))
    w.grad_fn.register_prehook(lambda go: log.append(("w-pre", _v(go))))
    w.grad_fn.register_hook(lambda gi, go: log.append(("w-post", _v(gi), _v(go))))
    v.register_hook(lambda g: log.append(("v", _v(g))))
    F.apply(w, m.ones(2, requires_grad=True)).sum().backward()
    r = m.tensor([1., 2., 3.], requires_grad=True)
    u0, u1, _ = r.unbind(0)
    u1.register_hook(lambda g: log.append(("u1", _v(g))))
    u0.register_hook(lambda g: log.append(("u0", _v(g))))
    (u0 * 2).backward()
    r2 = m.tensor([1., 2., 3.], requires_grad=True)
    k0, k1, _ = r2.unbind(0)
    k1.register_hook(lambda g: m.tensor(5.))
    _try(log, lambda: (k0 * 2).backward(), 200)
    return log


def test_hooks_see_none_gradients_like_torch():
    t, o = both(prog_none_grads_reach_hooks)
    assert o == t


# -- 3. allow_mutation_on_saved_tensors -------------------------------------------------------
def prog_allow_mutation(m):
    G = m.autograd.graph
    log = []
    with G.allow_mutation_on_saved_tensors() as ctx:
        a = m.tensor([1., 2., 3.], requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        log.append([len(ctx.original), len(ctx.cloned)])
        b.sin_()
        log.append([len(ctx.original), len(ctx.cloned)])
        out.backward()
        log.append(_v(a.grad))
    log.append([type(ctx).__name__, len(ctx.original), len(ctx.cloned)])
    for mutate in (True, False):
        with G.allow_mutation_on_saved_tensors():
            a = m.tensor([1., 2., 3.], requires_grad=True)
            b = a.clone()
            out = (b ** 2).sum()
            if mutate:
                b.mul_(2)
        _try(log, lambda: out.backward(), 200)
    a = m.tensor([1., 2., 3.], requires_grad=True)
    b = a.clone()
    out = (b ** 2).sum()
    with G.allow_mutation_on_saved_tensors():
        b.mul_(2)
        _try(log, lambda: out.backward(), 80)       # recorded outside: version error

    def nested():
        with G.allow_mutation_on_saved_tensors():
            with G.allow_mutation_on_saved_tensors():
                pass
    _try(log, nested, 200)
    cases = {
        "view at offset 0": lambda b: b[0:1].mul_(10),
        "view elsewhere": lambda b: b[1:2].mul_(10),
        "twice": lambda b: (b.mul_(10), b.add_(1)),
        "detach": lambda b: b.detach().mul_(3),
        "data": lambda b: b.data.mul_(3),
        "out=": lambda b: m.add(m.ones(3), 1, out=b.detach()),
        "setitem": lambda b: b.__setitem__(0, 7.0),
    }
    for name, mutate in cases.items():
        with G.allow_mutation_on_saved_tensors():
            a = m.tensor([1., 2., 3.], requires_grad=True)
            b = a.clone()
            out = (b ** 2).sum()
            mutate(b)
            _try(log, lambda: (name, out.backward(), a.grad))
    with G.allow_mutation_on_saved_tensors():    # a saved view; its base written
        a = m.tensor([1., 2., 3.], requires_grad=True)
        b = a.clone()
        v = b[1:]
        out = (v ** 2).sum()
        b.mul_(10)
        _try(log, lambda: (out.backward(), a.grad))
    with G.allow_mutation_on_saved_tensors():    # retain_graph, a write between backwards
        a = m.tensor([1., 2.], requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        out.backward(retain_graph=True)
        b.mul_(5)
        out.backward()
        log.append(_v(a.grad))
    with G.allow_mutation_on_saved_tensors():    # saved values freed, then written
        a = m.tensor([1., 2.], requires_grad=True)
        b = a.clone()
        out = (b ** 2).sum()
        out.backward()
        b.sin_()
        _try(log, lambda: out.backward(), 80)
    with G.allow_mutation_on_saved_tensors():
        a = m.tensor([1., 2.], requires_grad=True)
        b = a.clone()
        p = b.pow(2)
        b.add_(1)
        _try(log, lambda: (p.grad_fn._saved_self, p.grad_fn._saved_self is b,
                           p.grad_fn._saved_self.grad_fn.name()))
    with G.allow_mutation_on_saved_tensors():    # user hooks inside take precedence
        a = m.tensor([1., 2.], requires_grad=True)
        b = a.clone()
        with G.saved_tensors_hooks(lambda t: t * 2, lambda t: t):
            p = (b ** 2).sum()
        b.add_(1)
        _try(log, lambda: (p.backward(), a.grad))

    def disabled():
        with G.disable_saved_tensors_hooks("hooks are off here"):
            with G.allow_mutation_on_saved_tensors():
                pass
    _try(log, disabled, 200)

    class Sq(m.autograd.Function):
        @staticmethod
        def forward(ctx, x):
            ctx.save_for_backward(x)
            return x * x

        @staticmethod
        def backward(ctx, g):
            x, = ctx.saved_tensors
            return 2 * x * g
    with G.allow_mutation_on_saved_tensors():
        a = m.tensor([1., 2.], requires_grad=True)
        b = a.clone()
        p = Sq.apply(b).sum()
        b.mul_(10)
        _try(log, lambda: (p.backward(), a.grad))
    with G.allow_mutation_on_saved_tensors():    # a saved output (exp saves its result)
        a = m.tensor([0., 0.], requires_grad=True)      # exp(0) = 1 exactly on both
        e = a.exp()
        out = e.sum()
        e.mul_(2)
        _try(log, lambda: (out.backward(), a.grad))
    return log


def test_allow_mutation_on_saved_tensors_matches_torch():
    t, o = both(prog_allow_mutation)
    assert repr(o) == repr(t)      # (floats printed alike: the values are exact here)


# -- 4. handles ---------------------------------------------------------------------------------
def prog_handles(m):
    log = []
    RH = m.utils.hooks.RemovableHandle
    log.append(m.autograd.graph.RemovableHandle is RH)
    a = m.tensor([1., 2.], requires_grad=True)
    b = a * 2
    hs = [a.register_hook(lambda g: None), b.register_hook(lambda g: None),
          b.grad_fn.register_hook(lambda gi, go: None),
          b.grad_fn.register_prehook(lambda go: None),
          a.register_post_accumulate_grad_hook(lambda t: None),
          m.nn.Linear(1, 1).register_forward_hook(lambda *x: None)]
    log.append([type(h).__name__ for h in hs])
    log.append(all(type(h) is RH for h in hs))
    log.append([h.id - hs[0].id for h in hs])    # one process-wide counter
    # remove() exactly that hook, twice is harmless; the same function registered twice
    calls = []

    def f(g):
        calls.append(1)
    h1, h2 = a.register_hook(f), a.register_hook(f)
    h2.remove()
    h2.remove()
    (a * 1).sum().backward()
    log.append(len(calls))
    with h1:
        pass
    (a * 1).sum().backward()
    log.append(len(calls))
    return log


def test_handles_match_torch():
    t, o = both(prog_handles)
    assert o == t


# -- 5. Node -------------------------------------------------------------------------------------
def prog_node(m):
    G = m.autograd.graph
    log = []
    a = m.tensor([1., 2.], requires_grad=True)
    b = a * 2
    fn = b.grad_fn
    md = fn.metadata
    log.append([type(md).__name__, md])
    md["k"] = 1
    log.append([fn.metadata, fn.metadata is fn.metadata])
    acc = fn.next_functions[0][0]
    log.append([acc.name(), acc.next_functions, acc.metadata, isinstance(acc, G.Node),
                isinstance(fn, G.Node), acc._sequence_nr(), acc.variable is a])
    # hooks on an AccumulateGrad, in PyTorch's order
    acc.register_prehook(lambda go: log.append(("acc-pre", _v(go))))
    acc.register_hook(lambda gi, go: log.append(("acc-post", _v(gi), _v(go), _v(a.grad))))
    a.register_hook(lambda g: log.append(("tensor", _v(g))))
    a.register_post_accumulate_grad_hook(lambda t: log.append(("post-acc", _v(t.grad))))
    (a * 3).sum().backward()
    log.append("grad:")
    m.autograd.grad((a * 3).sum(), a)
    log.append("replace:")
    acc.register_prehook(lambda go: (go[0] * 10,))
    (a * 1).sum().backward()
    log.append(_v(a.grad))
    # node hooks change what flows
    c = m.tensor([0., 0., 0.], requires_grad=True)
    d = c.clone()
    h = d.grad_fn.register_hook(lambda gi, go: (go[0] * 2,))
    d.sum().backward(retain_graph=True)
    log.append(_v(c.grad))
    h.remove()
    c.grad = None
    h = d.grad_fn.register_prehook(lambda go: (go[0] * 3,))
    d.sum().backward(retain_graph=True)
    log.append(_v(c.grad))
    return log


def test_node_api_matches_torch():
    t, o = both(prog_node)
    assert o == t
