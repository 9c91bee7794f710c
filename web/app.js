// roomtemp dashboard: reads roomtempd's REST API (SPEC.md §5) and redraws in place every few
// seconds. Views are URL hash routes: #/ (every building), #/b/{building},
// #/b/{building}/r/{room}. The charts are in plots.js. Ids come from sensors, so every text
// goes into the DOM as a text node or an attribute value (h() below), never as HTML.
'use strict';

const METRIC = 'temperature';
const UNIT = '°C';
/// SPEC.md §2's default windows; one the daemon is not configured with is dropped on its 400.
const WINDOWS = ['1m', '15m', '1h'];
const LIVE_EVERY_MS = 5000;
const SERIES_EVERY_MS = 30000;
const MINUTE_MS = 60 * 1000;
/// The most rooms GET /v1/top returns; beyond that, rooms are asked for one by one.
const TOP_LIMIT = 1000;

// ---------------------------------------------------------------------------------------
// Small helpers.

/// An element with attributes and children; strings become text nodes (escaped by the DOM).
function h(tag, attrs, ...children) {
  const e = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k === 'class') e.className = v;
    else if (k.startsWith('on')) e.addEventListener(k.slice(2), v);
    else e.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c !== null && c !== undefined && c !== false) e.append(c);
  }
  return e;
}

/// One decimal, as everywhere on the page ("—" when the window is empty).
function fmt(v) {
  if (v === null || v === undefined || !Number.isFinite(v)) return '—';
  const s = v.toFixed(1);
  return s === '-0.0' ? '0.0' : s;
}

const pad = (n) => String(n).padStart(2, '0');
const hhmm = (ms) => { const d = new Date(ms); return `${pad(d.getHours())}:${pad(d.getMinutes())}`; };
const hhmmss = (ms) => `${hhmm(ms)}:${pad(new Date(ms).getSeconds())}`;
const enc = encodeURIComponent;
const key = (...parts) => parts.join('\u0000');

/// Temperature → hue: blue at 14 °C and below, green across the comfortable 20–24 °C, red at
/// 30 °C and above.
function hue(t) {
  if (t <= 20) return Math.round(130 + Math.min(1, (20 - t) / 6) * 90);
  if (t <= 24) return 130;
  return Math.round(130 * Math.max(0, 1 - (t - 24) / 6));
}

/// The word for a colour, so that it does not rely on colour alone.
function feel(t) {
  if (t < 18) return 'cold';
  if (t < 20) return 'cool';
  if (t <= 24) return 'comfortable';
  if (t <= 27) return 'warm';
  return 'hot';
}

/// Sets --hue on `e` from a temperature, or marks it as having none.
function paint(e, t) {
  const known = t !== null && t !== undefined && Number.isFinite(t);
  e.classList.toggle('no-data', !known);
  if (known) e.style.setProperty('--hue', hue(t));
  else e.style.removeProperty('--hue');
}

const buildingPath = (b) => `/v1/buildings/${enc(b)}`;
const roomPath = (b, r) => `${buildingPath(b)}/rooms/${enc(r)}`;
const buildingHref = (b) => `#/b/${enc(b)}`;
const roomHref = (b, r) => `#/b/${enc(b)}/r/${enc(r)}`;

class HttpError extends Error {
  constructor(status, message) {
    super(message);
    this.status = status;
  }
}

// ---------------------------------------------------------------------------------------
// The read token. When roomtempd has http.read_token_file set, every data request needs
// "Authorization: Bearer <token>"; the page and its assets do not. The user pastes the token
// once; it stays in sessionStorage (this tab, until it closes), never in a URL, so it cannot
// end up in access logs, history or a Referer.

const TOKEN_KEY = 'roomtemp.read-token';

function authHeaders() {
  let token = null;
  try {
    token = sessionStorage.getItem(TOKEN_KEY);
  } catch (e) {
    // Storage disabled: the daemon answers 401 and the prompt says so again.
  }
  return token ? { Authorization: `Bearer ${token}` } : {};
}

