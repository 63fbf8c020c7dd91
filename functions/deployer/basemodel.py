"""The base of the deployer's pydantic models.

Every model builds its validator and serializer on first use instead of when its class is
defined (pydantic's ``defer_build``, https://docs.pydantic.dev/latest/api/config/): each
function imports the modules of every stage's models but uses only a few, and pays only for
those (``make bench``, the cold-start table). Validation and serialization are unchanged.
A model's own ``model_config`` adds to this one (pydantic merges them).
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Model(BaseModel):
    """What a deployer model derives from instead of ``pydantic.BaseModel``."""

    model_config = ConfigDict(defer_build=True)
