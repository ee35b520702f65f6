// Shared helpers for the browser tests: a static server for dist/ (optionally under a
// sub-path), Chromium launch options for the WebGPU (SwiftShader) and CPU paths, and small
// page utilities. Uses playwright-core with the system Chromium; never downloads a browser.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const here = path.dirname(fileURLToPath(import.meta.url));
export const ROOT = path.resolve(here, '../..');
export const DIST = process.env.TRM_DIST ? path.resolve(process.env.TRM_DIST) : path.join(ROOT, 'dist');
export const ARTIFACTS = path.join(ROOT, 'artifacts');
fs.mkdirSync(ARTIFACTS, { recursive: true });

const TYPES = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.mjs': 'text/javascript',
  '.wasm': 'application/wasm', '.css': 'text/css', '.json': 'application/json', '.svg': 'image/svg+xml',
  '.bpk': 'application/octet-stream', '.md': 'text/markdown; charset=utf-8', '.png': 'image/png',
};

/** Serves `root` at http://127.0.0.1:<port><base>. `extra` maps absolute paths to [type, body]. */
export async function serve({ root = DIST, base = '/', extra = {} } = {}) {
  const requests = [];
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://localhost');
    requests.push(url.pathname);
    if (extra[url.pathname]) {
      const [type, body] = extra[url.pathname];
      res.writeHead(200, { 'content-type': type, 'content-length': Buffer.byteLength(body) });
      return res.end(body);
    }
    if (!url.pathname.startsWith(base)) { res.writeHead(404); return res.end('not found'); }
    let rel = decodeURIComponent(url.pathname.slice(base.length));
    if (rel === '' || rel.endsWith('/')) rel += 'index.html';
    const file = path.join(root, rel);
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404); return res.end('not found');
    }
    const body = fs.readFileSync(file);
    res.writeHead(200, { 'content-type': TYPES[path.extname(file)] || 'application/octet-stream', 'content-length': body.length });
    res.end(body);
  });
  await new Promise((ok) => server.listen(0, '127.0.0.1', ok));
  const { port } = server.address();
  return { origin: `http://127.0.0.1:${port}`, url: `http://127.0.0.1:${port}${base}`, requests, close: () => new Promise((ok) => server.close(ok)) };
}

const COMMON = ['--headless', '--no-sandbox', '--no-first-run', '--disable-quic', '--disable-background-networking',
  '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'];
/** WebGPU on SwiftShader (no GPU needed). Without these flags there is no adapter: the CPU path. */
export const WEBGPU_FLAGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader',
  '--use-webgpu-adapter=swiftshader', '--use-angle=swiftshader'];

/**
 * The URL parameter that keeps a test on `backend`. On SwiftShader the page would measure the
 * CPU path as faster and run there (`?backend=` unset is 'auto'), so WebGPU tests force it; the
 * CPU tests run without an adapter and need nothing.
 */
export function forceBackend(backend) {
  return backend === 'webgpu' ? '&backend=webgpu' : '';
}

/**
 * The URL parameter that keeps a test's solve at its fixed K on SwiftShader. A software GPU takes
 * seconds per supervision step (more when the machine is busy), so the adaptive solve's 10 s
 * budget could end a solve unverified that a test of something else expects to finish; the
 * adaptive solve on WebGPU has its own test (adaptive.test.mjs), with a budget that fits.
 */
export function fixedOnSwiftShader(backend) {
  return backend === 'webgpu' ? '&budget=off' : '';
}

/** Launches Chromium for `backend` ('webgpu' or 'cpu') with a fresh profile. */
export async function launch(backend, extraArgs = []) {
  const userDataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'trm-chromium-'));
  const args = [...COMMON, ...(backend === 'webgpu' ? WEBGPU_FLAGS : []), ...extraArgs];
  const context = await chromium.launchPersistentContext(userDataDir, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args,
    viewport: { width: 1200, height: 900 },
  });
  const close = async () => { await context.close(); fs.rmSync(userDataDir, { recursive: true, force: true }); };
  return { context, close };
}

/** Opens a page, forwarding console errors and page crashes into `log`. */
export async function open(context, url, log = []) {
  const page = await context.newPage();
  page.on('console', (m) => { if (m.type() === 'error' || m.type() === 'warning') log.push(`[${m.type()}] ${m.text()}`); });
  page.on('pageerror', (e) => log.push(`[pageerror] ${e.message}`));
  await page.goto(url);
  return page;
}

