"""`loyalty up`'s restart policy: backoff that doubles, a cap per minute after which
a crashing part stays down, and a fresh start once a part has come back."""
from loyalty.stack import RestartPolicy


def test_restarts_back_off_doubling_to_the_cap():
    policy = RestartPolicy(first_delay=1.0, max_delay=4.0, max_per_minute=10)
    delays = [policy.next_delay(now=t) for t in (0.0, 10.0, 20.0, 30.0)]
    assert delays == [1.0, 2.0, 4.0, 4.0]


def test_a_part_that_keeps_crashing_stays_down_after_the_cap():
    policy = RestartPolicy(first_delay=1.0, max_delay=1.0, max_per_minute=3)
    assert [policy.next_delay(now=float(t)) for t in range(3)] == [1.0, 1.0, 1.0]
    assert policy.next_delay(now=3.0) is None  # a fourth crash within the minute


def test_restarts_older_than_a_minute_no_longer_count():
    policy = RestartPolicy(first_delay=1.0, max_delay=1.0, max_per_minute=2)
    assert policy.next_delay(now=0.0) == 1.0  # counted at 1.0
    assert policy.next_delay(now=5.0) == 1.0  # counted at 6.0
    assert policy.next_delay(now=60.5) is None  # both within the last minute
    assert policy.next_delay(now=61.5) == 1.0  # the first is a minute old now


def test_a_part_that_came_back_starts_its_backoff_over():
    policy = RestartPolicy(first_delay=1.0, max_delay=30.0, max_per_minute=10)
    assert [policy.next_delay(now=float(t)) for t in range(3)] == [1.0, 2.0, 4.0]
    policy.ran_fine()
    assert policy.next_delay(now=100.0) == 1.0
