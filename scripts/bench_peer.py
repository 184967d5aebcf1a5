"""The peer `make bench` sets stationd's idle memory beside: barcode-server (PyPI; Python,
evdev and aiohttp), a daemon that reads USB barcode scanners through evdev and serves
what they read, idle with the same two replayed scanners as stationd. It lives in a venv
of its own under .build (created once, pinned), and reads the devices through the same
umockdev descriptions; python-evdev asks each device's identity and capabilities with
ioctls the descriptions do not hold, so their answers are written from each description
(its name and USB ids), as the kernel would give them for a keyboard."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

PEER = "barcode-server"
PEER_VERSION = "2.4.1"


def venv(root):
    """barcode-server's executable in .build/venv-bench, installed when missing."""
    path = os.path.join(root, ".build", "venv-bench")
    exe, python = os.path.join(path, "bin", PEER), os.path.join(path, "bin", "python")
    check = f"import importlib.metadata as m, sys; sys.exit(m.version('{PEER}') != '{PEER_VERSION}')"
    if not (os.path.exists(exe) and subprocess.run([python, "-c", check], capture_output=True).returncode == 0):
        subprocess.run(["python3", "-m", "venv", path], check=True)
        subprocess.run([os.path.join(path, "bin", "pip"), "install", "--quiet", "--disable-pip-version-check", f"{PEER}=={PEER_VERSION}"],
                       check=True)
    return exe


def evdev_ioctls(description):
    """(device node, umockdev ioctl file text) for a keyboard-wedge scanner's description:
    the ioctls python-evdev opens a device with, each answer padded to the size it asks."""
    text = open(description).read()
    node = re.search(r"^E: DEVNAME=(/dev/input/event\d+)$", text, re.M).group(1)
    name = re.search(r'^E: NAME="(.*)"$', text, re.M).group(1)
    bus, vendor, product, version = (int(x, 16) for x in re.search(r"^E: PRODUCT=(\w+)/(\w+)/(\w+)/(\w+)$", text, re.M).groups())

    def le16(v):
        return f"{v & 0xff:02X}{v >> 8:02X}"

    def string(value):
        data = value.encode() + bytes(1)
        return f"{len(data)} {data.ljust(256, bytes(1)).hex().upper()}"

    def bits(size, *numbers):
        data = bytearray(size)
        for n in numbers:
            data[n // 8] |= 1 << (n % 8)
        return data.hex().upper()

    ev_types = (0, 1, 4, 17, 20)  # EV_SYN, EV_KEY, EV_MSC, EV_LED, EV_REP
    lines = [
        "EVIOCGVERSION 0 01000100",
        f"EVIOCGID 0 {le16(bus)}{le16(vendor)}{le16(product)}{le16(version)}",
        f"EVIOCGNAME(0) {string(name)}",
        f"EVIOCGPHYS(0) {string('usb-0000:00:14.0-1/input0')}",
        f"EVIOCGUNIQ(0) {string('')}",
        # The event types (4 bytes asked), then each type's codes (96 bytes asked).
        f"EVIOCGBIT(0) 8 {bits(4, *ev_types)}",
        f"EVIOCGBIT(0) 8 {bits(96, *ev_types)}",
        f"EVIOCGBIT(1) 96 {bits(96, *range(1, 128))}",
        f"EVIOCGBIT(4) 8 {bits(96, 4)}",
        f"EVIOCGBIT(17) 8 {bits(96, *range(5))}",
        f"EVIOCGBIT(20) 8 {bits(96, 0, 1)}",
        f"EVIOCGPROP(0) 8 {bits(8)}",
        "EVIOCGREP 0 FA00000021000000",
        "EVIOCGEFFECTS 0 00000000",
    ]
    return node, "\n".join(lines) + "\n"


def start(root, devices, work):
    """barcode-server under umockdev-run with `devices` (description paths), serving on a
    free loopback port; returns the umockdev-run process."""
    exe = venv(root)
    ports = []
    for _ in range(2):
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            ports.append(s.getsockname()[1])
    with open(os.path.join(work, "barcode_server.yaml"), "w") as f:
        f.write(f"barcode_server:\n  log_level: WARNING\n  server:\n    host: 127.0.0.1\n    port: {ports[0]}\n"
                f"  stats:\n    port: {ports[1]}\n  devices:\n    - \".*\"\n")
    argv = ["umockdev-run"]
    for i, d in enumerate(devices):
        node, ioctls = evdev_ioctls(d)
        answers = os.path.join(work, f"device-{i}.ioctl")
        with open(answers, "w") as f:
            f.write(ioctls)
        argv += ["-d", d, "-i", f"{node}={answers}"]
    argv += ["--", exe, "run"]
    return subprocess.Popen(argv, cwd=work, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)


def wait_open(pid, count, timeout=60):
    """Until the process holds `count` scanners open (umockdev's input nodes are
    pseudo-terminals; the process's own standard streams are not); False when it does not
    within `timeout`."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        held = set()
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                target = os.readlink(f"/proc/{pid}/fd/{fd}")
            except OSError:
                continue
            if int(fd) > 2 and target.startswith("/dev/pts/"):
                held.add(target)
        if len(held) >= count:
            return True
        time.sleep(0.2)
    return False