/// Shows the prompt after a 401; a stored token that was refused is forgotten.
function askForToken() {
  const box = document.getElementById('token');
  let refused = false;
  try {
    refused = sessionStorage.getItem(TOKEN_KEY) !== null;
    sessionStorage.removeItem(TOKEN_KEY);
  } catch (e) {
    // nothing stored
  }
  document.getElementById('token-refused').hidden = !refused;
  if (box.hidden) {
    box.hidden = false;
    document.getElementById('token-input').focus();
  }
}

function useToken() {
  const input = document.getElementById('token-input');
  const token = input.value.trim();
  if (!token) return;
  try {
    sessionStorage.setItem(TOKEN_KEY, token);
  } catch (e) {
    return;
  }
  input.value = '';
  document.getElementById('token').hidden = true;
  document.getElementById('token-refused').hidden = true;
  refresh();
}

async function getJSON(path) {
  let res;
  try {
    res = await fetch(path, {
      cache: 'no-store',
      headers: { Accept: 'application/json', ...authHeaders() },
    });
  } catch (e) {
    throw new HttpError(0, 'cannot reach roomtempd');
  }
  if (!res.ok) {
    const body = await res.json().catch(() => ({}));
    throw new HttpError(res.status, body.error || `HTTP ${res.status}`);
  }
  return res.json();
}

/// The answer, or `fallback` when it is a 404 (a series that has not reported).
async function getOr404(path, fallback) {
  try {
    return await getJSON(path);
  } catch (e) {
    if (e.status === 404) return fallback;
    throw e;
  }
}

// ---------------------------------------------------------------------------------------
// What the daemon said last.

const state = {
  windows: WINDOWS.slice(),
  buildings: [],             // [{building, rooms: [{room, metrics: [...]}]}]
  top: new Map(),            // window → Map(key(b, r) → live stats of METRIC)
  truncated: new Map(),      // window → true when /v1/top had more rooms than TOP_LIMIT
  roomLive: new Map(),       // key(b, r, metric, window) → stats or null (asked one by one)
  buildingLive: new Map(),   // key(b, window) → stats or null
  clock: null,               // {server, client}: the daemon's clock from the windows' `to`
  updated: 0,
  error: null,
};

