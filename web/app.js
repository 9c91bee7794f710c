// roomtemp dashboard: what the daemon said last, which view is open, and the heartbeat. Every
// refresh costs a fixed handful of requests whatever the site's size: the overview is one
// GET /v1/overview, a building one GET /v1/buildings/{b}/live, a room one listing plus one
// answer per metric it reports (and its history chart's series when due, see SPANS).
//
// Views are URL hash routes: #/ (the site), #/b/{building}, #/b/{building}/r/{room}, each
// with ?q= (search), sort= (name|hottest|coldest|silent), m= (metric) and span= (the history
// chart's: 1h|24h|7d|30d|1y) when not the default.
'use strict';

const LIVE_EVERY_MS = 5000;
/// How often the page asks /readyz which role this instance has in its cluster (README
/// "Standby and failover"); outside the refreshes, whose request counts stay what they are.
const ROLE_EVERY_MS = 30000;
/// A site with at most this many rooms shows them all in the overview, under their buildings.
const SMALL_SITE = 24;
/// Rooms per page of search results and worst-first lists; buildings per page; rooms per page
/// of a building.
const ROOMS_PAGE = 48;
const WORST_PAGE = 12;
const BUILDINGS_PAGE = 60;
const BUILDING_ROOMS_PAGE = 60;

const SORTS = ['name', 'hottest', 'coldest', 'silent'];

/// How an order is called: "hottest first" for a temperature, "highest first" for another metric.
function orderName(sort) {
  const temperature = celsius(0, state.unit) !== null;
  return {
    name: 'by name',
    hottest: temperature ? 'hottest first' : 'highest first',
    coldest: temperature ? 'coldest first' : 'lowest first',
    silent: 'silent first',
  }[sort];
}

const state = {
  answer: null,      // GET /v1/overview or GET /v1/buildings/{b}/live, for the current route
  room: null,        // room view: {listing, answers: Map(metric → answer of …/live?room=)}
  missing: null,     // what the route names has not reported (a building or room view)
  siteRooms: null,   // rooms of the metric on the whole site, once the overview said
  metric: '',        // the metric shown (the daemon's choice unless ?m= says)
  unit: '',
  windows: [],
  metrics: [],       // [{metric, unit, rooms}]
  clock: null,       // {server, client}: the daemon's clock from its answers' `now`
  more: { key: '', rooms: 0, buildings: 0 },  // "show more" clicks, for one route
  updated: 0,
  error: null,
};

