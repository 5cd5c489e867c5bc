#!/usr/bin/python3
# SPDX-License-Identifier: GPL-3.0-or-later
"""A real RFC 2217 server for test_port_rfc2217: pyserial's own
serial.rfc2217.PortManager over a loop:// port (loop:// accepts DTR/RTS and
echoes data; a pty has no modem lines).

usage: rfc2217_peer.py MODE LOGFILE
  MODE portmanager  pyserial's server; logs "<monotonic ns> DTR 1", "RTS 0",
                    "BAUD 115200" and "DATA <hex>" lines to LOGFILE
  MODE no-agree     reads everything, never agrees to COM-PORT-OPTION
  MODE no-control   agrees, answers SET-BAUDRATE, ignores SET-CONTROL (as
                    ser2net on a pty does)
  MODE wrong-value  agrees, answers SET-BAUDRATE, answers every SET-CONTROL
                    with 8 (DTR on) whatever was asked
  MODE hang-up      agrees, then closes the connection at the first command
Binds 127.0.0.1 on a free port and prints "port N" on stdout. Serves one
connection at a time until killed."""
import socket
import sys
import threading
import time

MODE, LOGFILE = sys.argv[1], sys.argv[2]
log_lock = threading.Lock()
log_file = open(LOGFILE, "a", buffering=1)


def log(text):
    with log_lock:
        log_file.write(f"{time.monotonic_ns()} {text}\n")


if MODE == "portmanager":  # imported before listening, so no client waits for it
    import serial.rfc2217
    from serial.urlhandler.protocol_loop import Serial as LoopSerial


def serve_portmanager(conn):
    class LoggingLoop(LoopSerial):
        """loop:// that logs each line change as it is applied."""

        def _update_dtr_state(self):
            log(f"DTR {int(self._dtr_state)}")

        def _update_rts_state(self):
            log(f"RTS {int(self._rts_state)}")

        def _reconfigure_port(self):
            super()._reconfigure_port()
            if self.is_open:
                log(f"BAUD {self._baudrate}")

        def write(self, data):
            log(f"DATA {bytes(data).hex()}")
            return super().write(data)

    ser = LoggingLoop(None)
    ser.timeout = 0.05
    ser.port = "loop://"
    ser.open()
    send_lock = threading.Lock()

    class Sender:
        def write(self, data):
            with send_lock:
                conn.sendall(data)

    manager = serial.rfc2217.PortManager(ser, Sender())
    alive = True

    def echo_back():
        while alive:
            data = ser.read(ser.in_waiting or 1)
            if data:
                try:
                    Sender().write(b"".join(manager.escape(data)))
                except OSError:
                    return

    echo = threading.Thread(target=echo_back, daemon=True)
    echo.start()
    try:
        while True:
            data = conn.recv(4096)
            if not data:
                break
            payload = b"".join(manager.filter(data))
            if payload:
                ser.write(payload)
    except OSError:
        pass
    alive = False
    echo.join()
    ser.close()


IAC, SB, SE, DO, COM_PORT = 255, 250, 240, 253, 44


def commands(conn):
    """Yields (command, value bytes) of each COM-PORT subnegotiation the
    client sends; enough for the fixed commands our client sends."""
    buf = b""
    while True:
        data = conn.recv(4096)
        if not data:
            return
        buf += data
        while True:
            start = buf.find(bytes([IAC, SB, COM_PORT]))
            end = buf.find(bytes([IAC, SE]), start + 3)
            if start < 0 or end < 0:
                break
            body = buf[start + 3:end].replace(bytes([IAC, IAC]), bytes([IAC]))
            buf = buf[end + 2:]
            yield body[0], body[1:]


def answer(conn, command, value):
    conn.sendall(bytes([IAC, SB, COM_PORT, command + 100]) + value.replace(b"\xff", b"\xff\xff") + bytes([IAC, SE]))


def serve_scripted(conn):
    if MODE == "no-agree":
        while conn.recv(4096):
            pass
        return
    conn.sendall(bytes([IAC, DO, COM_PORT]))
    for command, value in commands(conn):
        log(f"COMMAND {command} {value.hex()}")
        if MODE == "hang-up":
            return
        if command == 1:
            answer(conn, command, value)
        elif command == 5 and MODE == "wrong-value":
            answer(conn, command, bytes([8]))


def main():
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(1)
    print("port", srv.getsockname()[1], flush=True)
    serve = serve_portmanager if MODE == "portmanager" else serve_scripted
    while True:
        conn, _ = srv.accept()
        conn.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        log("CONNECT")
        serve(conn)
        conn.close()
        log("DISCONNECT")


if __name__ == "__main__":
    main()
