// A lost GPU device mid-solve: the worker falls back to the CPU, the page says so, and the solve
// finishes.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXTURES, gridLine, launch, open, screenshot, serve, waitStatus } from './lib.mjs';

test('losing the WebGPU device mid-solve falls back to the CPU and keeps the page alive', async () => {
  const server = await serve();
  const { context, close } = await launch('webgpu');
  try {
    // A puzzle the shipped model works on for several supervision steps (it halts after 4),
    // so that the device is lost while work remains; easy samples finish in one or two. The
    // fixed K: SwiftShader takes seconds per step, and the adaptive solve's 10 s budget could
    // end the solve before the lost device shows.
    const puzzle = FIXTURES.extreme;
    const page = await open(context, `${server.url}?s=${puzzle}&k=1&backend=webgpu&budget=off`);
    await waitStatus(page, 'ready');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'webgpu');
    await page.click('#solve');
    await page.waitForFunction(() => /supervision step 1\//.test(document.querySelector('#where')?.textContent || ''), null, { timeout: 300_000 });
    // The model worker keeps its GPU devices in `self.__trmDevices` (www/worker.js).
    const [worker] = page.workers();
    assert.ok(worker, 'the model runs in a worker');
    assert.ok(await worker.evaluate(() => (self.__trmDevices || []).length) > 0, 'the worker made a GPU device');
    await worker.evaluate(() => self.__trmDevices.forEach((device) => device.destroy()));
    await waitStatus(page, 'done');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'cpu');
    assert.match(await page.textContent('.load'), /GPU stopped working .*switched to the CPU/s);
    assert.equal(await page.locator('.crash').count(), 0);
    // The solve finished on the CPU: every cell holds a digit and the givens are kept.
    await page.click('#to-end');
    const grid = await gridLine(page);
    assert.doesNotMatch(grid, /\./);
    for (let i = 0; i < 81; i++) if (puzzle[i] !== '.') assert.equal(grid[i], puzzle[i], `given at ${i}`);
    await screenshot(page, 'device-lost');
  } finally { await close(); await server.close(); }
});
