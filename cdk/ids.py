"""Stable, readable logical IDs for the stack's main resources.

A resource's logical ID is its identity to CloudFormation: renaming a construct would
otherwise replace the bucket, topic or log group it holds. The main resources get fixed
IDs, so the template reads plainly and refactoring the constructs changes none of them.
"""

from __future__ import annotations

from aws_cdk import CfnResource
from constructs import IConstruct


def stable_id(construct: IConstruct, logical_id: str) -> str:
    """Give the construct's CloudFormation resource ``logical_id``; return it."""
    resource = construct.node.default_child
    if not isinstance(resource, CfnResource):
        raise TypeError(f"{construct.node.path} has no CloudFormation resource of its own")
    resource.override_logical_id(logical_id)
    return logical_id
