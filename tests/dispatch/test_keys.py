"""Dispatch keys and the DispatchKeySet algebra."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given, strategies as st

import dispatch
from dispatch import (
    ADInplaceOrView, Autocast, Autograd, CPU, DispatchKeySet, KeyRegistrationError, Meta, Python,
)

# _standins.py sits beside this file; make it importable under any --import-mode
_HERE = str(Path(__file__).resolve().parent)
if _HERE not in sys.path:
    sys.path.insert(0, _HERE)
from _standins import BUILTIN_KEY_NAMES, builtin_keys, keysets, unique, user_key

pairs = st.tuples(keysets, keysets)


def as_set(ks: DispatchKeySet) -> set:
    return set(ks)


def order_names():
    return [k.name for k in dispatch.all_keys()]


# -- built-in keys -----------------------------------------------------------------------------
def test_builtin_order():
    """Built-in keys, lowest first: CPU < Meta < Python < ADInplaceOrView < Autograd < Autocast."""
    names = [n for n in order_names() if n in BUILTIN_KEY_NAMES]
    assert names == list(BUILTIN_KEY_NAMES)
    prios = [dispatch.key(n).priority for n in BUILTIN_KEY_NAMES]
    assert prios == sorted(prios)


def test_builtin_bits_are_distinct_single_bits_below_2_30():
    """Every runtime key owns one distinct bit, all below 2**30."""
    bits_ = [k.bit for k in dispatch.all_keys()]
    assert len(set(bits_)) == len(bits_)
    assert all(b > 0 and b & (b - 1) == 0 and b < 2 ** 30 for b in bits_)


def test_alias_keys_have_no_bit_and_no_priority():
    """Alias keys never appear in a key set: bit 0, priority -1, and DispatchKeySet refuses them."""
    for ak in dispatch.ALIAS_KEYS:
        assert ak.alias and ak.bit == 0 and ak.priority == -1
        with pytest.raises(ValueError, match="alias"):
            DispatchKeySet(ak)


def test_key_lookup_by_name_and_unknown_name():
    """key() returns the registered key and raises KeyError for an unknown name."""
    assert dispatch.key("Autograd") is Autograd
    assert dispatch.key(Autograd) is Autograd
    with pytest.raises(KeyError, match="NoSuchKey"):
        dispatch.key("NoSuchKey")


# -- DispatchKeySet algebra (properties) -------------------------------------------------------
@given(pairs)
def test_union_is_set_union(p):
    """`a | b` holds exactly the keys of either."""
    a, b = p
    assert as_set(a | b) == as_set(a) | as_set(b)


@given(pairs)
def test_intersection_is_set_intersection(p):
    """`a & b` holds exactly the keys of both."""
    a, b = p
    assert as_set(a & b) == as_set(a) & as_set(b)


@given(pairs)
def test_difference_is_set_difference(p):
    """`a - b` holds the keys of a that b lacks."""
    a, b = p
    assert as_set(a - b) == as_set(a) - as_set(b)


@given(pairs)
def test_xor_is_symmetric_difference(p):
    """`a ^ b` holds the keys of exactly one of them."""
    a, b = p
    assert as_set(a ^ b) == as_set(a) ^ as_set(b)


@given(pairs)
def test_le_is_subset(p):
    """`a <= b` is the subset relation, and `>=` its mirror."""
    a, b = p
    assert (a <= b) == (as_set(a) <= as_set(b))
    assert (a >= b) == (as_set(a) >= as_set(b))
    assert a <= (a | b) and (a | b) >= b


@given(keysets, builtin_keys)
def test_membership(s, k):
    """`k in s` by key or by name agrees with the set's keys."""
    assert (k in s) == (k in as_set(s)) == (k.name in s)


@given(keysets, builtin_keys)
def test_operators_accept_a_bare_key(s, k):
    """A DispatchKey on the right of |, &, - acts as its one-key set."""
    one = DispatchKeySet(k)
    assert s | k == s | one and k in (s | k)
    assert s - k == s - one and k not in (s - k)
    assert s & k == s & one


@given(keysets)
def test_iteration_is_priority_order_highest_first(s):
    """Iterating a set yields its keys by decreasing priority."""
    keys_ = list(s)
    assert [k.priority for k in keys_] == sorted((k.priority for k in keys_), reverse=True)
    assert set(keys_) == {k for k in dispatch.all_keys() if k.bit & s.bits}


@given(keysets)
def test_highest_is_first_key(s):
    """highest() is the first key iterated, or None for the empty set."""
    assert s.highest() == (next(iter(s)) if s else None)


