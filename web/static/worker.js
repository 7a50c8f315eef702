// Runs matcalc (WebAssembly) off the page's thread: each message names a
// function of the façade (web/src/lib.rs) and its arguments; the answer is
// its parsed JSON and the time the engine took, in milliseconds.
import init, { playground, verify, examples, seed } from './pkg/matcalc_web.js';

const ready = init({ module_or_path: new URL('./pkg/matcalc_web_bg.wasm', import.meta.url) });

const calls = {
  playground: (a) => JSON.parse(playground(a.source, a.wrt)),
  verify: (a) => JSON.parse(verify(a.source, a.wrt, a.claim)),
  examples: () => JSON.parse(examples()),
  seed: () => seed(),
};

self.onmessage = async (event) => {
  const { id, call, args } = event.data;
  try {
    await ready;
    const start = performance.now();
    const result = calls[call](args || {});
    self.postMessage({ id, result, ms: performance.now() - start });
  } catch (error) {
    // A trap (stack exhausted, an engine bug) leaves the module unusable:
    // the page starts a new worker.
    self.postMessage({ id, failure: String(error && error.message ? error.message : error) });
  }
};
