// The page's core flows in the other engines, on the CPU path: Firefox ESR (geckodriver) and
// WebKitGTK, Safari's engine (WebKitWebDriver under Xvfb). Load, paste a PUZZLE,SOLUTION line,
// solve with K = 4 and compare the grid with the solution; the maze page; then the embed on
// another origin.
// scripts/setup.sh installs both; where one is missing the test skips and names it, unless
// TRM_ALL_ENGINES=1 (the test command sets it), where that is a failure.
import assert from 'node:assert/strict';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { ARTIFACTS, FIXTURES, serve } from './lib.mjs';
import { ENGINES, startSession } from './webdriver.mjs';

const REQUIRED = process.env.TRM_ALL_ENGINES === '1';

/** The digits shown in the grid, as an 81-character line ('.' for empty). */
const gridLine = () => [...document.querySelectorAll('.grid .cell')].map((c) => (c.dataset.digit === '0' ? '.' : c.dataset.digit)).join('');
const statusIs = (wanted) => document.querySelector('.app')?.dataset.status === wanted;
/** What the page shows, for a timeout's message. */
const pageState = () => ({
  status: document.querySelector('.app')?.dataset.status,
  solveEnabled: document.querySelector('#solve') ? !document.querySelector('#solve').disabled : 'no button',
  notice: document.querySelector('.notice')?.textContent,
  readouts: document.querySelector('#readouts')?.textContent,
});

let widget;
before(async () => { widget = await serve({ base: '/trm/' }); });
after(async () => { await widget.close(); });

for (const [engine, spec] of Object.entries(ENGINES)) {
  const skip = !REQUIRED && spec.missing.length > 0 && `${spec.name} needs ${spec.missing.join(', ')} (scripts/setup.sh installs them)`;
  describe(`in ${spec.name}`, { skip }, () => {
    let session;
    before(async () => { session = await startSession(engine); });
    after(async () => { await session?.quit(); });

    test('load, paste, solve with K = 4: the grid equals the solution', async () => {
      const started = Date.now();
      await session.goto(`${widget.url}?backend=cpu&k=4`);
      await session.waitFor(statusIs, { what: 'ready' }, 'ready');
      const readyMs = Date.now() - started;
      assert.equal(await session.evaluate(() => document.querySelector('.app').dataset.backend), 'cpu');
      assert.equal(await session.evaluate(() => document.querySelector('#attempts').value), '4');

      // Typed key by key as a visitor pastes: a PUZZLE,SOLUTION line, then Enter.
      const { puzzle, solution } = FIXTURES.medium[0];
      await session.type('#paste', `${puzzle},${solution}\uE007`);
      await session.waitFor((p) => [...document.querySelectorAll('.grid .cell')].map((c) => (c.dataset.digit === '0' ? '.' : c.dataset.digit)).join('') === p, { timeout: 10_000, what: 'the pasted puzzle' }, puzzle);

      // The driver's click does not wait for the button to be enabled, as a visitor would.
      await session.waitFor(() => document.querySelector('#solve')?.disabled === false, { timeout: 10_000, what: 'Solve enabled', explain: pageState });
      const solveStart = Date.now();
      await session.click('#solve');
      await session.waitFor(statusIs, { what: 'done', explain: pageState }, 'done');
      const solveMs = Date.now() - solveStart;
      await session.click('#to-end');
      assert.equal(await session.evaluate(gridLine), solution);
      assert.equal(await session.evaluate(() => document.querySelectorAll('#attempts-strip .mini').length), 4);
      assert.equal(await session.evaluate(() => document.querySelectorAll('.crash, .notice.error').length), 0);
      await session.screenshot(path.join(ARTIFACTS, `engine-${engine}.png`));
      console.log(`${session.browser}: ready in ${readyMs} ms; medium puzzle, K = 4, solved in ${solveMs} ms (incl. WebDriver polling)`);
    });

    test('the maze page loads its model and solves a maze', async () => {
      await session.goto(`${widget.url}?task=maze&k=1`);
      const mazeIs = (wanted) => document.querySelector('.app')?.dataset.mazeStatus === wanted;
      await session.waitFor(mazeIs, { what: 'the maze model' }, 'ready');
      const side = await session.evaluate(() => Number(document.querySelector('#maze').dataset.side));
      assert.equal(await session.evaluate(() => document.querySelectorAll('#maze .tile').length), side * side);
      const start = Date.now();
      await session.click('#maze-solve');
      await session.waitFor(() => document.querySelector('#maze-story')?.textContent, { what: 'the maze solve' });
      const story = await session.evaluate(() => document.querySelector('#maze-story').textContent);
      assert.match(story, /net calls/);
      assert.equal(await session.evaluate(() => document.querySelectorAll('.crash, .notice.error').length), 0);
      console.log(`${session.browser}: maze ${side}×${side}, K = 1, solved in ${Date.now() - start} ms: ${story}`);
    });

    test('the embed on another origin sizes its frame and solves', async () => {
      const { puzzle, solution } = FIXTURES.easy[0];
      const html = `<!doctype html><html><head><meta charset="utf-8"><title>post</title></head>
<body style="margin:0"><main style="max-width:720px;margin:0 auto"><h1>A post</h1>
<script src="${widget.url}embed.js" data-puzzle="${puzzle}" data-attempts="4" data-backend="cpu" async></script>
<p>After the widget.</p></main></body></html>`;
      const host = await serve({ root: '/nonexistent', base: '/nothing/', extra: { '/post.html': ['text/html; charset=utf-8', html] } });
      try {
        await session.goto(`${host.origin}/post.html`);
        await session.waitFor(() => document.querySelector('iframe')?.src, { timeout: 30_000, what: 'the frame' });
        await session.frame('iframe');
        await session.waitFor(statusIs, { what: 'done' }, 'done');
        await session.click('#to-end');
        assert.equal(await session.evaluate(gridLine), solution);
        const content = await session.evaluate(() => document.documentElement.scrollHeight);
        await session.frame(null);
        // The widget's size message reached the host: the frame is its content's height.
        const height = await session.waitFor((want) => {
          const h = document.querySelector('iframe').getBoundingClientRect().height;
          return Math.abs(h - want) <= 2 && h;
        }, { timeout: 10_000, what: 'the frame to take its content height' }, content);
        assert.ok(height > 300, `frame ${height} px`);
      } finally { await host.close(); }
    });
  });
}
