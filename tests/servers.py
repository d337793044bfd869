"""Servers the tests run on 127.0.0.1: our app in a thread, nginx and Apache httpd with the rules the
build writes (child processes), and a listener that records connections."""

from __future__ import annotations

import http.client
import os
import shutil
import socket
import subprocess
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest
import uvicorn
from conftest import free_port, stop

from publish.config import load_config
from publish.server import create_app


@dataclass(frozen=True, slots=True)
class Reply:
    """One HTTP answer: status, headers (lower-case names), body."""

    status: int
    headers: dict[str, str]
    body: bytes

    @property
    def media_type(self) -> str:
        """Return the media type of the answer, without parameters."""
        return self.headers.get("content-type", "").split(";")[0].strip()


SBIN = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
APACHE_MODULES = Path("/usr/lib/apache2/modules")


def fetch(port: int, target: str, headers: dict[str, str] | None = None) -> Reply:
    """Send one GET to a server on 127.0.0.1 and return its answer."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        connection.request("GET", target, headers=headers or {})
        response = connection.getresponse()
        return Reply(response.status, {k.lower(): v for k, v in response.getheaders()}, response.read())
    finally:
        connection.close()


def nginx(site: Path, folder: Path) -> Iterator[int]:
    """Run Debian's nginx on 127.0.0.1 serving a built site with its generated rules; yield its port.

    ``folder`` holds its configuration, temporary files and log. Use as a generator fixture body.
    """
    binary = shutil.which("nginx", path=SBIN)
    if binary is None:
        pytest.fail("nginx is not installed; install Debian's package: apt-get install -y nginx")
    port = free_port()
    temp = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    (folder / "nginx.conf").write_text(
        f"""daemon off;
master_process off;
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} warn;
events {{ worker_connections 64; }}
http {{
    access_log off;
{temp}
    include {site / "nginx-maps.conf"};
    server {{
        listen 127.0.0.1:{port};
        root {site};
        include {site / "nginx.conf"};
    }}
}}
""",
        encoding="utf-8",
    )
    command = [binary, "-p", str(folder), "-c", str(folder / "nginx.conf"), "-e", str(folder / "error.log")]
    yield from run(command, port, folder / "error.log")


def apache(built_site: Path, folder: Path) -> Iterator[int]:
    """Run Debian's Apache httpd on 127.0.0.1 with the site's generated .htaccess; yield its port.

    The site is also mounted at /mounted by an Alias. Run as root, httpd serves as nobody, who
    cannot enter pytest's private temporary folders: it then serves a world-readable copy.
    """
    binary = shutil.which("apache2", path=SBIN)
    if binary is None or not APACHE_MODULES.is_dir():
        pytest.fail("Apache httpd is not installed; install Debian's package: apt-get install -y apache2")
    copy = None
    site = built_site
    user = ""
    if os.geteuid() == 0:
        copy = Path(tempfile.mkdtemp(prefix="klyngedata-apache-"))
        copy.chmod(0o755)
        site = copy / "site"
        shutil.copytree(built_site, site)
        user = "User #65534\nGroup #65534\n"
    port = free_port()
    modules = "".join(
        f"LoadModule {name}_module {APACHE_MODULES / f'mod_{name}.so'}\n"
        for name in ("mpm_event", "authz_core", "mime", "rewrite", "headers", "dir", "alias")
    )
    types = "/etc/mime.types" if Path("/etc/mime.types").is_file() else os.devnull
    (folder / "httpd.conf").write_text(
        f"""ServerRoot {folder}
ServerName 127.0.0.1
Listen 127.0.0.1:{port}
PidFile {folder / "httpd.pid"}
ErrorLog {folder / "error.log"}
LogLevel warn
DefaultRuntimeDir {folder}
{modules}{user}TypesConfig {types}
DocumentRoot {site}
Alias /mounted {site}
<Directory />
    AllowOverride None
    Require all denied
</Directory>
<Directory {site}>
    AllowOverride All
    Require all granted
</Directory>
""",
        encoding="utf-8",
    )
    try:
        yield from run(
            [binary, "-f", str(folder / "httpd.conf"), "-D", "FOREGROUND"], port, folder / "error.log"
        )
    finally:
        if copy is not None:
            shutil.rmtree(copy, ignore_errors=True)


def run(command: list[str], port: int, log: Path) -> Iterator[int]:
    """Start a server, wait until it accepts connections, yield its port, stop it."""
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 15
        while True:
            if process.poll() is not None:
                errors = (process.stderr.read() if process.stderr else b"").decode(errors="replace")
                errors += log.read_text(errors="replace") if log.exists() else ""
                pytest.fail(f"{command[0]} stopped at start (exit {process.returncode}): {errors}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail(f"{command[0]} did not listen on 127.0.0.1:{port} within 15 s")
                time.sleep(0.05)
        yield port
    finally:
        stop(process)
        if process.stderr:
            process.stderr.close()


@contextmanager
def serving(site: Path) -> Iterator[str]:
    """Serve a built site with uvicorn on a free port of 127.0.0.1 in a thread; yield its base URL."""
    port = free_port()
    app = create_app(load_config(site.parent), site)
    instance = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=instance.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 30
    while not instance.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.05)
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        instance.should_exit = True
        thread.join(timeout=15)


@contextmanager
def recording_listener() -> Iterator[tuple[int, list[bytes]]]:
    """Listen on a loopback port; yield the port and the first bytes of every connection made to it.

    A connection that sends nothing within a second is recorded as ``(connected)``: the proof
    that no outbound request was made is an empty list.
    """
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(16)
    server.settimeout(0.1)
    seen: list[bytes] = []
    done = threading.Event()

    def accept() -> None:
        while not done.is_set():
            try:
                connection, _ = server.accept()
            except TimeoutError:
                continue
            connection.settimeout(1)
            try:
                seen.append(connection.recv(1024) or b"(connected)")
            except TimeoutError:
                seen.append(b"(connected)")
            connection.close()

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    try:
        yield int(server.getsockname()[1]), seen
    finally:
        done.set()
        thread.join(timeout=5)
        server.close()
