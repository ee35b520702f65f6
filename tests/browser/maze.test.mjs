// The maze page (?task=maze): it loads the maze model only (not the Sudoku one), shows a maze,
// solves it with attempts over the square's symmetries and plays the recording back; editing
// and the link keep the maze; a bad link parameter is named; the same maze solves alike on the
// CPU and on WebGPU.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { ARTIFACTS, DIST, FIXTURES, forceBackend, idb, launch, mazeLine, open, screenshot, serve } from './lib.mjs';

let site;
before(async () => { site = await serve(); });
after(async () => { await site.close(); });

/** The tensor data at the end of a `.bpk` (its header names each tensor with an id that a
 * loaded model draws afresh, so two files of the same weights differ there). */
const tensorData = (bytes) => bytes.subarray(bytes.length - Math.floor(bytes.length * 0.9));

const waitMaze = (page, status, timeout = 240_000) =>
  page.locator(`.app[data-maze-status="${status}"]`).waitFor({ timeout });

test('the maze page loads only the maze model, solves with 4 attempts and plays the recording back', async () => {
  const { context, close } = await launch('cpu');
  try {
    const log = [];
    const page = await open(context, `${site.url}?task=maze`, log);
    await waitMaze(page, 'ready');
    const side = Number(await page.getAttribute('#maze', 'data-side'));
    assert.ok(side >= 7, `side ${side}`);
    assert.equal(await page.locator('#maze .tile').count(), side * side);
    const question = await mazeLine(page);
    assert.equal([...question].filter((c) => c === 'S').length, 1);
    assert.equal([...question].filter((c) => c === 'G').length, 1);
    assert.match(await page.textContent('#maze-verdict'), /One shortest path: \d+ moves\./);
    // The link carries the maze shown.
    assert.equal(new URL(page.url()).searchParams.get('m'), question);
    // Only the maze model was fetched.
    assert.ok(site.requests.includes('/assets/maze/model.bpk'), site.requests.join(' '));
    assert.ok(!site.requests.includes('/assets/model.bpk'), 'the Sudoku model was downloaded too');
    assert.match(await page.textContent('#maze-model'), new RegExp(`${side} × ${side} mazes, \\d{1,3}(,\\d{3})+ parameters`));
    // The manifest's note on the model, when it has one, is shown with it.
    const manifest = JSON.parse(fs.readFileSync(`${DIST}/assets/maze/manifest.json`, 'utf8'));
    assert.equal(await page.locator('#maze-model-note').count(), manifest.note ? 1 : 0);
    if (manifest.note) assert.equal(await page.textContent('#maze-model-note'), manifest.note);

    await page.selectOption('#maze-attempts', '4');
    await page.click('#maze-solve');
    await page.locator('#maze-story').waitFor({ timeout: 240_000 });
    await waitMaze(page, 'ready');
    const story = await page.textContent('#maze-story');
    assert.match(story, /(Attempt \d of 4 \(.+\)|No attempt marked a path).*\(\d+ steps?, \d+ net calls, [\d.]+ m?s\)\./, story);
    // Playback: the scrubber spans the shown attempt's net calls; at the end the board shows
    // its answer over the same maze.
    const total = Number(await page.getAttribute('#maze-scrub', 'max')) + 1;
    assert.ok(total >= 10 && total % 10 === 0, `net calls ${total} (10 per step)`);
    await page.locator('#maze-scrub').fill(String(total - 1));
    const answer = await mazeLine(page);
    assert.equal(answer.replaceAll('o', ' '), question, 'the answer keeps the maze');
    const verified = (await page.getAttribute('#maze-story', 'data-verified')) === 'true';
    if (verified) assert.ok(answer.includes('o'), 'a verified path is drawn');
    assert.match(await page.textContent('#maze-where'), /supervision step \d+\/16/);
    const points = await page.getAttribute('#maze-chart-delta polyline[data-series="‖Δz‖"]', 'data-points');
    assert.ok(Number(points) > 0, `‖Δz‖ points: ${points}`);
    await screenshot(page, 'maze-solved');

    // The attempts list: four, one pressed; following another replays it from its start.
    assert.equal(await page.locator('#maze-attempts-list .attempt').count(), 4);
    assert.equal(await page.locator('#maze-attempts-list .attempt[aria-pressed="true"]').count(), 1);
    const index = await page.locator('#maze-attempts-list .attempt[aria-pressed="false"]').first().getAttribute('data-attempt');
    const other = page.locator(`#maze-attempts-list .attempt[data-attempt="${index}"]`);
    await other.click();
    assert.equal(await other.getAttribute('aria-pressed'), 'true');
    assert.ok(Number(await page.inputValue('#maze-scrub')) < total - 1, 'the followed attempt replays from its start');

    // The animation: a GIF of the followed attempt, at 480 px wide.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#maze-gif')]);
    const gif = `${ARTIFACTS}/maze-animation.gif`;
    await download.saveAs(gif);
    const bytes = fs.readFileSync(gif);
    assert.equal(bytes.subarray(0, 6).toString('latin1'), 'GIF89a');
    assert.equal(bytes.readUInt16LE(6), 480);
    assert.match(await page.textContent('.notice'), /Saved an animation of \d+ frames/);

    // Editing: a wall toggled on an open tile (not S or G) changes the maze and the link, and
    // drops the recording.
    const openTile = [...question].findIndex((c) => c === " ");
    await page.click(`#maze .tile[data-tile="${openTile}"]`);
    const edited = await mazeLine(page);
    assert.equal(edited[openTile], "#");
    assert.equal(new URL(page.url()).searchParams.get('m'), edited);
    assert.equal(await page.locator('#maze-story').count(), 0);
    // Moving S: the old start becomes open.
    await page.click('#tool-start');
    const target = [...edited].findIndex((c, i) => c === " " && i !== openTile);
    await page.click(`#maze .tile[data-tile="${target}"]`);
    const moved = await mazeLine(page);
    assert.equal(moved[target], 'S');
    assert.equal([...moved].filter((c) => c === 'S').length, 1);
    // Dragging G (with the S tool still chosen) carries it to the tile where it is dropped.
    const goal = moved.indexOf('G');
    const drop = [...moved].findIndex((c) => c === ' ');
    await page.locator(`#maze .tile[data-tile="${goal}"]`).hover();
    await page.mouse.down();
    await page.locator(`#maze .tile[data-tile="${drop}"]`).hover();
    await page.mouse.up();
    const dragged = await mazeLine(page);
    assert.equal(dragged[drop], 'G', dragged);
    assert.equal(dragged[goal], ' ');
    assert.equal(dragged.replace('G', ' ').replace(/ /g, ''), moved.replace('G', ' ').replace(/ /g, ''), 'only G moved');
    assert.equal(new URL(page.url()).searchParams.get('m'), dragged);
    assert.deepEqual(log.filter((l) => /panicked|RuntimeError/.test(l)), []);
  } finally { await close(); }
});

