"""A misbehaving RiskCast stand-in: a real HTTP server on 127.0.0.1 that injects faults on demand.

It speaks RiskCast's ingest contract (``POST /api/v1/riskcast/ingest``): it stores each signal
exactly once by ``Idempotency-Key``, answers 201 ``{"ack_id": ...}`` the first time, 409
``duplicate`` with the original ``ack_id`` and ``payload_hash`` for the same payload again, and 422
``conflict_payload_mismatch`` for the same id with another payload hash. A JSON list is a batch:
200 with one result per event (``status`` 201, 409 or 422, ``signal_id``, ``ack_id``,
``payload_hash``), each event stored once by its ``signal_id``.

Usage::

    with FaultServer() as server:
        server.error_rate = 0.3                      # 30 % of requests answer error_status (503)
        server.script(Fault.throttle(retry_after="1"), Fault.drop_after_commit())  # the next requests
        server.hang = True                           # every request hangs until release() or stop
        client = RiskCastClient(EmitterConfig(riskcast_url=server.url))
        ...
        assert server.commits[signal_id] == 1        # stored once
        assert server.max_in_flight <= 4

Scripted faults apply to the next requests in order, before the standing knobs (``hang``,
``delay_s``, ``error_rate``). Hung handlers wait for ``release()`` (``stop()`` calls it) at most
``hang_limit_s``, then drop the connection without answering.
"""

from __future__ import annotations

import collections
import hashlib
import json
import random
import socket
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from omenproject.signals import payload_hash

INGEST_PATH = "/api/v1/riskcast/ingest"


@dataclass(frozen=True)
class Fault:
    """One injected misbehaviour for one request."""

    kind: str  # "status", "hang" or "drop_after_commit"
    status: int = 503
    retry_after: str | None = None
    code: str | None = None

    @classmethod
    def error(cls, status: int = 503, *, retry_after: str | None = None, code: str | None = None) -> Fault:
        return cls("status", status=status, retry_after=retry_after, code=code)

    @classmethod
    def throttle(cls, *, retry_after: str | None = "1") -> Fault:
        return cls("status", status=429, retry_after=retry_after, code="rate_limited")

    @classmethod
    def reject(cls, status: int = 422, *, code: str = "conflict_payload_mismatch") -> Fault:
        return cls("status", status=status, code=code)

    @classmethod
    def hang(cls) -> Fault:
        return cls("hang")

    @classmethod
    def drop_after_commit(cls) -> Fault:
        """Store the signal, then close the connection without answering."""
        return cls("drop_after_commit")


@dataclass(frozen=True)
class Received:
    """What one request carried."""

    path: str
    headers: dict[str, str]
    body: bytes


