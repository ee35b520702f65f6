// The page on both paths: WebGPU (SwiftShader flags) and the CPU fallback (no flags).
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, fixedOnSwiftShader, forceBackend, gridLine, launch, open, screenshot, serve, waitStatus } from './lib.mjs';

/** A puzzle as `trm solve` prints it: nine rows, with `|` and `------+-------+------` between boxes. */
function boxed(line) {
  const rows = [];
  for (let r = 0; r < 9; r += 1) {
    if (r === 3 || r === 6) rows.push('------+-------+------');
    const cells = [...line.slice(r * 9, r * 9 + 9)];
    rows.push([cells.slice(0, 3), cells.slice(3, 6), cells.slice(6, 9)].map((b) => b.join(' ')).join(' | '));
  }
  return rows.join('\n');
}

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

test('the grid renders the ?s= puzzle', async () => {
  const { context, close } = await launch('cpu');
  try {
    const { puzzle } = FIXTURES.medium[0];
    const page = await open(context, `${server.url}?s=${puzzle}`);
    await page.waitForSelector('.grid .cell[data-cell="80"]');
    assert.equal(await page.locator('.grid .cell').count(), 81);
    assert.equal(await gridLine(page), puzzle);
    const givens = await page.locator('.grid .cell.given').count();
    assert.equal(givens, [...puzzle].filter((c) => c !== '.').length);
    await screenshot(page, 'grid-from-url');
  } finally { await close(); }
});

test('the page holds its Content-Security-Policy: no inline script, no violation through a solve', async () => {
  const { context, close } = await launch('cpu');
  try {
    await context.addInitScript(() => {
      window.__violations = [];
      document.addEventListener('securitypolicyviolation', (e) => window.__violations.push(`${e.violatedDirective} ${e.blockedURI}`));
    });
    const { puzzle, solution } = FIXTURES.easy[0];
    const log = [];
    const page = await open(context, `${server.url}?s=${puzzle}&k=4`, log);
    await waitStatus(page, 'ready');
    const policy = await page.getAttribute('meta[http-equiv="Content-Security-Policy"]', 'content');
    const scriptSrc = /script-src ([^;]*)/.exec(policy)[1];
    assert.equal(scriptSrc, "'self' 'wasm-unsafe-eval'", policy);
    assert.match(policy, /base-uri 'none'/);
    assert.match(policy, /object-src 'none'/);
    assert.deepEqual(await page.$$eval('script:not([src])', (s) => s.map((e) => e.textContent.slice(0, 80))), [], 'an inline script');
    await page.click('#solve');
    await waitStatus(page, 'done');
    await page.click('#to-end');
    assert.equal(await gridLine(page), solution);
    assert.deepEqual(await page.evaluate(() => window.__violations), []);
    assert.deepEqual(log.filter((l) => /Content Security Policy|\[pageerror\]/.test(l)), []);
  } finally { await close(); }
});

test('every bad link parameter is named in the notice, and a K that is not offered is rounded down', async () => {
  const { context, close } = await launch('cpu');
  try {
    const { puzzle } = FIXTURES.medium[0];
    const page = await open(context, `${server.url}?s=${puzzle}&k=7`);
    await waitStatus(page, 'ready');
    assert.match(await page.textContent('.notice'), /k=7 in the link is not one of the offered attempts \(1, 4, 8, 16, 32 or 64\); using 4\./);
    assert.equal(await page.inputValue('#attempts'), '4');
    assert.equal(await gridLine(page), puzzle, 'the puzzle in the link stays');
    await page.goto(`${server.url}?s=12345x&k=zero&backend=quantum`);
    await waitStatus(page, 'ready');
    const notice = await page.textContent('.notice');
    assert.match(notice, /The puzzle in the link is not valid \(.*'x'.*\); showing a sample instead\./);
    assert.match(notice, /k=zero in the link is not a number of attempts/);
    assert.match(notice, /backend=quantum in the link is not cpu, webgpu or auto/);
  } finally { await close(); }
});

