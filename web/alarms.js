// roomtemp dashboard: firing alarms and silent rooms, first and visibly, above the site, a
// building and a room (README "Alarms and silent sensors"). They come with the answers the view
// asks for anyway (GET /v1/overview and GET /v1/buildings/{b}/live carry "alarms": the first
// of each, and how many there are), so they cost no request of their own.
'use strict';

/// What the current view's answer says fires and is silent; null when it says nothing.
function alarmsOf(rt) {
  if (rt.view === 'room') {
    // The room's answers (its building's live answer for that room) carry that room's own.
    if (!state.room) return null;
    const any = state.room.answers.values().next().value;
    return any && any.alarms ? any.alarms : null;
  }
  return state.answer && state.answer.alarms ? state.answer.alarms : null;
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
    more > 0 ? h('p', { class: 'muted' }, `and ${more.toLocaleString('en')} more (GET /v1/alarms lists them all)`) : null);
}

/// Fills the panel above the view: red for firing alarms, amber for silent rooms, hidden when
/// nothing is wrong.
function renderAlarms(rt) {
  const box = document.getElementById('alarms');
  const a = state.missing ? null : alarmsOf(rt);
  let parts = [];
  if (a && !a.restored) {
    parts = [h('p', { class: 'muted' }, 'Alarm states are being restored (roomtempd waits for PostgreSQL).')];
  } else if (a) {
    parts = [a.firing_total ? alarmList('firing', 'Firing alarms', a.firing, a.firing_total, alarmItem) : null,
      a.silent_total ? alarmList('silent', 'Silent rooms', a.silent, a.silent_total, silentItem) : null];
  }
  parts = parts.filter(Boolean);
  box.replaceChildren(...parts);
  box.hidden = parts.length === 0;
  document.body.dataset.firing = a ? a.firing_total : 0;
  document.body.dataset.silent = a ? a.silent_total : 0;
}
