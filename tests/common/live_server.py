"""A live rmlx-host for the Python tests that drive it through the official SDKs.

Imported by the SDK tests (tests/api, tests/grammar): finding the prepared model, starting
`rmlx-host serve` on a free port and draining its log so the server never blocks on a full pipe.
"""
import os
import re
import subprocess
import sys
import threading
import time

SKIP = 77


def default_model_dir():
    cache = os.environ.get("RMLX_CACHE_DIR") or os.path.join(
        os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache"), "rmlx")
    return os.path.join(cache, "models", "SmolLM2-135M-Instruct")


def host_and_model_from_argv():
    """(RMLX_HOST_BIN, MODEL_DIR) from argv; exits with SKIP when no model is prepared."""
    host_bin = sys.argv[1] if len(sys.argv) > 1 else ""
    model_dir = (sys.argv[2] if len(sys.argv) > 2 else "") or os.environ.get(
        "RMLX_TEST_MODEL_DIR") or default_model_dir()
    if not os.path.isfile(os.path.join(model_dir, "config.json")):
        print(f"skipping: no model at {model_dir} (run scripts/prepare-default-model.sh)")
        sys.exit(SKIP)
    return host_bin, model_dir


class Server:
    """`rmlx-host serve --port 0 --model MODEL_DIR --max-model-len 2048 EXTRA...`."""

    def __init__(self, host_bin, model_dir, *extra, start_timeout_s=60):
        self.proc = subprocess.Popen(
            [host_bin, "serve", "--port", "0", "--model", model_dir, "--max-model-len", "2048",
             *extra],
            stderr=subprocess.PIPE, text=True)
        deadline = time.time() + start_timeout_s
        self.port = None
        while time.time() < deadline:
            line = self.proc.stderr.readline()
            if not line:
                break
            m = re.search(r"listening on http://127\.0\.0\.1:(\d+)", line)
            if m:
                self.port = int(m.group(1))
                break
        if self.port is None:
            self.proc.kill()
            self.proc.wait(timeout=30)
            raise RuntimeError("rmlx-host did not start")
        self.log = []
        threading.Thread(target=lambda: [self.log.append(l) for l in self.proc.stderr],
                         daemon=True).start()

    @property
    def base_url(self):
        return f"http://127.0.0.1:{self.port}"

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=30)
