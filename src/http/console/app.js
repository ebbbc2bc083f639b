// The operator console: reads GET /api/status and the SSE stream of GET /api/events, and sends
// kill-switch changes. Shapes are those of src/http/control-messages.ts. Plain ES module, no build.

import { age, appliedAfter, money, number, price, shown } from './format.js';

const TOKEN_KEY = 'livegate.console.token';
const OPERATOR_KEY = 'livegate.console.operator';
const CHART_WINDOW_SECONDS = 300;
const DENIAL_WINDOW_MS = 60_000;
const STATUS_REFRESH_MS = 5_000;
const REQUEST_TIMEOUT_MS = 15_000;
const MAX_TRIPS = 50;
/** The engine sends stats every second: this long without any message, nothing shown is live. */
const STALE_AFTER_MS = 3_000;
const LIVENESS_CHECK_MS = 500;

const ACTIONS = {
  engage: {
    title: 'KILL: engage the kill switch',
    description: 'Every engine on this store stops sending orders (state ENGAGED).',
    confirm: 'Engage',
  },
  reduce: {
    title: 'REDUCE: only reduce positions',
    description: 'Engines only send orders that shrink positions (state REDUCING).',
    confirm: 'Reduce',
  },
  reset: {
    title: 'RESET: back to SAFE',
    description:
      'Trading resumes (state SAFE). Needs the admin token; the operator token is refused.',
    confirm: 'Reset',
  },
};

const $ = (id) => {
  const element = document.getElementById(id);
  if (element === null) throw new Error(`console: #${id} is missing from index.html`);
  return element;
};

// ---------------------------------------------------------------- small DOM helpers

function el(tag, text, className) {
  const element = document.createElement(tag);
  if (text !== undefined && text !== null) element.textContent = String(text);
  if (className) element.className = className;
  return element;
}

/** Fills a table body; `cells` are strings or elements, labelled for the stacked phone layout. */
function fillTable(tableId, rows, emptyText) {
  const table = $(tableId);
  const labels = [...table.querySelectorAll('thead th')].map((th) => th.textContent ?? '');
  const body = table.tBodies[0];
  const fresh = rows.map(({ cells, className }) => {
    const tr = el('tr', undefined, className);
    cells.forEach((cell, index) => {
      const td = typeof cell === 'object' && cell !== null ? cell : el('td', cell ?? '–');
      td.dataset.label = labels[index] ?? '';
      tr.append(td);
    });
    return tr;
  });
  if (fresh.length === 0) {
    const td = el('td', emptyText, 'empty');
    td.colSpan = labels.length;
    fresh.push(el('tr'));
    fresh[0].append(td);
  }
  body.replaceChildren(...fresh);
}

/** Only touches the text when it changed, so live regions announce changes, not refreshes. */
function setText(id, text) {
  const element = $(id);
  if (element.textContent !== text) element.textContent = text;
}

function fillFacts(listId, facts) {
  $(listId).replaceChildren(
    ...facts.map(([term, value]) => {
      const div = el('div');
      div.append(el('dt', term), el('dd', value));
      return div;
    }),
  );
}

function timeCell(isoOrMs) {
  const date = new Date(isoOrMs);
  const td = el('td');
  const time = el('time', date.toLocaleString());
  time.dateTime = date.toISOString();
  td.append(time);
  return td;
}

// ---------------------------------------------------------------- state banner

/** Highest revision shown, so a slow status response never paints an older state over a newer one. */
let shownRevision = -1;
let shownView = { record: null, enforcedState: 'UNKNOWN', failClosed: false, failure: null };

function showKillSwitch(view) {
  const revision = view.record?.revision ?? -1;
  if (revision < shownRevision) return;
  shownRevision = revision;
  shownView = view;
  const { record, enforcedState, failClosed, failure } = view;
  const banner = $('state-banner');
  banner.dataset.failClosed = String(failClosed);
  showLiveness();
  $('fail-closed').hidden = !failClosed;
  setText('fail-closed-detail', failure ?? 'state unreadable');
  // Stricter than the record: failing closed, or a change this engine enforces before it is durable.
  const differs = record !== null && record.state !== enforcedState;
  $('record-state-note').hidden = !differs;
  if (differs)
    setText(
      'record-state-note',
      failClosed
        ? `The stored record says ${record.state}.`
        : `Enforced while the change is written: the stored record still says ${record.state}.`,
    );
  setText('state-by', record?.by ?? '–');
  setText('state-reason', record?.reason ?? 'no state written yet');
  setText('state-at', record ? new Date(record.at).toLocaleString() : '–');
  setText('state-trigger', record?.trigger ?? '–');
  setText('state-revision', record ? String(record.revision) : '–');
}

