// roomtemp dashboard: small helpers, and every request the page makes to roomtempd's REST API
// (getJSON), counted so that the page can show, and a test can check, what a refresh costs.
// Ids come from sensors, so every text goes into the DOM as a text node or an attribute value
// (h() below), never as HTML.
'use strict';

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

const MINUTE_MS = 60 * 1000;
const pad = (n) => String(n).padStart(2, '0');
const hhmm = (ms) => { const d = new Date(ms); return `${pad(d.getHours())}:${pad(d.getMinutes())}`; };
const hhmmss = (ms) => `${hhmm(ms)}:${pad(new Date(ms).getSeconds())}`;
const enc = encodeURIComponent;
const plural = (n, word) => `${n.toLocaleString('en')} ${word}${n === 1 ? '' : 's'}`;

/// "12 s ago", "4 min ago", "3 h ago", "2 d ago": how long before `now` (both ms).
function ago(ms, now) {
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 90) return `${s} s ago`;
  if (s < 90 * 60) return `${Math.round(s / 60)} min ago`;
  if (s < 36 * 3600) return `${Math.round(s / 3600)} h ago`;
  return `${Math.round(s / 86400)} d ago`;
}

/// Ids in the order people read them: B2 before B10 (as roomtempd orders them).
const collator = new Intl.Collator('en', { numeric: true });

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

/// Keeps the token typed into the prompt and calls `then`.
function useToken(then) {
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
  then();
}

// ---------------------------------------------------------------------------------------
// Requests, counted on <body>: data-requests (every request since the page loaded),
// data-failed (those that got no answer or an error status other than 401/404),
// data-refreshes (refreshes done) and data-refresh-requests (what the last one cost).

const net = { requests: 0, failed: 0, refreshes: 0 };

function showCounts() {
  const d = document.body.dataset;
  d.requests = net.requests;
  d.failed = net.failed;
  d.refreshes = net.refreshes;
}

/// Starts counting one refresh's requests; the returned function ends it.
function countRefresh() {
  const start = net.requests;
  return () => {
    net.refreshes++;
    document.body.dataset.refreshRequests = net.requests - start;
    showCounts();
  };
}

async function getJSON(path) {
  net.requests++;
  let res;
  try {
    res = await fetch(path, {
      cache: 'no-store',
      headers: { Accept: 'application/json', ...authHeaders() },
    });
  } catch (e) {
    net.failed++;
    showCounts();
    throw new HttpError(0, 'cannot reach roomtempd');
  }
  if (!res.ok) {
    if (res.status !== 401 && res.status !== 404) net.failed++;
    showCounts();
    const body = await res.json().catch(() => ({}));
    throw new HttpError(res.status, body.error || `HTTP ${res.status}`);
  }
  showCounts();
  return res.json();
}
