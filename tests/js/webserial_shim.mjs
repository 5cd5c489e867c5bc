// SPDX-License-Identifier: GPL-3.0-or-later
// A Web Serial `SerialPort` for node, so that esptool-js's Transport (its
// src/webserial.ts) runs outside a browser. The Transport uses, of the Web
// Serial API: open({baudRate}), readable and writable (web streams),
// setSignals({dataTerminalReady, requestToSend}), getInfo() and close(), and
// the optional setBaudRate(baud), which changes the rate without a reopen.
//
// Two ports, each our own code:
//  - Rfc2217Port: a TCP connection that speaks telnet (RFC 854/855, BINARY
//    RFC 856, SUPPRESS-GO-AHEAD RFC 858) and COM-PORT-OPTION (RFC 2217) to
//    `resetlab serve`, or to any RFC 2217 server. Each SET-CONTROL and
//    SET-BAUDRATE waits for the server's answer, as a browser's setSignals()
//    waits for the USB request.
//  - LocalPort: a local serial port through node's `serialport` package
//    (open, TIOCMSET for the lines, termios for the rate).
//
// getInfo() gives the USB vendor and product IDs the caller passes, as a
// browser reports the USB device behind the port; esptool-js picks its reset
// by them (ESPLoader.constructResetSequence).

import net from "node:net";

// RFC 854 command bytes.
const IAC = 255, SB = 250, SE = 240, WILL = 251, WONT = 252, DO = 253, DONT = 254;
// Options: RFC 856 BINARY, RFC 858 SUPPRESS-GO-AHEAD, RFC 2217 COM-PORT-OPTION.
const OPT_BINARY = 0, OPT_SGA = 3, OPT_COM_PORT = 44;
const OPTIONS_WE_SPEAK = [OPT_BINARY, OPT_SGA, OPT_COM_PORT];
// RFC 2217 client commands; the server answers with command + 100.
const SET_BAUDRATE = 1, SET_CONTROL = 5, SERVER_OFFSET = 100;
// SET-CONTROL values (RFC 2217, SET-CONTROL).
const DTR_ON = 8, DTR_OFF = 9, RTS_ON = 11, RTS_OFF = 12;

// How long a command waits for its answer, and the connect and the
// COM-PORT-OPTION agreement for theirs. The slowest host profile in
// boards.yaml answers a request within ~120 ms; 3 s is ample.
export const ANSWER_TIMEOUT_MS = 3000;
// A COM-PORT subnegotiation longer than this is malformed (the longest the
// server sends is a SIGNATURE text).
const SB_MAX = 512;

function u32(n) {
  return [(n >>> 24) & 0xff, (n >>> 16) & 0xff, (n >>> 8) & 0xff, n & 0xff];
}

function portError(message, name = "NetworkError") {
  const e = new Error(message);
  e.name = name;
  return e;
}

// `rfc2217://HOST:PORT[?options]` → {host, port}.
export function parseRfc2217Url(url) {
  const m = /^rfc2217:\/\/(\[[^\]]+\]|[^:/?]+):(\d{1,5})(?:[/?].*)?$/.exec(url);
  if (!m || Number(m[2]) < 1 || Number(m[2]) > 65535)
    throw new Error(`${url}: expected rfc2217://HOST:PORT`);
  return { host: m[1].replace(/^\[|\]$/g, ""), port: Number(m[2]) };
}

// The streams both ports share: `readable` gets what arrives while it is
// open (a new one after a cancel, as Web Serial makes); `writable` hands each
// chunk to send(chunk), which resolves once the bytes are out.
class StreamedPort {
  #readable = null;
  #rx = null;
  #writable = null;
  opened = false;

