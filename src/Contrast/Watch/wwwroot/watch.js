// The live view: renders each snapshot the server streams (/events) and posts controls to /actions/NAME.
'use strict';

// Nine heights fill the chain panel at a size a room can read on a 1280×720 projector.
const shownHeights = 9;
const palette = ['#4e79a7', '#f28e2b', '#59a14f', '#e15759', '#76b7b2', '#edc948', '#b07aa1', '#9c755f', '#bab0ac', '#ff9da7', '#86bcb6', '#d37295'];
let state = null;

function colorOf(name) {
  if (!name) return '#bbbbbb';
  let h = 0;
  for (const c of name) h = (h * 31 + c.charCodeAt(0)) >>> 0;
  const n = /(\d+)$/.exec(name);
  return palette[(n ? parseInt(n[1], 10) - 1 : h) % palette.length];
}

function el(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined) continue;
    if (k === 'class') e.className = v; else if (k.startsWith('on')) e.addEventListener(k.slice(2), v); else e.setAttribute(k, v);
  }
  for (const c of children) e.append(c instanceof Node ? c : document.createTextNode(String(c)));
  return e;
}

function svg(tag, attrs, text) {
  const e = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs || {})) e.setAttribute(k, v);
  if (text !== undefined) e.textContent = text;
  return e;
}

async function act(action, args) {
  const answer = document.getElementById('answer');
  answer.className = '';
  answer.textContent = action + '…';
  const query = new URLSearchParams(args || {}).toString();
  try {
    const reply = await fetch('/actions/' + action + (query ? '?' + query : ''), { method: 'POST' });
    const body = await reply.json();
    answer.className = body.ok ? '' : 'bad';
    answer.textContent = body.ok ? body.said : body.reason + ': ' + body.message;
  } catch (e) {
    answer.className = 'bad';
    answer.textContent = 'The watch server did not answer: ' + e;
  }
}

function renderNodes() {
  const body = document.querySelector('#nodes tbody');
  body.replaceChildren(...state.nodes.map(n => el('tr', { class: 'node' + (n.reachable ? '' : ' down'), 'data-node': n.name },
    el('td', {}, el('span', { class: 'tag', style: 'background:' + colorOf(n.name) + ';color:#fff' }, n.name)),
    el('td', {}, n.reachable ? el('span', { class: 'tag ok' }, 'serving') : el('span', { class: 'tag bad' }, n.problem || 'down')),
    el('td', { class: 'height' }, n.reachable ? n.height : ''),
    el('td', { class: 'mono' }, n.tip.slice(0, 12)),
    el('td', { class: 'peers' }, n.reachable ? n.peers : ''),
    el('td', {}, n.reachable ? n.mempool : ''),
    el('td', {}, n.reachable ? (n.mining ? 'on' : 'off') : ''),
    el('td', {},
      el('button', { onclick: () => act('mining', { node: n.name, on: String(!n.mining) }), disabled: n.reachable ? null : '' }, n.mining ? 'pause mining' : 'resume mining'),
      n.reachable ? el('button', { onclick: () => act('kill', { process: n.name }) }, 'kill') : el('button', { onclick: () => act('restart', { process: n.name }) }, 'restart')))));
  document.getElementById('branch-count').textContent = state.branches;
}

function layoutTree(blocks) {
  const byHash = new Map(blocks.map(b => [b.hash, b]));
  const kids = new Map();
  for (const b of blocks) {
    if (byHash.has(b.parent)) (kids.get(b.parent) || kids.set(b.parent, []).get(b.parent)).push(b);
  }
  const reach = new Map();
  const depth = b => reach.get(b.hash) ?? reach.set(b.hash, Math.max(b.height, ...(kids.get(b.hash) || []).map(depth))).get(b.hash);
  const weight = b => [b.active_on.length, depth(b)];
  const order = (a, b) => { const [wa, da] = weight(a), [wb, db] = weight(b); return wb - wa || db - da || (a.hash < b.hash ? -1 : 1); };
  let rows = 0;
  const place = (b, row) => {
    b.row = row;
    (kids.get(b.hash) || []).sort(order).forEach((k, i) => place(k, i === 0 ? row : rows++));
  };
  blocks.filter(b => !byHash.has(b.parent)).sort(order).forEach(root => place(root, rows++));
  return { rows, byHash };
}

