// A small W3C WebDriver client (fetch only) for the engines Playwright does not drive here:
// Firefox ESR through geckodriver, and WebKitGTK (Safari's engine) through WebKitWebDriver under
// Xvfb. It starts the driver, opens a session with a fresh profile, and offers the few commands
// the cross-engine tests use. Never downloads a browser or a driver.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';

/** The key under which WebDriver returns an element reference. */
const ELEMENT = 'element-6066-11e4-a52e-4f735466cecf';

/** A free TCP port on 127.0.0.1. */
async function freePort() {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => { const { port } = server.address(); server.close(() => resolve(port)); });
  });
}

/** The first of `candidates` that exists, or null. */
function firstExisting(candidates) {
  return candidates.find((p) => p && fs.existsSync(p)) ?? null;
}

/** `name` on the PATH or in ~/.cargo/bin, or null. */
function executable(name) {
  const dirs = [...(process.env.PATH || '').split(':'), path.join(os.homedir(), '.cargo', 'bin')];
  return firstExisting(dirs.map((d) => path.join(d, name)));
}

const MINIBROWSER = ['/usr/lib/x86_64-linux-gnu/webkit2gtk-4.1/MiniBrowser', '/usr/lib/aarch64-linux-gnu/webkit2gtk-4.1/MiniBrowser',
  '/usr/lib/x86_64-linux-gnu/webkitgtk-6.0/MiniBrowser', '/usr/libexec/webkit2gtk-4.1/MiniBrowser'];

/**
 * The engines, each with what it needs on this machine. `missing` names what is not installed
 * (scripts/setup.sh installs all of it), so a test can skip with that reason.
 */
export const ENGINES = {
  firefox: (() => {
    const driver = executable('geckodriver');
    const binary = firstExisting(['/usr/bin/firefox-esr', '/usr/bin/firefox']);
    return {
      name: 'Firefox',
      missing: [!driver && 'geckodriver', !binary && 'firefox-esr'].filter(Boolean),
      driver, args: (port) => ['--port', String(port), '--host', '127.0.0.1'],
      display: false,
      capabilities: () => ({
        browserName: 'firefox',
        'moz:firefoxOptions': { binary, args: ['-headless'], prefs: { 'browser.shell.checkDefaultBrowser': false, 'datareporting.policy.dataSubmissionEnabled': false } },
      }),
    };
  })(),
  webkit: (() => {
    const driver = executable('WebKitWebDriver');
    const binary = firstExisting(MINIBROWSER);
    const xvfb = executable('Xvfb');
    return {
      name: 'WebKitGTK',
      missing: [!driver && 'WebKitWebDriver (webkit2gtk-driver)', !binary && 'MiniBrowser (libwebkit2gtk-4.1-0)', !xvfb && 'Xvfb (xvfb)'].filter(Boolean),
      driver, args: (port) => [`--port=${port}`, '--host=127.0.0.1'],
      display: true,
      capabilities: () => ({ browserName: 'MiniBrowser', 'webkitgtk:browserOptions': { binary, args: ['--automation'] } }),
    };
  })(),
};

/** Starts Xvfb on a free display number; returns { display, stop }. */
async function startXvfb() {
  for (let n = 90; n < 140; n += 1) {
    if (fs.existsSync(`/tmp/.X11-unix/X${n}`) || fs.existsSync(`/tmp/.X${n}-lock`)) continue;
    const child = spawn('Xvfb', [`:${n}`, '-screen', '0', '1280x1024x24', '-nolisten', 'tcp'], { stdio: 'ignore' });
    for (let i = 0; i < 50; i += 1) {
      if (fs.existsSync(`/tmp/.X11-unix/X${n}`)) return { display: `:${n}`, stop: () => child.kill() };
      if (child.exitCode !== null) break;
      await new Promise((ok) => setTimeout(ok, 100));
    }
    child.kill();
  }
  throw new Error('could not start Xvfb');
}

/** Waits until `port` accepts connections, or the driver exits. */
async function waitForPort(port, child, what) {
  const deadline = Date.now() + 20_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`${what} exited with ${child.exitCode}`);
    const open = await new Promise((resolve) => {
      const socket = net.connect(port, '127.0.0.1', () => { socket.end(); resolve(true); });
      socket.on('error', () => resolve(false));
    });
    if (open) return;
    await new Promise((ok) => setTimeout(ok, 100));
  }
  throw new Error(`${what} did not listen on ${port}`);
}