function route() {
  try {
    const parts = location.hash.replace(/^#\/?/, '').split('/').map(decodeURIComponent);
    if (parts[0] === 'b' && parts[1]) {
      if (parts[2] === 'r' && parts[3]) return { view: 'room', building: parts[1], room: parts[3] };
      return { view: 'building', building: parts[1] };
    }
  } catch (e) {
    // A malformed hash shows the overview.
  }
  return { view: 'overview' };
}

function serverNow() {
  return state.clock ? state.clock.server + (Date.now() - state.clock.client) : Date.now();
}

function findBuilding(b) {
  return state.buildings.find((x) => x.building === b);
}

/// A room's live METRIC stats for a window: from /v1/top, or asked one by one.
function liveOf(b, r, w) {
  const k = key(b, r, METRIC, w);
  if (state.roomLive.has(k)) return state.roomLive.get(k);
  const top = state.top.get(w);
  return (top && top.get(key(b, r))) || null;
}

/// The rooms the current view shows, as [building, room].
function roomsInView(rt) {
  const out = [];
  for (const b of state.buildings) {
    if (rt.view !== 'overview' && b.building !== rt.building) continue;
    for (const r of b.rooms) {
      if (rt.view === 'room' && r.room !== rt.room) continue;
      out.push([b.building, r.room]);
    }
  }
  return out;
}

async function fetchLive(rt) {
  const buildings = await getJSON('/v1/buildings');
  state.buildings = await Promise.all(
    buildings.map(async ({ building }) => ({
      building,
      rooms: await getOr404(`${buildingPath(building)}/rooms`, []),
    })),
  );
  const collator = new Intl.Collator(undefined, { numeric: true });
  state.buildings.sort((a, b) => collator.compare(a.building, b.building));
  for (const b of state.buildings) b.rooms.sort((x, y) => collator.compare(x.room, y.room));

  await fetchTop(true);

  // One by one: the room view's every metric (with min/max even when empty), and rooms that
  // did not fit in /v1/top.
  const asks = [];
  const roomLive = new Map();
  const ask = (b, r, m, w) => asks.push(
    getOr404(`${roomPath(b, r)}/${enc(m)}/average?window=${enc(w)}`, null)
      .then((s) => { roomLive.set(key(b, r, m, w), s); if (s) noteClock(s); }));
  for (const [b, r] of roomsInView(rt)) {
    const metrics = findBuilding(b).rooms.find((x) => x.room === r).metrics;
    for (const w of state.windows) {
      if (rt.view === 'room') {
        for (const m of metrics) ask(b, r, m, w);
      } else if (state.truncated.get(w) && !state.top.get(w).has(key(b, r))) {
        ask(b, r, METRIC, w);
      }
    }
  }
  const buildingLive = new Map();
  for (const b of state.buildings) {
    if (rt.view !== 'overview' && b.building !== rt.building) continue;
    for (const w of state.windows) {
      asks.push(getOr404(`${buildingPath(b.building)}/${enc(METRIC)}/average?window=${enc(w)}`, null)
        .then((s) => buildingLive.set(key(b.building, w), s)));
    }
  }
  await Promise.all(asks);
  state.roomLive = roomLive;
  state.buildingLive = buildingLive;
}

/// Every room's live METRIC, one request per window. A window the daemon is not configured
/// with answers 400 naming the configured ones: the page takes those instead, once.
async function fetchTop(mayAdopt) {
  const answers = await Promise.all(state.windows.map((w) =>
    getJSON(`/v1/top?metric=${enc(METRIC)}&window=${enc(w)}&n=${TOP_LIMIT}`).then(
      (list) => ({ w, list }),
      (e) => { if (e.status === 400) return { w, refused: e.message }; throw e; })));
  const refused = answers.find((a) => a.refused);
  if (refused) {
    const configured = /configured: ([^)]+)\)/.exec(refused.refused);
    state.windows = configured && mayAdopt
      ? configured[1].split(/,\s*/)
      : state.windows.filter((w) => !answers.some((a) => a.w === w && a.refused));
    if (configured && mayAdopt) return fetchTop(false);
  }
  for (const { w, list } of answers) {
    if (!list) continue;
    state.top.set(w, new Map(list.map((s) => [key(s.building, s.room), s])));
    state.truncated.set(w, list.length >= TOP_LIMIT);
    for (const s of list) noteClock(s);
  }
}

/// A window's `to` is the end of the bucket that holds the daemon's now (window/30 later at
/// most): the shortest window's tells its clock to a few seconds.
function noteClock(stats) {
  const t = Date.parse(stats.to);
  if (stats.window !== state.windows[0] || !Number.isFinite(t)) return;
  if (!state.clock || t > serverNow()) state.clock = { server: t, client: Date.now() };
}

// ---------------------------------------------------------------------------------------
// Views. Each is built once per route and structure; update() then changes texts, colours and
// charts in place through the updaters the builders registered.

let view = { signature: '', updaters: [], plots: [] };

function structureSignature(rt) {
  return JSON.stringify([rt, state.windows,
    state.buildings.map((b) => [b.building, b.rooms.map((r) => [r.room, r.metrics])])]);
}

/// A value that a refresh rewrites: <span class="{cls}" data-window="{w}">21.4</span>.
function valueSpan(cls, w, get) {
  const e = h('span', { class: cls, 'data-window': w }, '—');
  view.updaters.push(() => { e.textContent = fmt(get()); });
  return e;
}

/// The row of a room's or building's averages, one per window.
function windowPills(get) {
  return h('dl', { class: 'pills' }, state.windows.map((w) => {
    const pill = h('div', { class: 'pill' },
      h('dt', null, w),
      h('dd', null, valueSpan('v', w, () => get(w)?.avg)));
    view.updaters.push(() => paint(pill, get(w)?.avg));
    return pill;
  }));
}

/// The first window with readings: what a card is coloured by.
function headline(get) {
  for (const w of state.windows) {
    const s = get(w);
    if (s && s.count > 0) return s.avg;
  }
  return null;
}

