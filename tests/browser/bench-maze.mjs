// The maze page's cost on each backend (issue 24's "per-size time on each backend"): loads
// `?task=maze` on the CPU path (no adapter) and on WebGPU (SwiftShader here, forced with
// `?backend=webgpu`), and times how long the model takes to be ready and to solve the fixture
// maze at K = 1 and K = 8 (16 supervision steps at most, early exit as on the page). The solve's
// own time is the page's readout (worker time); the wall time adds the trace's trip to the page.
// Run after `trunk build --release`:
//   node tests/browser/bench-maze.mjs [cpu|webgpu ...]
// Writes artifacts/bench-maze.json.
import fs from 'node:fs';
import path from 'node:path';
import { ARTIFACTS, FIXTURES, forceBackend, launch, serve } from './lib.mjs';

const backends = process.argv.slice(2).length ? process.argv.slice(2) : ['cpu', 'webgpu'];
const server = await serve();
const results = [];
const ready = (page) => page.locator('.app[data-maze-status="ready"]').waitFor({ timeout: 600_000 });
try {
  for (const backend of backends) {
    const { context, close } = await launch(backend);
    try {
      const { question } = FIXTURES.maze;
      const page = await context.newPage();
      const opened = Date.now();
      await page.goto(`${server.url}?task=maze&k=1&m=${encodeURIComponent(question)}${forceBackend(backend)}`);
      await ready(page);
      const ready_ms = Date.now() - opened;
      const model = (await page.textContent('#maze-model')).trim();
      for (const k of [1, 8]) {
        await page.selectOption('#maze-attempts', String(k));
        const start = Date.now();
        await page.click('#maze-solve');
        await page.locator('#maze-story').waitFor({ timeout: 600_000 });
        await ready(page);
        const wall_ms = Date.now() - start;
        const story = (await page.textContent('#maze-story')).trim();
        const [, steps, calls, time, unit] = story.match(/\((\d+) steps?, (\d+) net calls, ([\d.]+) (m?s)\)/) || [];
        const result = { backend, k, ready_ms, wall_ms, steps: Number(steps), net_calls: Number(calls),
          solve_ms: Number(time) * (unit === 's' ? 1000 : 1), story, model };
        results.push(result);
        console.log(`${backend}: ready in ${ready_ms} ms; K = ${k}: ${story} (wall ${wall_ms} ms)`);
      }
    } finally { await close(); }
  }
} finally {
  await server.close();
}
fs.mkdirSync(ARTIFACTS, { recursive: true });
fs.writeFileSync(path.join(ARTIFACTS, 'bench-maze.json'), JSON.stringify(results, null, 2));
