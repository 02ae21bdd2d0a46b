"""Helpers of the ``DataLoader``: collation (``collate``), worker emulation (``worker``),
fetching samples (``fetch``)."""

from . import collate, fetch, worker  # noqa: F401
