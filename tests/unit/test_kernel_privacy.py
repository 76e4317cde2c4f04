"""The kernel's privacy settings and constants (kernel/privacy.py, core/settings.py)."""
import pytest

from core.settings import Settings
from subgraphs.kernel.privacy import ERASED, ERASURE_REQUESTED, PRIVACY_SUBJECTS


def test_the_retention_defaults_are_valid():
    settings = Settings()
    settings.check()
    assert (settings.outbox_retention_hours, settings.bus_max_age_hours, settings.access_log_retention_days) == (
        24.0, 168.0, 730)


@pytest.mark.parametrize("overrides", [
    {"outbox_retention_hours": -1}, {"access_log_retention_days": 0}, {"bus_max_age_hours": 0.1},
])
def test_retentions_that_cannot_work_are_refused(overrides):
    with pytest.raises(ValueError):
        Settings(**overrides).check()


def test_the_erasure_events_of_every_subgraph_are_kept_through_an_erasure():
    assert "loyalty.profile.MemberErasureRequested" in PRIVACY_SUBJECTS
    assert {f"loyalty.{name}.{ERASED}" for name in ("profile", "ledger", "rewards", "inventory")} <= set(
        PRIVACY_SUBJECTS)
    assert ERASURE_REQUESTED == "MemberErasureRequested"
