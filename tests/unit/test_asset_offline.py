"""``make synth`` on a machine without network access: building the Lambda asset's wheels is
the step that needs PyPI; it ends in one line that says what to run first, not a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from cdk import asset


def test_without_network_the_asset_build_says_what_to_run_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # pip with no index and no other source: as offline as a machine without network
    monkeypatch.setenv("PIP_CONFIG_FILE", "/dev/null")
    monkeypatch.setenv("PIP_NO_INDEX", "1")
    monkeypatch.delenv("PIP_FIND_LINKS", raising=False)
    monkeypatch.setattr(asset, "WHEELS", tmp_path / "wheels")

    assert asset.run(["--out", str(tmp_path / "lambda")]) == 1

    last = capsys.readouterr().err.strip().splitlines()[-1]
    assert last.startswith("smdeploy: cannot download the Lambda asset's wheels from PyPI (pip ")
    assert "run `make setup` (or `make lambda-asset`) where PyPI is reachable" in last
    assert not (tmp_path / "lambda").exists()
