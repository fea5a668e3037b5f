"""The recovery model: readiness, training load, block structure, deloads, return to run,
gait warnings, advice, and next week's plan, each verdict with its reasons.

    from stridepod.recovery import History, assess
    result = assess(History(wellness=..., runs=..., pain=..., plan=...), today)
    result.to_dict()  # JSON-ready
"""

from stridepod.recovery.assess import Assessment, assess
from stridepod.recovery.config import Config
from stridepod.recovery.model import (
    Goal,
    History,
    PainEntry,
    PlannedSession,
    Reason,
    Run,
    WellnessDay,
)

__all__ = [
    "Assessment", "Config", "Goal", "History", "PainEntry", "PlannedSession", "Reason", "Run",
    "WellnessDay", "assess",
]
