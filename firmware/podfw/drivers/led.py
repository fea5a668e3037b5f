# The status LED: a plain GPIO LED (active high or low) or one WS2812 pixel.
_COLOUR = (0, 16, 4)  # dim green: visible, cheap on the battery


class StatusLed:
    def __init__(self, hw, pin, kind):
        self.kind = kind
        if kind == "ws2812":
            self._pixel = hw.neopixel(pin)
            self._pin = None
        else:
            self._pixel = None
            self._pin = hw.pin_out(pin)
        self.lit = False
        self.set(False)

    def set(self, on):
        self.lit = on
        if self._pixel is not None:
            self._pixel[0] = _COLOUR if on else (0, 0, 0)
            self._pixel.write()
        else:
            self._pin.value((1 if on else 0) ^ (self.kind == "active_low"))
