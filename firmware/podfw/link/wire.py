# Wire format v1: THE definition of the stridepod summary record and of the
# control-point commands, responses and events. Imported by the firmware (MicroPython)
# and by the host (CPython, `from podfw.link import wire`). docs/protocol.md documents
# every byte; keep the two in step.
#
# Summary record, 20 bytes, little-endian. A notification of the summary characteristic
# carries 1 to MAX_RECORDS_PER_NOTIFICATION whole records back to back (as many as the
# link's ATT MTU - 3 bytes hold: one at the default MTU of 23, twelve at 247), each with
# its own CRC:
#   0      header: bits 7-4 version (1); bit 0 clock set; bit 1 session start;
#          bit 2 a field was clipped to its maximum; bit 3 reserved (0)
#   1-4    u32 sequence number (pod-wide, never reused for a different record)
#   5-8    u32 window start, seconds since 2000-01-01 UTC (clock set) or since boot
#   9      u8  window duration in 0.1 s
#   10     u8  steps in the window
#   11     u8  cadence, steps/min
#   12-14  u24 bits 0-11 impact peak in centi-g, bits 12-23 mean ground contact in ms
#   15     u8  quality flags (podfw.gait.summary FLAG_*)
#   16-17  u16 strikes by pattern: bits 0-4 heel, 5-9 midfoot, 10-14 forefoot; bit 15 reserved (0)
#   18-19  u16 CRC-16/CCITT-FALSE over bytes 0-17
import struct

from micropython import const

from podfw.crc import crc16 as _crc16

# read-config sends a placement as its position in PLACEMENTS + 1 (0 = unknown)
from podfw.gait.config import PLACEMENTS

VERSION = const(1)
RECORD_SIZE = const(20)

# ATT: a notification is opcode (1) + handle (2) + value, at most the link's ATT MTU.
ATT_DEFAULT_MTU = const(23)
ATT_NOTIFY_HEADER = const(3)
# The ATT MTU the pod asks for: 247 + the 4-byte L2CAP header = 251 bytes, the largest
# link-layer payload with Data Length Extension, so a notification is one radio packet.
MAX_ATT_MTU = const(247)
MAX_RECORDS_PER_NOTIFICATION = const(12)  # (MAX_ATT_MTU - ATT_NOTIFY_HEADER) // RECORD_SIZE

HEADER_CLOCK_SET = const(0x01)
HEADER_SESSION_START = const(0x02)
HEADER_CLIPPED = const(0x04)
_HEADER_RESERVED = const(0x08)
_STRIKES_RESERVED = const(0x8000)

MAX_DURATION_DS = const(255)
MAX_COUNT = const(255)
MAX_IMPACT_CG = const(4095)
MAX_CONTACT_MS = const(4095)
MAX_STRIKES = const(31)

# Control point (write by the central; responses and events come back as indications).
OP_SET_TIME = const(0x01)  # u32 seconds since 2000-01-01 UTC, at most MAX_SET_TIME_S
# the latest time set-time accepts: 2099-12-31 23:59:59 UTC. Later values are refused
# (invalid parameter): a clock set near the end of the u32 timestamp would run past it
# while the pod logs. Not a const(): it is beyond the ESP32's small ints.
MAX_SET_TIME_S = 3155759999
MAX_TIME_S = 0xFFFFFFFF  # the last second a record's u32 timestamp holds
OP_START_SESSION = const(0x02)
OP_STOP_SESSION = const(0x03)
OP_BACKFILL = const(0x04)  # u32 first sequence wanted; streams it and everything after, then live
BACKFILL_LIVE_ONLY = 0xFFFFFFFF  # backfill parameter: only records made from now on
OP_CALIBRATE = const(0x05)  # u8 target (CALIBRATE_*)
OP_READ_CONFIG = const(0x06)
OP_STOP_STREAM = const(0x07)
OP_READ_STATUS = const(0x08)  # what went wrong since boot (podfw.counters)
RESPONSE = const(0x80)  # RESPONSE, request op, result, payload
EVENT = const(0x81)  # EVENT, event code, payload

RESULT_SUCCESS = const(1)
RESULT_NOT_SUPPORTED = const(2)
RESULT_INVALID_PARAMETER = const(3)
RESULT_FAILED = const(4)
RESULT_NOT_PERMITTED = const(5)

CALIBRATE_IMU_STILL = const(1)
CALIBRATE_PRESSURE_ZERO = const(2)

EVENT_CAUGHT_UP = const(1)  # u32 next sequence, u32 records sent by this stream so far

