// Page benchmark in headless Chromium, per backend (WebGPU on SwiftShader, CPU fallback):
// time from navigation to the first animated recursion step (cold: fresh profile; warm: a
// reload with the weights in Cache Storage and the wasm in the HTTP cache), ms per net call at
// batch 1 and 16, and the wasm and weight sizes. Run `node tests/browser/bench.mjs` after `trunk build`
// (or `trunk build --release`); writes artifacts/bench-web.json. BENCH_BACKENDS=cpu picks backends.
import fs from 'node:fs';
import path from 'node:path';
import zlib from 'node:zlib';
import { ARTIFACTS, DIST, FIXTURES, launch, serve, waitStatus } from './lib.mjs';

const size = (file) => {
  const raw = fs.readFileSync(path.join(DIST, file));
  return { raw: raw.length, gzip: zlib.gzipSync(raw, { level: 9 }).length };
};

async function firstStep(context, url) {
  const page = await context.newPage();
  const start = Date.now();
  await page.goto(url);
  await page.waitForFunction(() => /supervision step 1\//.test(document.querySelector('#where')?.textContent || ''), null, { timeout: 600_000 });
  const ms = Date.now() - start;
  return { page, ms };
}

const server = await serve();
const url = (backend) => `${server.url}?s=${FIXTURES.easy[0].puzzle}&autoplay=1&backend=${backend}`;
const results = {
  sizes: { page_wasm: size('trm-app_bg.wasm'), worker_wasm: size('trm-worker_bg.wasm'), weights: size('assets/model.bpk') },
  backends: {},
};
// BENCH_BACKENDS=cpu (or webgpu) limits the run to one backend.
for (const backend of (process.env.BENCH_BACKENDS || 'webgpu,cpu').split(',')) {
  const { context, close } = await launch(backend);
  try {
    const cold = await firstStep(context, url(backend));
    await waitStatus(cold.page, 'done', 900_000);
    await cold.page.close();
    const warm = await firstStep(context, url(backend));
    await waitStatus(warm.page, 'done', 900_000);
    const perCall = await warm.page.evaluate(() => window.wasmBindings.benchNetCall(1, 10));
    const perCall16 = await warm.page.evaluate(() => window.wasmBindings.benchNetCall(16, 3));
    const readout = await warm.page.textContent('#readout-ms-per-call');
    results.backends[backend] = {
      cold_first_step_ms: cold.ms, warm_first_step_ms: warm.ms, net_call_ms: perCall, net_call_b16_ms: perCall16, solve_readout: readout,
    };
    console.log(`${backend}: first animated step cold ${cold.ms} ms, warm ${warm.ms} ms; `
      + `${perCall.toFixed(1)} ms per net call at batch 1, ${perCall16.toFixed(1)} ms at batch 16`);
  } finally { await close(); }
}
const s = results.sizes;
console.log(`page wasm ${s.page_wasm.raw} B (gzip ${s.page_wasm.gzip} B), worker wasm ${s.worker_wasm.raw} B (gzip ${s.worker_wasm.gzip} B), `
  + `weights ${s.weights.raw} B (gzip ${s.weights.gzip} B); all gzip ${s.page_wasm.gzip + s.worker_wasm.gzip + s.weights.gzip} B`);
fs.writeFileSync(path.join(ARTIFACTS, 'bench-web.json'), JSON.stringify(results, null, 2));
await server.close();
