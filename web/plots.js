// roomtemp dashboard: the charts of the last hour (Chart.js), one series request per room, at
// most SERIES_PARALLEL at a time and only for charts on screen. Uses app.js's helpers and view.
'use strict';

const HOUR_MS = 60 * MINUTE_MS;
const SERIES_PARALLEL = 4;

/// Charts on screen (or nearly) whose data is older than SERIES_EVERY_MS are fetched again.
function loadVisibleSeries() {
  const margin = 200;
  for (const p of view.plots) {
    if (Date.now() - p.fetched <= SERIES_EVERY_MS) continue;
    const r = p.box.getBoundingClientRect();
    if (r.bottom > -margin && r.top < window.innerHeight + margin) queueSeries(p);
  }
}

function plot(b, r, big) {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${METRIC} in ${r} over the last hour` });
  const note = h('span', { class: 'chart-note' });
  const box = h('div', { class: big ? 'chart big' : 'chart spark' }, canvas, note);
  const p = { b, r, big, box, canvas, note, chart: null, fetched: 0, queued: false };
  view.plots.push(p);
  return box;
}

const seriesQueue = [];
let seriesRunning = 0;

function queueSeries(p) {
  if (p.queued || p.dead) return;
  p.queued = true;
  seriesQueue.push(p);
  pumpSeries();
}

function pumpSeries() {
  while (seriesRunning < SERIES_PARALLEL && seriesQueue.length) {
    const p = seriesQueue.shift();
    seriesRunning++;
    loadSeries(p).finally(() => {
      seriesRunning--;
      p.queued = false;
      pumpSeries();
    });
  }
}

async function loadSeries(p) {
  if (p.dead) return;
  // Whole minutes of the daemon's clock, so each point is one calendar minute.
  const to = Math.ceil(serverNow() / MINUTE_MS) * MINUTE_MS;
  const from = to - HOUR_MS;
  const q = `from=${enc(new Date(from).toISOString())}&to=${enc(new Date(to).toISOString())}&step=1m`;
  p.fetched = Date.now();
  try {
    const points = await getJSON(`${roomPath(p.b, p.r)}/${enc(METRIC)}/series?${q}`);
    if (!p.dead) draw(p, points, from, to);
  } catch (e) {
    p.note.textContent = e.status === 503 ? 'history unavailable (PostgreSQL)' : `no history: ${e.message}`;
  }
}

function chartColours(p) {
  const t = headline((w) => liveOf(p.b, p.r, w));
  const hh = t === null ? 210 : hue(t);
  const s = t === null ? 10 : 70;
  return { line: `hsl(${hh}, ${s}%, 40%)`, fill: `hsla(${hh}, ${s}%, 50%, 0.15)`, band: `hsla(${hh}, ${s}%, 50%, 0.18)` };
}

function recolour(p) {
  const c = chartColours(p);
  const avg = p.chart.data.datasets[p.big ? 2 : 0];
  if (avg.borderColor === c.line) return;
  avg.borderColor = c.line;
  avg.pointBackgroundColor = c.line;
  if (p.big) p.chart.data.datasets[1].backgroundColor = c.band;
  else avg.backgroundColor = c.fill;
  p.chart.update('none');
}

function draw(p, points, from, to) {
  if (typeof Chart === 'undefined') {
    p.note.textContent = 'charts unavailable (Chart.js did not load)';
    return;
  }
  // Empty minutes are left out rather than null: Chart.js joins points up to spanGaps apart
  // only when no null lies between them.
  const filled = points.filter((s) => s.count > 0);
  const xy = (field) => filled.map((s) => ({ x: Date.parse(s.from), y: s[field] }));
  p.note.textContent = filled.length ? '' : 'no readings in the last hour';
  if (!p.chart) p.chart = new Chart(p.canvas, chartConfig(p));
  const sets = p.chart.data.datasets;
  if (p.big) {
    sets[0].data = xy('min');
    sets[1].data = xy('max');
    sets[2].data = xy('avg');
  } else {
    sets[0].data = xy('avg');
  }
  Object.assign(p.chart.options.scales.x, { min: from, max: to });
  p.chart.update('none');
  recolour(p);
}

function chartConfig(p) {
  const c = chartColours(p);
  // Minutes with readings more than GAP apart are not joined: a gap in the line is a gap in
  // the data. A point shows only where no line reaches it.
  const GAP = 5 * MINUTE_MS;
  const lone = (ctx) => {
    const d = ctx.dataset.data;
    const i = ctx.dataIndex;
    const near = (j) => j >= 0 && j < d.length && Math.abs(d[j].x - d[i].x) <= GAP;
    return near(i - 1) || near(i + 1) ? 0 : 2.5;
  };
  const line = { pointRadius: lone, pointHitRadius: 6, borderWidth: 2, tension: 0.2, spanGaps: GAP };
  const datasets = p.big
    ? [
      { ...line, label: 'min', data: [], borderWidth: 0, pointRadius: 0, fill: false },
      { ...line, label: 'max', data: [], borderWidth: 0, pointRadius: 0, fill: '-1', backgroundColor: c.band },
      { ...line, label: 'average', data: [], borderColor: c.line, pointBackgroundColor: c.line, borderWidth: 2.5, fill: false },
    ]
    : [{ ...line, label: 'average', data: [], borderColor: c.line, pointBackgroundColor: c.line, backgroundColor: c.fill, fill: 'start' }];
  const styles = getComputedStyle(document.body);
  const muted = styles.getPropertyValue('--muted').trim() || '#667';
  const grid = styles.getPropertyValue('--grid').trim() || 'rgba(0,0,0,0.08)';
  return {
    type: 'line',
    data: { datasets },
    options: {
      animation: false,
      responsive: true,
      maintainAspectRatio: false,
      interaction: { mode: 'index', intersect: false },
      plugins: {
        legend: { display: false },
        tooltip: {
          callbacks: {
            title: (items) => (items.length ? `${hhmm(items[0].parsed.x)}–${hhmm(items[0].parsed.x + MINUTE_MS)}` : ''),
            label: (ctx) => `${ctx.dataset.label}: ${fmt(ctx.parsed.y)} ${UNIT}`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          // On the quarter hours of local time, not wherever the hour happens to start.
          afterBuildTicks: (axis) => {
            const q = 15 * MINUTE_MS;
            const offset = new Date(axis.min).getTimezoneOffset() * MINUTE_MS;
            const ticks = [];
            for (let t = Math.ceil((axis.min - offset) / q) * q + offset; t <= axis.max; t += q) ticks.push({ value: t });
            axis.ticks = ticks;
          },
          ticks: { callback: (v) => hhmm(v), color: muted, maxRotation: 0, font: { size: p.big ? 12 : 10 } },
          grid: { color: grid, display: p.big },
        },
        y: {
          position: 'right',
          grace: '10%',
          // At least 2 °C tall, so that a steady room draws a calm line rather than its noise.
          afterDataLimits: (axis) => {
            const mid = (axis.max + axis.min) / 2;
            if (axis.max - axis.min < 2) Object.assign(axis, { min: mid - 1, max: mid + 1 });
          },
          ticks: { maxTicksLimit: p.big ? 6 : 3, color: muted, font: { size: p.big ? 12 : 10 },
            callback: (v) => `${Number(v).toFixed(1)}°` },
          grid: { color: grid },
        },
      },
    },
  };
}
