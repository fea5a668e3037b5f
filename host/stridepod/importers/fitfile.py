"""Reading FIT files as devices write them: the container checked against the FIT
protocol, then decoded by Garmin's SDK, or by fitdecode where the SDK cannot.

Checks (FIT protocol, "File Header" and "CRC"): a header of 12 or more bytes with ".FIT"
at byte 8; the data size it states fits the file; a header CRC of 0 means "not computed"
and is valid (older Garmin units write it); the file CRC over header and data matches
the two bytes after the data. Several FIT files may follow each other (chained files);
each is checked.

Decoders: garmin-fit-sdk (Garmin's own, newest profile) reads most files; it does not
support compressed-timestamp data messages (Forerunner 70 and other ANT+ era units) and
stops on some other valid files, which fitdecode (MIT, the peer reader the tests compare
with) reads. Both give `Messages`: message name + "_mesgs" -> list of {field name: value},
with enums as their profile names, date-times as UTC datetimes and "system time" values
(seconds since the device was switched on, < 0x10000000 by the protocol) as plain ints."""

from __future__ import annotations

import datetime as dt
import struct
from typing import Any, cast

from stridepod.errors import StridepodError

Messages = dict[str, list[dict[str, Any]]]

FIT_EPOCH = dt.datetime(1989, 12, 31, tzinfo=dt.UTC)
SYSTEM_TIME_LIMIT_S = 0x10000000  # date_time values below this are seconds since power-on


def _crc_table() -> tuple[int, ...]:
    # CRC-16 with the reflected polynomial 0xA001 (the FIT SDK's nibble table, per byte)
    table = []
    for byte in range(256):
        crc = byte
        for _ in range(8):
            crc = (crc >> 1) ^ 0xA001 if crc & 1 else crc >> 1
        table.append(crc)
    return tuple(table)


_CRC_TABLE = _crc_table()


class FitDamaged(StridepodError):
    """A file that claims to be FIT but breaks the protocol (truncated, CRC mismatch)."""


def fit_crc(data: bytes | memoryview, crc: int = 0) -> int:
    """The FIT protocol's CRC-16 (the same values as the FIT SDK's nibble-table version)."""
    table = _CRC_TABLE
    for byte in bytes(data):
        crc = (crc >> 8) ^ table[(crc ^ byte) & 0xFF]
    return crc


def looks_like_fit(head: bytes) -> bool:
    return len(head) >= 12 and head[0] >= 12 and head[8:12] == b".FIT"


def check_container(data: bytes) -> int:
    """Raise FitDamaged unless every chained FIT file in `data` is whole; return how many."""
    offset, count = 0, 0
    while offset < len(data):
        if len(data) - offset < 12 or not looks_like_fit(data[offset:offset + 12]):
            if count and not any(data[offset:]):
                break  # zero padding after the last file
            where = f" after file {count}" if count else ""
            raise FitDamaged(f"FIT file is damaged (no FIT header{where} at byte {offset})")
        header_size = data[offset]
        (data_size,) = struct.unpack_from("<I", data, offset + 4)
        end = offset + header_size + data_size
        if end + 2 > len(data):
            raise FitDamaged(f"FIT file is damaged (truncated: the header promises {end + 2 - offset} "
                             f"bytes, {len(data) - offset} are there)")
        if header_size >= 14:
            (header_crc,) = struct.unpack_from("<H", data, offset + 12)
            if header_crc != 0 and header_crc != fit_crc(memoryview(data)[offset:offset + 12]):
                raise FitDamaged("FIT file is damaged (header CRC mismatch)")
        (file_crc,) = struct.unpack_from("<H", data, end)
        if file_crc != fit_crc(memoryview(data)[offset:end]):
            raise FitDamaged(f"FIT file is damaged (file CRC mismatch at byte {end})")
        offset, count = end + 2, count + 1
    return count


def decode(data: bytes) -> tuple[Messages, str]:
    """The messages of a checked FIT file and the decoder that read them."""
    check_container(data)
    messages, sdk_error = _decode_sdk(data)
    if sdk_error is None:
        return messages, "garmin-fit-sdk"
    messages, fitdecode_error = _decode_fitdecode(data)
    if fitdecode_error is None:
        return messages, "fitdecode"
    raise FitDamaged(f"FIT file cannot be decoded (garmin-fit-sdk: {sdk_error}; fitdecode: {fitdecode_error})")


def _decode_sdk(data: bytes) -> tuple[Messages, str | None]:
    from garmin_fit_sdk import Decoder, Stream

    try:
        raw, errors = Decoder(Stream.from_byte_array(bytearray(data))).read(
            convert_datetimes_to_dates=True)
    except Exception as exc:  # the SDK reports most problems in `errors`, a few by raising
        return {}, f"{type(exc).__name__}: {exc}"
    if errors:
        return {}, str(errors[0]).replace("FIT Runtime Error ", "")
    messages: Messages = {}
    for name, items in dict(raw).items():
        if not isinstance(name, str) or not name.endswith("_mesgs"):
            continue  # messages the SDK's profile does not know are keyed by number
        messages[name] = [{k: _sdk_value(v) for k, v in m.items() if isinstance(k, str)}
                          for m in cast(list[dict[Any, Any]], items)]
    return messages, None


def _sdk_value(value: Any) -> Any:
    if isinstance(value, dt.datetime) and value < FIT_EPOCH + dt.timedelta(seconds=SYSTEM_TIME_LIMIT_S):
        return int((value - FIT_EPOCH).total_seconds())  # a system time, not a date
    return value


def _decode_fitdecode(data: bytes) -> tuple[Messages, str | None]:
    import io
    import warnings

    import fitdecode

    messages: Messages = {}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # odd field sizes are decoded as bytes, and said so
            with fitdecode.FitReader(io.BytesIO(data), check_crc=fitdecode.CrcCheck.ENABLED) as reader:
                for frame in reader:
                    if isinstance(frame, fitdecode.FitDataMessage) and not frame.name.startswith("unknown"):
                        messages.setdefault(frame.name + "_mesgs", []).append(
                            {f.name: _fitdecode_value(f.value) for f in frame.fields
                             if not f.name.startswith("unknown")})
    except fitdecode.FitError as exc:
        return {}, f"{type(exc).__name__}: {exc}"
    return messages, None


def _fitdecode_value(value: Any) -> Any:
    return list(value) if isinstance(value, tuple) else value
