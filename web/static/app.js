// The playground page: sends the program to the engine (worker.js) as the
// user types and shows what comes back. No mathematics happens here.

const $ = (id) => document.getElementById(id);
const DEBOUNCE_MS = 120;

const state = { wrt: '', format: 'text', result: null, computeId: 0 };
const timings = { computations: [], updates: [], firstResult: null };
window.matcalcTimings = timings;

// --- the engine, in a worker (restarted if it traps) ---------------------
let worker = null;
let nextId = 1;
const pending = new Map();

function startWorker() {
  worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
  worker.onmessage = (event) => {
    const { id, result, failure, ms } = event.data;
    const call = pending.get(id);
    if (!call) return;
    pending.delete(id);
    if (failure !== undefined) {
      restartWorker();
      call.reject(new Error(failure));
    } else {
      call.resolve({ result, ms });
    }
  };
  worker.onerror = (event) => {
    event.preventDefault();
    const message = event.message || 'the engine could not start';
    for (const call of pending.values()) call.reject(new Error(message));
    pending.clear();
    restartWorker();
  };
}

function restartWorker() {
  if (worker) worker.terminate();
  for (const call of pending.values()) call.reject(new Error('the engine stopped'));
  pending.clear();
  startWorker();
}

function engine(call, args) {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject });
    worker.postMessage({ id, call, args });
  });
}
window.matcalcEngine = engine;

// --- rendering -------------------------------------------------------------
function renderMath(element, latex) {
  try {
    katex.render(latex, element, { displayMode: true, throwOnError: true, output: 'htmlAndMathml' });
  } catch (error) {
    element.textContent = latex;
  }
}

function showError(error) {
  const box = $('error');
  if (!error) {
    box.hidden = true;
    $('program').removeAttribute('aria-invalid');
    return;
  }
  $('error-text').textContent = error.rendered;
  state.errorSpan = Number.isInteger(error.start) ? [error.start, Math.max(error.end, error.start + 1)] : null;
  $('show-error').hidden = !state.errorSpan;
  box.hidden = false;
  $('program').setAttribute('aria-invalid', 'true');
}

function describeVariable(v) {
  const note = v.definition ? ', a definition' : v.inferred ? ', inferred' : '';
  return `${v.name} — ${v.kind}${note}`;
}

function fillVariables(variables, wrt) {
  const select = $('wrt');
  const options = variables.map((v) => {
    const option = document.createElement('option');
    option.value = v.name;
    option.textContent = describeVariable(v);
    option.selected = v.name === wrt;
    return option;
  });
  select.replaceChildren(...options);
  select.disabled = variables.length === 0;
}

function showSource() {
  const d = state.result && state.result.derivative;
  const source = $('result-source');
  if (!d || !d.ok) {
    source.textContent = '';
    return;
  }
  source.textContent = d[state.format];
  source.setAttribute('aria-label', `The result as ${state.format === 'unicode' ? 'Unicode text' : state.format}`);
}

function showResult(result) {
  state.result = result;
  showError(null);
  fillVariables(result.variables, result.wrt);
  state.wrt = result.wrt || '';
  const notes = $('notes');
  notes.hidden = result.notes.length === 0;
  notes.replaceChildren(...result.notes.map((n) => Object.assign(document.createElement('pre'), { textContent: n })));
  const d = result.derivative;
  document.querySelector('.output').classList.remove('stale');
  if (!d) {
    $('result-math').textContent = 'The program has no variable to differentiate by.';
    $('steps-math').textContent = '';
    $('steps-text').textContent = '';
    $('numpy').textContent = '';
  } else if (!d.ok) {
    $('result-math').replaceChildren(Object.assign(document.createElement('pre'), { className: 'error', textContent: d.error.rendered }));
    $('steps-math').textContent = '';
    $('steps-text').textContent = '';
    $('numpy').textContent = '';
  } else {
    renderMath($('result-math'), d.latex);
    if (d.steps) {
      renderMath($('steps-math'), d.steps.latex);
      $('steps-text').textContent = d.steps.unicode;
    } else {
      $('steps-math').textContent = d.steps_error ? `No derivation: ${d.steps_error.message}.` : '';
      $('steps-text').textContent = '';
    }
    $('numpy').textContent = d.numpy;
  }
  showSource();
  $('graph').innerHTML = result.svg || '';
  $('graph').setAttribute('aria-label', `Computational graph of the value${result.wrt ? `, ${result.wrt} highlighted` : ''}`);
}

// --- the program, the variable and the link ----------------------------------
function writeFragment() {
  const params = new URLSearchParams();
  params.set('program', $('program').value);
  if (state.wrt) params.set('wrt', state.wrt);
  history.replaceState(null, '', `#${params.toString()}`);
}

function readFragment() {
  const params = new URLSearchParams(location.hash.slice(1));
  if (!params.has('program')) return null;
  return { program: params.get('program'), wrt: params.get('wrt') || '' };
}