for (const backend of ['webgpu', 'cpu']) {
  describe(`on ${backend}`, () => {
    let browser; let page; const log = [];
    before(async () => {
      browser = await launch(backend);
      const { puzzle } = FIXTURES.easy[0];
      page = await open(browser.context, `${server.url}?s=${puzzle}&k=1${forceBackend(backend)}${fixedOnSwiftShader(backend)}`, log);
      await waitStatus(page, 'ready');
    });
    after(async () => {
      if (log.length) console.log(`browser log (${backend}):\n${log.join('\n')}`);
      await browser.close();
    });

    test('uses the expected backend', async () => {
      assert.equal(await page.getAttribute('.app', 'data-backend'), backend);
      if (backend === 'cpu') assert.match(await page.textContent('.load'), /CPU/);
    });

    test('solves a preset: the final grid is the solution, one ‖Δz‖ point per recursion step', async () => {
      await page.click('button[data-preset="easy"]');
      const { puzzle, solution } = FIXTURES.easy[0];
      assert.equal(await gridLine(page), puzzle);
      await page.click('#solve');
      await waitStatus(page, 'done');
      await page.click('#to-end');
      assert.equal(await gridLine(page), solution);
      const calls = Number(await page.getAttribute('#scrub', 'max')) + 1;
      // data-points counts finite values only: ‖Δz‖ at latent updates and ‖Δy‖ at answer
      // updates, so one point per net call between them.
      const dz = Number(await page.getAttribute('#chart-delta polyline[data-series="‖Δz‖"]', 'data-points'));
      const dy = Number(await page.getAttribute('#chart-delta polyline[data-series="‖Δy‖"]', 'data-points'));
      assert.ok(calls >= 10, `recorded ${calls} calls`);
      assert.equal(dz + dy, calls);
      assert.equal(dy * 5, calls, 'one answer update in every 5 calls (n = 4)');
      const values = (await page.getAttribute('#chart-delta polyline[data-series="‖Δz‖"]', 'points')).split(' ').map((p) => Number(p.split(',')[1]));
      assert.ok(values.every(Number.isFinite) && new Set(values).size > 1, `‖Δz‖ is flat or not finite: ${values}`);
      const norms = Number(await page.getAttribute('#chart-delta polyline[data-series="‖z‖"]', 'data-points'));
      assert.equal(norms, calls);
      assert.match(await page.textContent('#where'), /supervision step \d+\/\d+ · cycle \d+\/\d+ · answer update/);
      assert.match(await page.textContent('#readout-ms-per-call'), /ms/);
      await screenshot(page, `solved-${backend}`);
    });

    test('the latent map shows 81 finite values that follow the cursor', async () => {
      const values = async () => page.$$eval('#latent-map .latent-cell', (cells) => cells.map((c) => Number(c.dataset.value)));
      await page.locator('#scrub').fill('1');
      const early = await values();
      assert.equal(early.length, 81);
      assert.ok(early.every(Number.isFinite), `non-finite ‖Δz‖: ${early}`);
      await page.click('#to-end');
      const late = await values();
      assert.ok(late.every(Number.isFinite));
      assert.notDeepEqual(early, late, 'scrubbing to another call must change the map');
      await page.click('#latent-direction');
      assert.equal(await page.getAttribute('#latent-map', 'data-view'), 'direction');
      const colours = await page.$$eval('#latent-map .latent-cell', (cells) => cells.map((c) => c.style.background));
      assert.equal(new Set(colours).size > 1, true, 'the direction view colours cells differently');
      await page.click('#latent-change');
      await screenshot(page, `latent-${backend}`);
    });

    test('reads at phone width and in dark mode', { skip: backend !== 'cpu' && 'the layout does not depend on the backend: checked on the CPU path' }, async () => {
      const { puzzle } = FIXTURES.medium[0];
      for (const [width, theme] of [[390, 'light'], [390, 'dark'], [1200, 'dark']]) {
        const view = await open(browser.context, `${server.url}?s=${puzzle}&k=1&theme=${theme}`, log);
        await view.setViewportSize({ width, height: 900 });
        await waitStatus(view, 'ready');
        await view.click('#solve');
        await waitStatus(view, 'done');
        await view.locator('#scrub').fill('3');
        // Nothing overflows the page sideways at phone width.
        const overflow = await view.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
        assert.ok(overflow <= 0, `${width}px ${theme}: ${overflow}px of horizontal overflow`);
        await screenshot(view, `page-${width}-${theme}`);
        await view.close();
      }
    });

    test('stepping and scrubbing change the grid', async () => {
      const end = await gridLine(page);
      await page.locator('#scrub').fill('0');
      const start = await gridLine(page);
      assert.notEqual(start, end);
      assert.match(await page.textContent('#where'), /supervision step 1\/\d+ · cycle 1\/\d+ · latent update 1\//);
      await page.click('#step-forward');
      assert.match(await page.textContent('#where'), /latent update 2\//);
      await page.click('#to-end');
      await page.click('#step-back');
      assert.match(await page.textContent('#where'), /latent update/);
      await screenshot(page, `scrubbed-${backend}`);
    });

    test('invalid input shows an error and the page still works', async () => {
      await page.fill('#paste', '12345x');
      await page.click('#load');
      await page.waitForSelector('.notice.error');
      assert.match(await page.textContent('.notice.error'), /invalid character 'x'/);
      await page.fill('#paste', FIXTURES.contradictory);
      await page.click('#load');
      assert.match(await page.textContent('#puzzle-error'), /appears twice/);
      assert.ok(await page.isDisabled('#solve'));
      await page.fill('#paste', FIXTURES.multiple);
      await page.click('#load');
      assert.match(await page.textContent('#puzzle-error'), /more than one solution/);
      await screenshot(page, `invalid-${backend}`);
      const { puzzle, solution } = FIXTURES.easy[1];
      // The forms the CLI prints load too: its boxed 9-line grid, and a PUZZLE,SOLUTION line.
      await page.fill('#paste', boxed(FIXTURES.easy[0].puzzle));
      await page.click('#load');
      assert.equal(await gridLine(page), FIXTURES.easy[0].puzzle);
      await page.fill('#paste', `${puzzle},${solution}`);
      await page.press('#paste', 'Enter');
      assert.equal(await gridLine(page), puzzle);
      assert.ok(!(await page.isDisabled('#solve')));
      await page.click('#solve');
      await waitStatus(page, 'done');
      await page.click('#to-end');
      assert.equal(await gridLine(page), solution);
      assert.equal(await page.locator('.crash').count(), 0);
    });
  });
}
