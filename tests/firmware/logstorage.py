# Storage helpers for the flash-log tests: a scratch directory, a littlefs volume on a
# block device (the filesystem the ESP32 port uses), and a wrapper that cuts the
# power in the middle of a write.
import os
from array import array

from podfw.link import flashlog


class PowerCut(Exception):
    pass


class CuttingStorage:
    """Wraps a real storage. After arm_append(k) the next append writes only the first k
    bytes of its data and the power goes off; after arm_remove() the next remove never
    happens. Once off, every call raises PowerCut, like a pod that has lost power."""

    def __init__(self, inner):
        self.inner = inner
        self.append_cut = None
        self.budget = None  # bytes the appends may still write before the power goes
        self.remove_cut = False
        self.off = False

    def arm_append(self, keep):
        self.append_cut = keep

    def arm_budget(self, keep):
        """The power goes once the appends from now on have written `keep` bytes."""
        self.budget = keep

    def arm_remove(self):
        self.remove_cut = True

    def _alive(self):
        if self.off:
            raise PowerCut()

    def segments(self):
        self._alive()
        return self.inner.segments()

    def size(self, first):
        self._alive()
        return self.inner.size(first)

    def read(self, first, offset, buf):
        self._alive()
        return self.inner.read(first, offset, buf)

    def append(self, first, data):
        self._alive()
        if self.budget is not None and len(data) > self.budget:
            self.append_cut = self.budget
        elif self.budget is not None:
            self.budget -= len(data)
        if self.append_cut is not None:
            if self.append_cut:
                self.inner.append(first, data[:self.append_cut])
            self.off = True
            raise PowerCut()
        self.inner.append(first, data)

    def remove(self, first):
        self._alive()
        if self.remove_cut:
            self.off = True
            raise PowerCut()
        self.inner.remove(first)

    def read_id(self):
        self._alive()
        return self.inner.read_id()

    def write_id(self, log_id):
        self._alive()
        self.inner.write_id(log_id)


def scratch_dir():
    path = "/tmp/stridepod-fwtest-" + "".join("%02x" % b for b in os.urandom(6))
    os.mkdir(path)
    return path


def remove_tree(path):
    for name in os.listdir(path):
        os.remove(path + "/" + name)
    os.rmdir(path)


def fresh_storage():
    return flashlog.FileStorage(scratch_dir())


class ScratchStorage:
    """`with ScratchStorage() as storage:` a fresh_storage() removed on the way out."""

    def __enter__(self):
        self.storage = fresh_storage()
        return self.storage

    def __exit__(self, *exc_info):
        remove_tree(self.storage.root)


def _scratch_file():
    return "/tmp/stridepod-flash-" + "".join("%02x" % b for b in os.urandom(6))


def _copy(src, dst, block_size):
    buf = bytearray(block_size)
    while True:
        n = src.readinto(buf)
        if not n:
            return
        dst.write(memoryview(buf)[:n])


class FileBlockDevice:
    """Block device for os.VfsLfs2 that counts erases (flash wear). Its flash is a
    scratch file (unlinked once open, so nothing stays behind), not a bytearray: the
    pod's flash is not heap, and the tests run with the pod's heap budget. `image` (a
    file written by snapshot()) gives its first contents, else it starts zeroed."""

    def __init__(self, block_size, blocks, image=None):
        self.block_size = block_size
        self.blocks = blocks
        self.erases = 0
        self.erased = array("H", bytes(2 * blocks))  # erases of each block
        path = _scratch_file()
        with open(path, "wb") as f:
            if image is None:
                zeros = bytearray(block_size)
                for _ in range(blocks):
                    f.write(zeros)
            else:
                with open(image, "rb") as src:
                    _copy(src, f, block_size)
        self.file = open(path, "r+b")
        os.remove(path)

    def readblocks(self, block, buf, offset=0):
        self.file.seek(block * self.block_size + offset)
        self.file.readinto(buf)

    def writeblocks(self, block, buf, offset=None):
        self.file.seek(block * self.block_size + (offset or 0))
        self.file.write(buf)

    def ioctl(self, op, arg):
        if op == 4:  # block count
            return self.blocks
        if op == 5:  # block size
            return self.block_size
        if op == 6:  # erase
            self.erases += 1
            self.erased[arg] += 1
            return 0
        return None

    def snapshot(self):
        """What the flash holds now, as a file for FileBlockDevice(image=...); the
        caller removes it (os.remove) when done."""
        path = _scratch_file()
        self.file.seek(0)
        with open(path, "wb") as f:
            _copy(self.file, f, self.block_size)
        return path


class CuttableBlockDevice(FileBlockDevice):
    """A flash that photographs itself when the power would go: the write that crosses
    `budget` programmed bytes programs only its first bytes, and `image` keeps what the
    flash holds at that instant (a snapshot file). The device goes on working afterwards
    so littlefs can finish normally; tests mount `after_cut()`, which is the state a pod
    finds when it boots after the cut."""

    def __init__(self, image, blocks, budget=None):
        FileBlockDevice.__init__(self, 4096, blocks, image)
        self.budget = budget
        self.attempted = 0  # bytes littlefs asked to program since the budget was set
        self.image = None

    def writeblocks(self, block, buf, offset=None):
        if self.budget is not None and self.image is None:
            room = self.budget - self.attempted
            self.attempted += len(buf)
            if len(buf) > room:
                if room > 0:
                    FileBlockDevice.writeblocks(self, block, memoryview(buf)[:room], offset)
                self.image = self.snapshot()
        FileBlockDevice.writeblocks(self, block, buf, offset)

    def after_cut(self):
        """A snapshot file of the flash at the cut (or now, if the budget was never
        reached); the caller removes it."""
        if self.image is not None:
            return self.image
        return self.snapshot()


def mount_littlefs(blocks, mount_point):
    device = FileBlockDevice(4096, blocks)
    os.VfsLfs2.mkfs(device)
    os.mount(os.VfsLfs2(device), mount_point)
    return device
