"""Forward-mode AD: the tangent of ``f(x)`` is the Jacobian-vector product, for ops drawn
from the gradcheck registry's families; dual tensors route through the ForwardAD key and
nothing else does."""

import numpy as np
import pytest
from hypothesis import given, settings, strategies as st
from hypothesis.extra import numpy as hnp

import tensor
from dispatch.keys import all_keys
from tensor.autograd import forward_ad as fw
from tensor.autograd.functional import jacobian

FUNCTIONS = [
    lambda x: x.sin() * x.exp(),
    lambda x: (x @ x.mT).tanh().sum(-1),
    lambda x: x.softmax(0)[1:] * 3,
    lambda x: tensor.nn.functional.silu(x).cumsum(0),
    lambda x: x.clone().mul_(2).add_(x),
    lambda x: x.t().reshape(-1).pow(2),
    lambda x: tensor.cat([x, x.flip(0)]).logsumexp(0),
]


@pytest.mark.parametrize("k", range(len(FUNCTIONS)))
@settings(max_examples=10)
@given(data=st.data())
def test_tangent_is_the_jacobian_vector_product(k, data):
    f = FUNCTIONS[k]
    x = data.draw(hnp.arrays(np.float64, (2, 3), elements=st.floats(-1.5, 1.5)))
    v = data.draw(hnp.arrays(np.float64, (2, 3), elements=st.floats(-1, 1)))
    with fw.dual_level():
        _, tangent = fw.unpack_dual(f(fw.make_dual(tensor.tensor(x), tensor.tensor(v))))
    jac = jacobian(f, tensor.tensor(x)).numpy()
    out_shape = jac.shape[:jac.ndim - 2]
    expected = jac.reshape(int(np.prod(out_shape)), -1) @ v.reshape(-1)
    np.testing.assert_allclose(tangent.numpy().reshape(-1), expected, rtol=1e-9, atol=1e-12)


def test_only_dual_tensors_carry_the_key():
    x = tensor.ones(2)
    with fw.dual_level():
        d = fw.make_dual(x, tensor.ones(2))
        bit = fw._state["bit"]
        assert bit
        assert d._dispatch_keys & bit and not x._dispatch_keys & bit
        y = d * 2
        assert y._dispatch_keys & bit
        assert not (x * 2)._dispatch_keys & bit          # no tangent, no key
        p, _ = fw.unpack_dual(y)
        assert not p._dispatch_keys & bit
    assert not y._dispatch_keys & bit and fw.unpack_dual(y).tangent is None
    # the key itself is gone with the level
    assert "ForwardAD" not in [k.name for k in all_keys()]


def test_leaving_the_level_after_an_error_drops_the_tangents():
    with pytest.raises(ZeroDivisionError):
        with fw.dual_level():
            d = fw.make_dual(tensor.ones(2), tensor.ones(2))
            1 / 0
    assert fw.unpack_dual(d).tangent is None
    assert fw._state["level"] is None


def test_gradcheck_forward_ignores_outputs_that_are_not_differentiable():
    """As PyTorch's gradcheck: an output that does not require grad (here detached, like
    _weight_norm_interface's norms) has no tangent and is not compared."""
    x = tensor.tensor([0.5, 1.5], dtype=tensor.float64, requires_grad=True)
    assert tensor.autograd.gradcheck(lambda t: (t * 2, t.detach() * 3), (x,),
                                     check_forward_ad=True, check_backward_ad=False)