test('a maze from the link is shown, and a bad one is named', async () => {
  const { context, close } = await launch('cpu');
  try {
    const first = await open(context, `${site.url}?task=maze`);
    await waitMaze(first, 'ready');
    const question = await mazeLine(first);
    const page = await open(context, `${site.url}?task=maze&m=${encodeURIComponent(question)}`);
    await waitMaze(page, 'ready');
    assert.equal(await mazeLine(page), question);
    const bad = await open(context, `${site.url}?task=maze&m=${encodeURIComponent('S#x')}`);
    await waitMaze(bad, 'ready');
    assert.match(await bad.textContent('.notice'), /The link's maze \(m\) is not a maze/);
    // K offered for mazes: 1, 2, 4, 8 (one attempt per symmetry at most).
    const two = await open(context, `${site.url}?task=maze&k=2`);
    await waitMaze(two, 'ready');
    assert.equal(await two.inputValue('#maze-attempts'), '2');
    assert.equal(await two.locator('.notice').count(), 0);
    const five = await open(context, `${site.url}?task=maze&k=5`);
    await waitMaze(five, 'ready');
    assert.equal(await five.inputValue('#maze-attempts'), '4');
    assert.match(await five.textContent('.notice'), /k=5 in the link is not one of the offered attempts \(1, 2, 4 or 8\); using 4\./);
    const other = await open(context, `${site.url}?task=mazes`);
    assert.match(await other.textContent('.notice'), /The link's task "mazes" is not sudoku or maze/);
  } finally { await close(); }
});

test('the embed shows the maze with data-task="maze" and solves it by itself', async () => {
  const html = `<!doctype html><html><body><p>A post.</p>
    <script src="${site.url}embed.js" data-task="maze" data-attempts="1" async></script></body></html>`;
  const blog = await serve({ base: '/nothing/', extra: { '/post.html': ['text/html; charset=utf-8', html] } });
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, `${blog.origin}/post.html`);
    const frame = page.frameLocator('iframe');
    await frame.locator('#maze-story').waitFor({ timeout: 240_000 });
    assert.match(await page.getAttribute('iframe', 'src'), /[?&]task=maze(&|$)/);
    assert.equal(await frame.locator('header').count(), 0, 'no page header in the widget');
    // data-attempts="1" reaches the maze: one attempt, so no attempts list.
    assert.equal(await frame.locator('#maze-attempts-list').count(), 0);
    const side = Number(await frame.locator('#maze').getAttribute('data-side'));
    assert.equal(await frame.locator('#maze .tile').count(), side * side);
  } finally { await close(); await blog.close(); }
});

