// One-line embed: <script src="https://YOUR-HOST/trm/embed.js" data-puzzle="…81 chars…" async></script>
// Inserts an iframe with the widget after the script tag, or into data-target (a CSS selector).
// Options (data-*): puzzle, autoplay (1|0), controls (min|full), theme (auto|light|dark), width,
// attempts (K parallel attempts: 1, 4, 8, 16, 32 or 64; default: what the reader's backend runs
// fast), backend (auto|cpu|webgpu; default auto: the faster on the reader's machine, measured),
// height (auto: the frame grows to its content; fixed: a 4:3 box the layout fits into).
// The frame loads nothing until it scrolls into view, so a widget below the fold costs nothing.
// It only creates an iframe pointing at this script's own folder: no other requests, no inline
// code or styles in the host page, so it works under a strict Content-Security-Policy as long
// as the host allows this origin in script-src and frame-src.
(function () {
  var script = document.currentScript;
  if (!script) return;
  var data = script.dataset;
  var base = new URL('.', script.src);
  var fixed = data.height === 'fixed';
  var params = new URLSearchParams();
  if (data.puzzle) params.set('s', data.puzzle);
  if (data.task) params.set('task', data.task);
  if (data.maze) params.set('m', data.maze);
  params.set('autoplay', data.autoplay || '1');
  params.set('controls', data.controls || 'min');
  params.set('theme', data.theme || 'auto');
  if (data.attempts) params.set('k', data.attempts);
  if (data.backend) params.set('backend', data.backend);
  if (fixed) params.set('height', 'fixed');
  params.set('embed', '1');
  var src = new URL('embed.html?' + params.toString(), base).href;
  var frame = document.createElement('iframe');
  frame.title = 'A Tiny Recursive Model solving Sudoku';
  frame.setAttribute('allow', 'clipboard-write');
  frame.style.width = '100%';
  frame.style.maxWidth = data.width || '760px';
  frame.style.border = '0';
  frame.style.display = 'block';
  // Until the widget reports its height, a 4:3 placeholder keeps the page from jumping much.
  frame.style.aspectRatio = '4 / 3';
  var target = data.target ? document.querySelector(data.target) : null;
  if (target) target.appendChild(frame);
  else script.parentNode.insertBefore(frame, script.nextSibling);

  if (!fixed) {
    window.addEventListener('message', function (event) {
      if (event.origin !== base.origin || event.source !== frame.contentWindow) return;
      var message = event.data;
      if (!message || message.type !== 'trm-embed-size' || typeof message.height !== 'number') return;
      frame.style.aspectRatio = 'auto';
      frame.style.height = Math.ceil(message.height) + 'px';
    });
  }

  var load = function () { if (!frame.src) frame.src = src; };
  if (!('IntersectionObserver' in window)) { load(); return; }
  var observer = new IntersectionObserver(function (entries) {
    for (var i = 0; i < entries.length; i++) {
      if (entries[i].isIntersecting) { observer.disconnect(); load(); return; }
    }
  });
  observer.observe(frame);
})();
