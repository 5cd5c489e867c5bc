# SPDX-License-Identifier: GPL-3.0-or-later
"""pyserial on `resetlab serve --tty`'s port, under the preload library
(tests/test_tty.c): each mode does what one test checks and prints what it
saw, one `key value` a line.

usage: tty_client.py MODE PORT [ARG]
  lines      TIOCMSET (DTR alone) in one call, then TIOCMBIS RTS and TIOCMBIC
             DTR, TIOCMGET after each; the close drops the lines
  tight      esptool's UnixTightReset (esptool/reset.py, v4.12.0), then
             SYNC; prints the answer's bytes
  baud       opens at 115200, then sets 921600 (tcsetattr)
  gone PID   opens, stops the server (SIGTERM to PID), then TIOCMSET
  twice      opens the port, then opens it again while it is held
  die        opens, TIOCMSET DTR alone, then exits without closing the port
  other      TIOCMSET on another pty (os.openpty): Linux's own answer
  idle       opens, waits 1.5 s without driving the board, then TIOCMSET
  usb        finds the port's USB ids as esptool's _get_pid does (pyserial's
             list_ports by device path), prints them; with PID 0x1001
             esptool's USBJTAGSerialReset (esptool/reset.py, v4.12.0), then
             SYNC; prints the answer's bytes
"""
import errno
import fcntl
import os
import signal
import struct
import sys
import termios
import time

import serial


def mset(s, bits):
    fcntl.ioctl(s.fileno(), termios.TIOCMSET, struct.pack('I', bits))


def mget(s):
    return struct.unpack('I', fcntl.ioctl(s.fileno(), termios.TIOCMGET, struct.pack('I', 0)))[0]


def lines(port):
    s = serial.Serial(port, 115200)
    print('open', mget(s))
    mset(s, termios.TIOCM_DTR)
    print('mset', mget(s))
    fcntl.ioctl(s.fileno(), termios.TIOCMBIS, struct.pack('I', termios.TIOCM_RTS))
    fcntl.ioctl(s.fileno(), termios.TIOCMBIC, struct.pack('I', termios.TIOCM_DTR))
    print('bis-bic', mget(s))
    s.close()


def dtr_rts(s, dtr, rts):
    # esptool's _setDTRandRTS: TIOCMGET, then one TIOCMSET
    bits = mget(s)
    bits = (bits | termios.TIOCM_DTR) if dtr else (bits & ~termios.TIOCM_DTR)
    bits = (bits | termios.TIOCM_RTS) if rts else (bits & ~termios.TIOCM_RTS)
    mset(s, bits)


SYNC = bytes([0xC0, 0x00, 0x08, 0x24, 0, 0, 0, 0, 0, 0x07, 0x07, 0x12, 0x20] + [0x55] * 32 + [0xC0])


def tight(port):
    s = serial.Serial(port, 115200, timeout=0.5)
    dtr_rts(s, False, False)
    dtr_rts(s, True, True)
    dtr_rts(s, False, True)
    time.sleep(0.1)
    dtr_rts(s, True, False)
    time.sleep(0.05)
    dtr_rts(s, False, False)
    s.dtr = False
    time.sleep(0.2)
    s.reset_input_buffer()
    s.write(SYNC)
    got = s.read(64)
    print('answer', got.hex())
    s.close()


def baud(port):
    s = serial.Serial(port, 115200)
    s.baudrate = 921600
    s.close()


def gone(port, pid):
    s = serial.Serial(port, 115200)
    os.kill(pid, signal.SIGTERM)
    time.sleep(1.0)
    try:
        mset(s, termios.TIOCM_DTR)
        print('mset ok')
    except OSError as e:
        print('mset errno', e.errno)
    try:
        mset(s, 0)
        print('again ok')
    except OSError as e:
        print('again errno', e.errno)


def die(port):
    s = serial.Serial(port, 115200)
    mset(s, termios.TIOCM_DTR)
    sys.stdout.flush()
    os._exit(0)


def other(port):
    master, slave = os.openpty()
    try:
        mset(serial.Serial(os.ttyname(slave), 115200), termios.TIOCM_DTR)
        print('other ok')
    except (OSError, serial.SerialException) as e:
        print('other errno', e.errno)


def idle(port):
    s = serial.Serial(port, 115200)
    time.sleep(1.5)
    try:
        mset(s, termios.TIOCM_DTR)
        print('mset ok')
    except OSError as e:
        print('mset errno', e.errno)


def usb(port):
    from serial.tools import list_ports
    print('sysfs', os.environ.get('RESETLAB_TTY_SYSFS', 'none'))
    found = [p for p in list_ports.comports() if p.device == port]
    print('usb', ' '.join('%04x:%04x' % (p.vid or 0, p.pid or 0) for p in found) or 'none')
    if not found or found[0].pid != 0x1001:
        return
    s = serial.Serial(port, 115200, timeout=0.5)
    s.rts = False
    s.dtr = False  # idle
    time.sleep(0.1)
    s.dtr = True  # the download flag
    s.rts = False
    time.sleep(0.1)
    s.rts = True  # reset, through (1,1)
    s.dtr = False
    s.rts = True
    time.sleep(0.1)
    s.dtr = False
    s.rts = False  # out of reset
    time.sleep(0.2)
    s.reset_input_buffer()
    s.write(SYNC)
    print('answer', s.read(64).hex())
    s.close()


def twice(port):
    s = serial.Serial(port, 115200)
    try:
        serial.Serial(port, 115200)
        print('second opened')
    except serial.SerialException as e:
        print('second errno', e.errno)
    mset(s, termios.TIOCM_RTS)
    print('first still', mget(s))
    s.close()


if __name__ == '__main__':
    mode, port = sys.argv[1], sys.argv[2]
    if mode == 'gone':
        gone(port, int(sys.argv[3]))
    else:
        {'lines': lines, 'tight': tight, 'baud': baud, 'twice': twice, 'idle': idle, 'die': die, 'other': other,
         'usb': usb}[mode](port)
    sys.stdout.flush()