STATUS_CLOCK_SET = const(0x01)
STATUS_SESSION_ACTIVE = const(0x02)
STATUS_HAS_GYRO = const(0x04)
STATUS_HAS_PRESSURE = const(0x08)


# request op -> exact parameter length
_PARAM_LEN = {
    OP_SET_TIME: 4,
    OP_START_SESSION: 0,
    OP_STOP_SESSION: 0,
    OP_BACKFILL: 4,
    OP_CALIBRATE: 1,
    OP_READ_CONFIG: 0,
    OP_STOP_STREAM: 0,
    OP_READ_STATUS: 0,
}
OP_NAMES = {
    OP_SET_TIME: "set-time",
    OP_START_SESSION: "start-session",
    OP_STOP_SESSION: "stop-session",
    OP_BACKFILL: "backfill",
    OP_CALIBRATE: "calibrate",
    OP_READ_CONFIG: "read-config",
    OP_STOP_STREAM: "stop-stream",
    OP_READ_STATUS: "read-status",
}
RESULT_NAMES = {
    RESULT_SUCCESS: "success",
    RESULT_NOT_SUPPORTED: "not supported",
    RESULT_INVALID_PARAMETER: "invalid parameter",
    RESULT_FAILED: "failed",
    RESULT_NOT_PERMITTED: "not permitted",
}


class WireError(ValueError):
    """A record, command or response that is not valid v1 wire data (message says why)."""


def crc16(data, end=None):
    """CRC-16/CCITT-FALSE (podfw.crc) of data[:end]."""
    return _crc16(data, 0, len(data) if end is None else end)


class Record:
    """One decoded v1 summary record. Fields are ints (bools for the header bits);
    `record["seq"]` works as well as `record.seq` so it can stand in for a dict."""

    FIELDS = (
        "version", "seq", "time_s", "clock_set", "session_start", "clipped",
        "duration_ms", "steps", "cadence_spm", "impact_peak_cg", "contact_ms",
        "flags", "strike_heel", "strike_mid", "strike_fore",
    )

    def __init__(self, seq, time_s, duration_ms, steps, cadence_spm, impact_peak_cg,
                 contact_ms, flags, strike_heel, strike_mid, strike_fore,
                 clock_set=True, session_start=False, clipped=False, version=VERSION):
        self.version = version
        self.seq = seq
        self.time_s = time_s
        self.clock_set = clock_set
        self.session_start = session_start
        self.clipped = clipped
        self.duration_ms = duration_ms
        self.steps = steps
        self.cadence_spm = cadence_spm
        self.impact_peak_cg = impact_peak_cg
        self.contact_ms = contact_ms
        self.flags = flags
        self.strike_heel = strike_heel
        self.strike_mid = strike_mid
        self.strike_fore = strike_fore

    def __getitem__(self, name):
        if name not in Record.FIELDS:
            raise KeyError(name)
        return getattr(self, name)

    def keys(self):
        return Record.FIELDS

    def as_dict(self):
        return {name: getattr(self, name) for name in Record.FIELDS}

    def __eq__(self, other):
        return isinstance(other, Record) and self.as_dict() == other.as_dict()

    def __repr__(self):
        return "Record(%s)" % ", ".join(
            "%s=%r" % (name, getattr(self, name)) for name in Record.FIELDS)


def _clip(value, top):
    # returns (clipped value, 1 if it had to be clipped)
    if value < 0:
        return 0, 1
    if value > top:
        return top, 1
    return value, 0


