// Fine-tuning benchmark in headless Chromium: steps/s per backend and the WebAssembly memory
// over a long run (it must not grow once the first steps have allocated their buffers).
// Run after `trunk build --release`:
//   node tests/browser/bench-finetune.mjs [cpu_steps=500] [webgpu_steps=5] [batch=1]
// Writes artifacts/bench-finetune.json.
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, FIXTURES, launch, open, serve, waitStatus } from './lib.mjs';

const [cpuSteps = 500, webgpuSteps = 5, batch = 1] = process.argv.slice(2).map(Number);

async function fineTune(backend, steps) {
  const { context, close } = await launch(backend);
  try {
    const page = await open(context, `${server.url}?s=${FIXTURES.easy[0].puzzle}`);
    await waitStatus(page, 'ready', 600_000);
    await page.click('#train-panel summary');
    await page.fill('#train-steps', String(steps));
    await page.dispatchEvent('#train-steps', 'change');
    await page.selectOption('#train-batch', String(batch));
    await page.selectOption('#train-tier', 'easy');
    const start = Date.now();
    await page.click('#train-start', { noWaitAfter: true });
    // Sample the memory readout as the run goes.
    const memory = [];
    for (;;) {
      const done = Number(await page.getAttribute('#train-status', 'data-steps'));
      const mb = Number(await page.getAttribute('#train-status', 'data-memory'));
      if (done > 0 && (memory.length === 0 || memory.at(-1).step !== done)) memory.push({ step: done, mb });
      if (done >= steps) break;
      await page.waitForTimeout(backend === 'cpu' ? 1000 : 5000);
    }
    const seconds = (Date.now() - start) / 1000;
    const status = await page.textContent('#train-status');
    return { steps, batch, seconds, steps_per_s: steps / seconds, memory, status };
  } finally { await close(); }
}

const server = await serve();
const results = {};
for (const [backend, steps] of [['cpu', cpuSteps], ['webgpu', webgpuSteps]]) {
  if (!steps) continue;
  const r = await fineTune(backend, steps);
  results[backend] = r;
  const early = r.memory.find((m) => m.step >= Math.min(50, steps)) ?? r.memory[0];
  const last = r.memory.at(-1);
  console.log(`${backend}: ${steps} steps at batch ${batch} in ${r.seconds.toFixed(1)} s = ${r.steps_per_s.toFixed(3)} steps/s (wall, incl. start); `
    + `wasm memory ${early.mb} MB at step ${early.step}, ${last.mb} MB at step ${last.step}`);
}
fs.writeFileSync(path.join(ARTIFACTS, 'bench-finetune.json'), JSON.stringify(results, null, 2));
await server.close();
