# CPython stand-in for MicroPython's `micropython` module so the hardware-independent
# firmware modules import on the host. Only the compile-time helpers exist here;
# viper code lives in modules that the host never imports.


def const(value):
    return value


def native(func):
    return func


def heap_lock():
    return 0


def heap_unlock():
    return 0


def alloc_emergency_exception_buf(size):
    return None


def schedule(func, arg):
    func(arg)
    return None
