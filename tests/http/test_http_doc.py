"""docs/http.md runs: its ``sh`` blocks, in order, as one bash script against `zhiqian serve`
on a fresh database (a real server process on a free loopback port, driven by curl)."""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import pytest

DOC = Path(__file__).resolve().parents[2] / "docs" / "http.md"
BLOCK = re.compile(r"```sh\n(.*?)```", re.DOTALL)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.mark.skipif(
    not (shutil.which("curl") and shutil.which("jq") and shutil.which("bash")),
    reason="the walk-through uses curl, jq and bash",
)
def test_the_hotline_walkthrough_runs(db_url: str, tmp_path: Path) -> None:
    blocks = BLOCK.findall(DOC.read_text("utf-8"))
    assert len(blocks) >= 6
    script = "set -euo pipefail\n" + "\n".join(blocks)
    env = {
        **os.environ,
        "ZHIQIAN_DB": db_url,
        "PORT": str(_free_port()),
        "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ.get('PATH', '')}",
    }
    done = subprocess.run(
        ["bash", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"stdout:\n{done.stdout}\nstderr:\n{done.stderr}"
    assert '"status":"ok"' in done.stdout
