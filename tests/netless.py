"""Run a server and a client in a network namespace that has only the loopback interface.

    unshare -rn python tests/netless.py PORT '<server argv as JSON>' '<client argv as JSON>'

Brings ``lo`` up, starts the server, waits until it accepts on 127.0.0.1:PORT, runs the client,
stops the server, and passes on the client's stdout, stderr and exit code. Inside the namespace
every address but 127.0.0.1 is unreachable, so the client cannot fetch anything from the network.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time


def main() -> int:
    """Run the server and the client as the command line says; return the client's exit code."""
    port, server, client = int(sys.argv[1]), json.loads(sys.argv[2]), json.loads(sys.argv[3])
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    serving = subprocess.Popen(server, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if serving.poll() is not None or time.monotonic() > deadline:
                    sys.stderr.write(serving.stderr.read().decode() if serving.stderr else "")
                    return 99
                time.sleep(0.2)
        done = subprocess.run(client, capture_output=True, timeout=300)
        sys.stdout.buffer.write(done.stdout)
        sys.stderr.buffer.write(done.stderr)
        return done.returncode
    finally:
        serving.terminate()
        try:
            serving.wait(timeout=10)
        except subprocess.TimeoutExpired:
            serving.kill()


if __name__ == "__main__":
    sys.exit(main())
