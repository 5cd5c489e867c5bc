// SPDX-License-Identifier: GPL-3.0-or-later
// esptool-js (Espressif's JavaScript esptool, from the npm registry) against
// a virtual board: its ESPLoader and Transport over our Web Serial shim
// (webserial_shim.mjs), on `resetlab serve` over RFC 2217 or on a local port.
// It connects with esptool-js's own reset (ClassicReset, or
// UsbJtagSerialReset when the port's USB IDs are Espressif's USB-Serial/JTAG),
// checks the chip and the MAC against boards.yaml, uploads the flasher stub,
// writes random bytes with writeFlash (compressed), and verifies them with
// the stub's MD5 and a readFlash back.
//
// Prints esptool-js's own output, then one summary line (JSON) and exits 0;
// on any failure or mismatch, one line on stderr,
//   esptool-js check: BOARD: STEP: WHY
// and exit 1 (2: bad arguments). tests/test_esptool_js.c runs it in ctest;
// docs/serve.md#esptool-js says how to run it by hand.

import crypto from "node:crypto";
import fs from "node:fs";
import { createRequire } from "node:module";
import path from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

import { LocalPort, Rfc2217Port } from "./webserial_shim.mjs";

const HERE = path.dirname(fileURLToPath(import.meta.url));
const SOURCE = path.resolve(HERE, "..", "..");

const USAGE = `usage: node tests/js/esptool_js_check.mjs --board NAME (--url rfc2217://HOST:PORT | --port PATH)
          [--boards FILE] [--modules DIR] [--baud N] [--size BYTES] [--offset ADDR]
          [--until STEP] [--timeout S] [--verbose]
  --board NAME     the board in boards.yaml (its chip, MAC, USB IDs)
  --url URL        resetlab serve's RFC 2217 address
  --port PATH      a local serial port, opened with node's serialport package
  --boards FILE    default: boards.yaml of this source tree
  --modules DIR    the folder npm ci installed into (DIR/node_modules); default
                   $RESETLAB_JS_DIR, else build/js of this source tree
  --baud N         the rate after the stub runs (CHANGE_BAUDRATE); default the chip's ROM rate
  --size BYTES     bytes of random data to write (default 65536, at most 1048576)
  --offset ADDR    where in flash (default 0x10000)
  --until STEP     stop after STEP: connect, mac, stub, baud, write, md5, read, after (default after)
  --timeout S      give up after S seconds in all (default 60, at most 600)
  --verbose        esptool-js's output as it comes (else only when a step fails)
Steps: install, lab, connect, mac, stub, baud, write, md5, read, after.`;

const STEPS = ["connect", "mac", "stub", "baud", "write", "md5", "read", "after"];
const SIZE_MAX = 1 << 20; // --size: 1 MiB
const TIMEOUT_MAX_S = 600; // --timeout

let board = "?";
let step = "arguments";

function fail(why, status = 1) {
  process.stderr.write(`esptool-js check: ${board}: ${step}: ${why}\n`);
  process.exit(status);
}

function parseArgs(argv) {
  const named = argv.indexOf("--board");
  if (named >= 0 && argv[named + 1] !== undefined) board = argv[named + 1];
  const a = { size: 65536, offset: 0x10000, until: "after", timeout: 60, verbose: false };
  const number = (name, v, min, max) => {
    const n = /^(0x[0-9a-f]+|[0-9]+)$/i.test(v ?? "") ? Number(v) : NaN;
    if (!(n >= min && n <= max)) fail(`${name} ${v}: expected a number from ${min} to ${max}\n${USAGE}`, 2);
    return n;
  };
  for (let i = 0; i < argv.length; i++) {
    const k = argv[i], v = argv[i + 1];
    const take = () => {
      if (v === undefined) fail(`${k} needs a value\n${USAGE}`, 2);
      i++;
      return v;
    };
    switch (k) {
      case "--board": a.board = take(); break;
      case "--url": a.url = take(); break;
      case "--port": a.port = take(); break;
      case "--boards": a.boards = take(); break;
      case "--modules": a.modules = take(); break;
      case "--baud": a.baud = number(k, take(), 300, 10000000); break;
      case "--size": a.size = number(k, take(), 4, SIZE_MAX); break;
      case "--offset": a.offset = number(k, take(), 0, 0xffffffff); break;
      case "--timeout": a.timeout = number(k, take(), 1, TIMEOUT_MAX_S); break;
      case "--until":
        a.until = take();
        if (!STEPS.includes(a.until)) fail(`--until ${a.until}: one of ${STEPS.join(", ")}`, 2);
        break;
      case "--verbose": a.verbose = true; break;
      case "--help": process.stdout.write(USAGE + "\n"); process.exit(0); break;
      default: fail(`unknown argument '${k}'\n${USAGE}`, 2);
    }
  }
  if (!a.board) fail(`--board is missing\n${USAGE}`, 2);
  if (!a.url === !a.port) fail(`give one of --url and --port\n${USAGE}`, 2);
  if (a.offset % 4 !== 0) fail(`--offset ${a.offset}: a multiple of 4`, 2);
  a.boards ??= path.join(SOURCE, "boards.yaml");
  a.modules = path.resolve(a.modules ?? (process.env.RESETLAB_JS_DIR || path.join(SOURCE, "build", "js")));
  return a;
}

