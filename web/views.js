// roomtemp dashboard: the three views, drawn from the last answers on every refresh (cards are
// reused, see cards.js). The site: every building's summary — with its rooms under it on a
// small site — and the rooms a search finds or the worst ones; a building: its tiles and its
// rooms, searched and ordered, and its history chart; a room: its tiles, its history chart and
// its other metrics.
'use strict';

/// Buildings in the chosen order: by id, by their hottest or coldest room, or most silent
/// rooms first (then the longest since a reading).
function sortBuildings(list, sort) {
  const byName = (a, b) => collator.compare(a.building, b.building);
  const rank = {
    name: byName,
    hottest: (a, b) => (b.hottest?.avg ?? -Infinity) - (a.hottest?.avg ?? -Infinity) || byName(a, b),
    coldest: (a, b) => (a.coldest?.avg ?? Infinity) - (b.coldest?.avg ?? Infinity) || byName(a, b),
    silent: (a, b) => (b.rooms - b.reporting) - (a.rooms - a.reporting)
      || (Date.parse(a.last_reading) || 0) - (Date.parse(b.last_reading) || 0) || byName(a, b),
  }[sort];
  return list.slice().sort(rank);
}

/// A building's rooms in the chosen order, as roomtempd orders the site's (ranking window:
/// the answer's `window`).
function sortRooms(list, sort, window) {
  const byName = (a, b) => collator.compare(a.building, b.building) || collator.compare(a.room, b.room);
  const avg = (r) => { const s = statsOf(r, window); return s && s.count > 0 ? s.avg : null; };
  const ranked = (dir) => (a, b) => {
    const x = avg(a);
    const y = avg(b);
    if ((x === null) !== (y === null)) return x === null ? 1 : -1;
    return (x === null ? 0 : dir * (x - y)) || byName(a, b);
  };
  const rank = {
    name: byName,
    hottest: ranked(-1),
    coldest: ranked(1),
    silent: (a, b) => (a.reporting - b.reporting)
      || (Date.parse(a.last_reading) || 0) - (Date.parse(b.last_reading) || 0) || byName(a, b),
  }[sort];
  return list.slice().sort(rank);
}

const matches = (text, q) => text.toLowerCase().includes(q.toLowerCase());

