// The hosted build served from a sub-path, the embeddable widget on a blog page with a strict
// Content-Security-Policy (other origin), and fine-tuning in the page on WebGPU.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, test } from 'node:test';
import { FIXTURES, gridLine, launch, open, screenshot, serve, waitStatus } from './lib.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
let widget;
before(async () => { widget = await serve({ base: '/trm/' }); });
after(async () => { await widget.close(); });

test('dist/ served from a sub-path loads and solves', async () => {
  const { context, close } = await launch('cpu');
  try {
    const { puzzle, solution } = FIXTURES.easy[0];
    const log = [];
    const page = await open(context, `${widget.url}?s=${puzzle}`, log);
    await waitStatus(page, 'ready');
    await page.click('#solve');
    await waitStatus(page, 'done');
    await page.click('#to-end');
    assert.equal(await gridLine(page), solution);
    assert.ok(widget.requests.every((p) => p.startsWith('/trm/')), `requests outside /trm/: ${widget.requests}`);
    await screenshot(page, 'subpath');
  } finally { await close(); }
});

test('the widget embeds with the one-line snippet under a strict CSP and solves in the iframe', async () => {
  const { puzzle, solution } = FIXTURES.easy[0];
  const html = fs.readFileSync(path.join(here, 'blog.html'), 'utf8')
    .replaceAll('WIDGET_ORIGIN', widget.origin).replace('PUZZLE', puzzle);
  const blog = await serve({ root: here, base: '/nothing/', extra: { '/post.html': ['text/html; charset=utf-8', html] } });
  const { context, close } = await launch('cpu');
  try {
    const log = []; const requests = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await open(context, `${blog.origin}/post.html`, log);
    const frame = page.frameLocator('iframe');
    await frame.locator('.app[data-status="done"]').waitFor({ timeout: 240_000 });
    await frame.locator('#to-end').click();
    const digits = await frame.locator('.grid .cell').evaluateAll((cells) => cells.map((c) => c.dataset.digit).join(''));
    assert.equal(digits.replaceAll('0', '.'), solution);
    assert.equal(await page.locator('iframe').count(), 1);
    // data-attempts="4" reaches the widget: four attempts side by side.
    assert.match(await page.getAttribute('iframe', 'src'), /[?&]k=4(&|$)/);
    assert.equal(await frame.locator('#attempts-strip .mini').count(), 4);
    const outside = requests.filter((u) => !u.startsWith(widget.origin) && u !== `${blog.origin}/post.html`);
    assert.deepEqual(outside, [], 'the widget made requests outside its origin');
    const violations = log.filter((l) => /Content Security Policy|Refused to/i.test(l));
    assert.deepEqual(violations, []);
    await screenshot(page, 'embedded-widget');
  } finally { await close(); await blog.close(); }
});

/** Fine-tuning steps on WebGPU. SwiftShader runs each in seconds here (20 steps took 400-550 s
 * of CI), and 5 show the chart, the loss and the saved weights as well as 20 did. */
const WEBGPU_STEPS = 5;

test(`fine-tuning ${WEBGPU_STEPS} steps on WebGPU updates the loss chart with finite losses`, async () => {
  const { context, close } = await launch('webgpu');
  try {
    const log = [];
    const page = await open(context, `${widget.url}?s=${FIXTURES.easy[0].puzzle}&backend=webgpu`, log);
    await waitStatus(page, 'ready');
    assert.equal(await page.getAttribute('.app', 'data-backend'), 'webgpu');
    await page.click('#train-panel summary');
    await page.fill('#train-steps', String(WEBGPU_STEPS));
    await page.dispatchEvent('#train-steps', 'change');
    await page.selectOption('#train-batch', '1');
    await page.selectOption('#train-tier', 'easy');
    const start = Date.now();
    await page.click('#train-start', { noWaitAfter: true });
    await page.waitForSelector('#train-status[data-steps="1"]', { timeout: 1_500_000 });
    const firstStep = Date.now();
    await page.waitForSelector(`#train-status[data-steps="${WEBGPU_STEPS}"]`, { timeout: 1_500_000 });
    console.log(`WebGPU fine-tuning: first step after ${((firstStep - start) / 1000).toFixed(1)} s, `
      + `${WEBGPU_STEPS - 1} more in ${((Date.now() - firstStep) / 1000).toFixed(1)} s`);
    await waitStatus(page, 'ready', 120_000);
    const points = Number(await page.getAttribute('#chart-train-loss polyline', 'data-points'));
    assert.equal(points, WEBGPU_STEPS);
    const status = await page.textContent('#train-status');
    const loss = Number(/loss ([0-9.]+)/.exec(status)[1]);
    assert.ok(Number.isFinite(loss) && loss > 0, status);
    await screenshot(page, 'finetune-webgpu');
    // The fine-tuned weights persist across a reload (IndexedDB).
    await page.reload();
    await waitStatus(page, 'ready');
    assert.match(await page.textContent('.load'), /fine-tuned weights saved in this browser/);
    console.log(log.filter((l) => !/integrity/.test(l)).join('\n'));
  } finally { await close(); }
});
