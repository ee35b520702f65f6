// The backend is chosen by measurement: with WebGPU present (SwiftShader here) and no
// `?backend=`, the page gets ready on the CPU, measures WebGPU while idle, shows both net-call
// times, and runs on the faster (here the CPU: SwiftShader emulates a GPU on two cores).
// `?backend=cpu|webgpu` overrides the choice, and a bad value gets a notice.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { FIXTURES, gridLine, launch, open, serve, waitStatus } from './lib.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

/** The figures of `#readout-timings`, e.g. { CPU: [3.5, 27.1], WebGPU: [120, 160] }. */
async function timings(page) {
  const text = await page.textContent('#readout-timings');
  return Object.fromEntries([...text.matchAll(/(CPU|WebGPU) ([0-9.]+) \/ ([0-9.]+) ms/g)].map((m) => [m[1], [Number(m[2]), Number(m[3])]]));
}

test('auto: ready on the CPU first, both backends measured, the faster one kept, and it solves', async () => {
  const { context, close } = await launch('webgpu');
  try {
    const { puzzle, solution } = FIXTURES.medium[0];
    const page = await open(context, `${server.url}?s=${puzzle}`);
    await waitStatus(page, 'ready');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'cpu', 'ready on the CPU while WebGPU is measured');
    await page.waitForFunction(() => /is faster here/.test(document.querySelector('.load .note')?.textContent || ''), null, { timeout: 600_000 });
    const measured = await timings(page);
    const note = await page.textContent('.load .note');
    console.log(`measured (batch 1 / 8, ms): ${JSON.stringify(measured)}; ${note}`);
    assert.ok(measured.CPU && measured.WebGPU, JSON.stringify(measured));
    for (const [batch1, batch8] of Object.values(measured)) assert.ok(batch1 > 0 && batch8 > 0);
    // The note names the faster backend with both figures, and that backend runs the model.
    const [, faster, , other] = /(CPU|WebGPU) is faster here: [0-9.]+ ms per net call at K = (\d+) \((CPU|WebGPU): [0-9.]+ ms\)/.exec(note) || [];
    assert.ok(faster && other && faster !== other, note);
    assert.equal(await page.getAttribute('.app', 'data-backend'), faster === 'CPU' ? 'cpu' : 'webgpu');
    await page.click('#solve');
    await waitStatus(page, 'done', 600_000);
    await page.click('#to-end');
    assert.equal(await gridLine(page), solution);
  } finally { await close(); }
});

test('?backend=cpu runs on the CPU although WebGPU is there, and never measures WebGPU', async () => {
  const { context, close } = await launch('webgpu');
  try {
    const page = await open(context, `${server.url}?s=${FIXTURES.easy[0].puzzle}&backend=cpu`);
    await waitStatus(page, 'ready');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'cpu');
    assert.match(await page.textContent('.load .note'), /CPU, as the link asks/);
    assert.deepEqual(Object.keys(await timings(page)), ['CPU']);
    const [worker] = page.workers();
    assert.equal(await worker.evaluate(() => (self.__trmDevices || []).length), 0, 'no GPU device was made');
  } finally { await close(); }
});

test('?backend=webgpu without an adapter falls back to the CPU and says why; a bad value gets a notice', async () => {
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, `${server.url}?s=${FIXTURES.easy[0].puzzle}&backend=webgpu`);
    await waitStatus(page, 'ready');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'cpu');
    assert.match(await page.textContent('.load .note'), /WebGPU was asked for, but .*running on the CPU/);
    await page.goto(`${server.url}?s=${FIXTURES.easy[0].puzzle}&backend=quantum`);
    await waitStatus(page, 'ready');
    assert.match(await page.textContent('.notice'), /backend=quantum in the link is not cpu, webgpu or auto/);
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'cpu');
  } finally { await close(); }
});
