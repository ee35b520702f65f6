// The page's default K as a visitor gets it, CPU path, while another process keeps one core
// busy (issue 23's "page default K" row): loads the page `RUNS` times (default 3) with a fresh
// profile and no WebGPU adapter, reads the chosen K and the measured net-call figures, and
// solves a held-out medium puzzle at that K. Run after `trunk build --release`:
//   node tests/browser/bench-default-k.mjs [runs]
// BUSY=0 leaves every core idle. Writes artifacts/bench-default-k.json.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, FIXTURES, launch, serve, waitStatus } from './lib.mjs';

const runs = Number(process.argv[2] || 3);
// A busy loop in its own process, as another program on the visitor's machine would be.
const busy = process.env.BUSY === '0' ? null : spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
const server = await serve();
const results = [];
try {
  for (let run = 0; run < runs; run += 1) {
    const { context, close } = await launch('cpu');
    try {
      const { puzzle } = FIXTURES.medium[run % FIXTURES.medium.length];
      const page = await context.newPage();
      await page.goto(`${server.url}?s=${puzzle}`);
      await waitStatus(page, 'ready');
      const k = Number(await page.inputValue('#attempts'));
      const timings = await page.textContent('#readout-timings');
      const start = Date.now();
      await page.click('#solve');
      await waitStatus(page, 'solving');
      await waitStatus(page, 'done', 600_000);
      const outcome = await page.textContent('#attempts-outcome', { timeout: 2000 }).catch(() => '');
      const result = { run, k, timings: timings.trim(), solve_ms: Date.now() - start, outcome: outcome.trim() };
      results.push(result);
      console.log(`run ${run + 1}: default K = ${k}; ${result.timings}; solve ${result.solve_ms} ms; ${result.outcome}`);
    } finally { await close(); }
  }
} finally {
  busy?.kill();
  await server.close();
}
fs.mkdirSync(ARTIFACTS, { recursive: true });
fs.writeFileSync(path.join(ARTIFACTS, 'bench-default-k.json'), JSON.stringify({ busy_core: !!busy, results }, null, 2));
