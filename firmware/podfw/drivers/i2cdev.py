# Register access with retries. A NACK or bus timeout raises OSError on MicroPython; a
# transaction is retried _RETRIES times before the error reaches the caller, and every
# retry is counted so the pod can mark the window as degraded.
from micropython import const

_RETRIES = const(3)


class I2CDevice:
    def __init__(self, i2c, address):
        self.i2c = i2c
        self.address = address
        self.retries = 0  # transactions that failed and were tried again
        self._one = bytearray(1)

    def read_into(self, reg, buf):
        for attempt in range(_RETRIES + 1):
            try:
                self.i2c.readfrom_mem_into(self.address, reg, buf)
                return
            except OSError:
                if attempt == _RETRIES:
                    raise
                self.retries += 1

    def write(self, reg, buf):
        for attempt in range(_RETRIES + 1):
            try:
                self.i2c.writeto_mem(self.address, reg, buf)
                return
            except OSError:
                if attempt == _RETRIES:
                    raise
                self.retries += 1

    def read_u8(self, reg):
        self.read_into(reg, self._one)
        return self._one[0]

    def write_u8(self, reg, value):
        self._one[0] = value
        self.write(reg, self._one)
