// The adaptive solve, the page's default: an attempt whose halting head stops it on an answer
// that breaks a rule is replaced by a fresh one, and the solve goes on until an answer satisfies
// every rule or the time budget is spent. Both backends; the fixed-K mode stays a choice.
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { forceBackend, gridLine, launch, open, screenshot, serve, waitStatus } from './lib.mjs';

// `trm generate --tier extreme --count 40 --seed 11`: the shipped model's attempt 0 halts at
// step 7 on a wrong answer; its replacement (the plan's attempt 1, noise 0.3 as on the page)
// satisfies every rule at its own step 3. `trm solve <puzzle> --adaptive --noise 0.3` shows it.
const REPLACED = '...28..3..7..3..5......9...9....514.....7.8...3.........8.932...6......135.8....7';
const SOLUTION = '591287634876431952423659718987325146615974823234168579148793265769542381352816497';

let server;
before(async () => { server = await serve(); });
after(async () => { await server.close(); });

for (const backend of ['cpu', 'webgpu']) {
  describe(`on ${backend}`, () => {
    let browser;
    before(async () => { browser = await launch(backend); });
    after(async () => { await browser.close(); });

    test('K = 1 fails the fixture; the adaptive solve replaces the attempt and ends verified', async () => {
      // SwiftShader runs a supervision step in about 5 s: a budget that lets the 10 steps run.
      const budget = backend === 'webgpu' ? '&budget=300' : '';
      const page = await open(browser.context, `${server.url}?s=${REPLACED}&k=1${forceBackend(backend)}${budget}`);
      await waitStatus(page, 'ready');
      assert.equal(await page.isChecked('#adaptive'), true, 'adaptive is the default');
      await page.click('#solve');
      await waitStatus(page, 'done', 600_000);
      const story = await page.textContent('#attempts-outcome');
      if (backend === 'cpu') {
        assert.equal(story, `1 of 2 attempts halted on answers that broke a rule; 1 more attempt; attempt 2 of 2 satisfied every rule at its step 3 (100 net calls).`);
      } else {
        assert.match(story, /attempts? halted on answers that broke a rule; .*satisfied every rule at its step \d+/);
      }
      // The strip shows the replaced attempt (halted) and its replacement (the winner).
      const minis = await page.$$eval('#attempts-strip .mini', (m) => m.map((e) => e.className));
      assert.ok(minis.length >= 2, `${minis.length} attempts in the strip`);
      assert.match(minis[0], /halted/);
      assert.equal(minis.filter((c) => /winner/.test(c)).length, 1);
      assert.match(await page.textContent('#readout-steps'), /\(verified\)/);
      // Compute against time: a sample when the solve started and one per supervision step of
      // the solve (7 of the first attempt, then 3 more), ending at every net call run.
      const compute = await page.$eval('#chart-compute polyline', (l) => ({
        points: Number(l.dataset.points), calls: Number(l.dataset.calls), seconds: Number(l.dataset.seconds),
      }));
      const calls = Number(story.match(/\(([\d,]+) net calls\)/)[1].replace(/,/g, ''));
      if (backend === 'cpu') assert.deepEqual([compute.points, compute.calls], [11, 100]);
      assert.ok(compute.calls >= calls && compute.points >= 3 && compute.seconds > 0, JSON.stringify(compute));
      await page.click('#to-end');
      assert.equal(await gridLine(page), SOLUTION);
      await screenshot(page, `adaptive-${backend}`);
      await page.close();
    });

    test('the fixed K = 1 mode stays a choice, and ends on the wrong grid', { skip: backend !== 'cpu' && 'the fixed mode runs the same engine code on both backends; checked on the CPU path' }, async () => {
      const page = await open(browser.context, `${server.url}?s=${REPLACED}&k=1&budget=off`);
      await waitStatus(page, 'ready');
      assert.equal(await page.isChecked('#adaptive'), false);
      await page.click('#solve');
      await waitStatus(page, 'done');
      assert.match(await page.textContent('#readout-steps'), /^7 \(halted\)/);
      await page.click('#to-end');
      assert.notEqual(await gridLine(page), SOLUTION);
      // Ticking the box turns it back on, and the link forgets budget=off.
      await page.check('#adaptive');
      assert.doesNotMatch(page.url(), /budget=/);
      await page.close();
    });

    test('a tiny time budget ends the solve unverified, and the readout says so', { skip: backend !== 'cpu' && 'the budget is checked by the same engine code on both backends; checked on the CPU path' }, async () => {
      const page = await open(browser.context, `${server.url}?s=${REPLACED}&k=4&budget=0.001`);
      await waitStatus(page, 'ready');
      await page.click('#solve');
      await waitStatus(page, 'done');
      assert.match(await page.textContent('#readout-steps'), /^1 \(out of time\)/);
      assert.match(await page.textContent('#attempts-outcome'), /^No answer satisfied every rule within 0\.001 s; showing the most confident, attempt \d of 4 \(\d+ net calls\)\.$/);
      await page.close();
    });
  });
}

test('a bad budget in the link is named, and the default is used', async () => {
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, `${server.url}?budget=forever`);
    await waitStatus(page, 'ready');
    assert.match(await page.textContent('.notice'), /budget=forever in the link is not a number of seconds \(above 0, at most 600\) or off; using 10 s\./);
    assert.equal(await page.isChecked('#adaptive'), true);
  } finally { await close(); }
});
