// The widget as a blogger uses it: it fits its frame at desktop and phone width, loads nothing
// until scrolled into view, the "Embed" dialog's snippet reproduces the puzzle and settings on a
// fresh page, and "Download animation" gives a GIF that decodes. CPU path (the widget's layout
// does not depend on the backend).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import { after, before, test } from 'node:test';
import { ARTIFACTS, FIXTURES, launch, open, serve, waitStatus } from './lib.mjs';

/** A page that keeps telling its parent to make the widget's frame 4321 px tall. */
const HOSTILE = `<!doctype html><html><body><script>
setInterval(() => parent.postMessage({ type: 'trm-embed-size', height: 4321 }, '*'), 50);
</script></body></html>`;

let widget;
before(async () => { widget = await serve({ base: '/trm/', extra: { '/trm/hostile.html': ['text/html; charset=utf-8', HOSTILE] } }); });
after(async () => { await widget.close(); });

/** A blog page on another origin with `snippet` in a 720 px column, after `spacer` px of text. */
async function blog(snippet, spacer = 0) {
  const html = `<!doctype html><html><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>post</title></head>
<body style="margin:0"><main style="max-width:720px;margin:0 auto;padding:0 8px">
<h1>Tiny networks can reason</h1><div style="height:${spacer}px">Long text.</div>
${snippet}
<p>Text after the widget.</p><div style="height:2000px"></div></main></body></html>`;
  return serve({ root: '/nonexistent', base: '/nothing/', extra: { '/post.html': ['text/html; charset=utf-8', html] } });
}

const script = (puzzle, extra = '') => `<script src="${widget.url}embed.js" data-puzzle="${puzzle}" data-attempts="4"${extra} async></script>`;

for (const width of [1280, 390]) {
  test(`at ${width} px the frame takes its content's height and shows the grid and the play button`, async () => {
    const { puzzle } = FIXTURES.easy[0];
    const host = await blog(script(puzzle));
    const { context, close } = await launch('cpu');
    try {
      const page = await open(context, `${host.origin}/post.html`);
      await page.setViewportSize({ width, height: 900 });
      const frame = page.frameLocator('iframe');
      await frame.locator('.app[data-status="done"]').waitFor({ timeout: 240_000 });
      await page.waitForTimeout(300);
      const frameBox = await page.locator('iframe').boundingBox();
      const content = await frame.locator('html').evaluate((el) => el.scrollHeight);
      assert.ok(Math.abs(frameBox.height - content) <= 2, `frame ${frameBox.height} px, content ${content} px`);
      const inner = await frame.locator('html').evaluate((el) => el.scrollHeight - el.clientHeight);
      assert.ok(inner <= 0, `the frame scrolls by ${inner} px inside`);
      // Every cell and the play button lie inside the frame's box.
      for (const selector of ['.grid .cell >> nth=0', '.grid .cell >> nth=80', '#play']) {
        const box = await frame.locator(selector).boundingBox();
        assert.ok(box.y >= frameBox.y - 1 && box.y + box.height <= frameBox.y + frameBox.height + 1, `${selector} outside the frame`);
        assert.ok(box.x >= frameBox.x - 1 && box.x + box.width <= frameBox.x + frameBox.width + 1, `${selector} outside the frame`);
      }
      await page.screenshot({ path: `${ARTIFACTS}/embed-${width}.png`, fullPage: false });
    } finally { await close(); await host.close(); }
  });
}

test('size messages from the host page, a cross-origin frame and a sibling frame of the widget origin are ignored', async () => {
  const { puzzle } = FIXTURES.easy[0];
  const third = await serve({ root: '/nonexistent', base: '/nothing/', extra: { '/hostile.html': ['text/html; charset=utf-8', HOSTILE] } });
  const frames = `<iframe id="third" src="${third.origin}/hostile.html" style="height:10px"></iframe>`
    + `<iframe id="sibling" src="${widget.url}hostile.html" style="height:10px"></iframe>`;
  const host = await blog(script(puzzle) + frames);
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, `${host.origin}/post.html`);
    const widgetFrame = page.frameLocator('iframe >> nth=0');
    await widgetFrame.locator('.app[data-status="done"]').waitFor({ timeout: 240_000 });
    // Count the hostile messages that reach the host page, by sender origin.
    await page.evaluate(() => {
      window.__hostile = {};
      addEventListener('message', (e) => { if (e.data?.height === 4321) window.__hostile[e.origin] = (window.__hostile[e.origin] || 0) + 1; });
      // The host page itself posts too.
      for (let i = 0; i < 20; i += 1) window.postMessage({ type: 'trm-embed-size', height: 4321 }, '*');
    });
    await page.waitForFunction((origins) => origins.every((o) => (window.__hostile[o] || 0) >= 20), [host.origin, third.origin, widget.origin], { timeout: 10_000 });
    const height = () => page.locator('iframe >> nth=0').evaluate((f) => f.getBoundingClientRect().height);
    const content = await widgetFrame.locator('html').evaluate((el) => el.scrollHeight);
    assert.ok(Math.abs(await height() - content) <= 2, `frame ${await height()} px, content ${content} px`);
    // The widget's own message is obeyed, so the listener was live all along.
    await widgetFrame.locator('html').evaluate(() => parent.postMessage({ type: 'trm-embed-size', height: 777 }, '*'));
    await page.waitForFunction(() => document.querySelector('iframe').getBoundingClientRect().height === 777, null, { timeout: 5000 });
  } finally { await close(); await host.close(); await third.close(); }
});