// ---------------------------------------------------------------- liveness

/** When the last message of any kind came from the engine (Date.now()), 0 before the first. */
let lastMessageAt = 0;
let streamConnected = false;

/**
 * Live only while the stream is up and the engine keeps talking: a stopped engine drops the
 * stream, a hung one keeps the socket open and says nothing. Otherwise the banner says UNKNOWN,
 * shows the last known state with its age counting, and every figure is marked stale.
 */
const isLive = () =>
  streamConnected && lastMessageAt !== 0 && Date.now() - lastMessageAt <= STALE_AFTER_MS;

function showLiveness() {
  const silentMs = lastMessageAt === 0 ? Infinity : Date.now() - lastMessageAt;
  const live = isLive();
  const { enforcedState, failClosed, record } = shownView;
  const banner = $('state-banner');
  const loading = lastMessageAt === 0 && !streamConnected;
  banner.dataset.state = live ? enforcedState : 'UNKNOWN';
  banner.dataset.live = String(live);
  document.body.classList.toggle('stale', !live && !loading);
  setText('state-name', live ? enforcedState : loading ? 'LOADING…' : 'UNKNOWN');
  const note = $('stale-note');
  note.hidden = live || loading;
  if (!live && !loading) {
    const why = streamConnected
      ? 'the engine has stopped reporting (hung, or overloaded)'
      : 'the connection to the engine is lost (stopped, or unreachable)';
    const known =
      record === null
        ? `last known: ${enforcedState}`
        : `last known: ${failClosed ? 'FAIL-CLOSED ' : ''}${enforcedState}, revision ${record.revision}`;
    const since = Number.isFinite(silentMs) ? `${(silentMs / 1_000).toFixed(1)} s` : 'ever';
    setText(
      'stale-note',
      `No word from the engine for ${since}: ${why}; ${known}. Figures below are stale.`,
    );
  }
  document.title = live
    ? `${failClosed ? 'FAIL-CLOSED ' : ''}${enforcedState} · livegate console`
    : `UNKNOWN (last known ${enforcedState}) · livegate console`;
  showEngineAges();
  showLatest();
  if (shownTotals !== null) showTotals(shownTotals);
}

// ---------------------------------------------------------------- status tables

function showStatus(status) {
  setText('engine-id', `engine ${status.engineId} · run ${status.runId}`);
  showKillSwitch(status.killSwitch);
  showTotals(status.engine);
  showRisk(status.risk);
  showEngines(status.engines);
  blocksSinceStart = status.engine.blocks ?? {};
  showDenials();
  fillTable(
    'audit-table',
    [...status.audit].reverse().map((record) => ({
      className: `state-${record.state}`,
      cells: [
        String(record.revision),
        record.state,
        record.by,
        record.reason,
        record.trigger,
        timeCell(record.at),
        record.origin
          ? [record.origin.channel, record.origin.role, record.origin.address]
              .filter(Boolean)
              .join(' · ')
          : `${record.host} pid ${record.pid}`,
      ],
    })),
    'No kill-switch changes yet.',
  );
  fillTable(
    'readiness-table',
    [
      ...status.readiness,
      // Set when the store could not be read: the engines and audit tables are then incomplete.
      ...(status.storeError ? [{ name: 'store', ok: false, detail: status.storeError }] : []),
    ].map((check) => ({
      className: check.ok ? 'ok' : 'not-ok',
      cells: [check.name, check.ok ? 'OK' : 'NOT READY', check.detail],
    })),
    'No readiness checks.',
  );
}

/** The engine's totals as last reported, shown again with a STALE mark while the page is not live. */
let shownTotals = null;