function roomCard(b, r) {
  const get = (w) => liveOf(b, r.room, w);
  const hasMetric = r.metrics.includes(METRIC);
  const word = h('span', { class: 'feel' });
  const card = h('article', { class: 'card room', 'data-building': b, 'data-room': r.room },
    h('a', { class: 'card-head', href: roomHref(b, r.room) },
      h('h3', null, r.room), word),
    hasMetric ? windowPills(get) : h('p', { class: 'muted' }, `reports ${r.metrics.join(', ')}`),
    hasMetric ? plot(b, r.room, false) : null);
  view.updaters.push(() => {
    const t = hasMetric ? headline(get) : null;
    paint(card, t);
    word.textContent = t === null ? (hasMetric ? 'no recent readings' : '') : feel(t);
  });
  return card;
}

/// A building's room cards, under a heading with its averages unless `withHeading` is false
/// (the building view shows those as tiles).
function buildingSection(b, withHeading) {
  const get = (w) => state.buildingLive.get(key(b.building, w));
  const head = withHeading && h('header', { class: 'building-head' },
    h('h2', null, h('a', { href: buildingHref(b.building) }, b.building)),
    h('span', { class: 'muted' }, `${b.rooms.length} room${b.rooms.length === 1 ? '' : 's'}`),
    h('div', { class: 'building-avg' }, h('span', { class: 'muted' }, 'building'), windowPills(get)));
  // A building of one or two rooms takes half a row in the overview, so that small sites pair up.
  const size = withHeading && b.rooms.length <= 2 ? 'building small' : 'building';
  return h('section', { class: size, 'data-building': b.building },
    head,
    h('div', { class: 'grid' }, b.rooms.map((r) => roomCard(b.building, r))));
}

/// A tile with one window's numbers: average, min–max, count.
function statTile(w, get, label) {
  const count = h('span', { class: 'count' });
  const tile = h('div', { class: 'tile', 'data-window': w },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value' }, valueSpan('v', w, () => get()?.avg), h('span', { class: 'unit' }, UNIT)),
    h('div', { class: 'tile-range' },
      h('span', null, 'min ', valueSpan('min', w, () => get()?.min)),
      h('span', null, 'max ', valueSpan('max', w, () => get()?.max))),
    count);
  view.updaters.push(() => {
    const s = get();
    paint(tile, s && s.count > 0 ? s.avg : null);
    count.textContent = s ? `${s.count} reading${s.count === 1 ? '' : 's'}` : 'no readings';
  });
  return tile;
}

function overview() {
  if (!state.buildings.length) {
    return [h('p', { class: 'notice' }, 'Nothing has reported yet. Sensors publish to ',
      h('code', null, 'buildings/{building}/rooms/{room}/temperature'), '.')];
  }
  return [h('div', { class: 'buildings' }, state.buildings.map((b) => buildingSection(b, true)))];
}

function buildingView(rt) {
  const b = findBuilding(rt.building);
  if (!b) return [notFound(`Building ${rt.building} has not reported.`)];
  const get = (w) => () => state.buildingLive.get(key(b.building, w));
  return [
    h('h1', null, b.building),
    h('div', { class: 'tiles' }, state.windows.map((w) => statTile(w, get(w), `building, last ${w}`))),
    buildingSection(b, false),
  ];
}

function roomView(rt) {
  const b = findBuilding(rt.building);
  const r = b && b.rooms.find((x) => x.room === rt.room);
  if (!r) return [notFound(`Room ${rt.room} in building ${rt.building} has not reported.`)];
  const live = (m, w) => state.roomLive.get(key(b.building, r.room, m, w));
  const parts = [h('h1', null, r.room, h('span', { class: 'muted' }, ` in ${b.building}`))];
  if (r.metrics.includes(METRIC)) {
    parts.push(h('div', { class: 'tiles' },
      state.windows.map((w) => statTile(w, () => live(METRIC, w), `last ${w}`))));
    parts.push(h('section', { class: 'card wide' },
      h('h2', null, 'Last hour ', h('span', { class: 'muted' }, 'average per minute, band from min to max')),
      plot(b.building, r.room, true)));
  }
  const others = r.metrics.filter((m) => m !== METRIC);
  if (others.length) {
    parts.push(h('section', { class: 'card wide' }, h('h2', null, 'Other metrics'),
      h('table', { class: 'metrics' },
        h('thead', null, h('tr', null, h('th', null, 'metric'), state.windows.map((w) => h('th', null, w)))),
        h('tbody', null, others.map((m) => h('tr', null, h('th', null, m),
          state.windows.map((w) => h('td', null, valueSpan('v', w, () => live(m, w)?.avg)))))))));
  }
  const api = `${roomPath(b.building, r.room)}/${enc(METRIC)}`;
  parts.push(h('p', { class: 'muted api' }, 'The same from the REST API: ',
    h('a', { href: `${api}/average?window=${enc(state.windows[0] || '15m')}` }, 'average'), ' · ',
    h('a', { href: `${api}/series?step=1m` }, 'series'), ' · ',
    h('a', { href: `${api}/readings` }, 'readings')));
  return parts;
}