  get readable() {
    if (!this.opened) return null;
    if (this.#readable === null) {
      this.#readable = new ReadableStream({
        start: (c) => {
          this.#rx = c;
        },
        cancel: () => {
          this.#rx = null;
          this.#readable = null;
        },
      });
    }
    return this.#readable;
  }

  get writable() {
    if (!this.opened) return null;
    if (this.#writable === null)
      this.#writable = new WritableStream({ write: (chunk) => this.send(Uint8Array.from(chunk)) });
    return this.#writable;
  }

  // Bytes from the device; dropped while nobody has the readable open.
  deliver(bytes) {
    if (this.#rx !== null && bytes.length) this.#rx.enqueue(bytes);
  }

  // The device is gone: readers see the stream end.
  endStreams() {
    if (this.#rx !== null) {
      try {
        this.#rx.close();
      } catch {
        // already closed
      }
    }
    this.#rx = null;
    this.#readable = null;
    this.#writable = null;
    this.opened = false;
  }
}

export class Rfc2217Port extends StreamedPort {
  #url;
  #info;
  #socket = null;
  #waiters = [];
  #sent = new Set(); // "verb opt" negotiations we sent, each at most once
  #agreed = null; // true: DO COM-PORT-OPTION; false: DONT
  #state = "data";
  #sb = [];
  #malformed = null;
  #closedError = null;
  lastAnswer = {};

  constructor(url, info = {}) {
    super();
    this.#url = parseRfc2217Url(url);
    this.#info = { ...info };
  }

  getInfo() {
    return { ...this.#info };
  }

  async open(options = {}) {
    if (this.#socket !== null) throw portError("The port is already open.", "InvalidStateError");
    const baud = options.baudRate;
    if (!Number.isInteger(baud) || baud <= 0) throw new TypeError(`baudRate ${baud}: a positive integer`);
    this.#closedError = null;
    this.#agreed = null;
    this.#sent.clear();
    this.#state = "data";
    await this.#connect();
    try {
      this.#negotiate(WILL, OPT_COM_PORT);
      this.#negotiate(WILL, OPT_BINARY);
      this.#negotiate(DO, OPT_BINARY);
      this.#negotiate(WILL, OPT_SGA);
      this.#negotiate(DO, OPT_SGA);
      await this.#waitFor(() => this.#agreed !== null, "DO COM-PORT-OPTION (RFC 2217)");
      if (!this.#agreed) throw portError(`${this.#where()}: the server refused RFC 2217 (DONT COM-PORT-OPTION)`);
      this.opened = true;
      void this.readable; // what arrives from now on waits for the first reader
      await this.#command(SET_BAUDRATE, u32(baud), `SET-BAUDRATE ${baud}`);
      // Linux raises DTR and RTS when a tty is opened (drivers/tty/tty_port.c,
      // tty_port_block_til_ready), so a browser's open on Linux leaves both on.
      await this.setSignals({ dataTerminalReady: true, requestToSend: true });
    } catch (e) {
      await this.close();
      throw e;
    }
  }

  // Web Serial: only the members given change.
  async setSignals(signals = {}) {
    this.#requireOpen("setSignals");
    if (signals.break) throw portError("break is not supported by this port", "NotSupportedError");
    const dtr = signals.dataTerminalReady, rts = signals.requestToSend;
    if (dtr !== undefined)
      await this.#command(SET_CONTROL, [dtr ? DTR_ON : DTR_OFF], `SET-CONTROL DTR ${dtr ? "on" : "off"}`);
    if (rts !== undefined)
      await this.#command(SET_CONTROL, [rts ? RTS_ON : RTS_OFF], `SET-CONTROL RTS ${rts ? "on" : "off"}`);
  }

  // esptool-js's Transport.changeBaudrate calls this when it exists.
  async setBaudRate(baud) {
    this.#requireOpen("setBaudRate");
    await this.#command(SET_BAUDRATE, u32(baud), `SET-BAUDRATE ${baud}`);
  }

  async close() {
    const s = this.#socket;
    this.#socket = null;
    this.#fail(portError("The port was closed."));
    this.endStreams();
    if (s !== null) await new Promise((resolve) => s.end(resolve));
  }

  // ---- the connection ------------------------------------------------------

  #where() {
    return `rfc2217://${this.#url.host}:${this.#url.port}`;
  }

  #requireOpen(what) {
    if (this.#closedError) throw this.#closedError;
    if (!this.opened || this.#socket === null) throw portError(`${what}: the port is not open`, "InvalidStateError");
  }

  #connect() {
    return new Promise((resolve, reject) => {
      const s = net.connect({ host: this.#url.host, port: this.#url.port });
      const timer = setTimeout(() => {
        s.destroy();
        reject(portError(`${this.#where()}: connect: no answer within ${ANSWER_TIMEOUT_MS} ms`));
      }, ANSWER_TIMEOUT_MS);
      s.once("error", (e) => {
        clearTimeout(timer);
        reject(portError(`${this.#where()}: connect: ${e.message}`));
      });
      s.once("connect", () => {
        clearTimeout(timer);
        s.setNoDelay(true); // each SET-CONTROL leaves at once, not after Nagle's wait
        s.removeAllListeners("error");
        // Events of an earlier connection (closing after a reopen) are not this one's.
        s.on("error", (e) => this.#socket === s && this.#lost(`${this.#where()}: ${e.message}`));
        s.on("close", () => this.#socket === s && this.#lost(`${this.#where()}: the server closed the connection`));
        s.on("data", (b) => this.#socket === s && this.#receive(b));
        this.#socket = s;
        resolve();
      });
    });
  }

  #lost(why) {
    this.#socket = null;
    this.#closedError = portError(why);
    this.#fail(this.#closedError);
    this.endStreams();
  }

  #fail(error) {
    for (const w of this.#waiters.splice(0)) {
      clearTimeout(w.timer);
      w.reject(error);
    }
  }

  #write(bytes) {
    return new Promise((resolve, reject) => {
      if (this.#socket === null) return reject(this.#closedError ?? portError("The port is not open."));
      this.#socket.write(Uint8Array.from(bytes), (e) => (e ? reject(portError(e.message)) : resolve()));
    });
  }

  // Data: IAC doubled (RFC 854).
  send(chunk) {
    this.#requireOpen("write");
    if (!chunk.includes(IAC)) return this.#write(chunk);
    const out = [];
    for (const b of chunk) b === IAC ? out.push(IAC, IAC) : out.push(b);
    return this.#write(out);
  }

  // One negotiation, at most once per verb and option (no loops).
  #negotiate(verb, opt) {
    const key = `${verb} ${opt}`;
    if (this.#sent.has(key)) return;
    this.#sent.add(key);
    this.#write([IAC, verb, opt]).catch(() => {});
  }

  // The command and its answer (command + 100, the same value).
  #command(cmd, value, what) {
    const body = [IAC, SB, OPT_COM_PORT, cmd];
    for (const b of value) b === IAC ? body.push(IAC, IAC) : body.push(b);
    body.push(IAC, SE);
    const answered = new Promise((resolve, reject) => {
      const w = { cmd: cmd + SERVER_OFFSET, value, resolve, reject };
      w.timer = setTimeout(() => {
        this.#waiters.splice(this.#waiters.indexOf(w), 1);
        const last = this.lastAnswer[cmd + SERVER_OFFSET];
        reject(portError(`${this.#where()}: no answer to ${what} within ${ANSWER_TIMEOUT_MS} ms` +
          (last ? ` (the last answer to that command was [${last.join(" ")}])` : "")));
      }, ANSWER_TIMEOUT_MS);
      this.#waiters.push(w);
    });
    return this.#write(body).then(() => answered);
  }

  #waitFor(done, what) {
    return new Promise((resolve, reject) => {
      const t0 = Date.now();
      const poll = () => {
        if (this.#closedError) return reject(this.#closedError);
        if (done()) return resolve();
        if (Date.now() - t0 > ANSWER_TIMEOUT_MS)
          return reject(portError(`${this.#where()}: no ${what} within ${ANSWER_TIMEOUT_MS} ms`));
        setTimeout(poll, 2);
      };
      poll();
    });
  }

  // ---- what the server sends -----------------------------------------------

  #receive(buf) {
    const data = [];
    for (const b of buf) {
      switch (this.#state) {
        case "data":
          if (b === IAC) this.#state = "iac";
          else data.push(b);
          break;
        case "iac":
          if (b === IAC) {
            data.push(IAC);
            this.#state = "data";
          } else if (b >= WILL && b <= DONT) {
            this.#state = b;
          } else if (b === SB) {
            this.#sb = [];
            this.#state = "sb";
          } else {
            this.#state = "data"; // NOP, GA, ...: nothing to do
          }
          break;
        case "sb":
          if (b === IAC) this.#state = "sb-iac";
          else if (this.#sb.length < SB_MAX) this.#sb.push(b);
          else this.#malformed = "a subnegotiation too long";
          break;
        case "sb-iac":
          if (b === IAC) {
            this.#sb.push(IAC);
            this.#state = "sb";
          } else {
            if (b === SE) this.#subnegotiation(this.#sb);
            else this.#malformed = `IAC ${b} inside a subnegotiation`;
            this.#state = "data";
          }
          break;
        default: // the option after WILL, WONT, DO or DONT
          this.#option(this.#state, b);
          this.#state = "data";
      }
    }
    if (data.length) this.deliver(Uint8Array.from(data));
  }

  #option(verb, opt) {
    const ours = OPTIONS_WE_SPEAK.includes(opt);
    if (opt === OPT_COM_PORT && (verb === DO || verb === DONT)) this.#agreed = verb === DO;
    if (verb === DO) this.#negotiate(ours ? WILL : WONT, opt);
    else if (verb === WILL) this.#negotiate(ours ? DO : DONT, opt);
  }

  #subnegotiation(sb) {
    if (sb[0] !== OPT_COM_PORT || sb.length < 2) return;
    const cmd = sb[1], value = sb.slice(2);
    this.lastAnswer[cmd] = value;
    const i = this.#waiters.findIndex((w) => w.cmd === cmd && w.value.length === value.length &&
      w.value.every((b, k) => b === value[k]));
    if (i < 0) return; // a notification (line or modem state), or an answer nobody waits for
    const [w] = this.#waiters.splice(i, 1);
    clearTimeout(w.timer);
    w.resolve();
  }
}

// A local port (a USB bridge's /dev/ttyUSB0, or resetlab serve --tty's
// virtual one) through node's `serialport` package, given as SerialPortClass.
export class LocalPort extends StreamedPort {
  #path;
  #info;
  #SerialPort;
  #port = null;
  #dtr = true;
  #rts = true;

  constructor(path, info, SerialPortClass) {
    super();
    this.#path = path;
    this.#info = { ...info };
    this.#SerialPort = SerialPortClass;
  }

  getInfo() {
    return { ...this.#info };
  }

  async open(options = {}) {
    if (this.#port !== null) throw portError("The port is already open.", "InvalidStateError");
    const port = new this.#SerialPort({ path: this.#path, baudRate: options.baudRate, autoOpen: false });
    await new Promise((resolve, reject) =>
      port.open((e) => (e ? reject(portError(`${this.#path}: ${e.message}`)) : resolve())));
    this.#port = port;
    // Linux raises DTR and RTS on open (drivers/tty/tty_port.c).
    this.#dtr = this.#rts = true;
    port.on("data", (b) => this.deliver(Uint8Array.from(b)));
    port.on("close", () => {
      this.#port = null;
      this.endStreams();
    });
    this.opened = true;
    void this.readable; // what arrives from now on waits for the first reader
  }

  // serialport's set() writes both lines in one TIOCMSET (its missing members
  // default to on), so both are always given.
  async setSignals(signals = {}) {
    const port = this.#requireOpen("setSignals");
    if (signals.dataTerminalReady !== undefined) this.#dtr = !!signals.dataTerminalReady;
    if (signals.requestToSend !== undefined) this.#rts = !!signals.requestToSend;
    await new Promise((resolve, reject) =>
      port.set({ dtr: this.#dtr, rts: this.#rts, brk: !!signals.break }, (e) =>
        e ? reject(portError(`${this.#path}: ${e.message}`)) : resolve()));
  }

  async setBaudRate(baud) {
    const port = this.#requireOpen("setBaudRate");
    await new Promise((resolve, reject) =>
      port.update({ baudRate: baud }, (e) => (e ? reject(portError(`${this.#path}: ${e.message}`)) : resolve())));
  }

  send(chunk) {
    const port = this.#requireOpen("write");
    return new Promise((resolve, reject) =>
      port.write(Buffer.from(chunk), (e) =>
        e ? reject(portError(`${this.#path}: ${e.message}`)) : port.drain(resolve)));
  }

  async close() {
    const port = this.#port;
    this.#port = null;
    this.endStreams();
    if (port !== null && port.isOpen) await new Promise((resolve) => port.close(() => resolve()));
  }

  #requireOpen(what) {
    if (this.#port === null) throw portError(`${what}: the port is not open`, "InvalidStateError");
    return this.#port;
  }
}