function showTotals(summary) {
  shownTotals = summary;
  const silentMs = lastMessageAt === 0 ? 0 : Date.now() - lastMessageAt;
  fillFacts('engine-totals', [
    // Before the first message nothing is stale yet: the banner says LOADING.
    ...(isLive() || lastMessageAt === 0
      ? []
      : [['Figures', `STALE, as of ${(silentMs / 1_000).toFixed(1)} s ago`]]),
    ['Ticks', number(summary.ticks, 0)],
    ['Ticks blocked', number(summary.ticksBlocked, 0)],
    ['Orders submitted', number(summary.ordersSubmitted, 0)],
    ['Orders denied', number(summary.ordersDenied, 0)],
  ]);
}

/** Each monitor rule's unit (docs/risk.md, "Rules"). */
const RULE_UNITS = {
  dailyLoss: 'account ccy',
  maxDrawdown: 'account ccy',
  grossExposure: 'account ccy',
  positionLimit: 'qty',
  orderRate: 'orders/window',
  rejectRate: 'ratio',
  strategyErrors: 'errors',
  staleFeed: 'ms',
  eventLoopStall: 'ms',
  latencyP99: 'µs',
  venueDisconnected: 'ms',
  feedGaps: 'gaps/window',
  reconciliation: 'mismatches/window',
};

/** The row colour of a rule past a warning level (risk.monitor.warnings): amber, orange, red. */
function warningClass(level) {
  if (!(level > 0)) return '';
  if (level >= 0.9) return 'warning-high';
  return level >= 0.75 ? 'warning-mid' : 'warning-low';
}

const withUnit = (rule, value, accountCurrency) => {
  const unit =
    RULE_UNITS[rule] === 'account ccy' && accountCurrency ? accountCurrency : RULE_UNITS[rule];
  return unit === undefined ? number(value) : `${number(value)} ${unit}`;
};

function showRisk(risk) {
  if (!risk) {
    fillFacts('pnl-summary', [['Risk monitor', 'not running in this engine']]);
    fillTable('positions-table', [], 'No positions known.');
    fillTable('rules-table', [], 'No risk rules.');
    fillTable('windows-table', [], 'Trading windows are shown with the risk monitor on.');
    return;
  }
  fillFacts('pnl-summary', [
    ['Daily PnL', money(risk.dailyPnl)],
    ['Realized', money(risk.realizedPnl)],
    ['Unrealized', money(risk.unrealizedPnl)],
    ['Drawdown', money(risk.drawdown)],
    ['Gross exposure', money(risk.grossExposure)],
  ]);
  fillTable(
    'positions-table',
    risk.positions.map((position) => ({
      className: shown(position.unrealizedPnl) < 0 ? 'loss' : '',
      cells: [
        position.symbol,
        number(position.quantity, 4),
        price(position.averagePrice),
        price(position.markPrice),
        money(position.unrealizedPnl),
      ],
    })),
    'Flat: no open positions.',
  );
  fillTable(
    'rules-table',
    risk.rules.map((rule) => ({
      className: rule.tripped ? 'tripped' : warningClass(rule.warningLevel),
      cells: [
        rule.tripped
          ? `${rule.rule} (TRIPPED${rule.utilization >= 1 ? ', still in breach: a reset re-trips it' : ''})`
          : rule.rule,
        rule.action,
        withUnit(rule.rule, rule.value, risk.accountCurrency),
        withUnit(rule.rule, rule.threshold, risk.accountCurrency),
        `${number(rule.utilization * 100, 0)} %${rule.warningLevel > 0 && !rule.tripped ? ` ⚠ past ${number(rule.warningLevel * 100, 0)} %` : ''}`,
      ],
    })),
    'No risk rules.',
  );
  fillTable(
    'windows-table',
    (risk.tradingWindows ?? []).map((window) => ({
      className: `window-${window.phase}`,
      cells: [
        `${window.window} (${window.timeZone})`,
        window.phase.toUpperCase(),
        windowTime(window.nextOpen),
        windowTime(window.flattenAt),
        windowTime(window.nextClose),
      ],
    })),
    'No trading windows: every symbol trades at any time.',
  );
}

