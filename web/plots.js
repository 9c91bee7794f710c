// roomtemp dashboard: the charts (Chart.js). A card's sparkline draws the trend that came with
// the live answer (the longest window, bucket by bucket: no request of its own); the history
// chart of a room or a building asks for its span (an hour minute by minute up to a year day
// by day, see SPANS) when it is due.
'use strict';

const HOUR_MS = 60 * MINUTE_MS;

/// Line and fill colours for a value of the current metric.
function chartColours(v) {
  const t = celsius(v, state.unit);
  const hh = t === null ? 210 : hue(t);
  const s = t === null ? (v === null ? 10 : 35) : 70;
  return { line: `hsl(${hh}, ${s}%, 40%)`, fill: `hsla(${hh}, ${s}%, 50%, 0.15)`, band: `hsla(${hh}, ${s}%, 50%, 0.18)` };
}

const chartsAvailable = () => typeof Chart !== 'undefined';

/// A sparkline for a room card: draw(trend, colourValue) on every refresh.
function sparkline(b, r) {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${r} in ${b}, recent trend` });
  const note = h('span', { class: 'chart-note' });
  const box = h('div', { class: 'chart spark' }, canvas, note);
  let chart = null;
  return {
    box,
    draw(trend, v) {
      if (!chartsAvailable()) {
        note.textContent = 'charts unavailable (Chart.js did not load)';
        return;
      }
      const from = Date.parse(trend.from);
      const to = Date.parse(trend.to);
      const step = (to - from) / Math.max(1, trend.avg.length);
      const points = [];
      trend.avg.forEach((y, i) => { if (y !== null) points.push({ x: from + (i + 0.5) * step, y }); });
      note.textContent = points.length ? '' : `no readings in the last ${trend.window}`;
      canvas.setAttribute('aria-label', `${r} in ${b} over the last ${trend.window}`);
      if (!chart) chart = new Chart(canvas, chartConfig(false, v));
      const c = chartColours(v);
      Object.assign(chart.data.datasets[0], { data: points, borderColor: c.line, pointBackgroundColor: c.line, backgroundColor: c.fill });
      chart.options.spanGaps = 3 * step;
      Object.assign(chart.options.scales.x, { min: from, max: to });
      chart.update('none');
    },
    destroy() {
      if (chart) chart.destroy();
      chart = null;
    },
  };
}

/// What the history chart can show: how far back, in steps of what, how often it asks again,
/// and where its ticks go. Steps of whole days are the browser's calendar days (`tz`), so a
/// month or a year is answered from the daily rollups and each point is one local day.
const SPANS = {
  '1h': { label: 'Last hour', back: HOUR_MS, step: '1m', stepMs: MINUTE_MS, every: 30 * 1000, tick: 'quarter' },
  '24h': { label: 'Last 24 hours', back: 24 * HOUR_MS, step: '15m', stepMs: 15 * MINUTE_MS, every: 60 * 1000, tick: 'hours3' },
  '7d': { label: 'Last 7 days', days: 7, step: '1h', stepMs: HOUR_MS, every: 5 * MINUTE_MS, tick: 'day' },
  '30d': { label: 'Last 30 days', days: 30, step: '1d', stepMs: 24 * HOUR_MS, every: 5 * MINUTE_MS, tick: 'week' },
  '1y': { label: 'Last year', days: 365, step: '1d', stepMs: 24 * HOUR_MS, every: 5 * MINUTE_MS, tick: 'month' },
};
const SPAN_NAMES = Object.keys(SPANS);
const DEFAULT_SPAN = '1h';

/// The browser's time zone (IANA name), for daily steps; null when it does not say.
function browserZone() {
  try {
    return Intl.DateTimeFormat().resolvedOptions().timeZone || null;
  } catch (e) {
    return null;
  }
}

/// from, to and the query of a span ending now: whole minutes or hours of the daemon's clock
/// (one point per calendar minute or hour), whole local days for the longer spans.
function spanRange(span) {
  const now = serverNow();
  const s = SPANS[span];
  if (s.days) {
    const d = new Date(now);
    const to = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1).getTime();
    const from = new Date(d.getFullYear(), d.getMonth(), d.getDate() + 1 - s.days).getTime();
    const zone = s.step.endsWith('d') ? browserZone() : null;
    return { from, to, zone };
  }
  const to = Math.ceil(now / s.stepMs) * s.stepMs;
  return { from: to - s.back, to, zone: null };
}

/// A history chart (a room's, or a building's when `r` is null) of the span the route names:
/// a request for its series when it is due.
function historyChart(b, r, span) {
  const what = r === null ? `building ${b}` : `${r} in ${b}`;
  const canvas = h('canvas', { role: 'img', 'aria-label': `${state.metric} of ${what}, ${SPANS[span].label.toLowerCase()}` });
  const note = h('span', { class: 'chart-note' });
  const box = h('div', { class: 'chart big', 'data-span': span }, canvas, note);
  const base = r === null ? buildingPath(b) : roomPath(b, r);
  const p = { path: `${base}/${enc(state.metric)}/series`, span, box, canvas, note, chart: null, fetched: 0, loading: false };
  p.refresh = (v) => {
    if (p.chart) recolour(p, v);
    if (p.loading || Date.now() - p.fetched <= SPANS[span].every) return;
    p.loading = true;
    loadSeries(p, v).finally(() => { p.loading = false; });
  };
  p.destroy = () => { if (p.chart) p.chart.destroy(); p.chart = null; p.dead = true; };
  return p;
}

async function loadSeries(p, v) {
  const { from, to, zone } = spanRange(p.span);
  const asked = { from: new Date(from).toISOString(), to: new Date(to).toISOString(), step: SPANS[p.span].step, tz: zone };
  const q = query(asked);
  p.fetched = Date.now();
  try {
    const points = await getJSON(`${p.path}?${q}`);
    if (p.dead) return;
    // What was asked and what came back, for the page's tests: the steps answered and those
    // with readings.
    Object.assign(p.box.dataset, { ...asked, tz: zone || '' });
    draw(p, points, from, to, v);
  } catch (e) {
    p.note.textContent = e.status === 503 ? 'history unavailable (PostgreSQL)' : `no history: ${e.message}`;
    p.box.dataset.points = '';
  }
}

function recolour(p, v) {
  const c = chartColours(v);
  const avg = p.chart.data.datasets[2];
  if (avg.borderColor === c.line) return;
  avg.borderColor = c.line;
  avg.pointBackgroundColor = c.line;
  p.chart.data.datasets[1].backgroundColor = c.band;
  p.chart.update('none');
}

function draw(p, points, from, to, v) {
  const filled = points.filter((s) => s.count > 0);
  Object.assign(p.box.dataset, { steps: points.length, points: filled.length });
  if (!chartsAvailable()) {
    p.note.textContent = 'charts unavailable (Chart.js did not load)';
    return;
  }
  // Empty steps are left out rather than null: Chart.js joins points up to spanGaps apart
  // only when no null lies between them.
  const xy = (field) => filled.map((s) => ({ x: Date.parse(s.from), y: s[field] }));
  p.note.textContent = filled.length ? '' : `no readings ${SPANS[p.span].label.replace(/^Last/, 'in the last').toLowerCase()}`;
  if (!p.chart) p.chart = new Chart(p.canvas, chartConfig(true, v, p.span));
  const sets = p.chart.data.datasets;
  sets[0].data = xy('min');
  sets[1].data = xy('max');
  sets[2].data = xy('avg');
  Object.assign(p.chart.options.scales.x, { min: from, max: to });
  p.chart.update('none');
  recolour(p, v);
}

/// Tick positions in local time: the quarter hours, every third hour, midnights, Mondays, or
/// the first of each month.
function localTicks(kind, min, max) {
  const ticks = [];
  if (kind === 'quarter' || kind === 'hours3') {
    const q = (kind === 'quarter' ? 15 : 180) * MINUTE_MS;
    const offset = new Date(min).getTimezoneOffset() * MINUTE_MS;
    for (let t = Math.ceil((min - offset) / q) * q + offset; t <= max; t += q) ticks.push({ value: t });
    return ticks;
  }
  const d = new Date(min);
  let day = new Date(d.getFullYear(), d.getMonth(), d.getDate());
  if (day.getTime() < min) day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1);
  for (; day.getTime() <= max; day = new Date(day.getFullYear(), day.getMonth(), day.getDate() + 1)) {
    if (kind === 'day' || (kind === 'week' && day.getDay() === 1) || (kind === 'month' && day.getDate() === 1)) {
      ticks.push({ value: day.getTime() });
    }
  }
  return ticks;
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
const WEEKDAYS = ['Sun', 'Mon', 'Tue', 'Wed', 'Thu', 'Fri', 'Sat'];
const dayMonth = (ms) => { const d = new Date(ms); return `${d.getDate()} ${MONTHS[d.getMonth()]}`; };

/// A tick's label and a tooltip's title for a span's steps.
function tickLabel(kind, ms) {
  const d = new Date(ms);
  if (kind === 'day') return `${WEEKDAYS[d.getDay()]} ${d.getDate()}`;
  if (kind === 'week') return dayMonth(ms);
  if (kind === 'month') return d.getMonth() === 0 ? `${MONTHS[0]} ${d.getFullYear()}` : MONTHS[d.getMonth()];
  return hhmm(ms);
}
function stepTitle(span, ms) {
  const s = SPANS[span];
  if (s.stepMs >= 24 * HOUR_MS) return `${WEEKDAYS[new Date(ms).getDay()]} ${dayMonth(ms)} ${new Date(ms).getFullYear()}`;
  if (s.days) return `${dayMonth(ms)} ${hhmm(ms)}`;
  return hhmm(ms);
}

function chartConfig(big, v, span = DEFAULT_SPAN) {
  const c = chartColours(v);
  // Points more than GAP apart are not joined: a gap in the line is a gap in the data. A point
  // shows only where no line reaches it.
  const GAP = 5 * SPANS[span].stepMs;
  const lone = (ctx) => {
    const d = ctx.dataset.data;
    const i = ctx.dataIndex;
    const gap = ctx.chart.options.spanGaps || GAP;
    const near = (j) => j >= 0 && j < d.length && Math.abs(d[j].x - d[i].x) <= gap;
    return near(i - 1) || near(i + 1) ? 0 : 2.5;
  };
  const line = { pointRadius: lone, pointHitRadius: 6, borderWidth: 2, tension: 0.2 };
  const datasets = big
    ? [
      { ...line, label: 'min', data: [], borderWidth: 0, pointRadius: 0, fill: false },
      { ...line, label: 'max', data: [], borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: c.band },
      { ...line, label: 'average', data: [], borderColor: c.line, pointBackgroundColor: c.line, borderWidth: 2.5, fill: false },
    ]
    : [{ ...line, label: 'average', data: [], borderColor: c.line, pointBackgroundColor: c.line, backgroundColor: c.fill, fill: 'start' }];
  const styles = getComputedStyle(document.body);
  const muted = styles.getPropertyValue('--muted').trim() || '#667';
  const grid = styles.getPropertyValue('--grid').trim() || 'rgba(0,0,0,0.08)';
  const unit = state.unit;
  return {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      spanGaps: GAP,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? stepTitle(span, items[0].parsed.x) : ''),
            label: (ctx) => `${ctx.dataset.label}: ${fmt(ctx.parsed.y)} ${unit}`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          // On local time's quarter hours, hours, days, weeks or months, not wherever the span starts.
          afterBuildTicks: (axis) => { axis.ticks = localTicks(SPANS[span].tick, axis.min, axis.max); },
          ticks: { callback: (x) => tickLabel(SPANS[span].tick, x), color: muted, maxRotation: 0, font: { size: big ? 12 : 10 } },
          grid: { color: grid, display: big },
        },
        y: {
          position: 'right',
          grace: '10%',
          // At least 2 units tall, so that a steady room draws a calm line rather than its noise.
          afterDataLimits: (axis) => {
            const mid = (axis.max + axis.min) / 2;
            if (axis.max - axis.min < 2) Object.assign(axis, { min: mid - 1, max: mid + 1 });
          },
          ticks: { maxTicksLimit: big ? 6 : 3, color: muted, font: { size: big ? 12 : 10 },
            callback: (y) => `${Number(y).toFixed(1)}` },
          grid: { color: grid },
        },
      },
    },
  };
}
