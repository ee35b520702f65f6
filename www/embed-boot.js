// Starts the app inside embed.html (no inline script, so a strict CSP holds).
import init from './trm-app.js';
init({ module_or_path: new URL('trm-app_bg.wasm', import.meta.url) });