def encode_fields(seq, time_s, duration_ms, steps, cadence_spm, impact_peak_cg, contact_ms,
                  flags, strike_heel, strike_mid, strike_fore, clock_set=True,
                  session_start=False, buf=None):
    """Packs one record into buf (a new bytearray(20) when None) and returns it.
    Values beyond a field's range are clipped and the header's clipped bit is set."""
    if buf is None:
        buf = bytearray(RECORD_SIZE)
    duration_ds, c0 = _clip((duration_ms + 50) // 100, MAX_DURATION_DS)
    steps, c1 = _clip(steps, MAX_COUNT)
    cadence_spm, c2 = _clip(cadence_spm, MAX_COUNT)
    impact_peak_cg, c3 = _clip(impact_peak_cg, MAX_IMPACT_CG)
    contact_ms, c4 = _clip(contact_ms, MAX_CONTACT_MS)
    strike_heel, c5 = _clip(strike_heel, MAX_STRIKES)
    strike_mid, c6 = _clip(strike_mid, MAX_STRIKES)
    strike_fore, c7 = _clip(strike_fore, MAX_STRIKES)
    time_s, c8 = _clip(time_s, MAX_TIME_S)  # the pod logs every window, whatever its clock
    header = VERSION << 4
    if clock_set:
        header |= HEADER_CLOCK_SET
    if session_start:
        header |= HEADER_SESSION_START
    if c0 | c1 | c2 | c3 | c4 | c5 | c6 | c7 | c8:
        header |= HEADER_CLIPPED
    if not (0 <= seq <= 0xFFFFFFFF):
        raise WireError("sequence number %d does not fit u32" % seq)
    struct.pack_into("<BIIBBB", buf, 0, header, seq, time_s, duration_ds, steps, cadence_spm)
    buf[12] = impact_peak_cg & 0xFF
    buf[13] = (impact_peak_cg >> 8) | ((contact_ms & 0x0F) << 4)
    buf[14] = contact_ms >> 4
    buf[15] = flags & 0xFF
    struct.pack_into("<H", buf, 16, strike_heel | (strike_mid << 5) | (strike_fore << 10))
    struct.pack_into("<H", buf, 18, crc16(buf, 18))
    return buf


def encode_summary(summary, seq, time_s, clock_set=True, buf=None):
    """Record for a podfw.gait.summary.WindowSummary (window `index` 0 marks a session
    start). time_s: the window start on the pod clock."""
    return encode_fields(
        seq, time_s, summary.duration_ms, summary.steps, summary.cadence_spm,
        summary.impact_peak_cg, summary.contact_ms, summary.flags,
        summary.strike_heel, summary.strike_mid, summary.strike_fore,
        clock_set=clock_set, session_start=summary.index == 0, buf=buf)


def encode_record(record, buf=None):
    """Re-encodes a decoded Record (round trip)."""
    return encode_fields(
        record.seq, record.time_s, record.duration_ms, record.steps, record.cadence_spm,
        record.impact_peak_cg, record.contact_ms, record.flags, record.strike_heel,
        record.strike_mid, record.strike_fore, clock_set=record.clock_set,
        session_start=record.session_start, buf=buf)


def check_record(data):
    """Raises WireError unless data is a whole, intact v1 record. Returns nothing."""
    if len(data) != RECORD_SIZE:
        raise WireError("summary record is %d bytes, expected %d" % (len(data), RECORD_SIZE))
    version = data[0] >> 4
    if version != VERSION:
        raise WireError("summary record version %d is not supported (expected %d)"
                        % (version, VERSION))
    stored = data[18] | (data[19] << 8)
    computed = crc16(data, 18)
    if stored != computed:
        raise WireError("summary record CRC mismatch: stored 0x%04x, computed 0x%04x"
                        % (stored, computed))
    if data[0] & _HEADER_RESERVED:
        raise WireError("summary record header has reserved bit 3 set")
    if data[17] & (_STRIKES_RESERVED >> 8):
        raise WireError("summary record strike pattern has reserved bit 15 set")


def record_seq(data):
    """Sequence number of an (already checked) encoded record."""
    return struct.unpack_from("<I", data, 1)[0]


def records_per_notification(mtu):
    """Whole records one notification carries on a link with this ATT MTU (at least 1,
    at most MAX_RECORDS_PER_NOTIFICATION)."""
    n = (mtu - ATT_NOTIFY_HEADER) // RECORD_SIZE
    if n < 1:
        return 1
    return n if n < MAX_RECORDS_PER_NOTIFICATION else MAX_RECORDS_PER_NOTIFICATION


def record_ok_at(buf, offset, seq):
    """True if buf[offset:offset + 20] is an intact v1 record with sequence `seq`
    (version, CRC, reserved bits): check_record without raising or allocating, for the
    pod's streaming path."""
    if buf[offset] >> 4 != VERSION or buf[offset] & _HEADER_RESERVED:
        return False
    if buf[offset + 17] & (_STRIKES_RESERVED >> 8):
        return False
    if _crc16(buf, offset, offset + 18) != buf[offset + 18] | (buf[offset + 19] << 8):
        return False
    return (buf[offset + 1] | (buf[offset + 2] << 8) | (buf[offset + 3] << 16)
            | (buf[offset + 4] << 24)) == seq


def split_notification(data):
    """The 20-byte records of a summary notification, in order (each still to be
    checked with decode). Raises WireError when the length is not a whole number of
    records."""
    n = len(data)
    if n == 0 or n % RECORD_SIZE:
        raise WireError("summary notification is %d bytes, not a whole number of %d-byte "
                        "records" % (n, RECORD_SIZE))
    return [bytes(data[i:i + RECORD_SIZE]) for i in range(0, n, RECORD_SIZE)]


def decode(data):
    """Decodes one summary record into a Record; raises WireError saying what is wrong."""
    check_record(data)
    header, seq, time_s, duration_ds, steps, cadence = struct.unpack_from("<BIIBBB", data, 0)
    impact = data[12] | ((data[13] & 0x0F) << 8)
    contact = (data[13] >> 4) | (data[14] << 4)
    strikes = data[16] | (data[17] << 8)
    return Record(
        seq, time_s, duration_ds * 100, steps, cadence, impact, contact, data[15],
        strikes & 0x1F, (strikes >> 5) & 0x1F, (strikes >> 10) & 0x1F,
        clock_set=bool(header & HEADER_CLOCK_SET),
        session_start=bool(header & HEADER_SESSION_START),
        clipped=bool(header & HEADER_CLIPPED))


# ---- control point -------------------------------------------------------------------

def encode_command(op, param=None):
    """Bytes a central writes to the control point. param: the u32 for set-time and
    backfill, the u8 target for calibrate, None for the others."""
    if op not in _PARAM_LEN:
        raise WireError("unknown control-point op 0x%02x" % op)
    n = _PARAM_LEN[op]
    if n == 0:
        if param is not None:
            raise WireError("%s takes no parameter" % OP_NAMES[op])
        return bytes((op,))
    if param is None or not (0 <= param < (1 << (8 * n))):
        raise WireError("%s needs a u%d parameter, got %r" % (OP_NAMES[op], 8 * n, param))
    if n == 1:
        return bytes((op, param))
    return struct.pack("<BI", op, param)


def parse_command(data):
    """Returns (op, param) for a control-point write; param is an int or None.
    Raises WireError (with the op, or -1 when there is none) for anything else."""
    if len(data) == 0:
        raise WireError("empty control-point write")
    op = data[0]
    if op not in _PARAM_LEN:
        raise WireError("unknown control-point op 0x%02x" % op)
    n = _PARAM_LEN[op]
    if len(data) != 1 + n:
        raise WireError("%s takes %d parameter bytes, got %d" % (OP_NAMES[op], n, len(data) - 1))
    if n == 0:
        return op, None
    if n == 1:
        return op, data[1]
    return op, struct.unpack_from("<I", data, 1)[0]


def encode_response(op, result, payload=b""):
    return bytes((RESPONSE, op & 0xFF, result)) + payload


def backfill_payload(first_seq, next_seq, lost, log_id):
    """Backfill response payload: the first sequence the stream sends, the sequence
    the next new record will get, how many of the requested records the ring dropped
    (requested ones older than the oldest kept), and the id of the pod's log (a new id
    means the log was wiped and numbering restarted at 0)."""
    return struct.pack("<IIII", first_seq, next_seq, lost, log_id)


def config_payload(window_s, imu_rate_hz, pressure_rate_hz, placement, status,
                   log_capacity, next_seq):
    code = PLACEMENTS.index(placement) + 1 if placement in PLACEMENTS else 0
    # rates to the nearest Hz: a recording replayed by the virtual pod may have 204.8 Hz
    return struct.pack("<BHHHBBII", VERSION, window_s, round(imu_rate_hz),
                       round(pressure_rate_hz), code, status, log_capacity, next_seq)


# read-status payload (17 bytes: fits one indication at the default ATT MTU): the
# podfw.counters.Counters of the pod, each saturated at u16, then where the last error
# happened (u8, podfw.counters WHERE_*) and its code (u16: an OSError's errno, or
# ERROR_KIND_FLAG | ERROR_KIND_*)
STATUS_FIELDS = ("imu_faults", "imu_restarts", "imu_lost", "scans_missed", "log_failures",
                 "link_errors", "cycle_errors", "last_error_where", "last_error_code")
_STATUS_FORMAT = "<HHHHHHHBH"
ERROR_KIND_FLAG = const(0x8000)
ERROR_KIND_MEMORY = const(1)
ERROR_KIND_VALUE = const(2)
ERROR_KIND_OTHER = const(3)
# names by code, for the host (podfw.counters WHERE_* index WHERE_NAMES)
WHERE_NAMES = ("", "sampling loop", "IMU bus", "BLE link", "flash log")
ERROR_KIND_NAMES = ("", "MemoryError", "ValueError", "error")


def _u16(n):
    return n if n < 0xFFFF else 0xFFFF


def error_code(exc):
    """An exception as a number: its errno for an OSError, else ERROR_KIND_FLAG |
    ERROR_KIND_*; 0 for None."""
    if exc is None:
        return 0
    if isinstance(exc, OSError) and exc.args and isinstance(exc.args[0], int):
        return exc.args[0] & 0x7FFF
    if isinstance(exc, MemoryError):
        return ERROR_KIND_FLAG | ERROR_KIND_MEMORY
    if isinstance(exc, ValueError):
        return ERROR_KIND_FLAG | ERROR_KIND_VALUE
    return ERROR_KIND_FLAG | ERROR_KIND_OTHER


def error_text(where, code):
    """A read-status last error (where, code) in words: "flash log: OSError 28"."""
    if not 0 < where < len(WHERE_NAMES):
        return "none"
    if code & ERROR_KIND_FLAG:
        kind = code & 0x7FFF
        what = ERROR_KIND_NAMES[kind] if 0 < kind < len(ERROR_KIND_NAMES) else "error"
    else:
        what = "OSError %d" % code
    return "%s: %s" % (WHERE_NAMES[where], what)


def status_payload(counters):
    c = counters
    return struct.pack(_STATUS_FORMAT, _u16(c.imu_faults), _u16(c.imu_restarts),
                       _u16(c.imu_lost), _u16(c.scans_missed), _u16(c.log_failures),
                       _u16(c.link_errors), _u16(c.cycle_errors), c.last_error_where,
                       error_code(c.last_error))


def encode_event(code, payload=b""):
    return bytes((EVENT, code)) + payload


def caught_up_payload(next_seq, sent):
    return struct.pack("<II", next_seq, sent)


class Response:
    """Decoded control-point indication. kind is "response" or "event"."""

    def __init__(self, kind, op, result, fields):
        self.kind = kind
        self.op = op  # request op (response) or event code (event)
        self.result = result  # None for events
        self.fields = fields  # dict of the payload's named values

    @property
    def ok(self):
        return self.result == RESULT_SUCCESS

    def __repr__(self):
        return "Response(%s, op=0x%02x, result=%r, %r)" % (
            self.kind, self.op, self.result, self.fields)


_RESPONSE_PAYLOADS = {
    # op -> (struct format, field names) of a successful response's payload
    OP_BACKFILL: ("<IIII", ("first_seq", "next_seq", "lost", "log_id")),
    OP_READ_CONFIG: ("<BHHHBBII", ("version", "window_s", "imu_rate_hz", "pressure_rate_hz",
                                   "placement", "status", "log_capacity", "next_seq")),
    OP_READ_STATUS: (_STATUS_FORMAT, STATUS_FIELDS),
}
_EVENT_PAYLOADS = {
    EVENT_CAUGHT_UP: ("<II", ("next_seq", "sent")),
}


def _unpack_fields(what, layout, data, offset):
    fmt, names = layout
    size = struct.calcsize(fmt)
    if len(data) - offset != size:
        raise WireError("%s payload is %d bytes, expected %d" % (what, len(data) - offset, size))
    values = struct.unpack_from(fmt, data, offset)
    return {names[i]: values[i] for i in range(len(names))}


def decode_indication(data):
    """Decodes a control-point indication (response or event); raises WireError."""
    if len(data) < 2:
        raise WireError("control-point indication is %d bytes, too short" % len(data))
    if data[0] == RESPONSE:
        if len(data) < 3:
            raise WireError("control-point response is %d bytes, too short" % len(data))
        op, result = data[1], data[2]
        if result not in RESULT_NAMES:
            raise WireError("control-point response has unknown result %d" % result)
        fields = {}
        if result == RESULT_SUCCESS and op in _RESPONSE_PAYLOADS:
            fields = _unpack_fields(OP_NAMES[op] + " response", _RESPONSE_PAYLOADS[op], data, 3)
            if op == OP_READ_CONFIG:
                code = fields["placement"]
                fields["placement"] = (PLACEMENTS[code - 1] if 0 < code <= len(PLACEMENTS)
                                       else "unknown")
        elif len(data) != 3:
            raise WireError("control-point response to op 0x%02x carries %d unexpected bytes"
                            % (op, len(data) - 3))
        return Response("response", op, result, fields)
    if data[0] == EVENT:
        code = data[1]
        if code not in _EVENT_PAYLOADS:
            raise WireError("unknown control-point event %d" % code)
        return Response("event", code, None,
                        _unpack_fields("event %d" % code, _EVENT_PAYLOADS[code], data, 2))
    raise WireError("control-point indication starts with 0x%02x, expected 0x80 or 0x81" % data[0])