/** A WebDriver session on `engine` ('firefox' or 'webkit'). Close it with `quit()`. */
export async function startSession(engine, log = []) {
  const spec = ENGINES[engine];
  if (spec.missing.length) throw new Error(`${spec.name} needs ${spec.missing.join(', ')}: run scripts/setup.sh`);
  const xvfb = spec.display ? await startXvfb() : null;
  const port = await freePort();
  const env = { ...process.env, ...(xvfb ? { DISPLAY: xvfb.display } : {}) };
  const child = spawn(spec.driver, spec.args(port), { env, stdio: ['ignore', 'pipe', 'pipe'] });
  const output = [];
  child.stdout.on('data', (d) => output.push(String(d)));
  child.stderr.on('data', (d) => output.push(String(d)));
  const stop = () => { child.kill(); xvfb?.stop(); };
  try {
    await waitForPort(port, child, spec.driver);
    const base = `http://127.0.0.1:${port}`;
    const created = await command(base, 'POST', '/session', { capabilities: { alwaysMatch: spec.capabilities() } });
    const session = new Session(`${base}/session/${created.sessionId}`, created.capabilities, stop, output, log);
    return session;
  } catch (error) {
    stop();
    throw new Error(`${error.message}\n${output.join('').slice(-2000)}`);
  }
}

/** One WebDriver call; returns `value`, or throws with the driver's error and message. */
async function command(base, method, route, body) {
  const response = await fetch(`${base}${route}`, {
    method, headers: { 'content-type': 'application/json; charset=utf-8' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await response.text();
  let json;
  try { json = JSON.parse(text); } catch { throw new Error(`${method} ${route}: HTTP ${response.status}: ${text.slice(0, 300)}`); }
  if (!response.ok || json.value?.error) {
    throw new Error(`${method} ${route}: ${json.value?.error ?? response.status}: ${json.value?.message ?? text.slice(0, 300)}`);
  }
  return json.value;
}

class Session {
  constructor(base, capabilities, stop, driverOutput, log) {
    Object.assign(this, { base, capabilities, stop, driverOutput, log });
  }

  /** The browser's name and version, as the driver reports them. */
  get browser() { return `${this.capabilities.browserName} ${this.capabilities.browserVersion}`; }

  call(method, route, body) { return command(this.base, method, route, body); }

  async goto(url) { await this.call('POST', '/url', { url }); }

  /** Runs `fn(...args)` in the page (a function's source, as for Playwright's evaluate). */
  async evaluate(fn, ...args) {
    return this.call('POST', '/execute/sync', { script: `return (${fn}).apply(null, arguments);`, args });
  }

  /** Runs an async `fn(...args)` in the page and returns what it resolves to. */
  async evaluateAsync(fn, ...args) {
    const script = `const done = arguments[arguments.length - 1];
      Promise.resolve((${fn}).apply(null, Array.from(arguments).slice(0, -1))).then((v) => done({ ok: v }), (e) => done({ error: String(e) }));`;
    const result = await this.call('POST', '/execute/async', { script, args });
    if (result?.error) throw new Error(result.error);
    return result?.ok;
  }

  /** Polls `fn(...args)` in the page until it returns something truthy. On a timeout the error
   * says what `explain()` returns in the page then (the page's state, to tell a lost click from
   * a hang). */
  async waitFor(fn, { timeout = 240_000, interval = 100, what = String(fn), explain } = {}, ...args) {
    const deadline = Date.now() + timeout;
    let last;
    while (Date.now() < deadline) {
      last = await this.evaluate(fn, ...args);
      if (last) return last;
      await new Promise((ok) => setTimeout(ok, interval));
    }
    const state = explain ? `; the page: ${JSON.stringify(await this.evaluate(explain).catch((e) => String(e)))}` : '';
    throw new Error(`timed out after ${timeout} ms waiting for ${what} (last: ${JSON.stringify(last)})${state}`);
  }

  async find(selector) {
    const found = await this.call('POST', '/element', { using: 'css selector', value: selector });
    return found[ELEMENT];
  }

  /** A real click (the driver's pointer), on the first match of `selector`. */
  async click(selector) {
    await this.call('POST', `/element/${await this.find(selector)}/click`, {});
  }

  /** Clears an input and types `text` into it, key by key, as a visitor would. */
  async type(selector, text) {
    const element = await this.find(selector);
    await this.call('POST', `/element/${element}/clear`, {});
    await this.call('POST', `/element/${element}/value`, { text });
  }

  /** Switches into the iframe matching `selector`, or back to the top page with null. */
  async frame(selector) {
    const id = selector === null ? null : { [ELEMENT]: await this.find(selector) };
    await this.call('POST', '/frame', { id });
  }

  async screenshot(file) {
    const png = await this.call('GET', '/screenshot');
    fs.writeFileSync(file, Buffer.from(png, 'base64'));
  }

  async quit() {
    try { await this.call('DELETE', ''); } catch { /* the browser may be gone already */ }
    this.stop();
  }
}

/** Whether `engine`'s pieces are installed (without starting anything). */
export function available(engine) {
  return ENGINES[engine].missing.length === 0;
}
