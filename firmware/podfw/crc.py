# CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, not reflected, no final xor; check value
# 0x29B1 over b"123456789"): the one checksum of the pod's summary records
# (podfw.link.wire) and raw frames (podfw.rawframe). No hardware import: the host uses it
# too. The table is built once at import: 512 bytes of RAM on the pod.
from array import array


def _table():
    table = array("H", bytes(512))
    for byte in range(256):
        crc = byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
        table[byte] = crc & 0xFFFF
    return table


CRC16_TABLE = _table()


def crc16(buf, start, end, crc=0xFFFF):
    """CRC of buf[start:end], continuing from crc (0xFFFF: a new one)."""
    table = CRC16_TABLE
    for i in range(start, end):
        crc = ((crc << 8) & 0xFF00) ^ table[(crc >> 8) ^ buf[i]]
    return crc
