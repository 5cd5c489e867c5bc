#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""esptool's classic reset and connect, through pyserial's RFC 2217 client.

Reproduces espressif/esptool issue #383 against `resetlab serve`: the reset
below is esptool's ClassicReset (esptool/reset.py), with esptool's _setRTS,
which writes DTR again after every RTS change (a Windows driver workaround,
sent over the network as one more SET-CONTROL). pyserial's client waits for
each SET-CONTROL's acknowledgement, polling every 50 ms; with
?ign_set_control it sleeps 100 ms instead (serial/rfc2217.py,
rfc2217_set_control). Then, as esptool's connect does, the script reads the
ROM's output and sends SYNC.

usage: esptool_classic_rfc2217.py URL ATTEMPTS
prints one JSON line per attempt: {"attempt", "boot", "sync", "magic", "reset_ms"}; "magic" is
the chip-detect word esptool reads (READ_REG 0x40001000) once SYNC was answered
"""
import json
import re
import struct
import sys
import time

import serial

SYNC = 0x08
READ_REG = 0x0A
CHIP_DETECT_MAGIC_REG_ADDR = 0x40001000  # esptool loader.py


def slip(packet):
    return b"\xc0" + packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


def sync_request():
    # esptool loader.py sync(): 0x07 0x07 0x12 0x20 then 32 x 0x55
    data = b"\x07\x07\x12\x20" + 32 * b"\x55"
    return slip(struct.pack("<BBHI", 0x00, SYNC, len(data), 0) + data)


def read_reg_request(addr):
    data = struct.pack("<I", addr)
    return slip(struct.pack("<BBHI", 0x00, READ_REG, len(data), 0) + data)


def unslip(frame):
    return frame.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")


def read_reg_value(reply):
    """The value of the first READ_REG response in the bytes, or None."""
    for frame in reply.split(b"\xc0"):
        f = unslip(frame)
        if len(f) >= 8 and f[0] == 0x01 and f[1] == READ_REG:
            return struct.unpack("<I", f[4:8])[0]
    return None


def classic_reset(port):
    def set_rts(state):  # esptool's _setRTS
        port.rts = state
        port.dtr = port.dtr

    t0 = time.monotonic()
    port.dtr = False  # IO0=HIGH
    set_rts(True)  # EN=LOW, chip in reset
    time.sleep(0.1)
    port.dtr = True  # IO0=LOW
    set_rts(False)  # EN=HIGH, chip out of reset
    time.sleep(0.05)  # esptool's DEFAULT_RESET_DELAY
    port.dtr = False  # IO0=HIGH, done
    return (time.monotonic() - t0) * 1e3


def read_for(port, seconds):
    out = b""
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        out += port.read(port.in_waiting or 1)
    return out


def main():
    url, attempts = sys.argv[1], int(sys.argv[2])
    port = serial.serial_for_url(url, baudrate=115200, timeout=0.05)
    for n in range(1, attempts + 1):
        port.reset_input_buffer()
        ms = classic_reset(port)
        banner = read_for(port, 0.15).decode("latin-1")
        boots = re.findall(r"boot:(0x[0-9a-fA-F]+) \(([A-Z_]+)", banner)
        port.write(sync_request())
        reply = read_for(port, 0.2)
        # a SYNC response: c0 01 08 ...
        synced = b"\xc0\x01\x08" in reply
        magic = None
        if synced:  # esptool's chip detection
            port.reset_input_buffer()
            port.write(read_reg_request(CHIP_DETECT_MAGIC_REG_ADDR))
            magic = read_reg_value(read_for(port, 0.1))
        print(json.dumps({"attempt": n, "boot": boots[-1][1] if boots else None, "sync": synced,
                          "magic": None if magic is None else "0x%08x" % magic, "reset_ms": round(ms, 1)}),
              flush=True)
        time.sleep(0.1)
    port.close()


if __name__ == "__main__":
    main()
