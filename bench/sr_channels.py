#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""The virtual analyzer's session (DTR, RTS, EN, IO0, RX: one byte a sample)
as a 4- or 8-channel capture, for bench/run's analysis group.

  4: DTR, RTS, EN, IO0 (RX's bit cleared from every sample)
  8: the five, then D5..D7 idle, as the unused probes of an 8-channel
     fx2lafw analyzer record them

  16: the eight, then D8..D15 idle, two bytes a sample (unitsize 2), as a
     DSLogic or Logic16 records them

4 and 8 stay one byte a sample (srzip's unitsize 1 holds up to 8 channels).
Deflate level 6, as libsigrok's srzip output writes.
  usage: sr_channels.py IN.sr OUT.sr 4|8|16
"""
import configparser
import io
import sys
import zipfile


def metadata(text, channels):
    ini = configparser.ConfigParser(interpolation=None)
    ini.optionxform = str
    ini.read_string(text)
    dev = ini["device 1"]
    names = [dev[f"probe{i}"] for i in range(1, int(dev["total probes"]) + 1)]
    names = names[:4] if channels == 4 else names + [f"D{i}" for i in range(len(names), channels)]
    for key in [k for k in dev if k.startswith("probe")]:
        del dev[key]
    dev["total probes"] = str(len(names))
    for i, name in enumerate(names, 1):
        dev[f"probe{i}"] = name
    out = io.StringIO()
    if channels == 16:
        dev["unitsize"] = "2"
    ini.write(out, space_around_delimiters=False)
    return out.getvalue()


def main():
    src, dst, channels = sys.argv[1], sys.argv[2], int(sys.argv[3])
    if channels not in (4, 8, 16):
        sys.exit("sr_channels.py: channels must be 4, 8 or 16")
    clear_rx = bytes(b & 0x0F for b in range(256))
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w", zipfile.ZIP_DEFLATED, compresslevel=6) as zout:
        for name in zin.namelist():
            data = zin.read(name)
            if name == "metadata":
                data = metadata(data.decode(), channels).encode()
            elif name.startswith("logic-") and channels == 4:
                data = data.translate(clear_rx)
            elif name.startswith("logic-") and channels == 16:
                wide = bytearray(2 * len(data))
                wide[0::2] = data
                data = bytes(wide)
            zout.writestr(name, data)


if __name__ == "__main__":
    main()
