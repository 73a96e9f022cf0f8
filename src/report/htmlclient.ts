/*
 * The script of the HTML report (src/report/html.ts), as plain functions whose source text the
 * report embeds (Function.prototype.toString): no imports, no framework, nothing but the DOM.
 * encodeState/decodeState are unit-tested here; klMain runs in the browser (test/html-browser.test.ts).
 */

// The page's globals, typed loosely here so that the project compiles without the DOM library
// (module-scoped declarations: they emit nothing and shadow nothing elsewhere).
declare const document: any;
declare const window: any;
declare const history: any;
declare const location: any;
type El = any;

/** The list's filter and sort state; '' means "any" (sort: '' is by file). */
export interface ViewState {
  rule: string;
  sev: string;
  sub: string;
  q: string;
  sort: string;
  /** A finding to open and scroll to (its id in the report, f1, f2, ...). */
  id: string;
}

/** The URL fragment for a state: `#rule=x&sub=dev%2Fnetif`, only the keys that are set, in a fixed order. */
export function encodeState(s: ViewState): string {
  const parts: string[] = [];
  for (const k of ['rule', 'sev', 'sub', 'q', 'sort', 'id']) {
    const v = (s as unknown as Record<string, string>)[k];
    if (v) parts.push(k + '=' + encodeURIComponent(v));
  }
  return parts.length ? '#' + parts.join('&') : '';
}

/** The state a fragment encodes; unknown keys and malformed escapes are ignored. */
export function decodeState(hash: string): ViewState {
  const s: ViewState = { rule: '', sev: '', sub: '', q: '', sort: '', id: '' };
  const h = hash.charAt(0) === '#' ? hash.slice(1) : hash;
  for (const part of h.split('&')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    const k = part.slice(0, eq);
    if (['rule', 'sev', 'sub', 'q', 'sort', 'id'].indexOf(k) < 0) continue;
    let v = part.slice(eq + 1);
    try {
      v = decodeURIComponent(v.replace(/\+/g, ' '));
    } catch {
      continue;
    }
    (s as unknown as Record<string, string>)[k] = v;
  }
  return s;
}

/** Runs in the page: wires the filters, the sort, the fragment state and the rule links. */
export function klMain(): void {
  const data = JSON.parse(document.getElementById('kl-data').textContent || '{}') as { f: [string, string, string, string, number, string][] };
  const list: El = document.getElementById('kl-list');
  const items: El[] = [];
  for (let i = 0; i < data.f.length; i++) items.push(document.getElementById('f' + (i + 1)));
  const ctl = (id: string): El => document.getElementById(id);
  const fields = ['rule', 'sev', 'sub', 'q', 'sort'];
  const count: El = document.getElementById('kl-count');
  let applying = false;

  function current(): ViewState {
    const s = decodeState('');
    for (const k of fields) (s as unknown as Record<string, string>)[k] = ctl('kl-' + k).value.trim();
    return s;
  }

  function apply(s: ViewState, scroll: boolean): void {
    applying = true;
    for (const k of fields) {
      const el = ctl('kl-' + k);
      const v = (s as unknown as Record<string, string>)[k];
      el.value = v;
      // a value the select does not offer (a stale link): show everything rather than nothing
      if (el.value !== v) el.value = '';
    }
    applying = false;
    const q = s.q.toLowerCase();
    let shown = 0;
    for (let i = 0; i < items.length; i++) {
      const d = data.f[i];
      const ok = (!s.rule || d[0] === s.rule) && (!s.sev || d[1] === s.sev) && (!s.sub || d[2] === s.sub) && (!q || d[5].indexOf(q) >= 0);
      items[i].hidden = !ok;
      if (ok) shown++;
    }
    const order = items.map((_, i) => i);
    if (s.sort === 'rule') order.sort((a, b) => (data.f[a][0] < data.f[b][0] ? -1 : data.f[a][0] > data.f[b][0] ? 1 : a - b));
    for (const i of order) list.appendChild(items[i]);
    count.textContent = shown === items.length ? String(items.length) + ' findings' : shown + ' of ' + items.length + ' findings';
    if (s.id) {
      const el = document.getElementById(s.id);
      if (el && el.tagName === 'DETAILS') {
        el.open = true;
        el.hidden = false;
        if (scroll) el.scrollIntoView();
      }
    }
  }

  function changed(): void {
    if (applying) return;
    const s = current();
    const h = encodeState(s);
    // replaceState: typing in the search box does not fill the history
    history.replaceState(null, '', h || location.pathname + location.search);
    apply(s, false);
  }

  for (const k of fields) {
    const el = ctl('kl-' + k);
    el.addEventListener(k === 'q' ? 'input' : 'change', changed);
  }
  window.addEventListener('hashchange', () => apply(decodeState(location.hash), true));
  document.addEventListener('click', (ev: El) => {
    const a: El = ev.target && ev.target.closest ? ev.target.closest('a') : null;
    if (!a) return;
    const href = a.getAttribute('href') || '';
    // in-page links to rule documentation and source sections: scroll, keep the filter state in the URL
    if (href.charAt(0) === '#' && href.indexOf('=') < 0) {
      const t: El = document.getElementById(href.slice(1));
      if (t) {
        ev.preventDefault();
        if (t.tagName === 'DETAILS') t.open = true;
        t.scrollIntoView();
      }
    }
  });
  const all: El = document.getElementById('kl-expand');
  if (all) {
    all.addEventListener('click', () => {
      const open = all.getAttribute('data-open') !== '1';
      for (const it of items) if (!it.hidden) it.open = open;
      all.setAttribute('data-open', open ? '1' : '0');
      all.textContent = open ? 'Collapse all' : 'Expand all';
    });
  }
  apply(decodeState(location.hash), true);
}
