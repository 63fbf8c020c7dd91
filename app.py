#!/usr/bin/env python3
"""The CDK app (``npx cdk synth``, ``cdk deploy``); configuration: cdk.json context or -c."""

import sys

from cdk.app import main

if __name__ == "__main__":
    sys.exit(main())
