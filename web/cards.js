// roomtemp dashboard: the pieces views are made of — a room's card, a building's summary card,
// a window's tile — and how a value is coloured. Cards are kept across refreshes by key
// (pooled), so a card keeps its chart; update(data) rewrites its numbers.
'use strict';

/// A temperature in °C for the colour scale, or null when the metric is not a temperature.
function celsius(v, unit) {
  if (v === null || v === undefined || !Number.isFinite(v)) return null;
  if (unit === '°C' || unit === 'C') return v;
  if (unit === '°F' || unit === 'F') return (v - 32) * 5 / 9;
  return null;
}

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

/// Colours `e` by a value of the current metric: by temperature when it is one, a neutral
/// blue-grey for other metrics, the "no data" look when there is no value.
function paint(e, v) {
  const known = v !== null && v !== undefined && Number.isFinite(v);
  const t = celsius(v, state.unit);
  e.classList.toggle('no-data', !known);
  e.classList.toggle('plain', known && t === null);
  if (t !== null) e.style.setProperty('--hue', hue(t));
  else e.style.removeProperty('--hue');
}

const statsOf = (entry, w) => (entry ? entry.windows.find((x) => x.window === w) || null : null);

/// The first window with readings: what a card is coloured by.
function headline(entry) {
  for (const w of state.windows) {
    const s = statsOf(entry, w);
    if (s && s.count > 0) return s.avg;
  }
  return null;
}

/// <span class="v" data-window="15m">21.4</span>
const valueSpan = (cls, w, v) => h('span', { class: cls, 'data-window': w }, fmt(v));
/// The unit after a value; none after "—".
const unitSpan = (v) => (state.unit && Number.isFinite(v) ? h('span', { class: 'u' }, state.unit) : null);

/// The row of a room's or building's averages, one per window.
function windowPills(entry) {
  return state.windows.map((w) => {
    const avg = statsOf(entry, w)?.avg;
    const pill = h('div', { class: 'pill' },
      h('dt', null, w), h('dd', null, valueSpan('v', w, avg), unitSpan(avg)));
    paint(pill, avg);
    return pill;
  });
}

/// "last reading 12 s ago" with the time itself in `datetime` and the tooltip.
function lastReading(iso) {
  if (!iso) return h('span', { class: 'last-unknown' }, 'not known since roomtempd started');
  const t = Date.parse(iso);
  return h('time', { datetime: iso, title: new Date(t).toLocaleString() }, ago(t, serverNow()));
}

// ---------------------------------------------------------------------------------------
// Cards kept across refreshes.

let pool = new Map();

/// The card under `key`, made by `make` the first time.
function pooled(key, make) {
  let card = pool.get(key);
  if (!card) {
    card = make();
    pool.set(key, card);
  }
  card.used = true;
  return card;
}

/// Forgets the cards the last render did not use (and their charts).
function sweepPool() {
  for (const [key, card] of pool) {
    if (card.used) {
      card.used = false;
    } else {
      if (card.destroy) card.destroy();
      pool.delete(key);
    }
  }
}

/// A room's card: its id (and building, in lists across buildings), a word for how it feels,
/// every window's average, a sparkline of the longest window and when it last reported.
function roomCard(room, withBuilding) {
  const b = room.building;
  const r = room.room;
  const card = pooled(`room|${b}|${r}|${withBuilding}`, () => {
    const word = h('span', { class: 'feel' });
    const pills = h('dl', { class: 'pills' });
    const last = h('span', { class: 'when' });
    const spark = sparkline(b, r);
    const el = h('article', { class: 'card room', 'data-building': b, 'data-room': r },
      h('a', { class: 'card-head', href: roomHref(b, r) },
        h('h3', null, r), withBuilding ? h('span', { class: 'in' }, b) : null, word),
      pills, spark.box, h('p', { class: 'last' }, 'last reading ', last));
    return {
      el,
      update(data) {
        const v = headline(data);
        const t = celsius(v, state.unit);
        paint(el, v);
        el.classList.toggle('silent', !data.reporting);
        word.textContent = !data.reporting ? 'no recent readings' : t === null ? '' : feel(t);
        pills.replaceChildren(...windowPills(data));
        last.replaceChildren(lastReading(data.last_reading));
        spark.draw(data.trend, v);
      },
      destroy: () => spark.destroy(),
    };
  });
  card.update(room);
  return card.el;
}

/// A building's summary: rooms reporting, every window's average, its hottest and coldest
/// room, when it last reported. `small` (a site of a few rooms) heads a section with its room
/// cards under it instead.
function buildingSummary(b, small) {
  const name = h('a', { href: buildingHref(b.building) }, b.building);
  const rooms = h('span', { class: 'muted rooms' },
    b.rooms === b.reporting ? `${plural(b.rooms, 'room')}`
      : `${b.reporting} of ${plural(b.rooms, 'room')} reporting`);
  const extremes = [];
  if (b.hottest && b.coldest && b.rooms > 1) {
    extremes.push(h('span', { class: 'extreme' }, 'hottest ',
      h('a', { href: roomHref(b.building, b.hottest.room) }, b.hottest.room), ' ',
      h('b', { class: 'hottest' }, fmt(b.hottest.avg))));
    extremes.push(h('span', { class: 'extreme' }, 'coldest ',
      h('a', { href: roomHref(b.building, b.coldest.room) }, b.coldest.room), ' ',
      h('b', { class: 'coldest' }, fmt(b.coldest.avg))));
  }
  const when = h('span', { class: 'muted last' }, 'last reading ', lastReading(b.last_reading));
  const pills = h('div', { class: 'building-avg' },
    h('span', { class: 'muted' }, 'building'), h('dl', { class: 'pills' }, windowPills(b)));
  if (small) {
    return h('header', { class: 'building-head' }, h('h2', null, name), rooms, pills,
      extremes.length ? h('span', { class: 'extremes' }, extremes) : null, when);
  }
  const silent = b.rooms - b.reporting;
  const card = h('article', { class: `card building-card${silent ? ' has-silent' : ''}`, 'data-building': b.building },
    h('header', { class: 'building-card-head' }, h('h2', null, name), rooms),
    h('dl', { class: 'pills' }, windowPills(b)),
    h('p', { class: 'extremes' }, extremes.length ? extremes : h('span', { class: 'muted' }, '—')),
    when);
  paint(card, headline(b));
  return card;
}

/// A tile with one window's numbers: average, min–max, count.
function statTile(w, s, label) {
  const tile = h('div', { class: 'tile', 'data-window': w },
    h('div', { class: 'tile-label' }, label),
    h('div', { class: 'tile-value' }, valueSpan('v', w, s?.avg), unitSpan(s?.avg)),
    h('div', { class: 'tile-range' },
      h('span', null, 'min ', valueSpan('min', w, s?.min)),
      h('span', null, 'max ', valueSpan('max', w, s?.max))),
    h('span', { class: 'count' }, s ? plural(s.count, 'reading') : 'no readings'));
  paint(tile, s && s.count > 0 ? s.avg : null);
  return tile;
}

/// "Show 48 more" under a capped list; `shown` of `total` are on the page.
function showMore(shown, total, step, onClick) {
  if (shown >= total) return null;
  return h('p', { class: 'more' },
    h('button', { type: 'button', onclick: onClick },
      `Show ${Math.min(step, total - shown)} more`),
    h('span', { class: 'muted' }, ` ${shown.toLocaleString('en')} of ${total.toLocaleString('en')} shown`));
}