class FaultServer:
    """RiskCast's ingest with faults on demand, on a free port of 127.0.0.1, served by threads."""

    def __init__(self, *, seed: int = 0, hang_limit_s: float = 30.0):
        self.error_rate = 0.0
        self.error_status = 503
        self.retry_after: str | None = None  # sent with the random errors
        self.hang = False
        self.delay_s = 0.0
        self.hang_limit_s = hang_limit_s
        self.stored: dict[str, dict] = {}  # signal_id -> {"ack_id", "payload_hash", "body"}
        self.commits: collections.Counter[str] = collections.Counter()
        self.received: list[Received] = []
        self.in_flight = 0
        self.max_in_flight = 0
        self._rng = random.Random(seed)
        self._script: collections.deque[Fault] = collections.deque()
        self._lock = threading.Lock()
        self._released = threading.Event()
        self._httpd: ThreadingHTTPServer | None = None
        self._thread: threading.Thread | None = None

    # --- lifecycle --------------------------------------------------------------------------

    def start(self) -> FaultServer:
        handler = type("Handler", (_Handler,), {"fault_server": self})
        self._httpd = _Server(("127.0.0.1", 0), handler)
        self._thread = threading.Thread(target=self._httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        if self._httpd is not None:
            self._httpd.shutdown()
            self._httpd.server_close()
            self._thread.join(timeout=5)
            self._httpd = None

    def __enter__(self) -> FaultServer:
        return self.start()

    def __exit__(self, *exc_info) -> None:
        self.stop()

    @property
    def url(self) -> str:
        host, port = self._httpd.server_address[:2]
        return f"http://{host}:{port}"

    # --- control ----------------------------------------------------------------------------

    def script(self, *faults: Fault) -> None:
        """Apply these faults to the next requests, one each, in order."""
        with self._lock:
            self._script.extend(faults)

    def release(self) -> None:
        """Let every hung request go (their connections close without an answer)."""
        self._released.set()

    @property
    def requests_received(self) -> int:
        with self._lock:
            return len(self.received)

    # --- called by the handler ----------------------------------------------------------------

    def _enter(self, received: Received) -> Fault | None:
        with self._lock:
            self.received.append(received)
            self.in_flight += 1
            self.max_in_flight = max(self.max_in_flight, self.in_flight)
            if self._script:
                return self._script.popleft()
            if self.hang:
                return Fault.hang()
            if self.error_rate and self._rng.random() < self.error_rate:
                return Fault.error(self.error_status, retry_after=self.retry_after, code="unavailable")
            return None

    def _leave(self) -> None:
        with self._lock:
            self.in_flight -= 1

    def _ingest(self, received: Received) -> tuple[int, dict]:
        """One event, or a batch (a JSON list): one result per event, like RiskCast's batch ingest."""
        if received.body.lstrip().startswith(b"["):
            return self._ingest_batch(json.loads(received.body))
        signal_id = received.headers.get("idempotency-key", "")
        if not signal_id:
            return 400, _error("validation_error", "Idempotency-Key is required.")
        payload_hash = received.headers.get("x-payload-hash") or hashlib.sha256(received.body).hexdigest()
        status, ack = self._store(signal_id, payload_hash, received.body)
        if status == 201:
            return 201, {"ack_id": ack["ack_id"], "signal_id": signal_id}
        if status == 409:
            return 409, _error("duplicate", "Already ingested.", ack)
        return 422, _error("conflict_payload_mismatch", "Same signal_id, different payload.")

    def _ingest_batch(self, events: list) -> tuple[int, dict]:
        results = []
        for index, event in enumerate(events):
            body = json.dumps(event, sort_keys=True).encode()
            status, ack = self._store(event["signal_id"], item_payload_hash(event), body)
            if status == 422:
                error = _error("conflict_payload_mismatch", "Same signal_id, different payload.")
                results.append({"index": index, "status": 422, "signal_id": event["signal_id"], **error})
            else:
                results.append({"index": index, "status": status, "signal_id": event["signal_id"], **ack})
        return 200, {"results": results}

    def _store(self, signal_id: str, payload_hash: str, body: bytes) -> tuple[int, dict]:
        """The exactly-once store: decided under one lock, like a unique constraint would."""
        with self._lock:
            original = self.stored.get(signal_id)
            if original is None:
                ack_id = f"ack-{len(self.stored) + 1:06d}"
                self.stored[signal_id] = {"ack_id": ack_id, "payload_hash": payload_hash, "body": body}
                self.commits[signal_id] += 1
                return 201, {"ack_id": ack_id, "payload_hash": payload_hash}
        if original["payload_hash"] == payload_hash:
            return 409, {"ack_id": original["ack_id"], "payload_hash": original["payload_hash"]}
        return 422, {}


def item_payload_hash(event: dict) -> str:
    """The payload hash of one batch item: the contract's own for a real SignalEvent, else the
    emitter tests' stand-in (SHA-256 of the sorted-key JSON, as ``conftest.payload_hash``)."""
    if "input_event_hash" in event:
        return payload_hash(event)
    return hashlib.sha256(json.dumps(event, sort_keys=True).encode()).hexdigest()


def _error(code: str, message: str, details: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "details": details or {}, "trace_id": ""}}


def free_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused at once."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return f"http://127.0.0.1:{port}"


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    request_queue_size = 256  # many concurrent callers connect at once in the backpressure tests


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, like a real server: the client reuses connections
    # Headers and body leave in one segment; otherwise Nagle and delayed ACKs add 40 ms per answer.
    wbufsize = 65536
    disable_nagle_algorithm = True
    fault_server: FaultServer

    def log_message(self, format, *args):
        pass  # tests stay quiet

    def do_POST(self):
        length = int(self.headers.get("Content-Length") or 0)
        received = Received(self.path, {k.lower(): v for k, v in self.headers.items()}, self.rfile.read(length))
        server = self.fault_server
        fault = server._enter(received)
        try:
            self._handle(server, received, fault)
        finally:
            server._leave()

    def _handle(self, server: FaultServer, received: Received, fault: Fault | None) -> None:
        if received.path != INGEST_PATH:
            self._answer(404, _error("not_found", "No such endpoint."))
            return
        if fault is not None and fault.kind == "hang":
            server._released.wait(server.hang_limit_s)
            self.close_connection = True  # never answer
            return
        if server.delay_s:
            time.sleep(server.delay_s)
        if fault is not None and fault.kind == "status":
            headers = {"Retry-After": fault.retry_after} if fault.retry_after is not None else {}
            self._answer(fault.status, _error(fault.code or "injected", "Injected fault."), headers)
            return
        status, body = server._ingest(received)
        if fault is not None and fault.kind == "drop_after_commit":
            self.close_connection = True  # committed, but the client never hears of it
            return
        self._answer(status, body)

    def _answer(self, status: int, body: dict, headers: dict[str, str] | None = None) -> None:
        payload = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        for name, value in (headers or {}).items():
            self.send_header(name, value)
        self.end_headers()
        self.wfile.write(payload)
