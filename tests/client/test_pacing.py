import threading

import pytest

from sheetsync import pacing
from sheetsync.pacing import SlidingWindowLimiter, registry_key, shared_limiter


class Clock:
    def __init__(self) -> None:
        self.now = 0.0
        self.sleeps: list[float] = []

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.sleeps.append(seconds)
        self.now += seconds


def test_sixty_first_request_waits_until_the_first_leaves_the_window():
    clock = Clock()
    limiter = SlidingWindowLimiter(60, clock=clock, sleep=clock.sleep)
    for i in range(60):
        clock.now = i * 0.5  # 60 requests spread over the first 30 s
        assert limiter.acquire() == 0.0
    clock.now = 30.0
    waited = limiter.acquire()
    assert waited == pytest.approx(30.0)  # the first request (t=0) leaves at t=60
    assert clock.now == pytest.approx(60.0)


def test_never_more_than_limit_in_any_window():
    clock = Clock()
    limiter = SlidingWindowLimiter(5, window=10, clock=clock, sleep=clock.sleep)
    stamps = []
    for _ in range(23):
        limiter.acquire()
        stamps.append(clock.now)
        clock.now += 0.3
    for start in stamps:
        assert sum(1 for s in stamps if start <= s < start + 10) <= 5


def test_zero_disables_pacing():
    clock = Clock()
    limiter = SlidingWindowLimiter(0, clock=clock, sleep=clock.sleep)
    for _ in range(500):
        limiter.acquire()
    assert clock.sleeps == []


def test_wait_time_does_not_take_a_slot():
    clock = Clock()
    limiter = SlidingWindowLimiter(1, window=60, clock=clock, sleep=clock.sleep)
    assert limiter.wait_time() == 0.0
    limiter.acquire()
    clock.now = 15.0
    assert limiter.wait_time() == pytest.approx(45.0)
    assert limiter.wait_time() == pytest.approx(45.0)


def test_clients_of_one_token_and_url_share_a_window_and_the_registry_holds_no_token():
    clock = Clock()
    token = "registry-secret-token-1234"
    a = shared_limiter(token, "http://h/api/v1/", 60, clock=clock, sleep=clock.sleep)
    b = shared_limiter(token, "http://h/api/v1/", 60, clock=clock, sleep=clock.sleep)
    other_url = shared_limiter(token, "http://other/api/v1/", 60, clock=clock, sleep=clock.sleep)
    assert a is b and a is not other_url
    assert all(token not in key for key in pacing._REGISTRY)
    assert registry_key(token, "http://h/api/v1/") in pacing._REGISTRY


def test_a_stricter_client_tightens_the_shared_window():
    clock = Clock()
    a = shared_limiter("tighten-token-abcd", "u", 60, clock=clock, sleep=clock.sleep)
    shared_limiter("tighten-token-abcd", "u", 10, clock=clock, sleep=clock.sleep)
    shared_limiter("tighten-token-abcd", "u", 30, clock=clock, sleep=clock.sleep)
    assert a.limit == 10


def test_threads_share_the_window():
    clock = Clock()
    lock = threading.Lock()

    def sleep(seconds: float) -> None:
        with lock:
            clock.now += seconds

    limiter = SlidingWindowLimiter(10, window=60, clock=clock, sleep=sleep)
    taken: list[float] = []

    def worker() -> None:
        for _ in range(5):
            limiter.acquire()
            with lock:
                taken.append(clock.now)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(taken) == 20
    # 20 requests at 10 per minute: at least one full window had to pass.
    assert clock.now >= 60.0
    assert sum(1 for s in taken if s < 60.0) <= 10


def test_negative_limit_is_refused():
    with pytest.raises(ValueError):
        SlidingWindowLimiter(-1)


def test_a_sleep_that_does_not_move_the_clock_cannot_spin():
    clock = Clock()
    slept: list[float] = []
    limiter = SlidingWindowLimiter(2, window=60, clock=clock, sleep=slept.append)
    for _ in range(5):
        limiter.acquire()
    # Reservations at 0, 0, 60, 60, 120: each request waited for its own slot, once.
    assert slept == [60.0, 60.0, 120.0]


def test_waiting_callers_queue_up_in_order():
    clock = Clock()
    limiter = SlidingWindowLimiter(1, window=10, clock=clock, sleep=lambda s: None)
    waits = [limiter.acquire() for _ in range(4)]
    assert waits == [0.0, 10.0, 20.0, 30.0]