@given(keysets)
def test_len_counts_keys(s):
    """len() is the number of keys; bool() is whether there is any."""
    assert len(s) == len(as_set(s)) == bin(s.bits).count("1")
    assert bool(s) == (len(s) > 0)


@given(keysets, keysets)
def test_equality_and_hash_follow_the_keys(a, b):
    """Sets with the same keys are equal and hash alike; different keys compare unequal."""
    assert (a == b) == (as_set(a) == as_set(b))
    if a == b:
        assert hash(a) == hash(b)
    assert DispatchKeySet(*list(a)) == a
    assert DispatchKeySet(*a.names()) == a
    assert DispatchKeySet(a.bits) == a == DispatchKeySet(a)
    assert int(a) == a.bits


@given(keysets)
def test_repr_names_every_key(s):
    """The repr names each key, lowest priority first."""
    r = repr(s)
    assert r.startswith("DispatchKeySet(") and r.endswith(")")
    assert r == f"DispatchKeySet({', '.join(reversed(s.names()))})"


def test_repr_example():
    """A normal tensor's key set reads as its key names."""
    assert repr(DispatchKeySet(Autograd, CPU, ADInplaceOrView)) == \
        "DispatchKeySet(CPU, ADInplaceOrView, Autograd)"
    assert repr(DispatchKeySet()) == "DispatchKeySet()"


@given(keysets, builtin_keys)
def test_add_and_remove_return_new_sets(s, k):
    """add()/remove() return new sets and leave the original untouched."""
    before = s.bits
    assert k in s.add(k) and k.name in s.add(k.name)
    assert k not in s.remove(k)
    assert s.bits == before


def test_keyset_is_immutable():
    """Assigning an attribute of a key set raises AttributeError."""
    s = DispatchKeySet(CPU)
    with pytest.raises(AttributeError):
        s.bits = 0
    with pytest.raises(AttributeError):
        s.other = 1
    assert s == DispatchKeySet(CPU)


def test_keyset_attribute_cannot_be_deleted():
    """Deleting a key set's bits raises AttributeError and leaves the set intact."""
    s = DispatchKeySet(CPU)
    try:
        with pytest.raises(AttributeError):
            del s.bits
    finally:
        assert s.bits == CPU.bit


def test_keyset_constructor_rejects_other_types():
    """DispatchKeySet takes keys, names, sets or ints, and raises TypeError otherwise."""
    with pytest.raises(TypeError):
        DispatchKeySet(1.5)


def test_keyset_is_usable_as_index():
    """A key set converts to its int for the hot path (int(), operator.index)."""
    import operator
    s = DispatchKeySet(CPU, Autograd)
    assert int(s) == operator.index(s) == CPU.bit | Autograd.bit


# -- user keys ------------------------------------------------------------------------------
def test_register_above_places_key_directly_above():
    """register_key(above=X) puts the key immediately above X."""
    with user_key(above="Autograd") as k:
        names = order_names()
        assert names[names.index("Autograd") + 1] == k.name
        assert Autograd.priority < k.priority < Autocast.priority


def test_register_below_places_key_directly_below():
    """register_key(below=X) puts the key immediately below X."""
    with user_key(below="CPU") as k:
        assert order_names()[0] == k.name
        assert k.priority < CPU.priority


def test_register_between_two_keys():
    """register_key(above=A, below=B) lands between A and B."""
    with user_key(above=Meta, below=Python) as k:
        names = order_names()
        assert names.index("Meta") + 1 == names.index(k.name) == names.index("Python") - 1


def test_register_between_non_adjacent_keys_goes_just_above_the_lower():
    """With room between A and B, the key goes directly above A."""
    with user_key(above="CPU", below="Autograd") as k:
        names = order_names()
        assert names[names.index("CPU") + 1] == k.name
        assert k.priority < Autograd.priority


def test_register_duplicate_name_raises():
    """Registering a taken name (built-in, alias or user) raises KeyRegistrationError."""
    for taken in ("CPU", "CompositeImplicitAutograd"):
        with pytest.raises(KeyRegistrationError, match=taken):
            dispatch.register_key(taken, above="CPU")
    with user_key(above="CPU") as k:
        with pytest.raises(KeyRegistrationError, match=k.name):
            dispatch.register_key(k.name, above="Autograd")


def test_register_unknown_anchor_raises():
    """above=/below= naming no runtime key raises KeyRegistrationError."""
    name = unique("Stray")
    with pytest.raises(KeyRegistrationError, match="NoSuchKey"):
        dispatch.register_key(name, above="NoSuchKey")
    with pytest.raises(KeyRegistrationError):
        dispatch.register_key(name, below="CompositeImplicitAutograd")
    assert name not in order_names()


