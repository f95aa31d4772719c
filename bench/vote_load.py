"""The load generator of bench/vote.py, run as its own process: `vote_load.py PLAN.json`.

The plan gives the server's port on 127.0.0.1, the number of client connections, a deadline,
the endpoints and a list of phases. A phase POSTs its (cookie, form body) pairs to one endpoint
from `connections` threads, each with its own keep-alive connection; the same code serves every
endpoint so the client costs them alike. A request succeeds when it answers the endpoint's
expected status and, for a redirect, the expected location path; anything else is an error.
No new request starts after the deadline. Prints one JSON list: per phase, the requests made,
the errors (with a count per cause), the wall-clock seconds and each request's latency in ms.
"""

import http.client
import json
import queue
import sys
import threading
import time
from collections import Counter
from urllib.parse import urlsplit

HOST = "127.0.0.1"
REQUEST_TIMEOUT_SECONDS = 10


class Client:
    """One thread's keep-alive connection and what its requests gave."""

    def __init__(self, port: int, endpoint: dict) -> None:
        self.port = port
        self.endpoint = endpoint
        self.connection: http.client.HTTPConnection | None = None
        self.latencies_ms: list[float] = []
        self.failures: Counter[str] = Counter()

    def post(self, cookie: str, body: str) -> None:
        if self.connection is None:
            self.connection = http.client.HTTPConnection(
                HOST, self.port, timeout=REQUEST_TIMEOUT_SECONDS
            )
        headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
        started = time.perf_counter()
        try:
            self.connection.request("POST", self.endpoint["path"], body=body, headers=headers)
            response = self.connection.getresponse()
            response.read()
        except (OSError, http.client.HTTPException) as error:
            self.close()
            failure = type(error).__name__
        else:
            if response.will_close:
                self.close()
            failure = self._failure(response)
        self.latencies_ms.append((time.perf_counter() - started) * 1000)
        if failure:
            self.failures[failure] += 1

    def _failure(self, response: http.client.HTTPResponse) -> str | None:
        if response.status != self.endpoint["status"]:
            return f"HTTP {response.status}"
        expected_location = self.endpoint["location"]
        location = urlsplit(response.getheader("Location", "")).path
        if expected_location is not None and location != expected_location:
            return f"HTTP {response.status} to {location}"
        return None

    def close(self) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run_phase(plan: dict, phase: dict, deadline: float) -> dict:
    work: queue.SimpleQueue = queue.SimpleQueue()
    for cookie, body in phase["requests"]:
        work.put((cookie, body))
    clients = [
        Client(plan["port"], plan["endpoints"][phase["endpoint"]])
        for _ in range(plan["connections"])
    ]

    def drain(client: Client) -> None:
        while time.monotonic() < deadline:
            try:
                cookie, body = work.get_nowait()
            except queue.Empty:
                break
            client.post(cookie, body)
        client.close()

    threads = [threading.Thread(target=drain, args=(client,)) for client in clients]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - started
    failures = sum((client.failures for client in clients), Counter())
    return {
        "endpoint": phase["endpoint"],
        "measured": phase["measured"],
        "planned": len(phase["requests"]),
        "requests": sum(len(client.latencies_ms) for client in clients),
        "errors": sum(failures.values()),
        "failures": dict(failures),
        "seconds": seconds,
        "latencies_ms": [latency for client in clients for latency in client.latencies_ms],
    }


def main(plan_path: str) -> None:
    with open(plan_path, encoding="utf-8") as plan_file:
        plan = json.load(plan_file)
    deadline = time.monotonic() + plan["deadline_seconds"]
    results = [run_phase(plan, phase, deadline) for phase in plan["phases"]]
    json.dump(results, sys.stdout)


if __name__ == "__main__":
    main(sys.argv[1])
