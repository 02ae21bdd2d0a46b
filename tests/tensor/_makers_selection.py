"""Gradcheck makers for opdefs/selection.py (loaded by test_gradcheck_registry.py).

Selection-like ops get distinct values (no ties: the chosen index must not flip under the
finite-difference step); scatter ops get indices without repeats where a repeat would make
the result depend on which write wins."""

from __future__ import annotations

import numpy as np
from hypothesis import strategies as st


def makers(ns):
    Case, Const, values, shapes, distinct = ns.Case, ns.Const, ns.values, ns.shapes, ns.distinct
    dim_of, dims_list, index_array = ns.dim_of, ns.dims_list, ns.index_array

    def m_kthvalue(draw, inplace):
        shape = shapes(draw)
        d = dim_of(draw, len(shape))
        n = shape[d] if shape else 1
        return Case(distinct(draw, shape), draw(st.integers(1, n)), d, draw(st.booleans()))

    def m_dim_select(draw, inplace):
        shape = shapes(draw)
        return Case(distinct(draw, shape), dim_of(draw, len(shape)), draw(st.booleans()))

    def m_full(draw, inplace):
        return Case(distinct(draw, shapes(draw)))

    def m_aminmax(draw, inplace):
        shape = shapes(draw)
        dim = draw(st.one_of(st.none(), st.just(dim_of(draw, len(shape)))))
        return Case(distinct(draw, shape), dim=dim, keepdim=draw(st.booleans()))

    def m_var_mean(draw, inplace):
        shape = shapes(draw)
        dim = draw(st.one_of(st.none(), st.just(dims_list(draw, len(shape), min_size=1))))
        red = (int(np.prod(shape)) if dim is None else
               int(np.prod([shape[d] for d in dim])) if shape else 1)
        corr = draw(st.sampled_from([None, 0, 1]))
        if red - (1 if corr is None else corr) <= 0:
            corr = 0
        return Case(distinct(draw, shape, gap=0.3), dim, correction=corr,
                    keepdim=draw(st.booleans()))

    def m_scan(draw, inplace):
        shape = shapes(draw)
        return Case(values(draw, shape), dim_of(draw, len(shape)))

    def m_scan_dtype(draw, inplace):
        shape = shapes(draw)
        return Case(values(draw, shape, fix=ns.away_from(0.0, margin=0.1)),
                    dim_of(draw, len(shape)), dtype=None)

    def m_scatter_reduce(draw, inplace):
        shape = shapes(draw, min_dims=1)
        nd = len(shape)
        d = dim_of(draw, nd) % nd
        ishape = tuple(draw(st.integers(1, 3)) if i == d else draw(st.integers(1, s))
                       for i, s in enumerate(shape))
        idx = np.abs(index_array(draw, ishape, shape[d])) % shape[d]
        reduce = draw(st.sampled_from(["sum", "prod", "mean", "amax", "amin"]))
        include = draw(st.booleans())
        n_self = int(np.prod(shape))
        allv = distinct(draw, (n_self + int(np.prod(ishape)),), gap=0.3)
        if reduce == "prod":              # away from zero: one zero per target at most
            allv = np.where(np.abs(allv) < 0.2, 0.35, allv)
        a, s = allv[:n_self].reshape(shape), allv[n_self:].reshape(ishape)
        return Case(a, d, Const(idx), s, reduce, include_self=include)

    def m_index_reduce(draw, inplace):
        shape = shapes(draw, min_dims=1)
        d = dim_of(draw, len(shape)) % len(shape)
        k = draw(st.integers(1, 3))
        idx = np.abs(index_array(draw, (k,), shape[d])) % shape[d]
        sshape = tuple(k if i == d else s for i, s in enumerate(shape))
        reduce = draw(st.sampled_from(["prod", "mean", "amax", "amin"]))
        n_self = int(np.prod(shape))
        allv = distinct(draw, (n_self + int(np.prod(sshape)),), gap=0.3)
        if reduce == "prod":
            allv = np.where(np.abs(allv) < 0.2, 0.35, allv)
        a, s = allv[:n_self].reshape(shape), allv[n_self:].reshape(sshape)
        return Case(a, d, Const(idx), s, reduce, include_self=draw(st.booleans()))

    def m_index_copy(draw, inplace):
        shape = shapes(draw, min_dims=1)
        d = dim_of(draw, len(shape)) % len(shape)
        k = draw(st.integers(1, shape[d]))
        idx = index_array(draw, (k,), shape[d], unique=True) % shape[d]
        sshape = tuple(k if i == d else s for i, s in enumerate(shape))
        return Case(values(draw, shape), d, Const(idx), values(draw, sshape))

    def m_masked_scatter(draw, inplace):
        shape = shapes(draw)
        mask = draw(ns.hnp.arrays(np.bool_, shape))
        n = int(mask.sum()) + draw(st.integers(0, 2))
        return Case(values(draw, shape), Const(mask), values(draw, (n,)))

    def m_put(draw, inplace):
        shape = shapes(draw)
        n = int(np.prod(shape))
        acc = draw(st.booleans())
        k = draw(st.integers(1, n))
        idx = index_array(draw, (k,), n, unique=not acc)
        return Case(values(draw, shape), Const(idx), values(draw, (k,)), acc)

    def m_select_scatter(draw, inplace):
        shape = shapes(draw, min_dims=1)
        d = dim_of(draw, len(shape))
        i = draw(st.integers(-shape[d], shape[d] - 1))
        src = np.zeros(shape)[(slice(None),) * (d % len(shape)) + (i,)]
        return Case(values(draw, shape), values(draw, src.shape), d, i)

    def m_slice_scatter(draw, inplace):
        shape = shapes(draw, min_dims=1)
        d = dim_of(draw, len(shape))
        start = draw(st.one_of(st.none(), st.integers(0, shape[d])))
        step = draw(st.integers(1, 2))
        src = np.zeros(shape)[(slice(None),) * (d % len(shape)) + (slice(start, None, step),)]
        return Case(values(draw, shape), values(draw, src.shape), d, start, None, step)

    def m_diagonal_scatter(draw, inplace):
        shape = shapes(draw, min_dims=2)
        nd = len(shape)
        d1, d2 = draw(st.lists(st.integers(0, nd - 1), min_size=2, max_size=2, unique=True))
        off = draw(st.integers(-1, 1))
        src = np.diagonal(np.zeros(shape), off, d1, d2)
        return Case(values(draw, shape), values(draw, src.shape), off, d1, d2)

    def m_as_strided_scatter(draw, inplace):
        # self is a constant: PyTorch's formula for self (kept here) is not the derivative
        # (see _strided_keep in opdefs/selection.py); src's gradient is checked
        shape = shapes(draw, min_dims=1)
        n = int(np.prod(shape))
        k = draw(st.integers(1, n))
        off = draw(st.integers(0, n - k))
        return Case(Const(values(draw, shape)), values(draw, (k,)), [k], [1], off)

    def m_renorm(draw, inplace):
        shape = shapes(draw, min_dims=2)
        p = draw(st.sampled_from([1, 2, 3]))
        d = dim_of(draw, len(shape))
        a = values(draw, shape, fix=ns.away_from(0.0, margin=0.1))
        dd = d % len(shape)
        axes = tuple(k for k in range(len(shape)) if k != dd)
        norms = (np.abs(a) ** p).sum(axis=axes) ** (1.0 / p)
        # maxnorm between the slice norms, away from each (the rescaling switches there)
        maxnorm = float(np.median(norms)) + 0.05
        if np.min(np.abs(norms - maxnorm)) < 0.03:
            maxnorm += 0.05
        return Case(a, p, d, maxnorm)

    def m_fill_diagonal(draw, inplace):
        # C-ordered inputs only: on a Fortran-ordered one the second derivative goes through
        # as_strided of a non-contiguous root, which is refused (the registry's known
        # as_strided gradgrad failure)
        shape = draw(st.sampled_from([(2, 2), (3, 2), (2, 3), (5, 2), (2, 2, 2)]))
        return Case(values(draw, shape, layout=False), draw(st.sampled_from([0.0, 1.5])),
                    draw(st.booleans()))

    def m_unsafe_split(draw, inplace):
        shape = shapes(draw, min_dims=1, max_side=4)
        d = dim_of(draw, len(shape))
        return Case(values(draw, shape), draw(st.integers(1, shape[d] + 1)), d)

    def m_unsafe_split_sizes(draw, inplace):
        shape = shapes(draw, min_dims=1, max_side=4)
        d = dim_of(draw, len(shape))
        n, sizes = shape[d], []
        while n > 0:
            s = draw(st.integers(1, n))
            sizes.append(s)
            n -= s
        return Case(values(draw, shape), sizes, d)

    return {
        "aten::kthvalue": m_kthvalue, "aten::mode": m_dim_select,
        "aten::nanmedian": m_full, "aten::nanmedian.dim": m_dim_select,
        "aten::msort": m_full, "aten::aminmax": m_aminmax,
        "aten::var_mean.correction": m_var_mean, "aten::std_mean.correction": m_var_mean,
        "aten::logcumsumexp": m_scan, "aten::cumsum_": m_scan_dtype,
        "aten::cumprod_": m_scan_dtype,
        "aten::scatter_reduce.two": m_scatter_reduce,
        "aten::scatter_reduce_.two": m_scatter_reduce,
        "aten::index_reduce": m_index_reduce, "aten::index_reduce_": m_index_reduce,
        "aten::index_copy": m_index_copy, "aten::index_copy_": m_index_copy,
        "aten::masked_scatter": m_masked_scatter, "aten::masked_scatter_": m_masked_scatter,
        "aten::put": m_put, "aten::put_": m_put,
        "aten::select_scatter": m_select_scatter, "aten::slice_scatter": m_slice_scatter,
        "aten::diagonal_scatter": m_diagonal_scatter,
        "aten::as_strided_scatter": m_as_strided_scatter,
        "aten::renorm": m_renorm, "aten::renorm_": m_renorm,
        "aten::fill_diagonal_": m_fill_diagonal,
        "aten::unsafe_split.Tensor": m_unsafe_split,
        "aten::unsafe_split_with_sizes": m_unsafe_split_sizes,
    }
