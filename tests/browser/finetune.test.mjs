// Fine-tuning on the CPU fallback: Stop keeps what was learned (the EMA weights, saved in
// IndexedDB and downloadable as a .bpk that the CLI loads). The model runs in a worker: the
// page's long tasks during a solve and during training are counted and printed, and Stop answers
// the click at once (the worker confirms after the step in flight).
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { ARTIFACTS, FIXTURES, ROOT, assertNotModelWork, gridLine, launch, open, screenshot, serve, waitStatus, watchLongTasks } from './lib.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

/** The downloaded fine-tuned weights, for the CLI check. */
let tunedFile;

const describe = (tasks) => `${tasks.length} long tasks${tasks.length ? `, longest ${Math.max(...tasks)} ms` : ''}`;

test('Stop during CPU fine-tuning keeps the learned weights, which survive a reload and download as a file', async () => {
  const { context, close } = await launch('cpu');
  try {
    const log = [];
    const { puzzle, solution } = FIXTURES.easy[0];
    const page = await open(context, `${server.url}?s=${FIXTURES.medium[0].puzzle}`, log);
    await waitStatus(page, 'ready');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'cpu');
    const longTasks = await watchLongTasks(page);

    // A solve of a medium puzzle, for the record.
    await page.click('#solve');
    await waitStatus(page, 'done');
    const solveTasks = await longTasks.take();

    // The shipped weights, as the Download button gives them before any training.
    await page.click('#train-panel summary');
    const shipped = await download(page);

    await page.fill('#train-steps', '500');
    await page.dispatchEvent('#train-steps', 'change');
    await page.selectOption('#train-batch', '4');
    await page.selectOption('#train-tier', 'easy');
    await page.click('#train-start', { noWaitAfter: true });
    await page.waitForFunction(() => Number(document.querySelector('#train-status')?.dataset.steps) >= 20,
      null, { timeout: 600_000 });
    const trainTasks = await longTasks.take();
    // Stop latency as a visitor feels it: from the click event's time stamp (when the input
    // arrived, even if the page was busy) to the Resume button replacing Stop.
    await page.evaluate(() => {
      window.__stop = {};
      document.addEventListener('click', (e) => {
        if (e.target.closest('#train-stop')) window.__stop.clicked = e.timeStamp;
      }, { capture: true });
      new MutationObserver((_, observer) => {
        if (document.querySelector('#train-resume')) { window.__stop.shown = performance.now(); observer.disconnect(); }
      }).observe(document.body, { childList: true, subtree: true });
    });
    await page.click('#train-stop', { noWaitAfter: true });
    await page.waitForSelector('#train-resume', { timeout: 60_000 });
    const stopMs = Math.round(await page.evaluate(() => window.__stop.shown - window.__stop.clicked));
    // Back to idle: "done" rather than "ready", since the earlier solve's trace is still shown.
    await page.waitForSelector('.app[data-status="done"]', { timeout: 60_000 });
    const steps = Number(await page.getAttribute('#train-status', 'data-steps'));
    assert.ok(steps >= 20 && steps < 500, `stopped after ${steps} steps`);
    assert.match(await page.textContent('.load'), new RegExp(`Stopped after ${steps} steps`));
    const [lossText] = /loss [0-9.]+/.exec(await page.textContent('#train-status'));
    assert.ok(Number.isFinite(Number(lossText.split(' ')[1])), lossText);

    // The weights in use changed and are what the CLI loads.
    const tuned = await download(page);
    assert.equal(tuned.length, shipped.length);
    assert.ok(!tuned.equals(shipped), 'Stop kept the shipped weights: what was learned was thrown away');
    tunedFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'trm-tuned-')), 'tuned.bpk');
    fs.writeFileSync(tunedFile, tuned);

    // After a reload the fine-tuned weights are in use and still solve the easy fixture.
    await page.goto(`${server.url}?s=${puzzle}`);
    await waitStatus(page, 'ready');
    assert.match(await page.textContent('.load'), /fine-tuned weights saved in this browser/);
    await page.click('#solve');
    await waitStatus(page, 'done');
    await page.click('#to-end');
    assert.equal(await gridLine(page), solution);
    await screenshot(page, 'finetune-stopped-cpu');

    const report = { solve_long_tasks: solveTasks, train_long_tasks: trainTasks, stop_ms: stopMs, steps_before_stop: steps };
    fs.writeFileSync(path.join(ARTIFACTS, 'finetune-main-thread.json'), JSON.stringify(report, null, 2));
    console.log(`CPU path, main thread: medium solve ${describe(solveTasks)}; ${steps} fine-tuning steps (batch 4) `
      + `${describe(trainTasks)}; Stop → stopped in ${stopMs} ms`);
    // The model runs in the worker: the page's thread stays free, and Stop answers at once.
    assertNotModelWork(solveTasks, 'during a solve');
    assertNotModelWork(trainTasks, 'during fine-tuning');
    assert.ok(stopMs <= 100, `Stop took ${stopMs} ms to show`);
    assert.deepEqual(log.filter((l) => /\[(error|pageerror)\]/.test(l)), []);
  } finally { await close(); }
});

const trm = cliBinary();
test('the CLI solves with the downloaded fine-tuned weights', { skip: !trm && 'no trm binary in the cargo target directory (scripts/env.sh): run `cargo build` first' }, () => {
  assert.ok(tunedFile, 'the fine-tuning test above saved no weights');
  const out = execFileSync(trm, ['solve', FIXTURES.easy[0].puzzle, '--weights', tunedFile], { encoding: 'utf8' });
  assert.match(out, /^solved: /m, out);
});

/** Clicks "Download weights" and returns the file's bytes. */
async function download(page) {
  const [file] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
  return fs.readFileSync(await file.path());
}

/** The native CLI built by `cargo test` (same target directory), if there is one. */
function cliBinary() {
  // scripts/env.sh puts the target directory in the build cache, outside the clone.
  const targets = [process.env.CARGO_TARGET_DIR, path.join(os.homedir(), '.cache', 'trm-sudoku', 'target'), path.join(ROOT, 'target')];
  return targets.filter(Boolean).flatMap((t) => ['debug', 'release'].map((p) => path.join(t, p, 'trm'))).find((p) => fs.existsSync(p));
}
