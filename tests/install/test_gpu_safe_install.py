"""Installing the package never pulls in `paddlepaddle` where Paddle comes under another name (issue 8 §2).

pip treats `paddlepaddle` and `paddlepaddle-gpu` as different distributions, so a `paddlepaddle` requirement
would put the CPU wheel over a GPU install. The test resolves the real install (`pip install --dry-run
--report`) in a throwaway environment that mirrors this one, except that Paddle is `paddlepaddle-gpu`.
Resolution is offline (`--no-index`): every requirement must be satisfied by what is installed, and pip would
fail on a `paddlepaddle` requirement, or list it in the report, if setup.py asked for it.
"""

from __future__ import annotations

import importlib.metadata
import json
import os
import shutil
import subprocess
import sys
import sysconfig

import pytest

REPO = os.path.dirname(os.path.dirname(os.path.dirname(os.path.abspath(__file__))))


def _fake_dist(site: str, name: str, version: str, entry_points: str | None = None) -> None:
    """A metadata-only installed distribution: enough for pip's resolver to count it as installed."""
    info = os.path.join(site, f"{name.replace('-', '_')}-{version}.dist-info")
    os.makedirs(info, exist_ok=True)
    with open(os.path.join(info, "METADATA"), "w") as f:
        f.write(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n")
    with open(os.path.join(info, "INSTALLER"), "w") as f:
        f.write("pip\n")
    if entry_points:  # setuptools registers its commands (dist_info, egg_info) here
        with open(os.path.join(info, "entry_points.txt"), "w") as f:
            f.write(entry_points)


def _gpu_paddle_env(root: str) -> str:
    """A venv holding this environment's distributions as metadata, with Paddle as `paddlepaddle-gpu`."""
    env = os.path.join(root, "env")
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", env], check=True)
    python = os.path.join(env, "bin", "python")
    site = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
        check=True, capture_output=True, text=True,
    ).stdout.strip()  # fmt: skip
    for dist in importlib.metadata.distributions():
        name = dist.metadata["Name"]
        if name and not name.lower().startswith("paddlepaddle"):
            _fake_dist(site, name, dist.version, dist.read_text("entry_points.txt"))
    _fake_dist(site, "paddlepaddle-gpu", importlib.metadata.version("paddlepaddle"))
    # Building our metadata needs setuptools' code, not only its metadata.
    real = sysconfig.get_paths()["purelib"]
    with open(os.path.join(site, "setuptools_code.pth"), "w") as f:
        f.write(os.path.join(root, "code") + "\n")
    os.makedirs(os.path.join(root, "code"))
    for pkg in ("setuptools", "pkg_resources", "_distutils_hack"):
        if os.path.isdir(os.path.join(real, pkg)):
            os.symlink(os.path.join(real, pkg), os.path.join(root, "code", pkg))
    return python


@pytest.mark.skipif(
    importlib.util.find_spec("setuptools") is None or not hasattr(os, "symlink"), reason="needs setuptools"
)
def test_dry_run_install_next_to_gpu_paddle_installs_no_paddlepaddle(tmp_path):
    python = _gpu_paddle_env(str(tmp_path))
    # setup.py alone gives the metadata; a copy keeps the build out of the repository.
    src = tmp_path / "src"
    (src / "paddlemix").mkdir(parents=True)
    (src / "paddlemix" / "__init__.py").write_text("")
    shutil.copy(os.path.join(REPO, "setup.py"), src / "setup.py")
    proc = subprocess.run(
        [sys.executable, "-m", "pip", "--python", python, "install", "--dry-run", "--no-index",
         "--no-build-isolation", "--quiet", "--report", "-", str(src)],
        capture_output=True, text=True, timeout=300,
        env={**os.environ, "PIP_FIND_LINKS": "", "PIP_NO_INPUT": "1"},
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr[-3000:]
    report = json.loads(proc.stdout)
    installed = [item["metadata"]["name"] for item in report["install"]]
    assert installed == ["paddlemix-r1-mllm"], installed
    requires = report["install"][0]["metadata"].get("requires_dist", [])
    assert not [r for r in requires if r.lower().startswith("paddlepaddle")], requires
