"""stridepod host software: pod sync, store, gait replay and the recovery model."""

__version__ = "0.1.0"
