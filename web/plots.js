// roomtemp dashboard: the charts (Chart.js). A card's sparkline draws the trend that came with
// the live answer (the longest window, bucket by bucket: no request of its own); the room
// view's big chart asks for the last hour, minute by minute, every SERIES_EVERY_MS.
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

/// The room view's chart of the last hour: a request for its series when it is due.
function bigChart(b, r) {
  const canvas = h('canvas', { role: 'img', 'aria-label': `${state.metric} in ${r} over the last hour` });
  const note = h('span', { class: 'chart-note' });
  const box = h('div', { class: 'chart big' }, canvas, note);
  const p = { b, r, metric: state.metric, box, canvas, note, chart: null, fetched: 0, loading: false };
  p.refresh = (v) => {
    if (p.chart) recolour(p, v);
    if (p.loading || Date.now() - p.fetched <= SERIES_EVERY_MS) return;
    p.loading = true;
    loadSeries(p, v).finally(() => { p.loading = false; });
  };
  p.destroy = () => { if (p.chart) p.chart.destroy(); p.chart = null; p.dead = true; };
  return p;
}

async function loadSeries(p, v) {
  // Whole minutes of the daemon's clock, so each point is one calendar minute.
  const to = Math.ceil(serverNow() / MINUTE_MS) * MINUTE_MS;
  const from = to - HOUR_MS;
  const q = `from=${enc(new Date(from).toISOString())}&to=${enc(new Date(to).toISOString())}&step=1m`;
  p.fetched = Date.now();
  try {
    const points = await getJSON(`${roomPath(p.b, p.r)}/${enc(p.metric)}/series?${q}`);
    if (!p.dead) draw(p, points, from, to, v);
  } catch (e) {
    p.note.textContent = e.status === 503 ? 'history unavailable (PostgreSQL)' : `no history: ${e.message}`;
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
  if (!chartsAvailable()) {
    p.note.textContent = 'charts unavailable (Chart.js did not load)';
    return;
  }
  // Empty minutes are left out rather than null: Chart.js joins points up to spanGaps apart
  // only when no null lies between them.
  const filled = points.filter((s) => s.count > 0);
  const xy = (field) => filled.map((s) => ({ x: Date.parse(s.from), y: s[field] }));
  p.note.textContent = filled.length ? '' : 'no readings in the last hour';
  if (!p.chart) p.chart = new Chart(p.canvas, chartConfig(true, v));
  const sets = p.chart.data.datasets;
  sets[0].data = xy('min');
  sets[1].data = xy('max');
  sets[2].data = xy('avg');
  Object.assign(p.chart.options.scales.x, { min: from, max: to });
  p.chart.update('none');
  recolour(p, v);
}

function chartConfig(big, v) {
  const c = chartColours(v);
  // Points more than GAP apart are not joined: a gap in the line is a gap in the data. A point
  // shows only where no line reaches it.
  const GAP = 5 * MINUTE_MS;
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
            title: (items) => (items.length ? hhmm(items[0].parsed.x) : ''),
            label: (ctx) => `${ctx.dataset.label}: ${fmt(ctx.parsed.y)} ${unit}`,
          },
        },
      },
      scales: {
        x: {
          type: 'linear',
          // On the quarter hours of local time, not wherever the window happens to start.
          afterBuildTicks: (axis) => {
            const q = 15 * MINUTE_MS;
            const offset = new Date(axis.min).getTimezoneOffset() * MINUTE_MS;
            const ticks = [];
            for (let t = Math.ceil((axis.min - offset) / q) * q + offset; t <= axis.max; t += q) ticks.push({ value: t });
            axis.ticks = ticks;
          },
          ticks: { callback: (x) => hhmm(x), color: muted, maxRotation: 0, font: { size: big ? 12 : 10 } },
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