/** A window boundary in the reader's own time zone, with the date (it may be days away). */
const windowTime = (epochMs) =>
  epochMs === null || epochMs === undefined
    ? '–'
    : new Date(epochMs).toLocaleString(undefined, {
        weekday: 'short',
        month: 'short',
        day: 'numeric',
        hour: '2-digit',
        minute: '2-digit',
      });

/** The engines as last reported, and when (Date.now()): their ages keep counting from there. */
let shownEngines = [];
let enginesReceivedAt = 0;

function showEngines(engines) {
  shownEngines = engines;
  enginesReceivedAt = Date.now();
  showEngineAges();
}

function showEngineAges() {
  const sinceReport = enginesReceivedAt === 0 ? 0 : Date.now() - enginesReceivedAt;
  fillTable(
    'engines-table',
    shownEngines.map((engine) => {
      const heartbeatAgeMs = engine.heartbeatAgeMs + sinceReport;
      const stale = engine.stale || heartbeatAgeMs > STALE_AFTER_MS;
      return {
        className: stale ? 'stale' : '',
        cells: [
          engine.engineId,
          `${engine.host} / ${engine.pid}`,
          engine.failClosed ? `${engine.enforcedState} (fail-closed)` : engine.enforcedState,
          // The live limits revision its pre-trade chain enforces (`livegate limits set`), when reported.
          engine.limitsRevision === undefined
            ? String(engine.observedRevision)
            : `${engine.observedRevision} (limits ${engine.limitsRevision})`,
          stale ? `STALE, ${age(heartbeatAgeMs)}` : age(heartbeatAgeMs),
        ],
      };
    }),
    'No engine has reported yet.',
  );
}

// ---------------------------------------------------------------- denials and risk trips

let blocksSinceStart = {};
/** `{ time, byCode }` per SSE interval within the last minute. */
let recentDenials = [];
const trips = [];

function showDenials() {
  const cutoff = Date.now() - DENIAL_WINDOW_MS;
  recentDenials = recentDenials.filter((entry) => entry.time >= cutoff);
  const lastMinute = {};
  for (const { byCode } of recentDenials)
    for (const [code, count] of Object.entries(byCode))
      lastMinute[code] = (lastMinute[code] ?? 0) + count;
  const codes = [...new Set([...Object.keys(lastMinute), ...Object.keys(blocksSinceStart)])];
  codes.sort((a, b) => (lastMinute[b] ?? 0) - (lastMinute[a] ?? 0) || a.localeCompare(b));
  fillTable(
    'denials-table',
    codes.map((code) => ({
      cells: [code, number(lastMinute[code] ?? 0, 0), number(blocksSinceStart[code] ?? 0, 0)],
    })),
    'Nothing denied or blocked.',
  );
}

function showTrips() {
  fillTable(
    'trips-table',
    trips.map((trip) => ({
      className: trip.action === 'alert' ? '' : 'tripped',
      cells: [
        timeCell(trip.time),
        trip.rule,
        trip.action,
        `${number(trip.value)} / ${number(trip.threshold)}`,
        trip.message,
      ],
    })),
    'No risk rule has tripped since this page opened.',
  );
}

// ---------------------------------------------------------------- charts

const series = { time: [], ticks: [], blocked: [], orders: [], denied: [], p50: [], p99: [] };
const charts = [];

function makeChart(targetId, lines) {
  if (typeof uPlot !== 'function') return; // vendor script missing: the numbers still show
  const target = $(targetId);
  const chart = new uPlot(
    {
      width: Math.max(target.clientWidth, 200),
      height: 180,
      scales: { x: { time: true } },
      series: [{}, ...lines.map(({ label, stroke }) => ({ label, stroke, width: 2 }))],
      axes: [{}, { size: 60 }],
    },
    chartData(lines),
    target,
  );
  charts.push({ chart, target, lines });
}

const chartData = (lines) => [series.time, ...lines.map(({ key }) => series[key])];

/** The last minutes, sent with the first messages of a stream: the charts start full. */
function recordHistory({ stats }) {
  for (const values of Object.values(series)) values.length = 0;
  stats.forEach((entry) => recordStats(entry, false));
  for (const { chart, lines } of charts) chart.setData(chartData(lines));
  if (stats.length > 0) {
    latestStats = stats[stats.length - 1];
    showLatest();
  }
}

