"""The host side of the pod's BLE link (bleak): scan, sync with backfill and reconnects,
and syncing a virtual pod for demos and tests."""

from stridepod.ble.client import (
    Backoff,
    BleError,
    BluetoothOffError,
    FoundPod,
    LinkLostError,
    NoAdapterError,
    PodNotFoundError,
    PodSync,
    SyncProgress,
    SyncResult,
    find_pod,
    scan,
    sync,
)

__all__ = [
    "Backoff",
    "BleError",
    "BluetoothOffError",
    "FoundPod",
    "LinkLostError",
    "NoAdapterError",
    "PodNotFoundError",
    "PodSync",
    "SyncProgress",
    "SyncResult",
    "find_pod",
    "scan",
    "sync",
]
