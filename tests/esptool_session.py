#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Whole esptool sessions through pyserial's RFC 2217 client, for
test_serve_sessions.c and test_observe_sessions.c: the line changes and
waits are esptool's (esptool/reset.py: ClassicReset with its reset delay,
DEFAULT_RESET_DELAY 0.05 s or 0.55 s with the extra delay of its connect
loop, loader.py _construct_reset_strategy_sequence; HardReset, what
--after hard_reset runs; _setRTS writes DTR again after each RTS change),
the frames are its SYNC and its chip-detect READ_REG (loader.py sync(),
CHIP_DETECT_MAGIC_REG_ADDR).

usage: esptool_session.py MODE URL
  connect-hard-reset  ClassicReset (0.05 s), SYNC until answered, READ_REG, at
                      once HardReset, close; exit 0 when SYNC was answered
  connect-fail        the same connect, no hard reset, close; exit 2 (a tool
                      that failed after connecting)
  slow-reset          ClassicReset with the 0.55 s delay, one SYNC, close
  runs6               six times: open, 0.4 s, ClassicReset, SYNC until
                      answered, close, 0.4 s
  talk-then-close     open, 0.4 s, SYNC (no reset), 0.5 s, then clear DTR and
                      RTS in Windows' order (DTR first) and close
prints one JSON line per connect: {"sync": bool, "magic": "0x..." or null}
"""
import json
import struct
import sys
import time

import serial

SYNC = 0x08
READ_REG = 0x0A
CHIP_DETECT_MAGIC_REG_ADDR = 0x40001000  # esptool loader.py


def slip(packet):
    return b"\xc0" + packet.replace(b"\xdb", b"\xdb\xdd").replace(b"\xc0", b"\xdb\xdc") + b"\xc0"


def request(op, data):
    return slip(struct.pack("<BBHI", 0x00, op, len(data), 0) + data)


def sync_request():
    # esptool loader.py sync(): 0x07 0x07 0x12 0x20 then 32 x 0x55
    return request(SYNC, b"\x07\x07\x12\x20" + 32 * b"\x55")


def read_reg_value(reply):
    for frame in reply.split(b"\xc0"):
        f = frame.replace(b"\xdb\xdc", b"\xc0").replace(b"\xdb\xdd", b"\xdb")
        if len(f) >= 8 and f[0] == 0x01 and f[1] == READ_REG:
            return struct.unpack("<I", f[4:8])[0]
    return None


def set_rts(port, state):  # esptool's _setRTS
    port.rts = state
    port.dtr = port.dtr


def classic_reset(port, delay):
    port.dtr = False  # IO0=HIGH
    set_rts(port, True)  # EN=LOW, chip in reset
    time.sleep(0.1)
    port.dtr = True  # IO0=LOW
    set_rts(port, False)  # EN=HIGH, chip out of reset
    time.sleep(delay)
    port.dtr = False  # IO0=HIGH, done


def hard_reset(port):  # esptool's HardReset, uses_usb False
    set_rts(port, True)  # EN->LOW
    time.sleep(0.1)
    set_rts(port, False)


def read_for(port, seconds, until=None):
    """What the chip sends for `seconds`, or until a whole response frame
    to command `until` is in."""
    out = b""
    end = time.monotonic() + seconds
    marker = None if until is None else bytes([0xC0, 0x01, until])
    while time.monotonic() < end and (marker is None or marker not in out or
                                      out.find(b"\xc0", out.find(marker) + 1) < 0):
        out += port.read(port.in_waiting or 1)
    return out


def connect(port, tries):
    """SYNC until the ROM answers (up to `tries`), then esptool's chip
    detection; one JSON line."""
    port.reset_input_buffer()
    synced = False
    for _ in range(tries):
        port.write(sync_request())
        if b"\xc0\x01\x08" in read_for(port, 0.1, SYNC):
            synced = True
            break
    magic = None
    if synced:
        time.sleep(0.02)
        port.reset_input_buffer()
        port.write(request(READ_REG, struct.pack("<I", CHIP_DETECT_MAGIC_REG_ADDR)))
        magic = read_reg_value(read_for(port, 0.2, READ_REG))
    print(json.dumps({"sync": synced, "magic": None if magic is None else "0x%08x" % magic}), flush=True)
    return synced


def main():
    mode, url = sys.argv[1], sys.argv[2]
    port = serial.serial_for_url(url, baudrate=115200, timeout=0.02)  # asserts DTR, then RTS
    if mode in ("connect-hard-reset", "connect-fail"):
        time.sleep(0.4)
        classic_reset(port, 0.05)
        synced = connect(port, 7)
        if mode == "connect-fail":
            port.close()
            sys.exit(2)
        hard_reset(port)
        port.close()
        sys.exit(0 if synced else 1)
    elif mode == "slow-reset":
        time.sleep(0.4)
        classic_reset(port, 0.55)
        connect(port, 1)
    elif mode == "runs6":
        for n in range(6):
            if n > 0:
                port = serial.serial_for_url(url, baudrate=115200, timeout=0.02)
            time.sleep(0.4)
            classic_reset(port, 0.05)
            connect(port, 7)
            port.close()
            time.sleep(0.4)
        return
    elif mode == "talk-then-close":
        time.sleep(0.4)
        port.write(sync_request())
        read_for(port, 0.2)
        time.sleep(0.5)
        port.dtr = False
        port.rts = False
    else:
        sys.exit("mode: connect-hard-reset, connect-fail, slow-reset, runs6 or talk-then-close")
    port.close()


if __name__ == "__main__":
    main()