function renderTree() {
  const tree = document.getElementById('tree');
  const top = Math.max(0, ...state.blocks.map(b => b.height));
  // The newest heights, and the fork point of every orphaned branch shown: a greyed branch never
  // floats without the block it forked from. Heights between a far fork point and the newest are
  // folded into one "⋯" column (the boxes keep a size a room can read); a branch whose fork point
  // the watcher does not know is left out, and said so.
  const all = new Map(state.blocks.map(b => [b.hash, b]));
  const windowLow = top - shownHeights + 1;
  const hidden = new Set(), far = [], forkHeights = new Set(), forkOf = new Map();
  for (const b of state.blocks.filter(b => b.height >= windowLow && b.active_on.length === 0)) {
    const branch = [b];
    let fork = all.get(b.parent);
    while (fork && fork.active_on.length === 0) { branch.push(fork); fork = all.get(fork.parent); }
    if (fork) { forkHeights.add(fork.height); forkOf.set(b.hash, fork.hash); }
    else { branch.forEach(o => hidden.add(o.hash)); far.push(b.hash.slice(0, 12)); }
  }
  document.getElementById('tree-note').textContent = far.length ? `Not drawn: ${far.length} orphaned branch(es) whose fork point is older than the blocks the view keeps.` : '';
  const from = Math.min(windowLow, ...forkHeights);
  const laid = state.blocks.filter(b => b.height >= from && !hidden.has(b.hash)).map(b => ({ ...b }));
  const { rows, byHash } = layoutTree(laid);
  // Columns: each fork point below the window, a fold where heights are skipped, then the window.
  const drawnHeights = [...new Set([...[...forkHeights].filter(h => h < windowLow), ...laid.filter(b => b.height >= windowLow).map(b => b.height)])].sort((a, b) => a - b);
  const column = new Map(), folds = [];
  let next = 0;
  drawnHeights.forEach((h, i) => {
    if (i > 0 && h > drawnHeights[i - 1] + 1) folds.push({ col: next++, skipped: h - drawnHeights[i - 1] - 1 });
    column.set(h, next++);
  });
  const drawn = b => column.has(b.height) && (b.height >= windowLow || (forkHeights.has(b.height) && b.active_on.length > 0));
  const blocks = laid.filter(drawn);
  const colW = 92, boxW = 78, boxH = 44, rowH = 66, pad = 22;
  const x = b => 6 + column.get(b.height) * colW, y = b => pad + b.row * rowH;
  const width = Math.max(6 + Math.max(shownHeights, next) * colW, 400), height = pad + Math.max(rows, 1) * rowH + 4;
  tree.setAttribute('viewBox', `0 0 ${width} ${height}`);
  const search = document.getElementById('txid').value.trim().toLowerCase();
  const parts = [];
  let found = 0;
  for (const f of folds) {
    parts.push(svg('text', { class: 'fold', x: 6 + f.col * colW + colW / 2 - 6, y: pad + boxH / 2 + 5, 'text-anchor': 'middle' }, '⋯'),
      svg('text', { class: 'fold-count', x: 6 + f.col * colW + colW / 2 - 6, y: pad + boxH + 12, 'text-anchor': 'middle' }, `${f.skipped} more`));
  }
  for (const b of blocks) {
    // To the parent, or across a fold to the nearest ancestor drawn (dashed).
    let p = byHash.get(b.parent), folded = false;
    while (p && !drawn(p)) { p = byHash.get(p.parent); folded = true; }
    if (p) parts.push(svg('line', { x1: x(p) + boxW, y1: y(p) + boxH / 2, x2: x(b), y2: y(b) + boxH / 2, stroke: '#999', 'stroke-width': 1.5, 'stroke-dasharray': folded ? '4 4' : null }));
  }
  for (const b of blocks) {
    const hit = search.length >= 8 && b.txids.some(t => t.startsWith(search));
    found += hit ? 1 : 0;
    const g = svg('g', { class: 'block' + (b.active_on.length === 0 ? ' orphaned' : '') + (hit ? ' found' : ''), 'data-hash': b.hash, 'data-parent': b.parent, 'data-fork': forkOf.get(b.hash), 'data-height': b.height });
    const title = svg('title', {}, `#${b.height} ${b.hash}\nmined by ${b.miner || '?'}\non the active chain of: ${b.active_on.join(', ') || 'no node (orphaned)'}\n${b.txids.length} payment(s)`);
    g.append(title,
      svg('rect', { x: x(b), y: y(b), width: boxW, height: boxH, rx: 5, fill: colorOf(b.miner) + '33', stroke: colorOf(b.miner) }),
      svg('text', { class: 'height', x: x(b) + 5, y: y(b) + 17 }, '#' + b.height),
      svg('text', { x: x(b) + 5, y: y(b) + 36 }, (b.miner || '?') + (b.txids.length ? ' +' + b.txids.length : '')));
    // Tip names run rightwards from the box, leftwards from the last column (they would leave the frame).
    const rightmost = column.get(b.height) === next - 1;
    if (b.tips.length) g.append(svg('text', { class: 'tiplabel', x: rightmost ? x(b) + boxW : x(b) + 2, y: y(b) - 5, 'text-anchor': rightmost ? 'end' : 'start' }, b.tips.join(' ')));
    g.addEventListener('click', () => { document.getElementById('found').textContent = `#${b.height} ${b.hash.slice(0, 16)}… payments: ${b.txids.map(t => t.slice(0, 12)).join(', ') || 'none'}`; });
    parts.push(g);
  }
  tree.replaceChildren(...parts);
  if (search.length >= 8) document.getElementById('found').textContent = found ? `in ${found} block(s), outlined red` : 'not in a block shown (pending, or older)';
}