/** The last one-second figures: "now" while live, "last" (the last known) once the page is not. */
let latestStats = null;

function showLatest() {
  if (latestStats === null) return;
  const when = isLive() ? 'now' : 'last';
  const stats = latestStats;
  setText('latest-ticks', `${when} ${number(stats.ticksPerSecond, 0)}`);
  setText('latest-orders', `${when} ${number(stats.ordersPerSecond, 0)}`);
  setText(
    'latest-latency',
    stats.latencyP50Us === null
      ? `${when}: no orders`
      : `${when} p50 ${number(stats.latencyP50Us, 0)} · p99 ${number(stats.latencyP99Us, 0)}`,
  );
}

function recordStats(stats, redraw = true) {
  // A reconnect's history may overlap what the page drew before: time only moves forward.
  if (series.time.length > 0 && stats.time / 1_000 <= series.time[series.time.length - 1]) return;
  series.time.push(stats.time / 1_000);
  series.ticks.push(stats.ticksPerSecond);
  series.blocked.push(stats.blockedPerSecond);
  series.orders.push(stats.ordersPerSecond);
  series.denied.push(stats.deniedPerSecond);
  series.p50.push(stats.latencyP50Us);
  series.p99.push(stats.latencyP99Us);
  const cutoff = stats.time / 1_000 - CHART_WINDOW_SECONDS;
  const drop = series.time.findIndex((time) => time >= cutoff);
  if (drop > 0) for (const values of Object.values(series)) values.splice(0, drop);
  $('charts').dataset.points = String(series.time.length); // what the charts hold, for tests
  if (!redraw) return;
  for (const { chart, lines } of charts) chart.setData(chartData(lines));
  latestStats = stats;
  showLatest();
  showTotals({
    ticks: stats.ticks,
    ticksBlocked: stats.ticksBlocked,
    ordersSubmitted: stats.ordersSubmitted,
    ordersDenied: stats.ordersDenied,
  });
}

function startCharts() {
  makeChart('chart-ticks', [
    { key: 'ticks', label: 'ticks/s', stroke: '#2563eb' },
    { key: 'blocked', label: 'blocked/s', stroke: '#dc2626' },
  ]);
  makeChart('chart-orders', [
    { key: 'orders', label: 'orders/s', stroke: '#059669' },
    { key: 'denied', label: 'denied/s', stroke: '#d97706' },
  ]);
  makeChart('chart-latency', [
    { key: 'p50', label: 'p50 µs', stroke: '#7c3aed' },
    { key: 'p99', label: 'p99 µs', stroke: '#db2777' },
  ]);
  const resize = new ResizeObserver(() => {
    for (const { chart, target } of charts)
      chart.setSize({ width: Math.max(target.clientWidth, 200), height: 180 });
  });
  for (const { target } of charts) resize.observe(target);
}

// ---------------------------------------------------------------- API

async function refreshStatus() {
  try {
    const response = await fetch('/api/status', { headers: { accept: 'application/json' } });
    if (!response.ok) throw new Error(`GET /api/status answered ${response.status}`);
    showStatus(await response.json());
  } catch (error) {
    console.warn('console: status refresh failed', error);
  }
}

/** Bumped by each connectEvents(), so a slower earlier attempt never opens a second stream. */
let streamGeneration = 0;
let events = null;
let reconnectTimer;

/**
 * With a token entered, a single-use ticket for one of the stream slots kept for operators, so
 * anonymous clients filling the shared ones cannot take the console off the air. The ticket, not
 * the token, goes in the URL (EventSource cannot send headers): it is spent once the stream opens.
 * Without a token, or if the token is refused, the shared slots.
 */
async function streamUrl() {
  const token = readToken();
  if (token === '') return { url: '/api/events', reserved: false };
  try {
    const response = await fetch('/api/events/ticket', {
      method: 'POST',
      headers: { accept: 'application/json', authorization: `Bearer ${token}` },
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
    });
    if (!response.ok) throw new Error(`POST /api/events/ticket answered ${response.status}`);
    const { ticket } = await response.json();
    return { url: `/api/events?ticket=${encodeURIComponent(ticket)}`, reserved: true };
  } catch (error) {
    console.warn('console: no stream ticket, using a shared stream slot', error);
    return { url: '/api/events', reserved: false };
  }
}

