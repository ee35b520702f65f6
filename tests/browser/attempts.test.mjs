// Parallel attempts on both paths (WebGPU on SwiftShader, and the CPU fallback), K = 8: the
// strip shows one small grid per attempt, the big grid ends on the true solution, and clicking
// another attempt makes the big grid follow it.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { FIXTURES, forceBackend, gridLine, launch, open, screenshot, serve, waitStatus } from './lib.mjs';

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

/** The digits of attempt `i`'s small grid, as an 81-character line. */
async function miniLine(page, i) {
  return page.$$eval(`#attempts-strip .mini[data-attempt="${i}"] .mini-cell`,
    (cells) => cells.map((c) => c.textContent.trim() || '.').join(''));
}

for (const backend of ['webgpu', 'cpu']) {
  describe(`attempts on ${backend}`, () => {
    let browser; let page; const log = [];
    before(async () => {
      browser = await launch(backend);
      const { puzzle } = FIXTURES.medium[0];
      // The fixed K (budget=off): the strip as it was before the adaptive solve, which
      // adaptive.test.mjs covers.
      page = await open(browser.context, `${server.url}?s=${puzzle}&k=8&budget=off${forceBackend(backend)}`, log);
      await waitStatus(page, 'ready');
    });
    after(async () => {
      await browser.close();
    });

    test('K = 8: eight small grids, the solution in the big grid, and a readout', async () => {
      const { solution } = FIXTURES.medium[0];
      assert.equal(await page.inputValue('#attempts'), '8');
      await page.click('#solve');
      await waitStatus(page, 'done', 600_000);
      assert.equal(await page.locator('#attempts-strip .mini').count(), 8);
      assert.equal(await page.locator('#attempts-strip .mini-grid').first().locator('.mini-cell').count(), 81);
      await page.click('#to-end');
      assert.equal(await gridLine(page), solution);
      const outcome = await page.textContent('#attempts-outcome');
      assert.match(outcome, /^Attempt \d of 8 satisfied every rule at supervision step \d+ \([\d,]+ net calls\)\.$/);
      const winner = Number(outcome.match(/^Attempt (\d)/)[1]) - 1;
      assert.ok(await page.locator(`#attempts-strip .mini[data-attempt="${winner}"].winner`).count() === 1);
      assert.equal(await miniLine(page, winner), solution);
      await screenshot(page, `attempts-${backend}`);
    });

    test('clicking another attempt makes the big grid follow it', async () => {
      const { solution } = FIXTURES.medium[0];
      // An attempt whose answer at the end differs from the winner's (not yet solved there).
      let other = -1;
      for (let i = 0; i < 8; i++) {
        if ((await miniLine(page, i)) !== solution) { other = i; break; }
      }
      assert.ok(other >= 0, 'every attempt had solved the puzzle; pick a harder fixture');
      const expected = await miniLine(page, other);
      await page.click(`#attempts-strip .mini[data-attempt="${other}"]`);
      await page.click('#to-end');
      assert.equal(await page.getAttribute(`#attempts-strip .mini[data-attempt="${other}"]`, 'aria-pressed'), 'true');
      // The big grid shows the givens and that attempt's digits.
      assert.equal(await gridLine(page), expected);
      assert.notEqual(await gridLine(page), solution);
      await screenshot(page, `attempts-followed-${backend}`);
      const errors = log.filter((l) => /^\[(error|pageerror)\]/.test(l));
      assert.deepEqual(errors, [], `console errors:\n${errors.join('\n')}`);
    });
  });
}