function withTxids(text) {
  const span = el('span', {});
  let last = 0;
  for (const m of text.matchAll(/\b[0-9a-f]{12}\b/g)) {
    span.append(text.slice(last, m.index), el('span', { class: 'txid', onclick: () => { document.getElementById('txid').value = m[0]; renderTree(); } }, m[0]));
    last = m.index + m[0].length;
  }
  span.append(text.slice(last));
  return span;
}

function renderBank() {
  const bank = state.bank;
  document.getElementById('bank-panel').hidden = !bank;
  if (!bank) return;
  const badge = document.getElementById('bank-state');
  badge.className = 'tag ' + (bank.serving ? 'ok' : 'bad');
  badge.textContent = bank.serving ? 'serving' : 'down — every client request fails';
  document.querySelector('#customers tbody').replaceChildren(...bank.customers.map(c => el('tr', {}, el('td', {}, c.name), el('td', { class: 'mono' }, c.account_id), el('td', {}, c.balance))));
  // Entries of customers the page does not follow (the experiments') are left out, and said so.
  const elided = n => el('tr', { class: 'elided' }, el('td', { colspan: 6 }, `⋯ ${n.toLocaleString('en')} entr${n === 1 ? 'y' : 'ies'} of other customers (the experiments') not shown`));
  document.querySelector('#journal tbody').replaceChildren(...bank.journal.flatMap(j => [
    ...(j.newer_not_shown > 0 ? [elided(j.newer_not_shown)] : []),
    el('tr', {}, el('td', {}, j.sequence), el('td', { class: 'mono entry' }, j.entry_id), el('td', {}, j.kind.toLowerCase()), el('td', {}, j.amount), el('td', {}, j.from + ' → ' + j.to), el('td', { class: 'time' }, j.time))]));
  document.getElementById('refusals').replaceChildren(...state.refusals.slice().reverse().map(r => el('li', { class: 'refusal' }, `${r.time} ${r.system}: `, el('b', {}, r.reason), ` — ${r.what}`)));
}