function setConnected(connected, reserved = false) {
  streamConnected = connected;
  if (connected) lastMessageAt = Date.now();
  const connection = $('connection');
  connection.dataset.connected = String(connected);
  connection.dataset.slot = connected ? (reserved ? 'reserved' : 'shared') : '';
  connection.textContent = connected ? 'live' : 'disconnected, reconnecting…';
  connection.title = connected
    ? reserved
      ? 'On a stream slot kept for operators'
      : 'On a shared stream slot (enter a token to use one kept for operators)'
    : '';
  document.body.classList.toggle('disconnected', !connected);
  showLiveness();
}

async function connectEvents() {
  const generation = ++streamGeneration;
  window.clearTimeout(reconnectTimer);
  const { url, reserved } = await streamUrl();
  if (generation !== streamGeneration) return; // a newer attempt took over meanwhile
  events?.close();
  const source = new EventSource(url);
  events = source;
  source.addEventListener('open', () => {
    setConnected(true, reserved);
    // Catch up on whatever happened while the stream was down; the engine may have been
    // restarted on a fresh state dir, so its revisions start again.
    shownRevision = -1;
    void refreshStatus();
  });
  source.addEventListener('error', () => {
    setConnected(false);
    // EventSource retries by itself with the same URL, unless the server refused the stream
    // outright; a spent ticket would be refused, so a ticketed stream starts over with a new one.
    if (reserved || source.readyState === EventSource.CLOSED) {
      source.close();
      reconnectTimer = window.setTimeout(() => void connectEvents(), reserved ? 1_000 : 5_000);
    }
  });
  const on = (type, handle) =>
    source.addEventListener(type, (message) => {
      lastMessageAt = Date.now();
      handle(JSON.parse(message.data));
      showLiveness();
    });
  on('state', (view) => {
    showKillSwitch(view);
    void refreshStatus(); // the audit trail and the summary changed with it
  });
  on('stats', recordStats);
  on('history', recordHistory);
  on('denials', (message) => {
    recentDenials.push({ time: Date.now(), byCode: message.byCode });
    // The engine's own counters, never a sum kept here (adding intervals to a snapshot that
    // already held some of them counted them twice).
    blocksSinceStart = message.sinceStart;
    showDenials();
  });
  on('heartbeat', (message) => {
    showEngines(message.engines);
    showRisk(message.risk);
  });
  on('risk', (trip) => {
    trips.unshift(trip);
    trips.length = Math.min(trips.length, MAX_TRIPS);
    showTrips();
  });
}

/** Sends a change; resolves to `{ status, body }`, or throws on a network failure or timeout. */
async function sendChange(action, reason, by, token) {
  const response = await fetch(`/api/killswitch/${action}`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/json',
      authorization: `Bearer ${token}`,
    },
    body: JSON.stringify({ reason, by }),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  let body = null;
  try {
    body = await response.json();
  } catch {
    // a proxy's HTML error page: the status code alone has to do
  }
  return { status: response.status, body, retryAfter: response.headers.get('retry-after') };
}

function describeError({ status, body, retryAfter }) {
  const error = body?.error;
  const text = error
    ? `${error.code}: ${String(error.message).replace(/\.?$/, '.')}`
    : 'no details.';
  const hint =
    status === 401
      ? ' Check the token above: the reason and name are kept.'
      : status === 403 && error?.code === 'FORBIDDEN'
        ? ' Enter the admin token above: the reason and name are kept.'
        : status === 429 && retryAfter
          ? ` Try again in ${retryAfter} s.`
          : '';
  return `Refused (HTTP ${status}) ${text}${hint}`;
}