async function compute() {
  const id = ++state.computeId;
  const source = $('program').value;
  const started = performance.now();
  let answer;
  try {
    answer = await engine('playground', { source, wrt: state.wrt });
  } catch (error) {
    if (id !== state.computeId) return;
    showError({ rendered: `error: the engine stopped: ${error.message}\n(the page has restarted it; edit the program to try again)` });
    $('status').textContent = 'The engine stopped on this program.';
    return;
  }
  if (id !== state.computeId) return; // a newer keystroke is on its way
  const { result, ms } = answer;
  if (result.ok) {
    showResult(result);
  } else {
    showError(result.error);
    document.querySelector('.output').classList.add('stale');
  }
  const total = performance.now() - started;
  timings.computations.push(ms);
  timings.updates.push(total);
  if (timings.firstResult === null) timings.firstResult = performance.now();
  $('status').textContent = result.ok
    ? `Computed in ${ms.toFixed(1)} ms.`
    : `The program has an error (line ${result.error.line ?? '?'}); the results below are for the last program without one.`;
  writeFragment();
  document.body.dataset.computed = String(id);
}

let timer = null;
function scheduleCompute() {
  clearTimeout(timer);
  timer = setTimeout(compute, DEBOUNCE_MS);
}

// --- verify -------------------------------------------------------------------
async function runVerify(event) {
  event.preventDefault();
  const claim = $('claim').value;
  const box = $('verdict');
  const title = $('verdict-title');
  box.hidden = false;
  box.className = 'verdict';
  title.textContent = 'Checking…';
  $('verdict-reason').textContent = '';
  $('verdict-answer').textContent = '';
  let result;
  try {
    ({ result } = await engine('verify', { source: $('program').value, wrt: state.wrt, claim }));
  } catch (error) {
    title.textContent = `The engine stopped: ${error.message}`;
    return;
  }
  if (!result.ok) {
    box.classList.add('wrong');
    title.textContent = result.in === 'claim' ? 'Your derivative has an error:' : 'The program has an error:';
    $('verdict-reason').textContent = result.error.rendered;
  } else {
    box.classList.add(result.correct ? 'correct' : 'wrong');
    const words = {
      'same form': 'Correct: it is matcalc\u2019s answer in the same canonical form.',
      agrees: 'Correct: it equals matcalc\u2019s answer at random points.',
      'wrong shape': 'Wrong: it has another shape than the derivative.',
      differs: 'Wrong: it differs from the derivative at a random point.',
      undecided: 'Could not decide.',
    };
    title.textContent = words[result.kind] || result.kind;
    $('verdict-reason').textContent = result.reason;
    $('verdict-answer').textContent = result.answer;
  }
  box.dataset.kind = result.ok ? result.kind : 'error';
}

// --- copy and download -----------------------------------------------------------
async function copy(text, what) {
  try {
    await navigator.clipboard.writeText(text);
  } catch (error) {
    const area = Object.assign(document.createElement('textarea'), { value: text });
    document.body.append(area);
    area.select();
    document.execCommand('copy');
    area.remove();
  }
  $('status').textContent = `Copied ${what}.`;
}

function download(name, text) {
  const url = URL.createObjectURL(new Blob([text], { type: 'text/x-python' }));
  const link = Object.assign(document.createElement('a'), { href: url, download: name });
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

// --- start ------------------------------------------------------------------------
async function main() {
  startWorker();
  const [{ result: examples }, { result: seed }] = await Promise.all([engine('examples'), engine('seed')]);
  const menu = $('examples');
  examples.forEach((example, i) => {
    menu.append(Object.assign(document.createElement('option'), { value: String(i), textContent: example.title }));
  });
  menu.addEventListener('change', () => {
    const example = examples[Number(menu.value)];
    if (!example) return;
    $('program').value = example.program;
    state.wrt = example.wrt;
    $('verdict').hidden = true;
    compute();
  });
  const shared = readFragment();
  $('program').value = shared ? shared.program : seed;
  state.wrt = shared ? shared.wrt : '';
  $('program').addEventListener('input', scheduleCompute);
  $('wrt').addEventListener('change', () => {
    state.wrt = $('wrt').value;
    $('verdict').hidden = true;
    compute();
  });
  for (const radio of document.querySelectorAll('input[name="format"]')) {
    radio.addEventListener('change', () => {
      state.format = radio.value;
      showSource();
    });
  }
  $('copy-result').addEventListener('click', () => copy($('result-source').textContent, 'the result'));
  $('copy-numpy').addEventListener('click', () => copy($('numpy').textContent, 'the NumPy code'));
  $('download-numpy').addEventListener('click', () => {
    const d = state.result && state.result.derivative;
    if (d && d.ok) download(`${d.numpy_name}.py`, d.numpy);
  });
  $('copy-link').addEventListener('click', () => {
    writeFragment();
    copy(location.href, 'the link');
  });
  $('verify-form').addEventListener('submit', runVerify);
  $('show-error').addEventListener('click', () => {
    if (!state.errorSpan) return;
    const editor = $('program');
    editor.focus();
    editor.setSelectionRange(...state.errorSpan);
  });
  window.addEventListener('hashchange', () => {
    const shared = readFragment();
    if (!shared || (shared.program === $('program').value && shared.wrt === state.wrt)) return;
    $('program').value = shared.program;
    state.wrt = shared.wrt;
    compute();
  });
  await compute();
  document.body.dataset.ready = 'true';
}

window.addEventListener('DOMContentLoaded', () => {
  main().catch((error) => {
    showError({ rendered: `error: the engine could not start: ${error.message}` });
  });
});
