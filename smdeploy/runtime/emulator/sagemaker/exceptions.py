"""The SageMaker errors the emulator answers that moto's SageMaker does not have."""

from __future__ import annotations

from moto.sagemaker.exceptions import SagemakerClientError


class ThrottlingError(SagemakerClientError):  # type: ignore[misc]
    code = "ThrottlingException"

    def __init__(self, message: str = "Rate exceeded") -> None:
        super().__init__(message)