test('a fixed box keeps its 4:3 shape and the layout fits it', async () => {
  const { puzzle } = FIXTURES.easy[0];
  const host = await blog(script(puzzle, ' data-height="fixed"'));
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, `${host.origin}/post.html`);
    const frame = page.frameLocator('iframe');
    await frame.locator('.app[data-status="done"]').waitFor({ timeout: 240_000 });
    const frameBox = await page.locator('iframe').boundingBox();
    assert.ok(Math.abs(frameBox.width / frameBox.height - 4 / 3) < 0.02, `${frameBox.width}x${frameBox.height}`);
    for (const selector of ['.grid .cell >> nth=80', '#play']) {
      const box = await frame.locator(selector).boundingBox();
      assert.ok(box.y + box.height <= frameBox.y + frameBox.height + 1, `${selector} below the box`);
    }
    await page.screenshot({ path: `${ARTIFACTS}/embed-fixed.png` });
  } finally { await close(); await host.close(); }
});

test('below the fold the widget requests nothing until scrolled into view, then solves', async () => {
  const { puzzle, solution } = FIXTURES.easy[0];
  const host = await blog(script(puzzle), 3000);
  const { context, close } = await launch('cpu');
  try {
    const requests = [];
    context.on('request', (r) => requests.push(r.url()));
    const page = await open(context, `${host.origin}/post.html`);
    await page.waitForTimeout(1500);
    assert.ok(!requests.some((u) => /model\.bpk|\.wasm|embed\.html/.test(u)), `loaded early: ${requests.join(', ')}`);
    await page.locator('iframe').scrollIntoViewIfNeeded();
    const frame = page.frameLocator('iframe');
    await frame.locator('.app[data-status="done"]').waitFor({ timeout: 240_000 });
    assert.ok(requests.some((u) => /model\.bpk/.test(u)), 'the weights were never requested');
    await frame.locator('#to-end').click();
    const digits = await frame.locator('.grid .cell').evaluateAll((cells) => cells.map((c) => c.dataset.digit).join(''));
    assert.equal(digits.replaceAll('0', '.'), solution);
  } finally { await close(); await host.close(); }
});

test('the embed dialog snippet reproduces the puzzle and settings on a fresh page', async () => {
  const { puzzle } = FIXTURES.medium[0];
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, `${widget.url}?s=${puzzle}&k=1`);
    await waitStatus(page, 'ready');
    await page.click('#embed-open');
    await page.selectOption('#embed-attempts', '8');
    await page.selectOption('#embed-theme', 'dark');
    const snippet = await page.inputValue('#embed-snippet');
    assert.match(snippet, new RegExp(`data-puzzle="${puzzle.replaceAll('.', '\\.')}"`));
    assert.match(snippet, /data-attempts="8"/);
    assert.match(snippet, /data-theme="dark"/);
    assert.match(await page.getAttribute('#embed-preview', 'src'), /k=8/);
    const host = await blog(snippet);
    try {
      const post = await open(context, `${host.origin}/post.html`);
      const frame = post.frameLocator('iframe');
      await frame.locator('.app[data-status="done"]').waitFor({ timeout: 240_000 });
      const shown = await frame.locator('.grid .cell.given').count();
      assert.equal(shown, [...puzzle].filter((c) => c !== '.').length);
      assert.equal(await frame.locator('#attempts-strip .mini').count(), 8);
      assert.equal(await frame.locator('html').getAttribute('data-theme'), 'dark');
    } finally { await host.close(); }
  } finally { await close(); }
});

test('download animation gives a GIF that decodes', async () => {
  const { puzzle } = FIXTURES.medium[0];
  const { context, close } = await launch('cpu');
  try {
    const page = await open(context, `${widget.url}?s=${puzzle}&k=1`);
    await waitStatus(page, 'ready');
    await page.click('#solve');
    await waitStatus(page, 'done');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-gif')]);
    const path = `${ARTIFACTS}/animation.gif`;
    await download.saveAs(path);
    const bytes = fs.readFileSync(path);
    assert.equal(bytes.subarray(0, 6).toString('latin1'), 'GIF89a');
    const size = await page.evaluate(async (b64) => {
      const img = new Image();
      img.src = `data:image/gif;base64,${b64}`;
      await img.decode();
      return [img.naturalWidth, img.naturalHeight];
    }, bytes.toString('base64'));
    assert.equal(size[0], 480);
    assert.ok(size[1] > 480);
    assert.match(await page.textContent('.notice'), /Animation saved: \d+ frames, \d+ kB, drawn in \d+ ms/);
    console.log(`GIF: ${bytes.length} bytes; ${await page.textContent('.notice')}`);
  } finally { await close(); }
});
