"""``python -m smdeploy``: the same as the ``smdeploy`` command."""

from smdeploy.cli import main

main()