function describeSuccess({ status, body }) {
  const { record, changed, confirmations } = body;
  const lines = [
    changed
      ? `${record.state} at revision ${record.revision}, durable after ${number(body.durableAfterMs, 1)} ms.`
      : `Already ${record.state} since ${new Date(record.at).toLocaleString()} (revision ${record.revision}, by ${record.by}: ${record.reason}): nothing written, your reason is not recorded.`,
  ];
  // A repeated change confirms the old revision: applied before this request, not after it.
  if (confirmations.confirmed.length > 0 && !changed)
    lines.push(
      `Enforced by: ${confirmations.confirmed.map((engine) => engine.engineId).join(', ')}.`,
    );
  else if (confirmations.confirmed.length > 0)
    lines.push(
      `Confirmed by: ${confirmations.confirmed
        .map((engine) => `${engine.engineId} (${appliedAfter(engine.sinceIssuedMs)})`)
        .join(', ')}.`,
    );
  if (confirmations.missing.length > 0)
    lines.push(
      `NOT confirmed after ${number(confirmations.waitedMs, 0)} ms: ${confirmations.missing
        .map(
          (engine) =>
            `${engine.engineId} on ${engine.host} (last report ${age(engine.lastReportAgeMs)})`,
        )
        .join(', ')}.`,
    );
  if (status === 202) lines.push('Check those engines: they may still be trading.');
  return lines;
}

function showResult(kind, lines) {
  const result = $('action-result');
  result.hidden = false;
  result.dataset.kind = kind;
  result.replaceChildren(...lines.map((line) => el('p', line)));
}

// ---------------------------------------------------------------- token

const readToken = () => sessionStorage.getItem(TOKEN_KEY) ?? '';

function showTokenState() {
  const hasToken = readToken() !== '';
  $('token-form').hidden = hasToken;
  $('token-set').hidden = !hasToken;
}

function startTokenForm() {
  $('token-form').addEventListener('submit', (event) => {
    event.preventDefault(); // never let the browser send the token anywhere itself
    const input = $('token-input');
    const token = input.value.trim();
    if (token === '') return;
    sessionStorage.setItem(TOKEN_KEY, token);
    input.value = '';
    showTokenState();
    $('forget-token').focus();
    void connectEvents(); // onto a stream slot kept for operators
  });
  $('forget-token').addEventListener('click', () => {
    sessionStorage.removeItem(TOKEN_KEY);
    showTokenState();
    $('token-input').focus();
  });
  showTokenState();
}

// ---------------------------------------------------------------- confirmation dialog

let pendingAction = null;
let opener = null;

function openDialog(action, button) {
  const text = ACTIONS[action];
  pendingAction = action;
  opener = button;
  const dialog = $('change-dialog');
  dialog.dataset.action = action;
  $('dialog-title').textContent = text.title;
  $('dialog-description').textContent = text.description;
  $('dialog-confirm').textContent = text.confirm;
  $('dialog-confirm').disabled = false;
  $('dialog-error').hidden = true;
  const already = alreadyInForce(action, shownView.record);
  $('dialog-already').hidden = already === null;
  setText('dialog-already', already ?? '');
  $('reason-input').value = '';
  $('reason-input').removeAttribute('aria-invalid');
  $('operator-input').value = localStorage.getItem(OPERATOR_KEY) ?? '';
  // No token yet: ask for it here, with the reason, so nobody types a reason twice.
  const needsToken = readToken() === '';
  $('dialog-token').hidden = !needsToken;
  $('dialog-token-input').value = '';
  $('dialog-token-input').removeAttribute('aria-invalid');
  setText(
    'dialog-token-role',
    `(required: ${action === 'reset' ? 'the admin token' : 'the operator or admin token'})`,
  );
  dialog.showModal();
  $('reason-input').focus();
}

/**
 * A KILL over ENGAGED, or a REDUCE over ENGAGED or REDUCING, writes nothing (the first record keeps
 * its reason): said in the dialog before anything is typed, as the answer says it after.
 */
function alreadyInForce(action, record) {
  if (record === null || action === 'reset') return null;
  const covered =
    record.state === 'ENGAGED' || (action === 'reduce' && record.state === 'REDUCING');
  if (!covered) return null;
  const stricter =
    action === 'reduce' && record.state === 'ENGAGED' ? ', which is stricter than REDUCING' : '';
  return (
    `Already ${record.state}${stricter} since ${new Date(record.at).toLocaleString()} ` +
    `(revision ${record.revision}, by ${record.by}: ${record.reason}). ` +
    'Sending this writes nothing and your reason will not be recorded.'
  );
}

