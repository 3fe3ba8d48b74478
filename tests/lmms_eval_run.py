"""lmms-eval's own command line, called in this process: one import of lmms-eval serves many runs.

Tests about the process itself (exit status, the one line a newcomer sees) start `python -m lmms_eval`;
the others call the same entry point here (`lmms_eval.__main__.cli_evaluate`, which parses the same
arguments and writes the same results.json and samples), and save the 15 s each start of Python and
lmms-eval costs. What lmms-eval sets for the whole process when it is imported (PIL's
`LOAD_TRUNCATED_IMAGES`, in `lmms_eval.api.task`) holds during each call, as in its own process, and is put
back afterwards, so no later test in this process runs under it.
"""

from __future__ import annotations

import contextlib
import io
import os
import subprocess
import sys
import traceback
from unittest import mock


def lmms_eval_in_process(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """`lmms-eval ARGS` with `env` added to the environment; its exit status and what it wrote to stderr."""
    from PIL import ImageFile

    truncated = ImageFile.LOAD_TRUNCATED_IMAGES
    from lmms_eval.__main__ import cli_evaluate

    err = io.StringIO()
    with mock.patch.dict(os.environ, env), mock.patch.object(sys, "argv", ["lmms-eval", *args]), \
            mock.patch.object(ImageFile, "LOAD_TRUNCATED_IMAGES", True), contextlib.redirect_stderr(err):
        try:
            cli_evaluate()
            code = 0
        except SystemExit as exit:
            code = exit.code if isinstance(exit.code, int) else 1
        except Exception:  # noqa: BLE001 - a subprocess would print it and exit 1
            traceback.print_exc()
            code = 1
    ImageFile.LOAD_TRUNCATED_IMAGES = truncated  # the import above may have set it; the patch restored only its own
    return subprocess.CompletedProcess(["lmms-eval", *args], code, "", err.getvalue())
