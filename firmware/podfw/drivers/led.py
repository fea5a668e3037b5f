# The status LED: a plain GPIO LED (active high or low) or one WS2812 pixel. A board
# whose revisions put the LED on different GPIOs lists them all (status_led.pins): the
# LED is driven on each, so the file fits every revision.
_COLOUR = (0, 16, 4)  # dim green: visible, cheap on the battery
_DARK = (0, 0, 0)


class StatusLed:
    def __init__(self, hw, pins, kind):
        self.kind = kind
        self._pixels = [hw.neopixel(pin) for pin in pins] if kind == "ws2812" else []
        self._pins = [] if kind == "ws2812" else [hw.pin_out(pin) for pin in pins]
        self.lit = False
        self.set(False)

    def set(self, on):
        self.lit = on
        for pixel in self._pixels:
            pixel[0] = _COLOUR if on else _DARK
            pixel.write()
        level = (1 if on else 0) ^ (self.kind == "active_low")
        for pin in self._pins:
            pin.value(level)
