"""Modules over ``nn_functional_extra`` (exported by ``tensor.nn``)."""

from __future__ import annotations
