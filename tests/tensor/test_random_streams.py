"""Seeded streams are PyTorch's (Note [PyTorch's random streams]); runs without torch.

The expected numbers were printed by PyTorch 2.13 (``torch.manual_seed(0)`` then the calls
below) and by the reference Mersenne Twister (its published first output for seed 5489); the
differential module ``tests/differential/test_random_streams_vs_torch.py`` covers the rest.
"""

import numpy as np
import pytest

import tensor as torch
from tensor import _random as R


def test_twister_is_the_reference_one():
    g = R.Generator().manual_seed(5489)
    assert int(g._words32(1)[0]) == 3499211612


def test_seed_zero_gives_pytorchs_first_numbers():
    torch.manual_seed(0)
    np.testing.assert_allclose(torch.randn(3).numpy(), [1.5409960746765137, -0.293428897857666,
                                                        -2.1787893772125244])
    np.testing.assert_allclose(torch.rand(2).numpy(), [0.4556, 0.6323], atol=1e-4)
    assert torch.randint(0, 10, (3,)).tolist() == [1, 6, 6]


def test_double_uniforms_take_53_bits_of_two_words():
    torch.manual_seed(0)
    a = torch.rand(4, dtype=torch.float64).numpy()
    g = R.Generator().manual_seed(0)
    w = g._words32(8)
    expect = (((w[0::2] << np.uint64(32)) | w[1::2]) & np.uint64(2 ** 53 - 1)) * 2.0 ** -53
    np.testing.assert_array_equal(a, expect)


def test_odd_normal_count_caches_the_second_sample():
    torch.manual_seed(3)
    one_by_one = [torch.randn(1).item() for _ in range(4)]
    torch.manual_seed(3)
    together = torch.randn(4).tolist()
    assert one_by_one == together
    torch.manual_seed(3)
    torch.randn(1)
    state = torch.get_rng_state()
    assert state[-4052:].numpy().any()          # the cached sample is part of the state
    nxt = torch.randn(1).item()
    torch.set_rng_state(state)
    assert torch.randn(1).item() == nxt


def test_state_layout_and_validation():
    torch.manual_seed(12)
    s = torch.get_rng_state().numpy()
    assert s.shape == (5056,)
    assert int(s[:8].view("<u8")[0]) == 12              # the seed
    assert tuple(s[8:16].view("<i4")) == (1, 1)         # left, seeded: nothing drawn yet
    bad = s.copy()
    bad[8:12] = 0
    with pytest.raises(RuntimeError, match="Invalid mt19937 state"):
        torch.set_rng_state(torch.from_numpy(bad))


@pytest.mark.parametrize("n", [0, 1, 7, 100])
def test_randperm_is_a_permutation(n):
    torch.manual_seed(n)
    assert sorted(torch.randperm(n).tolist()) == list(range(n))


def test_in_place_fills_of_views_follow_memory_order():
    torch.manual_seed(1)
    base = torch.zeros(4, 6)
    base.t().uniform_()
    torch.manual_seed(1)
    direct = torch.zeros(4, 6).uniform_()
    np.testing.assert_array_equal(base.numpy(), direct.numpy())
