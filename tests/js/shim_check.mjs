// SPDX-License-Identifier: GPL-3.0-or-later
// The Web Serial shim's RFC 2217 port (webserial_shim.mjs) on its own,
// against another implementation: tests/test_esptool_js.c runs it on
// pyserial's RFC 2217 server (tests/rfc2217_peer.py) and reads what that
// server applied.
//   usage: node tests/js/shim_check.mjs rfc2217://HOST:PORT
// Opens at 115200 (so DTR and RTS on), turns DTR then RTS off, both on in one
// setSignals(), writes 00 ff 0d 0a c0 and waits for loop://'s echo, changes
// the rate to 460800 in place, closes. Prints the echo as hex and exits 0;
// on any error one line on stderr, `shim check: WHY`, and exit 1.

import { Rfc2217Port } from "./webserial_shim.mjs";

const SENT = Uint8Array.from([0x00, 0xff, 0x0d, 0x0a, 0xc0]); // IAC, CR LF, and SLIP's END
const ECHO_TIMEOUT_MS = 2000;

async function echo(port) {
  const reader = port.readable.getReader();
  const got = [];
  const deadline = Date.now() + ECHO_TIMEOUT_MS;
  try {
    while (got.length < SENT.length) {
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`echo: ${got.length} of ${SENT.length} bytes within ${ECHO_TIMEOUT_MS} ms`);
      const late = new Promise((res) => setTimeout(() => res({ timeout: true }), left));
      const r = await Promise.race([reader.read(), late]);
      if (r.timeout) continue;
      if (r.done) throw new Error("echo: the stream ended");
      got.push(...r.value);
    }
  } finally {
    reader.releaseLock();
  }
  return Buffer.from(got).toString("hex");
}

async function main() {
  const port = new Rfc2217Port(process.argv[2] ?? "");
  await port.open({ baudRate: 115200 });
  await port.setSignals({ dataTerminalReady: false });
  await port.setSignals({ requestToSend: false });
  await port.setSignals({ dataTerminalReady: true, requestToSend: true });
  const writer = port.writable.getWriter();
  await writer.write(SENT);
  writer.releaseLock();
  const hex = await echo(port);
  await port.setBaudRate(460800);
  await port.close();
  process.stdout.write(`echo ${hex}\n`);
}

main().then(
  () => process.exit(0),
  (e) => {
    process.stderr.write(`shim check: ${e?.message ?? e}\n`);
    process.exit(1);
  },
);
