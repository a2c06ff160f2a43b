"""Waiting on a condition with a deadline: the suite never sleeps a fixed time."""

import time


def wait_until(predicate, timeout: float = 60, message: str = "condition") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if predicate():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out after {timeout}s waiting for {message}")
