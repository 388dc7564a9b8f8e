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


#: credentials moto accepts (it checks none unless told to); region, and no instance-metadata lookups
TEST_CREDENTIALS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_REGION": "us-east-1",
    "AWS_EC2_METADATA_DISABLED": "true",
}


class Location:
    """Where a test keeps backups or quarantined rows: a local directory or ``s3://bucket/prefix`` on moto.

    ``uri`` is what the config or ``--to`` names; ``endpoint`` the S3 endpoint (None locally); the
    byte helpers reach the files beneath it the same way for both (to corrupt or inspect them).
    """

    def __init__(self, kind: str, uri: str, endpoint: str | None, server: MotoServer | None = None) -> None:
        from pyarrow import fs

        self.server = server
        self.kind = kind
        self.uri = uri
        self.endpoint = endpoint
        if endpoint:
            from featurevault._backends.offline import object_store

            self.fs, self.root = object_store.open_location(uri, endpoint)
        else:
            self.fs, self.root = fs.LocalFileSystem(), uri

    def settings(self) -> str:
        """The keys a config section needs besides the location itself (the endpoint override)."""
        return f"  s3_endpoint_override: {self.endpoint}\n" if self.endpoint else ""

    def path(self, relative: str) -> str:
        return f"{self.root}/{relative}"

    def read_bytes(self, relative: str) -> bytes:
        with self.fs.open_input_stream(self.path(relative)) as stream:
            return bytes(stream.read())

    def write_bytes(self, relative: str, data: bytes) -> None:
        with self.fs.open_output_stream(self.path(relative)) as stream:
            stream.write(data)

    def exists(self, relative: str) -> bool:
        from pyarrow import fs

        return self.fs.get_file_info(self.path(relative)).type != fs.FileType.NotFound

    def names(self, relative: str = "") -> list[str]:
        """The entries directly under ``relative`` (files and sub-directories)."""
        from pyarrow import fs

        where = self.path(relative).rstrip("/")
        infos = self.fs.get_file_info(fs.FileSelector(where, allow_not_found=True))
        return sorted(i.base_name for i in infos)

    def uploading(self, suffix: str) -> bool:
        """Whether a multipart upload of an object ending in ``suffix`` has sent a part (S3) or a local file
        of that suffix has bytes: a write under way."""
        if self.server is None:
            from pathlib import Path

            return any(p.stat().st_size > 0 for p in Path(self.root).glob(f"*/**/*{suffix}"))
        bucket = self.root.split("/", 1)[0]
        return (
            re.search(
                rf"PUT /{re.escape(bucket)}/\S*{re.escape(suffix)}\?partNumber=",
                self.server.log.read_text(errors="replace"),
            )
            is not None
        )

    def files(self, relative: str = "") -> list[str]:
        """Every file under ``relative``, recursively, as paths relative to it."""
        from pyarrow import fs

        where = self.path(relative).rstrip("/")
        infos = self.fs.get_file_info(fs.FileSelector(where, allow_not_found=True, recursive=True))
        return sorted(i.path.removeprefix(where + "/") for i in infos if i.type == fs.FileType.File)


def s3_location(server: MotoServer, bucket: str, prefix: str) -> Location:
    """A new bucket on ``server``; ``TEST_CREDENTIALS`` must be in the environment."""
    import boto3

    boto3.client("s3", endpoint_url=server.endpoint).create_bucket(Bucket=bucket)
    return Location("s3", f"s3://{bucket}/{prefix}", server.endpoint, server)
