"""Warming the worker's diffusion pipeline before it claims work."""

from __future__ import annotations

import logging

from generation.engines import registry as engine_registry
from generation.engines.base import EngineError

logger = logging.getLogger(__name__)


def warm_up() -> bool:
    """Load the configured pipeline and run one step (once per process); True when warm.

    A model that cannot load is logged, not raised: the job claimed next fails with the
    engine's own error code, which the user and the operator can read, rather than the queue
    stalling with nobody told.
    """
    try:
        return engine_registry.warm_up_configured()
    except EngineError as exc:
        logger.error("warm-up failed: %s (%s)", exc, exc.code)
        return False
