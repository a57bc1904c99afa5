// forcessl's report page: reads the JSON embedded once in the page and
// renders from it. The tables are virtual: only the rows on screen exist
// in the DOM, so 20,000 resources cost what 30 do. No network access.
(function () {
  'use strict';
  performance.mark('forcessl-start');
  const D = JSON.parse(document.getElementById('forcessl-data').textContent);
  performance.mark('forcessl-parsed');
  const S = D.s;
  const STATES = D.states;
  const VERDICT = ['fail', 'pass', 'pending'];
  const $ = (id) => document.getElementById(id);
  const fmt = (n) => n.toLocaleString('en');

  function el(tag, attrs, ...kids) {
    const e = document.createElement(tag);
    for (const k in attrs || {}) {
      if (k === 'text') e.textContent = attrs[k];
      else if (k === 'class') e.className = attrs[k];
      else if (k.startsWith('on')) e.addEventListener(k.slice(2), attrs[k]);
      else e.setAttribute(k, attrs[k]);
    }
    for (const c of kids) if (c != null) e.append(c);
    return e;
  }
  const svgNS = 'http://www.w3.org/2000/svg';
  function svg(tag, attrs, ...kids) {
    const e = document.createElementNS(svgNS, tag);
    for (const k in attrs || {}) e.setAttribute(k, attrs[k]);
    for (const c of kids) e.append(c);
    return e;
  }
  const stateColor = (s) => 'var(--' + s + ')';
  function badge(state) {
    const b = el('span', { class: 'st ' + state, text: state });
    b.style.setProperty('--c', stateColor(state));
    return b;
  }

  // Resources, decoded once.
  const R = D.r.map((a, i) => {
    const checks = a[11].map((c) => ({ name: S[c[0]], v: c[1], detail: S[c[2]] }));
    return {
      i, account: S[a[0]], region: S[a[1]], kind: S[a[2]], name: S[a[3]], state: S[a[4]], engine: S[a[5]],
      group: S[a[6]], reason: S[a[7]], reboot: S[a[8]], window: S[a[9]], outcome: S[a[10]], checks,
      checksText: checks.map((c) => c.name + ' ' + VERDICT[c.v]).join(', '),
      failing: checks.some((c) => c.v === 0),
      hay: null,
    };
  });
  const haystack = (r) => r.hay || (r.hay = [r.account, r.region, r.kind, r.name, r.state, r.engine, r.group, r.reason,
    r.reboot, r.window, r.outcome, r.checksText].join('\u0001').toLowerCase());
  const items = D.items.map((a) => {
    const counts = {};
    STATES.forEach((s, k) => { counts[s] = a[4 + k]; });
    return { account: S[a[0]], region: S[a[1]], notCovered: a[2] === 1, error: S[a[3]], counts };
  });
  performance.mark('forcessl-decoded');
  const accounts = [...new Set(items.map((it) => it.account))].sort();
  const regions = [...new Set(items.map((it) => it.region))].sort();

  // Header and coverage.
  const start = D.started;
  $('meta').textContent = 'Sweep started ' + start + ', took ' + D.duration + ', mode ' + D.mode + '. ' +
    fmt(R.length) + ' resources in ' + fmt(items.length) + ' account-regions.';
  $('sweep-id').textContent = D.sweepId;
  (function coverage() {
    const nc = items.filter((it) => it.notCovered);
    const errs = items.filter((it) => !it.notCovered && it.error);
    const dl = el('dl', { class: 'kv' });
    const kv = (k, v) => dl.append(el('dt', { text: k }), el('dd', { text: v }));
    kv('When', start + ' (sweep start), ' + D.duration);
    kv('Accounts', fmt(accounts.length) + (accounts.length <= 8 ? ': ' + accounts.join(', ') : ''));
    kv('Regions', fmt(regions.length) + ': ' + regions.join(', '));
    kv('Account-regions', fmt(items.length) + ' swept: ' + fmt(items.length - nc.length) + ' covered, ' + fmt(nc.length) + ' not covered' +
      (errs.length ? ', ' + fmt(errs.length) + ' with errors' : ''));
    const body = $('coverage-body');
    body.append(dl);
    if (nc.length + errs.length) {
      const t = el('table', { class: 'plain' }, el('thead', {}, el('tr', {}, el('th', { text: 'Account' }), el('th', { text: 'Region' }),
        el('th', { text: 'Coverage' }), el('th', { text: 'Why' }))));
      const tb = el('tbody');
      for (const it of nc.concat(errs)) {
        tb.append(el('tr', {}, el('td', { text: it.account }), el('td', { text: it.region }),
          el('td', { text: it.notCovered ? 'NOT COVERED' : 'error' }), el('td', { text: it.error })));
      }
      t.append(tb);
      body.append(el('p', { class: 'note', text: 'Not covered means forcessl could not read the account-region: its resources are unknown, not compliant.' }), t);
    } else {
      body.append(el('p', { text: 'Every account-region was read.' }));
    }
  })();

  // Totals by state: cards and a stacked bar.
  const totals = {};
  STATES.forEach((s) => { totals[s] = 0; });
  for (const r of R) totals[r.state]++;
  (function totalsView() {
    const cards = el('div', { class: 'cards' });
    for (const s of STATES) {
      const c = el('div', { class: 'card' }, el('b', { text: fmt(totals[s]) }), el('span', { text: s }));
      c.style.setProperty('--c', stateColor(s));
      cards.append(c);
    }
    const bar = svg('svg', { class: 'stack', viewBox: '0 0 1000 22', preserveAspectRatio: 'none', role: 'img',
      'aria-label': STATES.map((s) => s + ' ' + totals[s]).join(', ') });
    let x = 0;
    const all = R.length || 1;
    for (const s of STATES) {
      const w = 1000 * totals[s] / all;
      if (w > 0) bar.append(svg('rect', { x, y: 0, width: w, height: 22, fill: stateColor(s) }, svg('title', {}, s + ': ' + totals[s])));
      x += w;
    }
    $('totals-body').append(cards, bar);
  })();

  // Heatmap: one cell per account and region.
  (function heatmap() {
    const byKey = new Map(items.map((it) => [it.account + '\u0000' + it.region, it]));
    const table = el('table', { class: 'heat' });
    const head = el('tr', {}, el('th', { scope: 'col', text: 'Account' }));
    for (const g of regions) head.append(el('th', { scope: 'col', text: g }));
    table.append(el('thead', {}, head));
    const tb = el('tbody');
    for (const a of accounts) {
      const tr = el('tr', {}, el('th', { scope: 'row', text: a }));
      for (const g of regions) {
        const it = byKey.get(a + '\u0000' + g);
        let cls = 'empty', big = '—', small = 'not swept', title = a + ' ' + g + ': not swept';
        if (it && it.notCovered) {
          cls = 'nc'; big = '?'; small = 'not covered'; title = a + ' ' + g + ': not covered: ' + it.error;
        } else if (it) {
          const c = it.counts;
          const judged = STATES.reduce((n, s) => n + c[s], 0) - c['exempt'] - c['out-of-scope'];
          const bad = c['non-compliant'] + c['failed'] + c['pending-reboot'] + c['remediated'];
          if (judged === 0) {
            big = '—'; small = 'nothing to judge';
          } else {
            const pct = Math.floor(100 * c['compliant'] / judged);
            big = pct + '%';
            small = bad === 0 ? 'all compliant' : bad + ' need attention';
            cls = pct === 100 ? 'h0' : pct >= 90 ? 'h1' : pct >= 70 ? 'h2' : pct >= 40 ? 'h3' : 'h4';
          }
          title = a + ' ' + g + ': ' + STATES.filter((s) => c[s]).map((s) => c[s] + ' ' + s).join(', ');
        }
        const b = el('button', { type: 'button', title, 'aria-label': a + ' ' + g + ': ' + big + ', ' + small,
          onclick: () => { q.value = a + ' ' + g; stateSel.value = ''; failingOnly.checked = false; applyFilter(); $('resources').scrollIntoView(); } },
          el('b', { text: big }), el('small', { text: small }));
        tr.append(el('td', { class: 'cell ' + cls, 'data-account': a, 'data-region': g }, b));
      }
      tb.append(tr);
    }
    table.append(tb);
    const legend = el('div', { class: 'legend' });
    for (const [c, t] of [['h0', '100%'], ['h1', '90–99%'], ['h2', '70–89%'], ['h3', '40–69%'], ['h4', 'under 40%'], ['nc', 'not covered']]) {
      const i = el('i');
      i.style.background = 'var(--' + (c === 'nc' ? 'hnc' : c) + ')';
      legend.append(el('span', {}, i, t));
    }
    $('heatmap-body').append(table, legend);
  })();

  // Resources by engine and type.
  (function engines() {
    const m = new Map();
    for (const r of R) {
      const e = r.engine || '(engine not recorded)';
      if (!m.has(e)) m.set(e, { instance: 0, cluster: 0 });
      m.get(e)[r.kind]++;
    }
    const rows = [...m.entries()].sort((x, y) => (y[1].instance + y[1].cluster) - (x[1].instance + x[1].cluster) || (x[0] < y[0] ? -1 : 1));
    const max = Math.max(1, ...rows.map(([, v]) => v.instance + v.cluster));
    const t = el('table', { class: 'plain' }, el('thead', {}, el('tr', {}, el('th', { text: 'Engine' }), el('th', { text: 'Instances' }),
      el('th', { text: 'Clusters' }), el('th', { text: 'Total' }))));
    const tb = el('tbody');
    for (const [e, v] of rows) {
      const n = v.instance + v.cluster;
      const bar = el('span', { class: 'bar', 'aria-hidden': 'true' });
      bar.style.width = Math.max(2, Math.round(160 * n / max)) + 'px';
      tb.append(el('tr', {}, el('td', { text: e }), el('td', { class: 'num', text: fmt(v.instance) }), el('td', { class: 'num', text: fmt(v.cluster) }),
        el('td', { class: 'num' }, fmt(n), bar)));
    }
    t.append(tb);
    $('engines-body').append(rows.length ? t : el('p', { text: 'No resources.' }));
  })();

  // A virtual table: a header of sort buttons and a scroller in which only
  // the visible rows (and a few more) exist, recycled as it scrolls.
  function VTable(host, opts) {
    const cols = opts.cols;
    const rowH = 30, overscan = 6;
    const visible = opts.visible || 14;
    const root = el('div', { class: 'vt', role: 'grid', 'aria-label': opts.label, 'aria-colcount': cols.length });
    root.style.setProperty('--cols', cols.map((c) => c.w).join(' '));
    root.style.setProperty('--visible', visible);
    const head = el('div', { class: 'vt-head', role: 'row', 'aria-rowindex': 1 });
    const scroller = el('div', { class: 'vt-scroll', tabindex: 0, 'aria-label': opts.label + ': use the arrow keys' });
    const spacer = el('div', { 'aria-hidden': 'true' });
    scroller.append(spacer);
    root.append(head, scroller);
    host.append(root);
    let rows = opts.rows.slice(), view = rows, sortKey = opts.sort || null, sortDir = 1, active = -1;
    const headers = cols.map((c, k) => {
      const h = el('div', { role: 'columnheader', 'aria-sort': 'none', 'data-col': c.key },
        el('button', { type: 'button', text: c.title, title: 'Sort by ' + c.title, onclick: () => sortBy(k) }));
      head.append(h);
      return h;
    });
    const pool = [];
    function rowNode() {
      const r = el('div', { class: 'vt-row', role: 'row' });
      r.cells = cols.map(() => { const c = el('div', { role: 'gridcell' }); r.append(c); return c; });
      r.addEventListener('click', () => { setActive(r.idx); if (opts.onOpen) opts.onOpen(view[r.idx]); });
      scroller.append(r);
      return r;
    }
    function render() {
      spacer.style.height = (view.length * rowH) + 'px';
      root.setAttribute('aria-rowcount', view.length + 1);
      const top = scroller.scrollTop;
      const first = Math.max(0, Math.floor(top / rowH) - overscan);
      const last = Math.min(view.length, Math.ceil((top + scroller.clientHeight) / rowH) + overscan);
      let n = 0;
      for (let i = first; i < last; i++, n++) {
        const node = pool[n] || (pool[n] = rowNode());
        node.style.display = '';
        node.style.top = (i * rowH) + 'px';
        node.idx = i;
        node.setAttribute('aria-rowindex', i + 2);
        const on = i === active;
        node.classList.toggle('active', on);
        node.setAttribute('aria-selected', on ? 'true' : 'false');
        if (on) node.id = opts.id + '-active'; else node.removeAttribute('id');
        const d = view[i];
        cols.forEach((c, k) => {
          const cell = node.cells[k];
          cell.textContent = '';
          if (c.render) cell.append(c.render(d)); else cell.textContent = c.get(d);
          cell.title = c.get(d);
        });
      }
      for (; n < pool.length; n++) pool[n].style.display = 'none';
      if (active >= 0) scroller.setAttribute('aria-activedescendant', opts.id + '-active');
      else scroller.removeAttribute('aria-activedescendant');
      if (opts.onRender) opts.onRender(view.length, rows.length);
    }
    let raf = 0;
    scroller.addEventListener('scroll', () => { if (!raf) raf = requestAnimationFrame(() => { raf = 0; render(); }); });
    function compare(a, b) {
      const x = sortKey.get(a), y = sortKey.get(b);
      if (x === y) return a.i - b.i;
      if (x === '') return 1; // blanks last either way
      if (y === '') return -1;
      return (x < y ? -1 : 1) * sortDir;
    }
    function sortBy(k) {
      const c = cols[k];
      sortDir = sortKey === c ? -sortDir : 1;
      sortKey = c;
      headers.forEach((h, j) => h.setAttribute('aria-sort', j === k ? (sortDir > 0 ? 'ascending' : 'descending') : 'none'));
      rows.sort(compare);
      apply(lastFilter);
    }
    let lastFilter = null;
    function apply(pred) {
      lastFilter = pred;
      view = pred ? rows.filter(pred) : rows;
      active = -1;
      scroller.scrollTop = 0;
      render();
    }
    function setActive(i) {
      active = Math.max(0, Math.min(view.length - 1, i));
      const y = active * rowH;
      if (y < scroller.scrollTop) scroller.scrollTop = y;
      else if (y + rowH > scroller.scrollTop + scroller.clientHeight) scroller.scrollTop = y + rowH - scroller.clientHeight;
      render();
    }
    scroller.addEventListener('keydown', (e) => {
      if (!view.length) return;
      const page = Math.max(1, Math.floor(scroller.clientHeight / rowH) - 1);
      const moves = { ArrowDown: active + 1, ArrowUp: active - 1, PageDown: active + page, PageUp: active - page, Home: 0, End: view.length - 1 };
      if (e.key in moves) {
        e.preventDefault();
        setActive(active < 0 ? 0 : moves[e.key]);
      } else if ((e.key === 'Enter' || e.key === ' ') && active >= 0) {
        e.preventDefault();
        if (opts.onOpen) opts.onOpen(view[active]);
      }
    });
    if (sortKey) { const k = cols.indexOf(sortKey); headers[k].setAttribute('aria-sort', 'ascending'); rows.sort(compare); }
    render();
    return { apply, render, sortBy, get view() { return view; }, scroller };
  }

  const stateCol = { key: 'state', title: 'State', w: '130px', get: (r) => r.state, render: (r) => badge(r.state) };
  const cols = [
    { key: 'name', title: 'Resource', w: 'minmax(140px, 1.3fr)', get: (r) => r.name },
    stateCol,
    { key: 'account', title: 'Account', w: '136px', get: (r) => r.account },
    { key: 'region', title: 'Region', w: '124px', get: (r) => r.region },
    { key: 'kind', title: 'Type', w: '76px', get: (r) => r.kind },
    { key: 'engine', title: 'Engine', w: '130px', get: (r) => r.engine },
    { key: 'group', title: 'Parameter group', w: 'minmax(120px, 1fr)', get: (r) => r.group },
    { key: 'checks', title: 'Checks', w: 'minmax(130px, 1fr)', get: (r) => r.checksText, render: (r) => el('span', { class: 'ck', text: r.checksText }) },
    { key: 'reboot', title: 'Reboot', w: '150px', get: (r) => r.reboot },
    { key: 'reason', title: 'Reason', w: 'minmax(180px, 2fr)', get: (r) => r.reason },
  ];

  // The reboots due, soonest first.
  (function reboots() {
    const due = R.filter((r) => r.reboot);
    const host = $('reboots-body');
    if (!due.length) { host.append(el('p', { text: 'No reboot is due.' })); return; }
    host.append(el('p', { class: 'note', text: fmt(due.length) + ' resources have a reboot scheduled (forcessl reboots only in the maintenance window).' }));
    VTable(host, {
      id: 'reboots', label: 'Reboots due', rows: due, visible: Math.min(due.length, 6),
      cols: [
        { key: 'reboot', title: 'Reboot at', w: '160px', get: (r) => r.reboot },
        { key: 'name', title: 'Resource', w: 'minmax(140px, 1fr)', get: (r) => r.name },
        { key: 'account', title: 'Account', w: '136px', get: (r) => r.account },
        { key: 'region', title: 'Region', w: '124px', get: (r) => r.region },
        { key: 'window', title: 'Maintenance window', w: '190px', get: (r) => r.window },
        stateCol,
      ],
    }).sortBy(0);
  })();

  // Every resource.
  const detail = $('detail');
  function open(r) {
    detail.textContent = '';
    const ul = el('ul');
    for (const c of r.checks) ul.append(el('li', {}, el('b', { text: c.name + ': ' + VERDICT[c.v] }), c.detail ? ' — ' + c.detail : ''));
    if (!r.checks.length) ul.append(el('li', { text: 'No checks (' + r.state + ').' }));
    detail.append(el('h3', {}, r.name + ' ', badge(r.state)),
      el('p', { text: [r.kind, r.engine, r.account, r.region, r.group && 'group ' + r.group, r.window && 'window ' + r.window,
        r.reboot && 'reboot ' + r.reboot, r.outcome && 'outcome ' + r.outcome].filter(Boolean).join(' · ') }),
      el('p', { text: r.reason }), ul);
  }
  const count = $('row-count');
  const table = VTable($('resource-table'), {
    id: 'resources', label: 'Every resource', rows: R, cols, sort: cols[0], onOpen: open, visible: 16,
    onRender: (shown, total) => {
      count.textContent = 'Showing ' + fmt(shown) + ' of ' + fmt(total) + ' resources';
      count.dataset.shown = shown;
      count.dataset.total = total;
    },
  });
  const q = $('q'), stateSel = $('state-filter'), failingOnly = $('failing-only');
  for (const s of STATES) stateSel.append(el('option', { value: s, text: s + ' (' + fmt(totals[s]) + ')' }));
  function applyFilter() {
    const words = q.value.toLowerCase().split(/\s+/).filter(Boolean);
    const st = stateSel.value, fo = failingOnly.checked;
    if (!words.length && !st && !fo) { table.apply(null); return; }
    table.apply((r) => (!st || r.state === st) && (!fo || r.failing) && words.every((w) => haystack(r).includes(w)));
  }
  let timer = 0;
  q.addEventListener('input', () => { clearTimeout(timer); timer = setTimeout(applyFilter, 60); });
  stateSel.addEventListener('change', applyFilter);
  failingOnly.addEventListener('change', applyFilter);
  $('clear').addEventListener('click', () => { q.value = ''; stateSel.value = ''; failingOnly.checked = false; applyFilter(); });

  // Each failing check's evidence.
  (function evidence() {
    const fails = [];
    for (const r of R) for (const c of r.checks) if (c.v === 0) fails.push({ i: fails.length, r, c });
    const host = $('evidence-body');
    if (!fails.length) { host.append(el('p', { text: 'No check fails.' })); return; }
    host.append(el('p', { class: 'note', text: fmt(fails.length) + ' failing checks (a check pending a reboot is not failing).' }));
    VTable(host, {
      id: 'evidence', label: 'Failing checks', rows: fails, visible: Math.min(fails.length, 10), onOpen: (f) => open(f.r),
      cols: [
        { key: 'name', title: 'Resource', w: 'minmax(140px, 1fr)', get: (f) => f.r.name },
        { key: 'account', title: 'Account', w: '136px', get: (f) => f.r.account },
        { key: 'region', title: 'Region', w: '124px', get: (f) => f.r.region },
        { key: 'check', title: 'Check', w: '100px', get: (f) => f.c.name },
        { key: 'evidence', title: 'Evidence', w: 'minmax(240px, 3fr)', get: (f) => f.c.detail || f.r.reason },
      ],
    });
  })();

  performance.mark('forcessl-interactive');
  document.body.dataset.ready = 'true';
  window.forcessl = { resources: R.length, table, applyFilter };
})();