def test_register_impossible_placement_raises():
    """above= a key that is not below below= raises KeyRegistrationError and registers nothing."""
    name = unique("Stray")
    before = order_names()
    with pytest.raises(KeyRegistrationError, match="cannot place"):
        dispatch.register_key(name, above="Autograd", below="CPU")
    with pytest.raises(KeyRegistrationError):
        dispatch.register_key(name, above="Autograd", below="Autograd")
    assert order_names() == before


def test_register_without_placement_or_bad_name_raises():
    """A key needs a placement and an identifier name."""
    with pytest.raises(KeyRegistrationError):
        dispatch.register_key(unique("Stray"))
    with pytest.raises(KeyRegistrationError):
        dispatch.register_key("not a name", above="CPU")


def test_unregister_removes_key_and_frees_its_bit():
    """unregister_key removes the key from the order and from lookup; the bit is reused."""
    before = order_names()
    k = dispatch.register_key(unique("Tmp"), above="Python")
    bit = k.bit
    dispatch.unregister_key(k.name)
    assert order_names() == before
    with pytest.raises(KeyError):
        dispatch.key(k.name)
    with user_key(above="Python") as k2:
        assert k2.bit == bit


def test_unregister_builtin_or_unknown_raises():
    """Built-in keys cannot be removed, nor can a key twice."""
    with pytest.raises(KeyRegistrationError):
        dispatch.unregister_key("Autograd")
    k = dispatch.register_key(unique("Tmp"), above="CPU")
    dispatch.unregister_key(k)
    with pytest.raises(KeyRegistrationError):
        dispatch.unregister_key(k)


def test_user_key_in_keyset_iterates_in_priority_order():
    """A user key sorts inside key sets by its registered priority."""
    with user_key(above="ADInplaceOrView", below="Autograd") as k:
        s = DispatchKeySet(CPU, Autograd, k, ADInplaceOrView)
        assert [x.name for x in s] == ["Autograd", k.name, "ADInplaceOrView", "CPU"]
        assert s.highest() is Autograd
        assert (s - Autograd).highest() is k


def test_below_mask_tracks_user_key_inserted_below_autograd():
    """Inserting a key below Autograd adds it to Autograd.below_mask; removing it takes it out."""
    with user_key(below="Autograd") as k:
        assert Autograd.below_mask & k.bit
        assert k in dispatch.below(Autograd) and k in dispatch.after_autograd()
        assert not ADInplaceOrView.below_mask & k.bit
        assert k.below_mask == Autograd.below_mask & ~k.bit
        assert Autocast.below_mask & k.bit
    assert not Autograd.below_mask & k.bit
    assert not Autocast.below_mask & k.bit


def test_below_mask_of_builtins():
    """Each built-in key's below_mask holds exactly the keys of lower priority."""
    assert CPU.below_mask == 0 or all(k.priority < CPU.priority
                                      for k in DispatchKeySet(CPU.below_mask))
    assert DispatchKeySet(Autograd.below_mask) >= DispatchKeySet(CPU, Meta, Python,
                                                                  ADInplaceOrView)
    assert Autograd not in DispatchKeySet(Autograd.below_mask)
    assert Autocast not in DispatchKeySet(Autograd.below_mask)


placements = st.lists(
    st.tuples(st.integers(0, 100), st.sampled_from(["above", "below", "between"])),
    min_size=1, max_size=4)


@given(placements)
def test_random_registrations_match_a_list_model(plan):
    """Random placements agree with a plain list model, and every below_mask stays current."""
    model = order_names()
    made = []
    try:
        for i, (pick, how) in enumerate(plan):
            name = unique("Rand")
            anchor = model[pick % len(model)]
            if how == "between" and model.index(anchor) + 1 < len(model):
                upper = model[model.index(anchor) + 1]
                made.append(dispatch.register_key(name, above=anchor, below=upper))
                model.insert(model.index(anchor) + 1, name)
            elif how == "below":
                made.append(dispatch.register_key(name, below=anchor))
                model.insert(model.index(anchor), name)
            else:
                made.append(dispatch.register_key(name, above=anchor))
                model.insert(model.index(anchor) + 1, name)
            assert order_names() == model
        mask = 0
        for k in dispatch.all_keys():
            assert k.below_mask == mask, k
            mask |= k.bit
        everything = DispatchKeySet(mask)
        assert [k.name for k in everything] == model[::-1]
    finally:
        for k in reversed(made):
            dispatch.unregister_key(k)
    assert all(k.name not in order_names() for k in made)