function showDialogError(message, field) {
  const error = $('dialog-error');
  error.hidden = false;
  error.textContent = message;
  const input =
    field === 'reason'
      ? $('reason-input')
      : field === 'by'
        ? $('operator-input')
        : field === 'token' || (field === undefined && !$('dialog-token').hidden)
          ? $('dialog-token-input')
          : null;
  input?.setAttribute('aria-invalid', 'true');
  input?.focus();
}

async function confirmChange() {
  const action = pendingAction;
  // A line break typed into the reason box is layout, not content: the API refuses control characters.
  const reason = $('reason-input')
    .value.replace(/[\t\n\v\f\r\u2028\u2029]+/g, ' ')
    .trim();
  const by = $('operator-input').value.trim();
  const typedToken = $('dialog-token').hidden ? '' : $('dialog-token-input').value.trim();
  const token = typedToken === '' ? readToken() : typedToken;
  if (reason === '')
    return showDialogError('A reason is required: it goes into the audit trail.', 'reason');
  if (by === '')
    return showDialogError('Your name is required: the audit trail records who did it.', 'by');
  if (token === '')
    return showDialogError(
      `A token is required: enter the ${action === 'reset' ? 'admin' : 'operator or admin'} token above.`,
      'token',
    );
  localStorage.setItem(OPERATOR_KEY, by); // a name, not a secret: saves typing it next time
  const confirm = $('dialog-confirm');
  confirm.disabled = true;
  confirm.textContent = 'Sending…';
  try {
    const answer = await sendChange(action, reason, by, token);
    if (answer.status === 200 || answer.status === 202) {
      if (typedToken !== '') {
        // Accepted: keep it for the session, as the token form would.
        sessionStorage.setItem(TOKEN_KEY, typedToken);
        showTokenState();
        void connectEvents();
      }
      $('change-dialog').close();
      showResult(answer.status === 200 ? 'ok' : 'warning', describeSuccess(answer));
      // Show the durable record at once; failing closed still overrides it until status says otherwise.
      const { record } = answer.body;
      const failClosed = shownView.failClosed;
      showKillSwitch({
        ...shownView,
        record,
        enforcedState: failClosed ? 'ENGAGED' : record.state,
      });
      void refreshStatus();
    } else {
      // A refused token (a wrong one, or the operator's on RESET) is asked for again right here:
      // the reason and the name stay, nobody cancels and types them twice.
      const tokenRefused =
        answer.status === 401 ||
        (answer.status === 403 && answer.body?.error?.code === 'FORBIDDEN');
      if (tokenRefused) {
        $('dialog-token').hidden = false;
        $('dialog-token-input').value = '';
      }
      showDialogError(describeError(answer), tokenRefused ? 'token' : answer.body?.error?.field);
    }
  } catch (error) {
    showDialogError(
      `The request did not complete: ${error.message}. Check the state before retrying.`,
    );
  } finally {
    confirm.disabled = false;
    confirm.textContent = ACTIONS[action].confirm;
  }
}

function startDialog() {
  const dialog = $('change-dialog');
  for (const button of document.querySelectorAll('button[data-action]'))
    button.addEventListener('click', () => openDialog(button.dataset.action, button));
  $('change-form').addEventListener('submit', (event) => {
    event.preventDefault(); // stay open until the API answers
    void confirmChange();
  });
  $('dialog-cancel').addEventListener('click', () => dialog.close());
  for (const input of [$('reason-input'), $('operator-input'), $('dialog-token-input')])
    input.addEventListener('input', () => input.removeAttribute('aria-invalid'));
  dialog.addEventListener('close', () => opener?.focus());
}

// ---------------------------------------------------------------- start

startTokenForm();
startDialog();
startCharts();
showTrips();
void connectEvents();
window.setInterval(() => {
  showDenials(); // ages out the last-minute counts even when nothing new arrives
  void refreshStatus(); // readiness and heartbeat ages have no event of their own
}, STATUS_REFRESH_MS);
// The banner's age and the engines' heartbeat ages count even when nothing arrives.
window.setInterval(showLiveness, LIVENESS_CHECK_MS);