function overview(rt) {
  const o = state.answer;
  if (!o.buildings.length) {
    return [h('p', { class: 'notice' }, 'Nothing has reported yet. Sensors publish to ',
      h('code', null, `buildings/{building}/rooms/{room}/${state.metric}`), '.')];
  }
  const rooms = o.buildings.reduce((n, b) => n + b.rooms, 0);
  const reporting = o.buildings.reduce((n, b) => n + b.reporting, 0);
  const parts = [h('p', { class: 'summary' },
    h('strong', null, plural(o.buildings.length, 'building')), ' · ',
    h('strong', null, plural(rooms, 'room')), ` with ${state.metric} · `,
    h('strong', { class: reporting < rooms ? 'warn' : null }, reporting.toLocaleString('en')), ' reporting')];

  // A small site: every building with its rooms under it, as they all fit.
  if (!rt.q && o.rooms.total <= SMALL_SITE && o.rooms.total <= o.rooms.items.length) {
    const byBuilding = new Map();
    for (const r of sortRooms(o.rooms.items, rt.sort, o.window)) {
      if (!byBuilding.has(r.building)) byBuilding.set(r.building, []);
      byBuilding.get(r.building).push(r);
    }
    parts.push(h('div', { class: 'buildings' }, sortBuildings(o.buildings, rt.sort).map((b) => {
      const list = byBuilding.get(b.building) || [];
      return h('section', { class: list.length <= 2 ? 'building small' : 'building', 'data-building': b.building },
        buildingSummary(b, true), h('div', { class: 'grid' }, list.map((r) => roomCard(r, false))));
    })));
    return parts;
  }

  const shownBuildings = sortBuildings(o.buildings.filter((b) => !rt.q || matches(b.building, rt.q)), rt.sort);
  const cap = BUILDINGS_PAGE * (1 + state.more.buildings);
  if (rt.q) {
    parts.push(h('h2', { class: 'section-title' }, `Rooms matching “${rt.q}”`,
      h('span', { class: 'muted' }, ` ${plural(o.rooms.total, 'room')}`)));
    parts.push(o.rooms.items.length
      ? h('div', { class: 'grid' }, o.rooms.items.map((r) => roomCard(r, true)))
      : h('p', { class: 'notice' }, 'No room matches.'));
    parts.push(showMore(o.rooms.items.length, o.rooms.total, ROOMS_PAGE, () => { state.more.rooms++; refresh(); }));
  } else if (rt.sort !== 'name') {
    parts.push(h('h2', { class: 'section-title' }, `Rooms, ${orderName(rt.sort)}`,
      h('span', { class: 'muted' }, rt.sort === 'silent' ? ' no readings in any window, then the longest since a reading'
        : ` by their ${o.window} average`)));
    parts.push(h('div', { class: 'grid' }, o.rooms.items.map((r) => roomCard(r, true))));
    parts.push(showMore(o.rooms.items.length, o.rooms.total, WORST_PAGE, () => { state.more.rooms++; refresh(); }));
  }
  if (!rt.q || shownBuildings.length) {
    parts.push(h('h2', { class: 'section-title' }, rt.q ? `Buildings matching “${rt.q}”` : 'Buildings',
      h('span', { class: 'muted' }, rt.sort === 'name' ? ' choose one for its rooms' : ` ${orderName(rt.sort)}`)));
    parts.push(h('div', { class: 'building-grid' }, shownBuildings.slice(0, cap).map((b) => buildingSummary(b, false))));
    parts.push(showMore(Math.min(cap, shownBuildings.length), shownBuildings.length, BUILDINGS_PAGE,
      () => { state.more.buildings++; render(route()); }));
  }
  return parts;
}

function buildingView(rt) {
  const a = state.answer;
  const b = a.building;
  const parts = [
    h('h1', null, b.building),
    h('div', { class: 'tiles' }, state.windows.map((w) => statTile(w, statsOf(b, w), `building, last ${w}`))),
  ];
  const found = a.rooms.filter((r) => !rt.q || matches(`${r.building}/${r.room}`, rt.q));
  const list = sortRooms(found, rt.sort, a.window);
  const cap = BUILDING_ROOMS_PAGE * (1 + state.more.rooms);
  parts.push(h('p', { class: 'summary' },
    b.rooms === b.reporting ? plural(b.rooms, 'room') : `${b.reporting} of ${plural(b.rooms, 'room')} reporting`,
    ' · last reading ', lastReading(b.last_reading),
    rt.q ? ` · ${plural(found.length, 'room')} matching “${rt.q}”` : ''));
  parts.push(historySection(rt, b.building, null, headline(b)));
  parts.push(h('section', { class: 'building', 'data-building': b.building },
    h('div', { class: 'grid' }, list.slice(0, cap).map((r) => roomCard(r, false)))));
  parts.push(showMore(Math.min(cap, list.length), list.length, BUILDING_ROOMS_PAGE,
    () => { state.more.rooms++; render(route()); }));
  return parts;
}

let historyPlot = null;

/// The history chart of a room or (r null) a building, with links to its other spans. The chart
/// is kept across refreshes while it shows the same thing.
function historySection(rt, b, r, v) {
  const key = JSON.stringify([b, r, state.metric, rt.span]);
  if (!historyPlot || historyPlot.key !== key) {
    if (historyPlot) historyPlot.destroy();
    historyPlot = historyChart(b, r, rt.span);
    historyPlot.key = key;
  }
  historyPlot.refresh(v);
  const s = SPANS[rt.span];
  const what = s.stepMs >= 24 * HOUR_MS ? 'day' : s.stepMs >= HOUR_MS ? 'hour'
    : s.stepMs > MINUTE_MS ? `${s.step.replace('m', ' minutes')}` : 'minute';
  const spans = h('nav', { class: 'spans', 'aria-label': 'history span' }, SPAN_NAMES.map((name) =>
    h('a', { href: hashFor(currentPath(), { q: rt.q, span: name }), 'aria-current': name === rt.span ? 'true' : null },
      name)));
  return h('section', { class: 'card wide history' },
    h('div', { class: 'history-head' },
      h('h2', null, `${s.label} `, h('span', { class: 'muted' },
        `${r === null ? 'the building\'s ' : ''}average per ${what}, band from min to max`)),
      spans),
    historyPlot.box);
}