/** The maze on the board as one line of tiles, with `o` where the model marks the path. */
export function mazeLine(page) {
  return page.locator('#maze .tile').evaluateAll((tiles) => tiles.map((t) =>
    t.classList.contains('wall') ? '#' : t.classList.contains('start') ? 'S' : t.classList.contains('goal') ? 'G'
      : t.classList.contains('path') ? 'o' : ' ').join(''));
}

/** The digits shown in the grid, as an 81-character line ('.' for empty). */
export async function gridLine(page) {
  return page.$$eval('.grid .cell', (cells) => cells.map((c) => (c.dataset.digit === '0' ? '.' : c.dataset.digit)).join(''));
}

/** Waits for the page to say `status` (loading, ready, solving, done, training, failed). */
export async function waitStatus(page, status, timeout = 240_000) {
  await page.waitForSelector(`.app[data-status="${status}"]`, { timeout });
}

export async function screenshot(page, name) {
  await page.screenshot({ path: path.join(ARTIFACTS, `${name}.png`), fullPage: true });
}

/** Sample puzzles with solutions for the tests. */
export const FIXTURES = JSON.parse(fs.readFileSync(path.join(here, 'fixtures.json'), 'utf8'));

/** One supervision step of the browser model is 10 net calls, 6.4-8.3 ms each on the CPU path in
 * Chromium here: 64-83 ms of the page's thread if the model ran on it (more on SwiftShader). */
const MODEL_STEP_MS = 64;

/** Starts counting main-thread tasks over 50 ms; `take()` returns and resets the list. */
export async function watchLongTasks(page) {
  await page.evaluate(() => {
    window.__longTasks = [];
    new PerformanceObserver((list) => {
      for (const e of list.getEntries()) window.__longTasks.push(Math.round(e.duration));
    }).observe({ type: 'longtask', buffered: false });
  });
  return { take: () => page.evaluate(() => window.__longTasks.splice(0)) };
}

/**
 * Asserts that the page's long tasks (over 50 ms, from a `longtask` observer) are not model work.
 * A model on the page's thread would block it for every supervision step or training step: a solve
 * or a run of fine-tuning steps would show several such tasks, or one of at least two steps. The
 * page's own work may show one shorter task: the first render of the trace views after load runs
 * cold JavaScript glue, and on this 2-core machine, shared with the busy worker, that task has
 * measured 60 ms (CI, 2026-11-30). Warm renders stay under 25 ms (long-animation-frame entries).
 */
export function assertNotModelWork(longTasks, what) {
  const shown = `${longTasks.join(', ')} ms`;
  assert.ok(longTasks.length <= 1, `${longTasks.length} tasks over 50 ms on the page's thread ${what}: ${shown}`);
  assert.ok(longTasks.every((ms) => ms < 2 * MODEL_STEP_MS), `a ${shown} task on the page's thread ${what}`);
}

/** Writes `entries` ({ key: string | number[] }) into the page's IndexedDB store, or reads the keys. */
export async function idb(page, entries) {
  return page.evaluate(async (entries) => {
    const db = await new Promise((resolve, reject) => {
      const request = indexedDB.open('trm-sudoku', 1);
      request.onupgradeneeded = () => { if (!request.result.objectStoreNames.contains('weights')) request.result.createObjectStore('weights'); };
      request.onsuccess = () => resolve(request.result);
      request.onerror = () => reject(request.error);
    });
    const mode = entries ? 'readwrite' : 'readonly';
    const store = db.transaction('weights', mode).objectStore('weights');
    const done = (request) => new Promise((resolve, reject) => { request.onsuccess = () => resolve(request.result); request.onerror = () => reject(request.error); });
    if (entries) {
      for (const [key, value] of Object.entries(entries)) {
        const bytes = typeof value === 'string' ? new TextEncoder().encode(value) : new Uint8Array(value);
        await done(store.put(bytes, key));
      }
      db.close();
      return null;
    }
    const keys = await done(store.getAllKeys());
    db.close();
    return keys.map(String).sort();
  }, entries ?? null);
}
