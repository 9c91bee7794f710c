// roomtemp dashboard: firing alarms and silent rooms, first and visibly, above the site and a
// building (README "Alarms and silent sensors"). One GET /v1/alarms per refresh (of the
// building's rooms in a building view); a room view costs none and shows the room's own entries
// from the last answer.
'use strict';

/// The most entries of each kind listed; the rest are counted.
const ALARMS_SHOWN = 12;

const alarmsState = {
  answer: null,    // GET /v1/alarms: {now, firing_total, silent_total, firing, silent}
  pending: false,  // 503: the states of earlier runs are not read back yet
  building: null,  // the building the answer is about (null: the whole site)
};

/// Fetches what fires and what is silent for the view `rt`; never fails the refresh.
async function fetchAlarms(rt) {
  if (rt.view === 'room') return;
  const building = rt.view === 'building' ? rt.building : null;
  try {
    const q = query({ building: building || '', limit: ALARMS_SHOWN });
    alarmsState.answer = await getJSON(`/v1/alarms${q ? `?${q}` : ''}`);
    alarmsState.pending = false;
    alarmsState.building = building;
  } catch (e) {
    alarmsState.answer = null;
    alarmsState.pending = e.status === 503;
  }
}

/// "28.4 °C above 28 (1m)": a firing alarm's value against its rule.
function alarmDetail(a) {
  const unit = a.metric === state.metric ? state.unit : '';
  const value = a.value === null ? '—' : fmt(a.value);
  return `${value}${unit && a.value !== null ? ` ${unit}` : ''} · threshold ${fmt(a.threshold)} over ${a.window}`;
}

function alarmItem(a) {
  const since = Date.parse(a.since);
  return h('li', { class: 'alarm-item firing', 'data-alarm': a.alarm, 'data-building': a.building, 'data-room': a.room },
    h('a', { href: roomHref(a.building, a.room) }, `${a.building} / ${a.room}`),
    h('span', { class: 'alarm-name' }, a.alarm),
    a.metric === state.metric ? null : h('span', { class: 'muted' }, a.metric),
    h('span', { class: 'alarm-value' }, alarmDetail(a)),
    h('span', { class: 'muted' }, 'firing ',
      h('time', { datetime: a.since, title: new Date(since).toLocaleString() }, ago(since, serverNow()))));
}

function silentItem(s) {
  return h('li', { class: 'alarm-item silent', 'data-building': s.building, 'data-room': s.room },
    h('a', { href: roomHref(s.building, s.room) }, `${s.building} / ${s.room}`),
    h('span', { class: 'alarm-name' }, 'silent'),
    s.metric === state.metric ? null : h('span', { class: 'muted' }, s.metric),
    h('span', { class: 'muted' }, 'last reading ', lastReading(s.last_reading)));
}

/// One list: its items, and how many more there are.
function alarmList(cls, title, items, total, item) {
  const more = total - items.length;
  return h('div', { class: `alarm-list ${cls}` },
    h('h2', { class: 'alarm-title' }, title, h('span', { class: 'alarm-count' }, total.toLocaleString('en'))),
    h('ul', null, items.map(item)),
    more > 0 ? h('p', { class: 'muted' }, `and ${plural(more, 'more')} (GET /v1/alarms lists them all)`) : null);
}

/// Fills the panel above the view: red for firing alarms, amber for silent rooms, hidden when
/// nothing is wrong.
function renderAlarms(rt) {
  const box = document.getElementById('alarms');
  const a = alarmsState.answer;
  let parts = [];
  if (rt.view === 'room') {
    // The room's own entries from the last answer (a room view asks for no more).
    const mine = (x) => x.building === rt.building && x.room === rt.room;
    if (a) parts = [a.firing.filter(mine).length ? alarmList('firing', 'Firing', a.firing.filter(mine), a.firing.filter(mine).length, alarmItem) : null,
      a.silent.filter(mine).length ? alarmList('silent', 'Silent', a.silent.filter(mine), a.silent.filter(mine).length, silentItem) : null];
  } else if (a) {
    parts = [a.firing_total ? alarmList('firing', 'Firing alarms', a.firing, a.firing_total, alarmItem) : null,
      a.silent_total ? alarmList('silent', 'Silent rooms', a.silent, a.silent_total, silentItem) : null];
  } else if (alarmsState.pending) {
    parts = [h('p', { class: 'muted' }, 'Alarm states are being restored (roomtempd waits for PostgreSQL).')];
  }
  parts = parts.filter(Boolean);
  box.replaceChildren(...parts);
  box.hidden = parts.length === 0;
  document.body.dataset.firing = a && rt.view !== 'room' ? a.firing_total : 0;
  document.body.dataset.silent = a && rt.view !== 'room' ? a.silent_total : 0;
}
