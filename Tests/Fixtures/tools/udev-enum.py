#!/usr/bin/env python3
"""List udev devices through libudev (ctypes, stdlib only), for debugging fixtures.

Meant to run inside a umockdev testbed, where udevadm is absent or does not see the
mocked devices:

    umockdev-run -d Tests/Fixtures/devices/newland-hr200-kbd.umockdev -- \\
        python3 Tests/Fixtures/tools/udev-enum.py --subsystem input

Options:
    --subsystem S        only devices of subsystem S (repeatable)
    --property K=V       only devices with property K equal to V (repeatable)
    --keys K1,K2,...     print only these properties (default: all of them)
    --parents            also print the usb_interface / usb_device parents' attributes
    --brief              one line per device: devnode, ID_VENDOR_ID:ID_MODEL_ID, ID_SERIAL
    --monitor SECONDS    instead of enumerating, listen on a "udev" monitor for that long
                         and print each event (action, devnode, syspath)
"""
import argparse
import ctypes
import ctypes.util
import select
import sys
import time

lib = ctypes.CDLL(ctypes.util.find_library("udev") or "libudev.so.1")
P, S, I = ctypes.c_void_p, ctypes.c_char_p, ctypes.c_int


def fn(name, res, *args):
    f = getattr(lib, name)
    f.restype, f.argtypes = res, list(args)
    return f


udev_new = fn("udev_new", P)
enum_new = fn("udev_enumerate_new", P, P)
enum_sub = fn("udev_enumerate_add_match_subsystem", I, P, S)
enum_prop = fn("udev_enumerate_add_match_property", I, P, S, S)
enum_scan = fn("udev_enumerate_scan_devices", I, P)
enum_list = fn("udev_enumerate_get_list_entry", P, P)
entry_next = fn("udev_list_entry_get_next", P, P)
entry_name = fn("udev_list_entry_get_name", S, P)
entry_value = fn("udev_list_entry_get_value", S, P)
dev_from_syspath = fn("udev_device_new_from_syspath", P, P, S)
dev_unref = fn("udev_device_unref", P, P)
dev_syspath = fn("udev_device_get_syspath", S, P)
dev_devnode = fn("udev_device_get_devnode", S, P)
dev_subsystem = fn("udev_device_get_subsystem", S, P)
dev_devtype = fn("udev_device_get_devtype", S, P)
dev_action = fn("udev_device_get_action", S, P)
dev_props = fn("udev_device_get_properties_list_entry", P, P)
dev_links = fn("udev_device_get_devlinks_list_entry", P, P)
dev_prop = fn("udev_device_get_property_value", S, P, S)
dev_sysattr = fn("udev_device_get_sysattr_value", S, P, S)
dev_parent_st = fn("udev_device_get_parent_with_subsystem_devtype", P, P, S, S)
mon_new = fn("udev_monitor_new_from_netlink", P, P, S)
mon_filter = fn("udev_monitor_filter_add_match_subsystem_devtype", I, P, S, S)
mon_enable = fn("udev_monitor_enable_receiving", I, P)
mon_fd = fn("udev_monitor_get_fd", I, P)
mon_receive = fn("udev_monitor_receive_device", P, P)


def s(b):
    return None if b is None else b.decode("utf-8", "replace")


def entries(first):
    e = first
    while e:
        yield s(entry_name(e)), s(entry_value(e))
        e = entry_next(e)


def print_device(dev, args):
    devnode = s(dev_devnode(dev))
    if args.brief:
        print("%-22s %s:%s %s" % (devnode, s(dev_prop(dev, b"ID_VENDOR_ID")),
                                 s(dev_prop(dev, b"ID_MODEL_ID")), s(dev_prop(dev, b"ID_SERIAL"))))
        return
    print("P: %s" % s(dev_syspath(dev)))
    print("   subsystem=%s devtype=%s devnode=%s" % (s(dev_subsystem(dev)), s(dev_devtype(dev)), devnode))
    for name, _ in entries(dev_links(dev)):
        print("   S: %s" % name)
    keys = args.keys.split(",") if args.keys else None
    for name, value in entries(dev_props(dev)):
        if keys is None or name in keys:
            print("   E: %s=%s" % (name, value))
    if args.parents:
        for sub, typ, attrs in (("usb", "usb_interface", ("bInterfaceClass", "bInterfaceNumber")),
                                ("usb", "usb_device", ("idVendor", "idProduct", "serial", "manufacturer",
                                                       "product", "busnum", "devnum", "power/control"))):
            parent = dev_parent_st(dev, sub.encode(), typ.encode())  # borrowed reference
            if not parent:
                print("   parent %s: none" % typ)
                continue
            vals = " ".join("%s=%s" % (a, s(dev_sysattr(parent, a.encode()))) for a in attrs)
            print("   parent %s %s: DRIVER=%s %s" % (typ, s(dev_syspath(parent)),
                                                  s(dev_prop(parent, b"DRIVER")), vals))
    print()


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--subsystem", action="append", default=[])
    ap.add_argument("--property", action="append", default=[])
    ap.add_argument("--keys")
    ap.add_argument("--parents", action="store_true")
    ap.add_argument("--brief", action="store_true")
    ap.add_argument("--monitor", type=float)
    args = ap.parse_args()

    udev = udev_new()
    if args.monitor is not None:
        mon = mon_new(udev, b"udev")
        for sub in args.subsystem:
            mon_filter(mon, sub.encode(), None)
        if mon_enable(mon) < 0:
            sys.exit("udev_monitor_enable_receiving failed")
        fd = mon_fd(mon)
        end = time.monotonic() + args.monitor
        while (left := end - time.monotonic()) > 0:
            if select.select([fd], [], [], left)[0]:
                dev = mon_receive(mon)
                if dev:
                    print("%.3f %s %s %s" % (time.monotonic(), s(dev_action(dev)),
                                             s(dev_devnode(dev)), s(dev_syspath(dev))), flush=True)
                    dev_unref(dev)
        return

    en = enum_new(udev)
    for sub in args.subsystem:
        enum_sub(en, sub.encode())
    for kv in args.property:
        k, _, v = kv.partition("=")
        enum_prop(en, k.encode(), v.encode())
    enum_scan(en)
    count = 0
    for syspath, _ in entries(enum_list(en)):
        dev = dev_from_syspath(udev, syspath.encode())
        if not dev:
            print("cannot open %s" % syspath, file=sys.stderr)
            continue
        print_device(dev, args)
        dev_unref(dev)
        count += 1
    print("%d device(s)" % count, file=sys.stderr)


if __name__ == "__main__":
    main()
