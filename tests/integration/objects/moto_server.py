"""moto's standalone S3 server on loopback, in a subprocess, with its request log kept for counting."""

from __future__ import annotations

import os
import re
import socket
import subprocess
import sys
import time
from pathlib import Path

#: a request line of the server's log (werkzeug colours some of them)
_GET = re.compile(r'"(?:\x1b\[[0-9;]*m)*GET /([^?" ]+)')


class MotoServer:
    def __init__(self, log: Path, env: dict[str, str] | None = None) -> None:
        self.env = env
        with socket.socket() as sock:
            sock.bind(("127.0.0.1", 0))
            self.port = int(sock.getsockname()[1])
        self.endpoint = f"http://127.0.0.1:{self.port}"
        self.log = log
        self._proc: subprocess.Popen[bytes] | None = None

    def __enter__(self) -> MotoServer:
        with self.log.open("wb") as out:
            cmd = [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", str(self.port)]
            env = {**os.environ, **self.env} if self.env else None
            self._proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return self
            except OSError:
                time.sleep(0.2)
        self.__exit__()
        raise RuntimeError(f"moto server did not start: {self.log.read_text()[-2000:]}")

    def objects_read(self, bucket: str) -> list[str]:
        """Keys fetched with GET (whole or ranged reads) so far, in order, repeats included."""
        keys = [m.group(1) for m in _GET.finditer(self.log.read_text(errors="replace"))]
        return [k.removeprefix(bucket + "/") for k in keys if k.startswith(bucket + "/") and k != bucket + "/"]

    def __exit__(self, *exc: object) -> None:
        if self._proc is not None and self._proc.poll() is None:
            self._proc.terminate()
            self._proc.wait(timeout=30)
