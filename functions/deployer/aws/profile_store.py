"""The deployment profiles where the stack stores them: one SSM String parameter per model
package group under the installation's path (:func:`deployer.interface.profile_parameter`),
read when an approval or rejection of that group arrives.

A value read is kept :data:`MAX_AGE_SECONDS` by the execution environment (as the
``max_age`` of Powertools' parameters utility:
https://docs.powertools.aws.dev/lambda/python/latest/utilities/parameters/): a profile changed
by ``cdk deploy`` is used at most a minute after the deployment. The calls are the deployer's
own botocore client's, not Powertools' SSM provider: that provider imports boto3 (about
20 ms of a cold start, which ``deployer.aws.clients`` avoids), and calls made here are the
ones the infra tier finds in the code and checks against the Validate role's policy.
"""

from __future__ import annotations

import json
import time
from functools import lru_cache
from typing import Any

from botocore.exceptions import ClientError

from deployer import interface
from deployer.aws import clients
from deployer.aws.sagemaker import AwsCallFailed, pages
from deployer.request.profiles import DeploymentProfile, parse_profiles

MAX_AGE_SECONDS = 60
_CACHE = "profile-values"  # the values read, kept with the environment's clients


def _values() -> dict[str, tuple[float, str]]:
    """name -> (when it was read, its value), for this execution environment
    (``clients.forget_clients`` drops it with the clients)."""
    return clients.kept(_CACHE)


@lru_cache(maxsize=256)
def _parsed(group: str, value: str, name_prefix: str) -> DeploymentProfile:
    # ProfileInvalid when the value breaks a rule (a parameter edited outside cdk deploy)
    raw: Any = json.loads(value)
    return parse_profiles({group: raw}, name_prefix)[group]


class StoredProfiles:
    """The profiles under ``path``, read one group at a time."""

    def __init__(self, path: str, name_prefix: str = "") -> None:
        self.path = path
        self.name_prefix = name_prefix

    def profile_of(self, group: str) -> DeploymentProfile | None:
        """``group``'s profile, or None when it has none (no parameter)."""
        name = interface.profile_parameter(self.path, group)
        values = _values()
        now = time.monotonic()
        kept = values.get(name)
        if kept is None or now - kept[0] > MAX_AGE_SECONDS:
            try:
                value = str(clients.ssm().get_parameter(Name=name)["Parameter"]["Value"])
            except ClientError as error:
                if error.response.get("Error", {}).get("Code") == "ParameterNotFound":
                    values.pop(name, None)
                    return None
                raise AwsCallFailed(error) from error
            kept = values[name] = (now, value)
        return _parsed(group, kept[1], self.name_prefix)

    def groups(self) -> list[str]:
        """Every group with a profile (GetParametersByPath: asked only when one has none)."""
        ssm = clients.ssm()
        path = self.path.rstrip("/")
        try:
            found = [
                str(parameter["Name"]).removeprefix(self.path)
                for page in pages(lambda **token: ssm.get_parameters_by_path(Path=path, **token))
                for parameter in page.get("Parameters", [])
            ]
        except ClientError as error:
            raise AwsCallFailed(error) from error
        return sorted(found)