function renderReplicas() {
  const replicas = state.replicas || [];
  document.getElementById('replicas-panel').hidden = replicas.length === 0;
  if (replicas.length === 0) return;
  const leaders = replicas.filter(r => r.role === 'leader');
  const up = replicas.filter(r => r.reachable).length;
  const badge = document.getElementById('replicas-state');
  const majority = up * 2 > replicas.length;
  badge.className = 'tag ' + (leaders.length === 1 ? 'ok' : 'bad');
  badge.textContent = leaders.length === 1
    ? `${leaders[0].name} leads · ${up} of ${replicas.length} up`
    : majority ? `electing a leader · ${up} of ${replicas.length} up` : `no majority (${up} of ${replicas.length} up): writes stop`;
  document.querySelector('#replicas tbody').replaceChildren(...replicas.map(r => el('tr', { class: 'replica' + (r.reachable ? '' : ' down') + (r.role === 'leader' ? ' leader' : ''), 'data-replica': r.name },
    el('td', {}, r.name),
    el('td', { class: 'role' }, r.reachable ? el('span', { class: 'tag ' + (r.role === 'leader' ? 'lead' : 'ok') }, r.role) : el('span', { class: 'tag bad' }, 'down')),
    el('td', {}, r.reachable ? r.term : ''),
    el('td', {}, r.reachable ? r.commit : ''),
    el('td', {}, r.reachable ? r.applied : ''),
    el('td', {}, r.reachable ? r.lag : ''),
    el('td', { title: 'the newest journal entry on this replica' }, r.reachable && r.head_sequence > 0 ? 'e-' + r.head_sequence : ''),
    el('td', {}, r.reachable
      ? el('button', { onclick: () => act('kill', { process: r.name }) }, 'kill')
      : el('button', { class: 'restart', onclick: () => act('restart', { process: r.name }) }, 'restart')))));
}

function renderLight() {
  const light = state.light;
  const table = document.getElementById('light-asked');
  table.hidden = !light;
  if (!light) return;
  document.getElementById('light-shown').replaceChildren(
    `${light.time} ${light.wallet}, from nothing, over ${light.setup}: showed `, el('b', {}, light.shown),
    light.height ? ` under headers it checked to height ${light.height}` : '', ` (${light.seconds} s, ${light.downloaded.toLocaleString('en')} bytes downloaded)`);
  table.querySelector('tbody').replaceChildren(...light.asked.map(a => {
    const caught = a.filters.startsWith('caught') || a.headers.startsWith('refused');
    return el('tr', { class: 'asked' + (caught ? ' caught' : '') },
      el('td', {}, a.node), el('td', {}, a.offered_height), el('td', {}, a.headers), el('td', {}, a.filters), el('td', {}, a.bytes_received.toLocaleString('en')));
  }));
}

function renderSteps() {
  const list = document.getElementById('steps');
  const atBottom = list.scrollTop + list.clientHeight >= list.scrollHeight - 4;
  list.replaceChildren(...state.steps.map(s => el('li', {}, withTxids(s))));
  if (atBottom) list.scrollTop = list.scrollHeight;
}

function render() {
  renderNodes();
  renderTree();
  renderBank();
  renderReplicas();
  renderLight();
  renderSteps();
}

for (const button of document.querySelectorAll('button[data-action]')) {
  button.addEventListener('click', () => {
    const args = {};
    if (button.dataset.action === 'partition') args.nodes = document.getElementById('partition-nodes').value;
    if (button.dataset.process) args.process = button.dataset.process;
    if (button.dataset.action === 'light-sync') {
      args.wallet = document.getElementById('light-wallet').value;
      args.lie = document.getElementById('light-lie').value;
      args.alone = String(document.getElementById('light-alone').checked);
    }
    act(button.dataset.action, args);
  });
}
document.getElementById('txid').addEventListener('input', () => state && renderTree());

function connect() {
  const status = document.getElementById('connection');
  const events = new EventSource('/events');
  events.onopen = () => { status.className = 'up'; status.textContent = 'live'; };
  events.onmessage = e => {
    const next = JSON.parse(e.data);
    if (!next.nodes) return;
    state = next;
    document.body.dataset.generated = String(state.generated_ms);
    render();
  };
  events.onerror = () => { status.className = 'down'; status.textContent = 'watch server unreachable — retrying'; };
}
connect();
