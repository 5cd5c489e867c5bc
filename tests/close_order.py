#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""Opens a port with pyserial, waits, clears the lines in a tool's order and
closes: `windows` clears DTR then RTS (pyserial's close on Windows, where
the driver drops DTR first), `mpremote` clears RTS then DTR (mpremote's
close, made to avoid resetting the board).

usage: close_order.py windows|mpremote URL
"""
import sys
import time

import serial

order, url = sys.argv[1], sys.argv[2]
port = serial.serial_for_url(url, baudrate=115200)  # pyserial asserts DTR and RTS as it opens
time.sleep(0.5)
if order == "windows":
    port.dtr = False
    port.rts = False
elif order == "mpremote":
    port.rts = False
    port.dtr = False
else:
    sys.exit("order: windows or mpremote")
port.close()