function roomView(rt) {
  const { listing, answers } = state.room;
  if (!listing) return [notFound(`Room ${rt.room} in building ${rt.building} has not reported.`)];
  const main = answers.get(state.metric).rooms[0];
  const parts = [h('h1', null, rt.room, h('span', { class: 'muted' }, ` in ${rt.building}`))];
  parts.push(h('p', { class: 'summary' }, `${state.metric} · last reading `, lastReading(main.last_reading)));
  parts.push(h('div', { class: 'tiles' }, state.windows.map((w) => statTile(w, statsOf(main, w), `last ${w}`))));
  parts.push(historySection(rt, rt.building, rt.room, headline(main)));
  const others = listing.metrics.filter((m) => m !== state.metric);
  if (others.length) {
    const cell = (m, w) => statsOf(answers.get(m).rooms[0], w)?.avg;
    const unitOf = (m) => (state.metrics.find((x) => x.metric === m) || {}).unit || '';
    parts.push(h('section', { class: 'card wide' }, h('h2', null, 'Other metrics'),
      h('table', { class: 'metrics' },
        h('thead', null, h('tr', null, h('th', null, 'metric'), state.windows.map((w) => h('th', null, w)))),
        h('tbody', null, others.map((m) => h('tr', null,
          h('th', null, h('a', { href: metricHref(m) }, m), ' ',
            h('span', { class: 'muted' }, unitOf(m))),
          state.windows.map((w) => h('td', null, valueSpan('v', w, cell(m, w))))))))));
  }
  const api = `${roomPath(rt.building, rt.room)}/${enc(state.metric)}`;
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
  const items = [h('a', { href: hashFor('') }, 'All buildings')];
  if (rt.view !== 'overview') items.push(h('a', { href: buildingHref(rt.building) }, rt.building));
  if (rt.view === 'room') items.push(h('a', { href: roomHref(rt.building, rt.room) }, rt.room));
  items[items.length - 1].setAttribute('aria-current', 'page');
  return items.flatMap((a, i) => (i ? [h('span', { class: 'sep', 'aria-hidden': 'true' }, '›'), a] : [a]));
}

function renderView(rt) {
  let content;
  if (state.missing) {
    content = [notFound(state.missing)];
  } else if (rt.view === 'room') {
    content = state.room ? roomView(rt) : [];
  } else if (!state.answer) {
    content = [];
  } else if (rt.view === 'building') {
    content = buildingView(rt);
  } else {
    content = overview(rt);
  }
  if (rt.view === 'overview' && historyPlot) {
    historyPlot.destroy();
    historyPlot = null;
  }
  sweepPool();
  document.getElementById('view').replaceChildren(...content.filter(Boolean));
  document.getElementById('crumbs').replaceChildren(...crumbs(rt));
  document.title = rt.view === 'overview' ? 'roomtemp'
    : `${rt.view === 'room' ? `${rt.room} · ` : ''}${rt.building} · roomtemp`;
  document.body.dataset.overflow = overflowing();
}

/// Values wider than their box, whose end the next box paints over (a unit cut to "°("): none
/// should be at any width; the count is on <body data-overflow> for the layout tests.
function overflowing() {
  let n = 0;
  for (const e of document.querySelectorAll('.pill, .tile, .tile-value, .card-head, .building-card-head')) {
    if (e.scrollWidth > e.clientWidth + 1) n++;
  }
  return n;
}
