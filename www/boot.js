// Starts the app, on the page (index.html) and in the embed (embed.html). A file rather than
// trunk's inline starter script, so that both pages hold a CSP without 'unsafe-inline'.
import init, * as bindings from './trm-app.js';

await init({ module_or_path: new URL('trm-app_bg.wasm', import.meta.url) });
// The browser benchmarks (tests/browser/bench*.mjs) call the app's exported functions.
window.wasmBindings = bindings;
