"""File permissions: files we write are readable as the user's umask says, like any file `open()` creates.

`tempfile.mkstemp` (atomic writes) and safetensors' `save_file` create files 0600 whatever the umask, so
results and weights written through them could not be read by the rest of a team. `honour_umask` gives such
a file the mode a plain `open(path, "w")` would have (0644 under umask 022).
"""

from __future__ import annotations

import os


def umask_file_mode() -> int:
    """0o666 minus the process's umask (read without changing it for other threads for longer than a call)."""
    mask = os.umask(0)
    os.umask(mask)
    return 0o666 & ~mask


def honour_umask(path: str) -> None:
    """Give the file at `path` the mode the umask asks for."""
    os.chmod(path, umask_file_mode())