// esptool-js, serialport and yaml from DIR/node_modules (npm ci put them there).
async function loadModules(dir) {
  const pkg = path.join(dir, "package.json");
  if (!fs.existsSync(path.join(dir, "node_modules")))
    fail(`no ${path.join(dir, "node_modules")}: the npm packages are not installed (ci/bootstrap runs npm ci there)`);
  const require = createRequire(pkg);
  const load = async (name) => {
    try {
      return await import(pathToFileURL(require.resolve(name)).href);
    } catch (e) {
      fail(`${name} cannot be loaded from ${dir}/node_modules (${e.message.split("\n")[0]}); run ci/bootstrap`);
    }
  };
  const version = JSON.parse(fs.readFileSync(require.resolve("esptool-js/package.json"), "utf8")).version;
  return { esptool: await load("esptool-js"), serialport: await load("serialport"), yaml: await load("yaml"), version };
}

// What boards.yaml says the board is.
function boardFacts(yaml, file, name) {
  let lab;
  try {
    lab = yaml.parse(fs.readFileSync(file, "utf8"), { maxAliasCount: -1 });
  } catch (e) {
    fail(`${file}: ${e.message.split("\n")[0]}`, 2);
  }
  const b = lab?.boards?.[name];
  if (!b) fail(`${file} has no board '${name}'`, 2);
  const chip = lab.chips?.[b.chip], bridge = lab.bridges?.[b.bridge];
  if (!chip || !bridge)
    fail(`${file}: board '${name}' names chip '${b.chip}' and bridge '${b.bridge}', not both found`, 2);
  const mac = b.mac ?? chip.mac;
  return {
    chip: b.chip,
    magic: chip.rom?.detect_magic,
    romBaud: chip.baud,
    mac: typeof mac === "string" ? mac.toLowerCase() : undefined,
    info: { usbVendorId: bridge.usb_vid, usbProductId: bridge.usb_pid },
  };
}

// A writeLine/write terminal for esptool-js; its lines kept for a failure.
function terminal(verbose) {
  const lines = [];
  let partial = "";
  const put = (s) => {
    if (verbose) process.stdout.write(s);
    const parts = (partial + s).split("\n");
    partial = parts.pop();
    lines.push(...parts);
  };
  return {
    lines,
    clean() {},
    write: (s) => put(String(s)),
    writeLine: (s) => put(String(s) + "\n"),
    tail: (n) => [...lines, partial].filter((l) => l.trim()).slice(-n),
  };
}

