// A lost GPU device mid-solve: the page falls back to the CPU, says so, and finishes the solve.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { FIXTURES, gridLine, launch, open, screenshot, serve, waitStatus } from './lib.mjs';

test('losing the WebGPU device mid-solve falls back to the CPU and keeps the page alive', async () => {
  const server = await serve();
  const { context, close } = await launch('webgpu');
  try {
    // Keep a handle on the device the page creates, to destroy it later.
    await context.addInitScript(() => {
      const requestDevice = GPUAdapter.prototype.requestDevice;
      GPUAdapter.prototype.requestDevice = async function (...args) {
        const device = await requestDevice.apply(this, args);
        (window.__trmDevices ||= []).push(device);
        return device;
      };
    });
    const { puzzle, solution } = FIXTURES.easy[0];
    const page = await open(context, `${server.url}?s=${puzzle}`);
    await waitStatus(page, 'ready');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'webgpu');
    await page.click('#solve');
    await page.waitForFunction(() => /supervision step 1\//.test(document.querySelector('#where')?.textContent || ''), null, { timeout: 300_000 });
    await page.evaluate(() => window.__trmDevices.forEach((device) => device.destroy()));
    await waitStatus(page, 'done');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'cpu');
    assert.match(await page.textContent('.load'), /GPU stopped working .*switched to the CPU/s);
    assert.equal(await page.locator('.crash').count(), 0);
    await page.click('#to-end');
    assert.equal(await gridLine(page), solution);
    await screenshot(page, 'device-lost');
  } finally { await close(); await server.close(); }
});