function notFound(text) {
  return h('p', { class: 'notice' }, text, ' ', h('a', { href: '#/' }, 'All buildings'));
}

function crumbs(rt) {
  const items = [h('a', { href: '#/' }, 'All buildings')];
  if (rt.view !== 'overview') items.push(h('a', { href: buildingHref(rt.building) }, rt.building));
  if (rt.view === 'room') items.push(h('a', { href: roomHref(rt.building, rt.room) }, rt.room));
  items[items.length - 1].setAttribute('aria-current', 'page');
  return items.flatMap((a, i) => (i ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, '›'), a] : [a]));
}

function rebuild(rt, signature) {
  for (const p of view.plots) {
    p.dead = true;
    if (p.chart) p.chart.destroy();
  }
  view = { signature, updaters: [], plots: [] };
  const content = rt.view === 'room' ? roomView(rt) : rt.view === 'building' ? buildingView(rt) : overview();
  document.getElementById('view').replaceChildren(...content);
  document.getElementById('crumbs').replaceChildren(...crumbs(rt));
  document.title = rt.view === 'overview' ? 'roomtemp'
    : `${rt.view === 'room' ? `${rt.room} · ` : ''}${rt.building} · roomtemp`;
}

function update() {
  const rt = route();
  const signature = structureSignature(rt);
  if (signature !== view.signature) rebuild(rt, signature);
  for (const u of view.updaters) u();
  for (const p of view.plots) if (p.chart) recolour(p);
  loadVisibleSeries();
  const status = document.getElementById('status');
  status.classList.toggle('offline', !!state.error);
  status.textContent = state.error
    ? `${state.error}; retrying${state.updated ? ` (last update ${hhmmss(state.updated)})` : ''}`
    : `live · updated ${hhmmss(state.updated)}`;
  document.getElementById('legend-note').textContent =
    `live averages over ${state.windows.join(', ')}; refreshed every ${LIVE_EVERY_MS / 1000} s`;
}

// ---------------------------------------------------------------------------------------
// The heartbeat.

let refreshing = null;
let refreshAgain = false;

/// Fetches and redraws; a call while one runs (the route changed) runs once more after it.
async function refresh() {
  if (refreshing) {
    refreshAgain = true;
    return refreshing;
  }
  refreshing = (async () => {
    do {
      refreshAgain = false;
      try {
        await fetchLive(route());
        state.error = null;
        state.updated = Date.now();
      } catch (e) {
        state.error = e.message || 'error';
        if (e.status === 401) askForToken();
      }
      update();
    } while (refreshAgain);
    document.body.dataset.state = state.error ? 'error' : 'ready';
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
  }
}

async function heartbeat() {
  if (!document.hidden) await refresh();
  setTimeout(heartbeat, LIVE_EVERY_MS);
}

function start() {
  if (typeof Chart !== 'undefined') {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  }
  window.addEventListener('hashchange', () => { update(); refresh(); });
  let pending = false;  // one check per frame however fast the page scrolls
  const onMove = () => {
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; loadVisibleSeries(); });
  };
  window.addEventListener('scroll', onMove, { passive: true });
  window.addEventListener('resize', onMove);
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  document.getElementById('token-use').addEventListener('click', useToken);
  document.getElementById('token-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') useToken();
  });
  heartbeat();
}

// Every deferred script (Chart.js, plots.js) has run by then.
document.addEventListener('DOMContentLoaded', start);