function hex(bytes) {
  return Buffer.from(bytes).toString("hex");
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  board = args.board;
  step = "install";
  const mods = await loadModules(args.modules);
  step = "lab";
  const facts = boardFacts(mods.yaml.default ?? mods.yaml, args.boards, args.board);
  const where = args.url ?? args.port;
  const device = args.url
    ? new Rfc2217Port(args.url, facts.info)
    : new LocalPort(args.port, facts.info, mods.serialport.SerialPort);
  const { ESPLoader, Transport } = mods.esptool;
  const term = terminal(args.verbose);
  // Transport.trace() prints with console.log whatever its tracing flag:
  // into esptool-js's output with the rest, not onto the summary's stdout.
  console.log = (...parts) => term.writeLine(parts.join(" "));
  const transport = new Transport(device, false);
  const loader = new ESPLoader({
    transport,
    baudrate: args.baud ?? facts.romBaud,
    romBaudrate: facts.romBaud,
    terminal: term,
    debugLogging: false,
  });
  const seconds = {};
  const result = { board: args.board, port: where, esptool_js: mods.version, node: process.version };

  const watchdog = setTimeout(() => {
    if (!args.verbose) for (const l of term.tail(12)) process.stderr.write(`  esptool-js: ${l}\n`);
    fail(`no result within ${args.timeout} s`);
  }, args.timeout * 1000);
  const run = async (name, body) => {
    step = name;
    const t0 = performance.now();
    try {
      await body();
    } catch (e) {
      if (!args.verbose) for (const l of term.tail(12)) process.stderr.write(`  esptool-js: ${l}\n`);
      fail(`${e?.message ?? e}`.replace(/\s*\n\s*/g, " "));
    }
    seconds[name] = Number(((performance.now() - t0) / 1000).toFixed(3));
    return STEPS.indexOf(name) >= STEPS.indexOf(args.until);
  };
  const finish = async () => {
    clearTimeout(watchdog);
    await transport.disconnect().catch(() => {});
    result.seconds = seconds;
    process.stdout.write(JSON.stringify(result) + "\n");
    process.exit(0);
  };

  // Open, esptool-js's reset and SYNC, chip detection (GET_SECURITY_INFO's
  // chip ID, else the magic word); then the magic word itself.
  if (await run("connect", async () => {
    await loader.detectChip("default_reset");
    const name = loader.chip?.CHIP_NAME;
    if (!name) throw new Error("esptool-js detected no chip");
    if (name.toLowerCase().replace(/-/g, "") !== facts.chip)
      throw new Error(`esptool-js detected ${name}; boards.yaml says the board's chip is ${facts.chip}`);
    const magic = (await loader.readReg(loader.CHIP_DETECT_MAGIC_REG_ADDR)) >>> 0;
    if (magic !== facts.magic)
      throw new Error(`the chip-detect word reads 0x${magic.toString(16)}; ` +
        `boards.yaml gives 0x${(facts.magic >>> 0).toString(16)}`);
    result.chip = name;
    result.magic = `0x${magic.toString(16).padStart(8, "0")}`;
    result.reset = loader.isUsbJtagSerialPort() ? "usb-jtag-serial" : "classic"; // constructResetSequence's choice
  })) return finish();

  if (await run("mac", async () => {
    const mac = (await loader.chip.readMac(loader)).toLowerCase();
    result.mac = mac;
    if (facts.mac === undefined)
      throw new Error(`esptool-js read MAC ${mac}; boards.yaml gives no mac: for ${args.board}`);
    if (mac !== facts.mac) throw new Error(`esptool-js read MAC ${mac}; boards.yaml gives ${facts.mac}`);
  })) return finish();

  if (await run("stub", async () => {
    await loader.runStub();
    if (!loader.IS_STUB) throw new Error("esptool-js did not start its flasher stub");
  })) return finish();

  if (await run("baud", async () => {
    if (loader.baudrate !== facts.romBaud) {
      await loader.changeBaud();
      if (loader.baudrate !== args.baud || !loader.IS_STUB)
        throw new Error(`esptool-js fell back to ${loader.baudrate} baud after CHANGE_BAUDRATE to ${args.baud}`);
    }
    result.baud = loader.baudrate;
  })) return finish();

  const data = new Uint8Array(crypto.randomBytes(args.size));
  const md5 = crypto.createHash("md5").update(data).digest("hex");
  result.bytes = args.size;
  result.offset = `0x${args.offset.toString(16)}`;
  if (await run("write", async () => {
    await loader.writeFlash({
      fileArray: [{ data, address: args.offset }],
      flashMode: "keep",
      flashFreq: "keep",
      flashSize: "keep",
      eraseAll: false,
      compress: true,
    });
  })) return finish();

  if (await run("md5", async () => {
    const flash = await loader.flashMd5sum(args.offset, args.size);
    if (flash !== md5) throw new Error(`the stub's MD5 of flash is ${flash}; of the bytes written ${md5}`);
    result.md5 = md5;
  })) return finish();

  if (await run("read", async () => {
    const back = await loader.readFlash(args.offset, args.size);
    if (back.length !== args.size) throw new Error(`readFlash gave ${back.length} bytes, not ${args.size}`);
    const at = back.findIndex((b, i) => b !== data[i]);
    if (at >= 0)
      throw new Error(`readFlash differs at 0x${(args.offset + at).toString(16)}: ` +
        `${hex(back.slice(at, at + 8))} read, ${hex(data.slice(at, at + 8))} written`);
  })) return finish();

  await run("after", async () => {
    await loader.after("hard_reset");
  });
  return finish();
}

main().catch((e) => fail(`${e?.stack ?? e}`.split("\n")[0]));