function route() {
  const raw = location.hash.replace(/^#\/?/, '');
  const at = raw.indexOf('?');
  const params = new URLSearchParams(at < 0 ? '' : raw.slice(at + 1));
  const sort = params.get('sort');
  const rt = {
    view: 'overview',
    q: (params.get('q') || '').trim(),
    sort: SORTS.includes(sort) ? sort : 'name',
    metric: params.get('m') || '',
    span: SPAN_NAMES.includes(params.get('span')) ? params.get('span') : DEFAULT_SPAN,
  };
  try {
    const parts = (at < 0 ? raw : raw.slice(0, at)).split('/').map(decodeURIComponent);
    if (parts[0] === 'b' && parts[1]) {
      rt.building = parts[1];
      rt.view = 'building';
      if (parts[2] === 'r' && parts[3]) Object.assign(rt, { view: 'room', room: parts[3] });
    }
  } catch (e) {
    // A malformed hash shows the overview.
  }
  return rt;
}

const currentPath = () => location.hash.replace(/^#\/?/, '').split('?')[0];

/// The hash of the view at `path` ("", "b/B1", "b/B1/r/101") in the order and metric chosen
/// now, with `changes` ({q, sort, m}) applied; a search is kept only when given.
function hashFor(path, changes = {}) {
  const rt = route();
  const params = query({ q: '', sort: rt.sort, m: rt.metric, span: rt.span, ...changes });
  return `#/${path}${params ? `?${params}` : ''}`;
}

const buildingPath = (b) => `/v1/buildings/${enc(b)}`;
const roomPath = (b, r) => `${buildingPath(b)}/rooms/${enc(r)}`;
const buildingHref = (b) => hashFor(`b/${enc(b)}`);
const roomHref = (b, r) => hashFor(`b/${enc(b)}/r/${enc(r)}`);
/// The current view with another metric.
const metricHref = (m) => hashFor(currentPath(), { q: route().q, m });

function serverNow() {
  return state.clock ? state.clock.server + (Date.now() - state.clock.client) : Date.now();
}

/// Takes what every live answer starts with: metric, unit, windows, metrics, the clock.
function adopt(answer) {
  Object.assign(state, { metric: answer.metric, unit: answer.unit, windows: answer.windows, metrics: answer.metrics });
  const t = Date.parse(answer.now);
  if (Number.isFinite(t)) state.clock = { server: t, client: Date.now() };
}

/// "a=1&b=2" of the parameters that have a value (a sort by name and the last hour's chart are
/// the defaults: left out).
function query(params) {
  return Object.entries(params)
    .filter(([k, v]) => v !== '' && v !== undefined && v !== null && !(k === 'sort' && v === 'name')
      && !(k === 'span' && v === DEFAULT_SPAN))
    .map(([k, v]) => `${k}=${enc(v)}`).join('&');
}

/// How many rooms the overview asks for: a page of search results or of the worst rooms; all
/// of a small site's (they show under their buildings); none of a large site's by name.
function overviewLimit(rt) {
  if (rt.q) return ROOMS_PAGE * (1 + state.more.rooms);
  const worst = rt.sort === 'name' ? 0 : WORST_PAGE * (1 + state.more.rooms);
  const large = state.siteRooms !== null && state.siteRooms > SMALL_SITE;
  return Math.max(large ? 0 : SMALL_SITE, worst);
}

async function fetchView(rt) {
  const metric = rt.metric;
  state.missing = null;
  if (rt.view === 'overview') {
    const answer = await getJSON(`/v1/overview?${query({ metric, sort: rt.sort, q: rt.q, limit: overviewLimit(rt) })}`);
    adopt(answer);
    state.answer = answer;
    if (!rt.q) state.siteRooms = answer.rooms.total;
  } else if (rt.view === 'building') {
    try {
      const answer = await getJSON(`${buildingPath(rt.building)}/live?${query({ metric })}`);
      adopt(answer);
      state.answer = answer;
    } catch (e) {
      if (e.status !== 404) throw e;
      state.missing = `Building ${rt.building} has not reported.`;
    }
  } else {
    await fetchRoom(rt);
  }
}

/// The room's listing (its metrics and last reading), then each of its metrics' live numbers.
async function fetchRoom(rt) {
  let listing;
  try {
    listing = (await getJSON(`${buildingPath(rt.building)}/rooms`)).find((x) => x.room === rt.room);
  } catch (e) {
    if (e.status !== 404) throw e;
  }
  if (!listing) {
    state.missing = `Room ${rt.room} in building ${rt.building} has not reported.`;
    return;
  }
  const answers = new Map();
  await Promise.all(listing.metrics.map((m) =>
    getJSON(`${buildingPath(rt.building)}/live?${query({ metric: m, room: rt.room })}`)
      .then((a) => answers.set(m, a))));
  // The metric asked for if the room reports it, else the first configured one it reports.
  const any = answers.values().next().value;
  const order = any ? any.metrics.map((x) => x.metric) : [];
  const shown = answers.has(rt.metric) ? rt.metric
    : order.find((m) => answers.has(m)) || listing.metrics[0];
  adopt(answers.get(shown));
  state.room = { listing, answers };
}

// ---------------------------------------------------------------------------------------
// The controls above the view: search, order, metric. They live outside #view so that a
// refresh never takes the focus away from the search box.

let typing = null;

function setParam(name, value) {
  location.hash = hashFor(currentPath(), { q: route().q, [name]: value });
}

function syncControls(rt) {
  const search = document.getElementById('search');
  if (document.activeElement !== search) search.value = rt.q;
  search.placeholder = rt.view === 'building' ? `Search rooms of ${rt.building}` : 'Search buildings and rooms';
  document.getElementById('search-box').hidden = rt.view === 'room';
  document.getElementById('sort-box').hidden = rt.view === 'room';
  const sort = document.getElementById('sort');
  sort.value = rt.sort;
  const metric = document.getElementById('metric');
  const options = state.metrics.map((m) =>
    h('option', { value: m.metric }, m.rooms ? m.metric : `${m.metric} (no rooms yet)`));
  const signature = state.metrics.map((m) => `${m.metric}:${m.rooms > 0}`).join(',');
  if (metric.dataset.signature !== signature) {
    metric.replaceChildren(...options);
    metric.dataset.signature = signature;
  }
  metric.value = state.metric;
  document.getElementById('metric-box').hidden = state.metrics.length < 2;
  for (const option of sort.options) {
    const name = orderName(option.value);
    const ranked = option.value === 'hottest' || option.value === 'coldest';
    option.textContent = name[0].toUpperCase() + name.slice(1) +
      (ranked && state.answer ? ` (${state.answer.window})` : '');
  }
}

function initControls() {
  const search = document.getElementById('search');
  search.addEventListener('input', () => {
    clearTimeout(typing);
    typing = setTimeout(() => setParam('q', search.value.trim()), 250);
  });
  search.addEventListener('keydown', (e) => {
    if (e.key === 'Escape') { search.value = ''; setParam('q', ''); }
  });
  document.getElementById('controls').addEventListener('submit', (e) => {
    e.preventDefault();
    clearTimeout(typing);
    setParam('q', search.value.trim());
  });
  document.getElementById('sort').addEventListener('change', (e) => setParam('sort', e.target.value));
  document.getElementById('metric').addEventListener('change', (e) => setParam('m', e.target.value));
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
      const rt = route();
      const done = countRefresh();
      const moreKey = JSON.stringify([rt.view, rt.building, rt.q, rt.sort, rt.metric]);
      if (state.more.key !== moreKey) state.more = { key: moreKey, rooms: 0, buildings: 0 };
      try {
        await fetchView(rt);
        state.error = null;
        state.updated = Date.now();
      } catch (e) {
        state.error = e.message || 'error';
        if (e.status === 401) askForToken();
      }
      render(rt);
      done();
    } while (refreshAgain);
    document.body.dataset.state = state.error ? 'error' : 'ready';
  })();
  try {
    await refreshing;
  } finally {
    refreshing = null;
  }
}

