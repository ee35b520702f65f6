// One-line embed: <script src="https://YOUR-HOST/trm/embed.js" data-puzzle="…81 chars…" async></script>
// Inserts an iframe with the widget after the script tag, or into data-target (a CSS selector).
// Options (data-*): puzzle, autoplay (1|0), controls (min|full), theme (auto|light|dark), width,
// attempts (K parallel attempts: 1, 4, 8, 16, 32 or 64; default: what the reader's backend runs fast).
// It only creates an iframe pointing at this script's own folder: no other requests, no inline
// code or styles in the host page, so it works under a strict Content-Security-Policy as long
// as the host allows this origin in script-src and frame-src.
(function () {
  var script = document.currentScript;
  if (!script) return;
  var data = script.dataset;
  var base = new URL('.', script.src);
  var params = new URLSearchParams();
  if (data.puzzle) params.set('s', data.puzzle);
  params.set('autoplay', data.autoplay || '1');
  params.set('controls', data.controls || 'min');
  params.set('theme', data.theme || 'auto');
  if (data.attempts) params.set('k', data.attempts);
  params.set('embed', '1');
  var frame = document.createElement('iframe');
  frame.src = new URL('embed.html?' + params.toString(), base).href;
  frame.title = 'A Tiny Recursive Model solving Sudoku';
  frame.loading = 'lazy';
  frame.setAttribute('allow', 'clipboard-write');
  frame.style.width = '100%';
  frame.style.maxWidth = data.width || '760px';
  frame.style.aspectRatio = '4 / 3';
  frame.style.border = '0';
  var target = data.target ? document.querySelector(data.target) : null;
  if (target) target.appendChild(frame);
  else script.parentNode.insertBefore(frame, script.nextSibling);
})();
