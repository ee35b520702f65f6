// Time per puzzle against K (parallel attempts) in headless Chromium, per backend (WebGPU on
// SwiftShader, CPU fallback): medium and extreme puzzles solved through the page (early exit on,
// stop at the first rule-satisfying answer), and one batched net call at batch K. These figures
// set the page's default K. Run after `trunk build --release`:
//   node tests/browser/bench-attempts.mjs [K,...] [backend,...] [tier,...] [puzzles per tier]
//   (defaults: 1,4,8,16; webgpu,cpu; medium,extreme; 3)
// Writes artifacts/bench-attempts.json.
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, FIXTURES, launch, open, serve, waitStatus } from './lib.mjs';

const ks = (process.argv[2] || '1,4,8,16').split(',').map(Number);
const backends = (process.argv[3] || 'webgpu,cpu').split(',');
const tiers = (process.argv[4] || 'medium,extreme').split(',');
const perTier = Number(process.argv[5] || 3);
// Generated puzzles: the tests' medium fixtures and `trm generate --tier extreme --count 3 --seed 5`.
const sets = {
  medium: FIXTURES.medium.map((f) => f.puzzle),
  extreme: [
    '7....9..68.....94.4...8...2........9..2.9.3....3..5.1.1..4.7..5.....17..26.....9.',
    '..6.1...59.3..6......8...9.2..3.7..4..1.5..........8..17.63........9.....6..2.13.',
    '..4.....37...61.9..81........86.53...3.1..725.............3......24........289.17',
  ],
};

const server = await serve();
const results = [];
for (const backend of backends) {
  const { context, close } = await launch(backend);
  try {
    for (const k of ks) {
      const page = await open(context, `${server.url}?s=${sets.medium[0]}&k=${k}`);
      await waitStatus(page, 'ready', 900_000);
      const netCall = await page.evaluate((batch) => window.wasmBindings.benchNetCall(batch, 5), k);
      for (const [tier, all] of Object.entries(sets).filter(([t]) => tiers.includes(t))) {
        const puzzles = all.slice(0, perTier);
        const times = []; let solved = 0;
        for (const puzzle of puzzles) {
          await page.fill('#paste', puzzle);
          await page.click('#load');
          await page.click('#solve');
          await waitStatus(page, 'done', 1_800_000);
          times.push(Number((await page.textContent('#readout-total')).replace(/[^0-9.]/g, '')));
          const outcome = k > 1 ? await page.textContent('#attempts-outcome') : '';
          if (k === 1 || /satisfied every rule/.test(outcome)) solved += 1;
        }
        const mean = times.reduce((a, b) => a + b, 0) / times.length;
        results.push({ backend, k, tier, puzzles: puzzles.length, mean_ms: mean, times_ms: times, net_call_ms: netCall, verified: k > 1 ? solved : null });
        console.log(`${backend} K=${k} ${tier}: ${mean.toFixed(0)} ms per puzzle (${times.map((t) => t.toFixed(0)).join(', ')}); one net call at batch ${k}: ${netCall.toFixed(1)} ms`);
      }
      await page.close();
    }
  } finally { await close(); }
}
fs.writeFileSync(path.join(ARTIFACTS, 'bench-attempts.json'), JSON.stringify(results, null, 2));
await server.close();