function render(rt) {
  syncControls(rt);
  if (!state.error || state.answer || state.room || state.missing) renderView(rt);
  renderAlarms(rt);
  const status = document.getElementById('status');
  const standby = cluster.role === 'standby';
  status.classList.toggle('offline', !!state.error);
  status.classList.toggle('standby', standby && !state.error);
  status.textContent = state.error
    ? `${state.error}; retrying${state.updated ? ` (last update ${hhmmss(state.updated)})` : ''}`
    : standby
      ? `standby instance: its live numbers are not kept up to date; the active one is ${cluster.active || 'not known yet'} · updated ${hhmmss(state.updated)}`
      : `live · updated ${hhmmss(state.updated)}`;
  document.getElementById('legend-bar').hidden = celsius(0, state.unit) === null;
  document.getElementById('legend-note').textContent =
    `live averages over ${state.windows.join(', ')}; refreshed every ${LIVE_EVERY_MS / 1000} s`;
}

// Active/standby: a standby takes no input, so its live windows stand still; the status line
// says so and names the active instance. Alone, /readyz has no role and nothing changes.
const cluster = { role: '', active: null };

async function checkRole() {
  try {
    const res = await fetch('/readyz', { cache: 'no-store' });
    const body = await res.json();
    const changed = (body.role || '') !== cluster.role || (body.active || null) !== cluster.active;
    cluster.role = body.role || '';
    cluster.active = body.active || null;
    document.body.dataset.role = cluster.role;
    if (changed && state.updated) render(route());
  } catch (e) {
    // Unreachable: the refresh says so on the status line.
  }
  setTimeout(checkRole, ROLE_EVERY_MS);
}

async function heartbeat() {
  if (!document.hidden) await refresh();
  setTimeout(heartbeat, LIVE_EVERY_MS);
}

function start() {
  if (typeof Chart !== 'undefined') {
    Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  }
  initControls();
  window.addEventListener('hashchange', () => {
    state.answer = null;
    state.room = null;
    refresh();
  });
  document.addEventListener('visibilitychange', () => { if (!document.hidden) refresh(); });
  document.getElementById('token-use').addEventListener('click', () => useToken(refresh));
  document.getElementById('token-input').addEventListener('keydown', (e) => {
    if (e.key === 'Enter') useToken(refresh);
  });
  showCounts();
  checkRole();
  heartbeat();
}

// Every deferred script (Chart.js, the others) has run by then.
document.addEventListener('DOMContentLoaded', start);
