"""The shared serving and launching parts of the simulator and the gateway."""

from __future__ import annotations

import contextlib
import sys
from pathlib import Path

import pytest

from freqfleet.errors import ConfigError, RuntimeFleetError
from freqfleet.local_server import bind_socket, server_url, start_logged, wait_ready


def test_a_taken_port_is_refused_naming_the_option() -> None:
    with contextlib.closing(bind_socket("127.0.0.1", 0)) as taken:
        port = taken.getsockname()[1]
        with pytest.raises(ConfigError, match=rf"--host/--port 127.0.0.1:{port} cannot be used"):
            bind_socket("127.0.0.1", port)


def test_port_zero_binds_a_free_port_inheritable_on_request() -> None:
    with contextlib.closing(bind_socket("127.0.0.1", 0, inheritable=True)) as sock:
        assert sock.getsockname()[1] > 0
        assert sock.get_inheritable()


def test_server_url_brackets_ipv6_hosts() -> None:
    assert server_url("127.0.0.1", 8500) == "http://127.0.0.1:8500"
    assert server_url("::1", 8500) == "http://[::1]:8500"


def test_a_server_that_exits_at_start_is_reported_with_its_log(tmp_path: Path) -> None:
    log_path = tmp_path / "server.log"
    command = [sys.executable, "-c", "print('no such option'); raise SystemExit(2)"]
    process = start_logged(command, log_path)
    with pytest.raises(RuntimeFleetError, match="server exited with code 2 at start: no such"):
        wait_ready(process, tmp_path / "ready.json", log_path, "server", "/ping")
