// Nothing stored in the browser can break the page: saved fine-tuned weights with a config too
// large to build, garbage bytes, or only one of their two keys are refused with a notice,
// removed from IndexedDB, and the page solves with the shipped weights; a damaged cached copy of
// the shipped weights is evicted and fetched again; a damaged download is refused (CPU path).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { DIST, FIXTURES, gridLine, idb, launch, mazeLine, open, serve, waitStatus } from './lib.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

const HUGE_CONFIG = JSON.stringify({ hidden: 1048576, layers: 2, mixer: 'Mlp', expansion: 4.0, inner_multiple: 256, prefix_len: 16, heads: 8, latent_updates: 6, cycles: 3, supervision_steps: 16, norm_eps: 1e-5, rope_theta: 10000.0, seed: 0 });

for (const [name, entries, said] of [
  ['a config too large to build', { 'finetuned.bpk': [1, 2, 3], 'finetuned.json': HUGE_CONFIG }, /could not be used \(invalid model config: hidden = 1048576 is over the limit of 4096\); using the shipped ones/],
  ['garbage bytes', { 'finetuned.bpk': [0, 159, 146, 150, 255], 'finetuned.json': 'not json {' }, /could not be used \(invalid model config/],
  ['only the weights key', { 'finetuned.bpk': [1, 2, 3] }, /were incomplete and have been removed/],
  ['only the config key', { 'finetuned.json': HUGE_CONFIG }, /were incomplete and have been removed/],
]) {
  test(`saved weights with ${name}: a notice, removed, and the shipped weights solve`, async () => {
    const { context, close } = await launch('cpu');
    try {
      const { puzzle, solution } = FIXTURES.easy[0];
      const url = `${server.url}?s=${puzzle}&k=4`;
      const page = await open(context, url);
      await waitStatus(page, 'ready');
      await idb(page, entries);
      await page.reload();
      await waitStatus(page, 'ready');
      assert.match(await page.textContent('.notice'), said);
      await page.waitForFunction(async () => {
        const db = await new Promise((resolve) => { const r = indexedDB.open('trm-sudoku', 1); r.onsuccess = () => resolve(r.result); });
        const keys = await new Promise((resolve) => { const r = db.transaction('weights').objectStore('weights').getAllKeys(); r.onsuccess = () => resolve(r.result); });
        db.close();
        return keys.length === 0;
      }, null, { timeout: 10_000 });
      assert.deepEqual(await idb(page), []);
      assert.equal(await gridLine(page), puzzle, 'the puzzle stays');
      await page.click('#solve');
      await waitStatus(page, 'done');
      await page.click('#to-end');
      assert.equal(await gridLine(page), solution);
      assert.equal(await page.locator('.crash').count(), 0);
    } finally { await close(); }
  });
}

// The maze page keeps its own fine-tuned weights, and refuses what does not fit its model.
for (const [name, entries, said] of [
  ['a Sudoku model', { 'maze-finetuned.bpk': [1, 2, 3], 'maze-finetuned.json': fs.readFileSync(path.join(DIST, 'assets/model.json'), 'utf8') }, /maze weights could not be used \(.*maze.*\); using the shipped ones/],
  ['only the weights key', { 'maze-finetuned.bpk': [1, 2, 3] }, /were incomplete and have been removed/],
]) {
  test(`the maze page's saved weights with ${name}: a notice, removed, and the shipped weights solve`, async () => {
    const { context, close } = await launch('cpu');
    try {
      const { question, answer } = FIXTURES.maze;
      const page = await open(context, `${server.url}?task=maze&k=1&m=${encodeURIComponent(question)}`);
      const ready = () => page.locator('.app[data-maze-status="ready"]').waitFor({ timeout: 240_000 });
      await ready();
      await idb(page, entries);
      await page.reload();
      await ready();
      assert.match(await page.textContent('.notice'), said);
      for (let i = 0; i < 100 && (await idb(page)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
      assert.deepEqual(await idb(page), []);
      await page.click('#maze-solve');
      await page.locator('#maze-story').waitFor({ timeout: 240_000 });
      await ready();
      await page.locator('#maze-scrub').fill(String(Number(await page.getAttribute('#maze-scrub', 'max'))));
      assert.equal(await mazeLine(page), answer);
    } finally { await close(); }
  });
}

test('a damaged copy of the shipped weights in Cache Storage is evicted, fetched again, and the page solves', async () => {
  const { context, close } = await launch('cpu');
  try {
    const { puzzle, solution } = FIXTURES.easy[0];
    const page = await open(context, `${server.url}?s=${puzzle}&k=4`);
    await waitStatus(page, 'ready');
    const manifest = await page.evaluate(async () => (await fetch('assets/manifest.json')).json());
    const key = `assets/${manifest.weights}?v=${manifest.version}`;
    const cached = (key) => page.evaluate(async (key) => {
      const hit = await (await caches.open('trm-sudoku-weights')).match(key);
      return hit ? (await hit.arrayBuffer()).byteLength : null;
    }, key);
    assert.equal(await cached(key), manifest.bytes, 'the first visit caches the weights');
    for (const [garbage, why] of [
      [[1, 2, 3, 4, 5], `${manifest.weights} is 5 bytes where the manifest says ${manifest.bytes}`],
      [new Array(manifest.bytes).fill(7), `${manifest.weights} has hash [0-9a-f]{16} where the manifest says ${manifest.version}`],
    ]) {
      await page.evaluate(async ([key, bytes]) => {
        await (await caches.open('trm-sudoku-weights')).put(key, new Response(new Uint8Array(bytes)));
      }, [key, garbage]);
      await page.reload();
      await waitStatus(page, 'ready');
      assert.match(await page.textContent('.notice'), new RegExp(`The model saved in this browser was damaged \\(${why}\\); it was removed and downloaded again\\.`));
      assert.equal(await cached(key), manifest.bytes, 'the good weights are cached again');
      assert.equal(await gridLine(page), puzzle, 'the puzzle stays');
    }
    await page.click('#solve');
    await waitStatus(page, 'done');
    await page.click('#to-end');
    assert.equal(await gridLine(page), solution);
  } finally { await close(); }
});

test('a damaged download of the weights is refused with its cause and not cached', async () => {
  const manifest = JSON.parse(fs.readFileSync(path.join(DIST, 'assets', 'manifest.json'), 'utf8'));
  const truncated = fs.readFileSync(path.join(DIST, 'assets', manifest.weights)).subarray(0, 1000);
  const broken = await serve({ extra: { [`/assets/${manifest.weights}`]: ['application/octet-stream', truncated] } });
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, broken.url);
    await waitStatus(page, 'failed', 60_000);
    assert.match(await page.textContent('.notice'), new RegExp(`the download of assets/${manifest.weights} is damaged: ${manifest.weights} is 1000 bytes where the manifest says ${manifest.bytes}`));
    const cachedKeys = await page.evaluate(async () => (await (await caches.open('trm-sudoku-weights')).keys()).length);
    assert.equal(cachedKeys, 0);
  } finally { await close(); await broken.close(); }
});