test('a damaged maze model is named, and the page stays usable', async () => {
  const { context, close } = await launch('cpu');
  try {
    // The weights cut short in transit: the manifest's size check catches them.
    await context.route('**/assets/maze/model.bpk', async (route) => {
      const response = await route.fetch();
      const body = await response.body();
      await route.fulfill({ response, body: body.subarray(0, 1000) });
    });
    const page = await open(context, `${site.url}?task=maze`);
    await waitMaze(page, 'failed');
    assert.match(await page.textContent('.status.error'), /The maze model could not load: .*1000 bytes where the manifest says/);
    assert.equal(await page.locator('#maze .tile').count(), 0, 'no board without a model');
    assert.ok(await page.isDisabled('#maze-solve'));
    await page.click('#task-sudoku');
    await page.locator('.app[data-status="ready"]').waitFor({ timeout: 240_000 });
  } finally { await close(); }
});

for (const backend of ['cpu', 'webgpu']) {
  test(`on ${backend}: the fixture maze solves to its one shortest path, then back to Sudoku`, async () => {
    const { question, answer } = FIXTURES.maze;
    const { context, close } = await launch(backend);
    try {
      const log = [];
      const page = await open(context, `${site.url}?task=maze&k=1&m=${encodeURIComponent(question)}${forceBackend(backend)}`, log);
      await waitMaze(page, 'ready');
      assert.equal(await page.getAttribute('#maze-model', 'data-backend'), backend);
      assert.match(await page.textContent('#maze-model'), backend === 'webgpu' ? /on WebGPU\./ : /on CPU/);
      if (backend === 'webgpu') assert.match(await page.textContent('#maze-backend-note'), /Running on WebGPU, as the link asks\./);
      assert.equal(await mazeLine(page), question);
      await page.click('#maze-solve');
      await page.locator('#maze-story').waitFor({ timeout: 240_000 });
      await waitMaze(page, 'ready');
      assert.match(await page.textContent('#maze-story'), /^The model found the shortest path: 14 moves \(\d+ steps?, \d+ net calls, [\d.]+ m?s\)\.$/);
      assert.equal(await page.getAttribute('#maze-story', 'data-verified'), 'true');
      const total = Number(await page.getAttribute('#maze-scrub', 'max')) + 1;
      await page.locator('#maze-scrub').fill(String(total - 1));
      assert.equal(await mazeLine(page), answer, 'the board shows the one shortest path');
      // Still on the backend it started on: nothing failed over.
      assert.equal(await page.getAttribute('#maze-model', 'data-backend'), backend);
      // The switch keeps the backend the link asked for.
      await page.click('#task-sudoku');
      await page.locator('.app[data-status="ready"]').waitFor({ timeout: 240_000 });
      assert.equal(new URL(page.url()).searchParams.get('backend'), backend === 'webgpu' ? 'webgpu' : null);
      assert.equal(await page.locator('.grid .cell').count(), 81);
      assert.deepEqual(log.filter((l) => /panicked|RuntimeError/.test(l)), []);
    } finally { await close(); }
  });
}

