"""A real headless Chromium driven over its DevTools protocol (a websocket): load a page
with HTTP basic credentials, collect its console errors and failed requests, read its DOM,
take screenshots."""

from __future__ import annotations

import base64
import contextlib
import itertools
import json
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
from websockets.sync.client import ClientConnection, connect

from tests.kit.chromium import CHROMIUM_FLAGS, chromium


class Page:
    """One tab: commands answered in order, events kept."""

    def __init__(self, socket: ClientConnection) -> None:
        self.socket = socket
        self.ids = itertools.count(1)
        self.events: list[dict[str, Any]] = []

    def call(self, method: str, **params: Any) -> dict[str, Any]:
        sent = next(self.ids)
        self.socket.send(json.dumps({"id": sent, "method": method, "params": params}))
        while True:
            message = json.loads(self.socket.recv(timeout=60))
            if message.get("id") == sent:
                if "error" in message:
                    raise RuntimeError(f"{method}: {message['error']}")
                return message.get("result", {})
            self.events.append(message)

    def pump(self, seconds: float = 0.05) -> None:
        """Take the events that arrived meanwhile."""
        with contextlib.suppress(TimeoutError):
            while True:
                self.events.append(json.loads(self.socket.recv(timeout=seconds)))

    def evaluate(self, expression: str) -> Any:
        answer = self.call("Runtime.evaluate", expression=expression, returnByValue=True)
        if "exceptionDetails" in answer:
            raise RuntimeError(f"{expression}: {answer['exceptionDetails']}")
        return answer["result"].get("value")

    def wait_for(self, expression: str, timeout: float, what: str) -> Any:
        """The value of ``expression`` once it is truthy."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            value = self.evaluate(expression)
            if value:
                return value
            self.pump(0.2)
        raise AssertionError(f"the page did not show {what} within {timeout:.0f} s")

    def errors(self) -> list[str]:
        """Console errors, uncaught exceptions and failed loads seen so far."""
        self.pump()
        found = []
        for event in self.events:
            method, params = event.get("method"), event.get("params", {})
            if method == "Runtime.exceptionThrown":
                found.append(str(params["exceptionDetails"].get("text")))
            elif method == "Runtime.consoleAPICalled" and params.get("type") == "error":
                found.append(json.dumps(params.get("args"))[:300])
            elif method == "Log.entryAdded" and params["entry"].get("level") == "error":
                found.append(str(params["entry"].get("text")))
        return found

    def screenshot(self, path: Path) -> None:
        shot = self.call("Page.captureScreenshot", format="png", captureBeyondViewport=True)
        path.write_bytes(base64.b64decode(shot["data"]))

    def transferred(self) -> int:
        """Bytes received over the network for finished loads (encoded, as on the wire)."""
        self.pump()
        return sum(
            int(event["params"].get("encodedDataLength", 0))
            for event in self.events
            if event.get("method") == "Network.loadingFinished"
        )


@contextlib.contextmanager
def browser_page(
    profile: Path, credentials: tuple[str, str], size: tuple[int, int] = (1400, 1000)
) -> Iterator[Page]:
    """A tab of a headless Chromium that sends ``credentials`` with every request."""
    process = subprocess.Popen(
        [
            chromium(),
            *CHROMIUM_FLAGS,
            f"--user-data-dir={profile}",
            "--remote-debugging-port=0",
            "--remote-allow-origins=*",
            f"--window-size={size[0]},{size[1]}",
            "about:blank",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        port = _devtools_port(profile, process)
        target = next(t for t in _targets(port) if t.get("type") == "page")
        with connect(target["webSocketDebuggerUrl"], max_size=None, ping_interval=None) as socket:
            page = Page(socket)
            for domain in ("Runtime", "Log", "Network", "Page"):
                page.call(f"{domain}.enable")
            token = base64.b64encode(":".join(credentials).encode()).decode()
            page.call("Network.setExtraHTTPHeaders", headers={"Authorization": f"Basic {token}"})
            page.call("Network.setCacheDisabled", cacheDisabled=True)
            yield page
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


def _devtools_port(profile: Path, process: subprocess.Popen[bytes]) -> int:
    """The port Chromium chose (it writes it to DevToolsActivePort in its profile)."""
    path = profile / "DevToolsActivePort"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"chromium exited with code {process.returncode}")
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(path.read_text().splitlines()[0])
        time.sleep(0.1)
    raise RuntimeError("chromium did not open its DevTools port within 30 s")


def _targets(port: int) -> list[dict[str, Any]]:
    deadline = time.monotonic() + 10
    while True:
        try:
            answer: list[dict[str, Any]] = httpx.get(f"http://127.0.0.1:{port}/json/list").json()
            if any(t.get("type") == "page" for t in answer) or time.monotonic() > deadline:
                return answer
        except httpx.HTTPError:
            if time.monotonic() > deadline:
                raise
        time.sleep(0.1)


def load(page: Page, url: str, ready: str = "document.body?.dataset.taken") -> None:
    """Open ``url`` and wait until the first snapshot is drawn."""
    page.call("Page.navigate", url=url)
    page.wait_for(ready, 30, "a first snapshot")


__all__ = ["Page", "browser_page", "load"]
