"""A private D-Bus "system bus": its own `dbus-daemon` with its own config and a unix
socket in a temporary directory, so the emulated BlueZ never meets the machine's real one
and every test gets a fresh bus."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

from stridepod.errors import StridepodError

_CONFIG = """<!DOCTYPE busconfig PUBLIC "-//freedesktop//DTD D-Bus Bus Configuration 1.0//EN"
 "http://www.freedesktop.org/standards/dbus/1.0/busconfig.dtd">
<busconfig>
  <type>system</type>
  <listen>unix:path={socket}</listen>
  <auth>EXTERNAL</auth>
  <!-- a backfill is a burst of signals; the default limits would drop some -->
  <limit name="max_incoming_bytes">1000000000</limit>
  <limit name="max_outgoing_bytes">1000000000</limit>
  <limit name="max_message_size">33554432</limit>
  <limit name="max_replies_per_connection">1000000</limit>
  <policy context="default">
    <allow user="*"/>
    <allow own="*"/>
    <allow send_type="method_call"/>
    <allow send_type="signal"/>
    <allow send_type="method_return"/>
    <allow send_type="error"/>
    <allow receive_type="method_call"/>
    <allow receive_type="signal"/>
    <allow receive_type="method_return"/>
    <allow receive_type="error"/>
  </policy>
</busconfig>
"""


def dbus_daemon_binary() -> str:
    found = shutil.which("dbus-daemon") or (
        "/usr/bin/dbus-daemon" if Path("/usr/bin/dbus-daemon").exists() else None
    )
    if not found:
        raise StridepodError(
            "dbus-daemon not found: the virtual pod needs it (Debian/Ubuntu: apt-get install dbus)"
        )
    return found


class PrivateBus:
    """Starts a dbus-daemon on a private socket; `address` is what DBUS_SYSTEM_BUS_ADDRESS
    must be for clients (bleak) to use it. Use as a context manager, or start()/stop()."""

    def __init__(self) -> None:
        self._dir: tempfile.TemporaryDirectory[str] | None = None
        self._proc: subprocess.Popen[bytes] | None = None
        self.address = ""

    @property
    def directory(self) -> Path:
        assert self._dir is not None, "bus not started"
        return Path(self._dir.name)

    def start(self) -> PrivateBus:
        self._dir = tempfile.TemporaryDirectory(prefix="stridepod-bus-")
        socket_path = self.directory / "system_bus_socket"
        config = self.directory / "bus.conf"
        config.write_text(_CONFIG.format(socket=socket_path))
        self._proc = subprocess.Popen(
            [dbus_daemon_binary(), "--nofork", "--nopidfile", "--nosyslog",
             f"--config-file={config}", "--print-address=1"],
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            start_new_session=True,  # Ctrl-C reaches stridepod, which stops the daemon
        )
        try:
            assert self._proc.stdout is not None
            line = self._proc.stdout.readline().decode().strip()
            if not line:
                err = self._proc.stderr.read().decode(errors="replace") if self._proc.stderr else ""
                if self._proc.wait() == -signal.SIGINT:  # Ctrl-C reached it as it started
                    raise KeyboardInterrupt
                raise StridepodError(f"dbus-daemon did not start: {err.strip()[:200]}")
            self.address = line
            deadline = time.monotonic() + 5
            while not socket_path.exists() and time.monotonic() < deadline:
                time.sleep(0.01)
        except BaseException:  # failed, or Ctrl-C while starting: no daemon left behind
            self.stop()
            raise
        return self

    def stop(self) -> None:
        if self._proc is not None:
            if self._proc.poll() is None:
                self._proc.terminate()
                try:
                    self._proc.wait(timeout=5)
                except subprocess.TimeoutExpired:
                    self._proc.kill()
                    self._proc.wait()
            for stream in (self._proc.stdout, self._proc.stderr):
                if stream is not None:
                    stream.close()
            self._proc = None
        if self._dir is not None:
            self._dir.cleanup()
            self._dir = None

    @contextlib.contextmanager
    def as_system_bus(self) -> Iterator[PrivateBus]:
        """Points D-Bus clients in this process (bleak) at this bus while inside, then
        back. Must be entered before bleak first talks to BlueZ in its event loop."""
        previous = os.environ.get("DBUS_SYSTEM_BUS_ADDRESS")
        os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = self.address
        try:
            yield self
        finally:
            if previous is None:
                os.environ.pop("DBUS_SYSTEM_BUS_ADDRESS", None)
            else:
                os.environ["DBUS_SYSTEM_BUS_ADDRESS"] = previous

    def __enter__(self) -> PrivateBus:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()