test('the maze page fine-tunes its own model: steps on generated mazes, a solve pauses the run, the weights download as a maze model and are kept in this browser until Reset', async () => {
  const { context, close } = await launch('cpu');
  try {
    const log = [];
    const page = await open(context, `${site.url}?task=maze&k=1&m=${encodeURIComponent(FIXTURES.maze.question)}`, log);
    await waitMaze(page, 'ready');
    await page.click('#train-panel summary');
    // The maze's tiers, not Sudoku's.
    const tiers = await page.locator('#train-tier option').evaluateAll((options) => options.map((o) => o.value));
    assert.deepEqual(tiers, ['easy', 'medium', 'hard']);
    await page.fill('#train-steps', '200');
    await page.dispatchEvent('#train-steps', 'change');
    await page.selectOption('#train-batch', '4');
    await page.selectOption('#train-tier', 'hard');
    const started = Date.now();
    await page.click('#train-start', { noWaitAfter: true });
    await page.waitForFunction(() => Number(document.querySelector('#train-status')?.dataset.steps) >= 5,
      null, { timeout: 300_000 });
    const status = await page.textContent('#train-status');
    console.log(`maze fine-tuning, batch 4: 5 steps in ${Date.now() - started} ms; ${status}`);
    assert.match(status, /^step \d+\/200 · loss [\d.]+ · cells [\d.]+% · exact [\d.]+%/);
    // A solve pauses the run (the engine answers it between two steps) and runs on the tuned
    // weights in use.
    await page.click('#maze-solve');
    await page.locator('#maze-story').waitFor({ timeout: 240_000 });
    await page.locator('#train-resume').waitFor({ timeout: 60_000 });
    assert.ok(await page.isEnabled('#train-resume'), 'the paused run can resume');
    // Downloaded, the weights carry the maze model's config.
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
    assert.equal(download.suggestedFilename(), 'trm-maze-finetuned.bpk');
    const file = `${ARTIFACTS}/maze-finetuned.bpk`;
    await download.saveAs(file);
    assert.ok(fs.statSync(file).size > 100_000, 'the weights file');
    assert.match(await page.textContent('#train-status'), /step \d+\/200/);
    // The paused run's weights are kept in this browser, under the maze page's own keys.
    const mazeKeys = ['maze-finetuned.bpk', 'maze-finetuned.json'];
    for (let i = 0; i < 100 && (await idb(page)).length < 2; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await idb(page), mazeKeys);
    // Nothing of it goes to the Sudoku page, which keeps its shipped weights.
    const sudoku = await open(context, `${site.url}`);
    await sudoku.locator('.app[data-status="ready"]').waitFor({ timeout: 240_000 });
    assert.equal(await sudoku.locator('.notice').count(), 0, 'the Sudoku page found no weights of its own');
    await sudoku.close();
    // After a reload the maze page uses exactly the weights it kept.
    await page.reload();
    await waitMaze(page, 'ready');
    assert.match(await page.textContent('.notice'), /Using your fine-tuned maze weights saved in this browser/);
    await page.click('#train-panel summary');
    const inUse = async () => {
      const [weights] = await Promise.all([page.waitForEvent('download'), page.click('#train-download')]);
      return tensorData(fs.readFileSync(await weights.path()));
    };
    const kept = tensorData(fs.readFileSync(file));
    assert.ok((await inUse()).equals(kept), 'the reloaded page runs the kept weights');
    // Reset goes back to the shipped weights and forgets the kept ones.
    await page.click('#train-reset');
    await page.locator('.notice', { hasText: 'Back to the shipped weights.' }).waitFor({ timeout: 60_000 });
    assert.ok(!(await inUse()).equals(kept), 'Reset kept the fine-tuned weights in use');
    for (let i = 0; i < 100 && (await idb(page)).length > 0; i++) await new Promise((r) => setTimeout(r, 100));
    assert.deepEqual(await idb(page), []);
    await page.reload();
    await waitMaze(page, 'ready');
    assert.equal(await page.locator('.notice').count(), 0, 'nothing kept after Reset');
    assert.deepEqual(log.filter((l) => /panicked|RuntimeError/.test(l)), []);
  } finally { await close(); }
});
