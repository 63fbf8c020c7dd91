"""The patterns of botocore's SageMaker model, read as SageMaker reads them, and what each
means in words for the people who read a violation (:data:`PATTERN_MEANINGS`). Used by the
model's checks (:mod:`deployer.request.shapes`).
"""

from __future__ import annotations

import re
import unicodedata
from functools import lru_cache

# What a pattern means, for the people who read the message (keyed by shape name).
_NAME = "letters, digits and hyphens, starting and ending with a letter or digit"
_S3 = "an s3:// or https:// URI"
PATTERN_MEANINGS = {
    "EndpointName": _NAME,
    "EndpointConfigName": _NAME,
    "VariantName": _NAME,
    "ModelName": _NAME,
    "ContainerHostname": _NAME,
    "InferenceSpecificationName": _NAME,
    "TagKey": "letters, digits, spaces and _ . : / = + - @",
    "TagValue": "letters, digits, spaces and _ . : / = + - @",
    "RoleArn": "an IAM role ARN: arn:aws:iam::<12-digit account>:role/<name>",
    "VersionedArnOrName": (
        "a model package name, or its ARN "
        "arn:aws:sagemaker:<region>:<account>:model-package/<name>[/<version>]"
    ),
    "SnsTopicArn": "an SNS topic ARN: arn:aws:sns:<region>:<12-digit account>:<topic>",
    "KmsKeyId": "a KMS key ID, key ARN, alias or alias ARN",
    "DestinationS3Uri": _S3,
    "S3ModelUri": _S3,
    "Url": _S3,
    "EnvironmentKey": "a letter or _, then letters, digits and _",
    "SecurityGroupId": "letters, digits and hyphens",
    "SubnetId": "letters, digits and hyphens",
}


# --- patterns ----------------------------------------------------------------------------
#
# botocore's patterns are Java regular expressions without anchors; SageMaker applies them to
# the whole value, so they are matched with fullmatch, and with re.ASCII, because Java's \d,
# \w and \s are ASCII-only. Python's re has no Unicode property classes: \p{L} (and the
# like) are translated into the characters of that general category (unicodedata) among the
# characters of the value being checked. That matches the value exactly as the whole category
# would, without listing the category's code points (a scan of all of Unicode, a sixth of a
# cold start). A pattern that still does not translate (a nested class, a Java-only
# construct) is not checked at all, rather than checked wrongly: unchecked_patterns() lists
# them, and a test keeps that list empty for the pinned botocore.

_PROPERTY = re.compile(r"\\([pP])\{(?:Is)?([A-Za-z]{1,2})\}")
# Unicode's general categories (https://www.unicode.org/reports/tr44/#General_Category_Values)
# and their one-letter groups, as Java's \p{..} names them.
GENERAL_CATEGORIES = frozenset(
    {
        *("Lu", "Ll", "Lt", "Lm", "Lo", "Mn", "Mc", "Me", "Nd", "Nl", "No", "Pc", "Pd", "Ps"),
        *("Pe", "Pi", "Pf", "Po", "Sm", "Sc", "Sk", "So", "Zs", "Zl", "Zp", "Cc", "Cf", "Cs"),
        *("Co", "Cn", "L", "M", "N", "P", "S", "Z", "C"),
    }
)


def _category_class(name: str, alphabet: str) -> str:
    """The body of a character class (no brackets) that holds, of the characters in
    ``alphabet``, those of the general category ``name`` (such as L or Lu).

    Never empty: when none is, it holds one character that is not in ``alphabet`` (so it
    matches nothing the value holds, and the class stays valid).
    """
    if name not in GENERAL_CATEGORIES:
        raise re.error(f"unknown Unicode property {name}")
    members = [c for c in alphabet if unicodedata.category(c).startswith(name)]
    if not members:
        members = [next(chr(code) for code in range(0x10FFFF, 0, -1) if chr(code) not in alphabet)]
    return "".join(f"\\U{ord(c):08x}" for c in members)


def translate_pattern(pattern: str, alphabet: str = "") -> str:
    """A Java pattern from the model, as a Python pattern for values made of the characters
    in ``alphabet``; re.error if it has no translation."""
    out: list[str] = []
    in_class = False
    i = 0
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            if prop := _PROPERTY.match(pattern, i):
                body = _category_class(prop.group(2), alphabet)
                if prop.group(1) == "P":
                    if in_class:
                        raise re.error("\\P{...} inside a character class")
                    out.append(f"[^{body}]")
                else:
                    out.append(body if in_class else f"[{body}]")
                i = prop.end()
                continue
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if in_class and (char == "[" or pattern.startswith("&&", i)):
            raise re.error("nested character classes mean something else in Python")
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append(char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=4096)
def _compiled(pattern: str, alphabet: str) -> re.Pattern[str] | None:
    try:
        return re.compile(translate_pattern(pattern, alphabet), re.ASCII)
    except re.error:
        return None


def compile_pattern(pattern: str, value: str = "") -> re.Pattern[str] | None:
    """The model's pattern compiled for ``fullmatch`` of ``value`` (of any string made of the
    same characters), or None when it cannot be checked here."""
    return _compiled(pattern, "".join(sorted(set(value))))
