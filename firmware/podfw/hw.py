# The ESP32's hardware behind one small interface, the only firmware module that imports
# machine: the drivers and the pod get every peripheral from it, and the tests pass
# tests/firmware/sim_hw.SimHardware instead (same methods, simulated clock).
import sys
import time

import esp32
import machine
from machine import ADC, I2C, Pin, Timer


class EspHardware:
    flash_dir = "/"

    def __init__(self):
        self.ticks_us = time.ticks_us
        self.ticks_ms = time.ticks_ms
        self.ticks_diff = time.ticks_diff
        self.sleep_us = time.sleep_us
        self.sleep_ms = time.sleep_ms

    async def async_sleep_ms(self, ms):
        import asyncio

        await asyncio.sleep_ms(ms)

    def i2c(self, bus_id, sda, scl, freq):
        return I2C(bus_id, sda=Pin(sda), scl=Pin(scl), freq=freq)

    def pin_out(self, n):
        return Pin(n, Pin.OUT)

    def adc(self, n):
        return ADC(Pin(n), atten=ADC.ATTN_11DB)  # 0..~3.1 V

    def timer(self, n):
        return Timer(n)

    def neopixel(self, pin):
        from neopixel import NeoPixel

        return NeoPixel(Pin(pin, Pin.OUT), 1)

    def lightsleep(self, ms):
        machine.lightsleep(ms)

    def wake_on_pin(self, pin, level):
        wake = esp32.WAKEUP_ANY_HIGH if level else esp32.WAKEUP_ALL_LOW
        if hasattr(esp32, "wake_on_ext0"):  # ESP32, S2, S3: an RTC GPIO
            esp32.wake_on_ext0(Pin(pin, Pin.IN), wake)
        else:  # ESP32-C3 (no ext0): GPIO wake-up, from deep sleep on GPIO 0-5 only
            esp32.wake_on_gpio((Pin(pin, Pin.IN),), wake)

    def deepsleep(self):
        machine.deepsleep()

    def serial_out(self):
        return sys.stdout.buffer
