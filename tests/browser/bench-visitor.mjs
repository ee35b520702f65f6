// The page as a visitor meets it on a busy machine (issue 25's target: "no wrong final grid on
// any generated tier's sample within the budget, on either backend, even with one core kept
// busy"). Generates `COUNT` puzzles per tier with the CLI (a seed no test uses), then, for each
// backend, opens the page on each puzzle with its defaults (the adaptive solve, its 10 s budget,
// the K it measures), presses Solve and compares the final grid with the solution. Another
// process keeps one core busy (BUSY=0: none). Run after `trunk build --release` and
// `cargo build --release`:
//   node tests/browser/bench-visitor.mjs [count] [cpu|webgpu ...]
// Writes artifacts/bench-visitor.json.
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, ROOT, forceBackend, gridLine, launch, serve, waitStatus } from './lib.mjs';

const count = Number(process.argv[2] || 5);
const backends = process.argv.slice(3).length ? process.argv.slice(3) : ['cpu', 'webgpu'];
const TIERS = ['easy', 'medium', 'hard', 'extreme'];
const trm = process.env.TRM_BIN || path.join(ROOT, 'target/release/trm');
const puzzles = TIERS.flatMap((tier) => execFileSync(trm, ['generate', '--tier', tier, '--count', String(count), '--seed', '90210'],
  { encoding: 'utf8' }).trim().split('\n').map((line) => {
  const [puzzle, solution] = line.split(',');
  return { tier, puzzle, solution };
}));

const busy = process.env.BUSY === '0' ? null : spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
const server = await serve();
const results = [];
try {
  for (const backend of backends) {
    const { context, close } = await launch(backend);
    try {
      for (const { tier, puzzle, solution } of puzzles) {
        const page = await context.newPage();
        await page.goto(`${server.url}?s=${puzzle}${forceBackend(backend)}`);
        await waitStatus(page, 'ready', 600_000);
        const k = Number(await page.inputValue('#attempts'));
        const start = Date.now();
        await page.click('#solve');
        await waitStatus(page, 'done', 600_000);
        const wall_ms = Date.now() - start;
        await page.click('#to-end');
        const right = (await gridLine(page)) === solution;
        const outcome = (await page.textContent('#attempts-outcome').catch(() => '')).trim();
        results.push({ backend, tier, puzzle, k, right, wall_ms, outcome });
        console.log(`${backend} ${tier}: K = ${k}, ${right ? 'right' : 'WRONG'} in ${wall_ms} ms: ${outcome}`);
        await page.close();
      }
    } finally { await close(); }
    const mine = results.filter((r) => r.backend === backend);
    for (const tier of TIERS) {
      const rows = mine.filter((r) => r.tier === tier);
      const times = rows.map((r) => r.wall_ms).sort((a, b) => a - b);
      console.log(`${backend} ${tier}: ${rows.filter((r) => r.right).length}/${rows.length} right, median ${times[times.length >> 1]} ms, max ${times.at(-1)} ms`);
    }
  }
} finally {
  busy?.kill();
  await server.close();
}
fs.mkdirSync(ARTIFACTS, { recursive: true });
fs.writeFileSync(path.join(ARTIFACTS, 'bench-visitor.json'), JSON.stringify(results, null, 2));
