// The console's script: polls the gateway's JSON routes every two seconds (short polling works on
// every Functions plan, where a held-open stream needs the HTTP-streaming preview) and draws three
// lists; the answer panel sends a tester's reply through the console's reply route, which hands it
// to the same channel a backend uses. Data is written with textContent only, never as HTML.
(() => {
  'use strict';

  const POLL_MS = 2000;
  // The page is /api/console: its routes sit beside it under the same prefix.
  const apiBase = location.pathname.replace(/\/console\/?$/, '');
  // On Azure the console's functions take a function key: the page was opened with it in the
  // `code` query parameter, and every call it makes passes it on as a header.
  const key = new URLSearchParams(location.search).get('code');
  const headers = key ? { 'x-functions-key': key } : {};

  const $ = (id) => document.getElementById(id);
  let selected; // the pending row the answer panel is for
  let channels = { channels: ['blob'], preferred: 'blob' };

  async function getJson(path) {
    const response = await fetch(apiBase + path, { headers, cache: 'no-store' });
    const body = response.headers.get('content-type')?.includes('json') ? await response.json() : undefined;
    return { status: response.status, body };
  }

  function cell(row, label, text, className) {
    const td = row.insertCell();
    td.dataset.label = label;
    if (text !== undefined && text !== '') td.textContent = String(text);
    if (className) td.className = className;
    return td;
  }

  function duration(ms) {
    if (ms < 1000) return `${Math.round(ms)} ms`;
    if (ms < 60_000) return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
    const minutes = Math.floor(ms / 60_000);
    return minutes < 60 ? `${minutes} min ${Math.floor((ms % 60_000) / 1000)} s` : `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
  }

  function clock(iso) {
    const date = new Date(iso);
    return Number.isNaN(date.getTime()) ? iso : date.toLocaleTimeString();
  }

  function statusClass(status, httpStatus) {
    if (httpStatus !== undefined) return httpStatus < 400 ? 'status-ok' : httpStatus < 500 ? 'status-warn' : 'status-bad';
    return status === 'Completed' ? 'status-ok' : status === 'Canceled' || status === 'Suspended' ? 'status-warn' : 'status-bad';
  }

  function shortId(id) {
    return id.length > 13 ? `${id.slice(0, 8)}…${id.slice(-4)}` : id;
  }

  function idCell(row, label, id) {
    const td = cell(row, label, shortId(id), 'id');
    td.title = id;
    td.dataset.id = id;
  }

  /** Redraws list `name` (its table, count and empty note), one row per item, each filled by `fill`. */
  function drawRows(name, items, fill) {
    const body = $(name).tBodies[0];
    body.replaceChildren();
    for (const item of items) {
      const row = body.insertRow();
      if (item.id) row.dataset.id = item.id;
      fill(row, item);
    }
    $(`${name}-count`).textContent = String(items.length);
    $(`${name}-empty`).hidden = items.length > 0;
  }

  function drawPending(rows) {
    drawRows('pending', rows, (row, r) => {
      idCell(row, 'Request', r.id);
      cell(row, 'Operation', r.operation);
      cell(row, 'Age', duration(r.ageMs));
      cell(row, 'Mode', r.mode);
      cell(row, 'Status', r.status);
      const button = document.createElement('button');
      button.type = 'button';
      button.textContent = 'Answer';
      button.addEventListener('click', () => openAnswer(r));
      cell(row, '', undefined).append(button);
    });
    if (selected !== undefined && !rows.some((r) => r.id === selected.id)) {
      $('answer-what').textContent = 'This request is no longer pending.';
    }
  }

  function drawFinished(rows) {
    drawRows('finished', rows, (row, r) => {
      idCell(row, 'Request', r.id);
      cell(row, 'Operation', r.operation);
      cell(row, 'Mode', r.mode);
      cell(row, 'Status', r.httpStatus !== undefined ? `${r.httpStatus} ${r.status}` : r.status, statusClass(r.status, r.httpStatus));
      cell(row, 'Latency', duration(r.latencyMs));
      cell(row, 'Finished', clock(r.finishedAt));
    });
  }

  function drawRejected(answer) {
    const listed = answer.status === 200 && Array.isArray(answer.body?.items);
    const items = listed ? answer.body.items : [];
    drawRows('rejected', items, (row, item) => {
      cell(row, 'Reply', item.name, 'id');
      cell(row, 'Channel', item.channel);
      const reason = cell(row, 'Reason', item.reason, 'status-warn');
      if (item.description) reason.title = item.description;
      if (item.requestId) idCell(row, 'Request', item.requestId);
      else cell(row, 'Request', '');
      cell(row, 'Received', item.receivedAt ? clock(item.receivedAt) : '');
      cell(row, 'Size', typeof item.size === 'number' ? `${item.size} B` : '');
    });
    const counts = listed && answer.body.counts && typeof answer.body.counts === 'object' ? Object.entries(answer.body.counts) : [];
    $('rejected-reasons').textContent = counts.map(([reason, n]) => `${reason}: ${n}`).join(' · ');
    const empty = $('rejected-empty');
    if (listed) {
      empty.textContent = 'No reply has been set aside.';
      // More on the next page: the count says so rather than pretend it is all.
      if (answer.body.continuation) $('rejected-count').textContent = `${items.length}+`;
      return;
    }
    $('rejected-count').textContent = '–';
    // Gateways without the set-aside listing (GET /api/rejected) still get the rest of the console.
    empty.textContent =
      answer.status === 404
        ? 'This gateway does not list set-aside replies (GET /api/rejected answered 404).'
        : `Set-aside replies could not be read (HTTP ${answer.status}).`;
  }

  function openAnswer(row) {
    selected = row;
    $('answer').hidden = false;
    $('answer-id').textContent = row.id;
    $('answer-what').textContent = `${row.operation} · ${row.mode} · waiting ${duration(row.ageMs)}`;
    $('reply-result').textContent = '';
    $('reply-result').className = 'result';
    $('reply-send').disabled = false;
    $('reply-body').focus();
  }

  function drawChannels() {
    const select = $('reply-via');
    const current = select.value;
    select.replaceChildren(
      ...channels.channels.map((c) => {
        const option = document.createElement('option');
        option.value = c;
        option.textContent = c === 'servicebus' ? 'Service Bus' : 'blob';
        return option;
      }),
    );
    select.value = channels.channels.includes(current) ? current : channels.preferred;
  }

  async function sendAnswer(event) {
    event.preventDefault();
    if (selected === undefined) return;
    const result = $('reply-result');
    const status = $('reply-status').value.trim();
    const form = { body: $('reply-body').value, contentType: $('reply-type').value.trim(), via: $('reply-via').value };
    if (status !== '') form.status = Number(status);
    $('reply-send').disabled = true;
    result.className = 'result';
    result.textContent = 'sending…';
    try {
      const response = await fetch(`${apiBase}/console/requests/${encodeURIComponent(selected.id)}/reply`, {
        method: 'POST',
        headers: { ...headers, 'content-type': 'application/json' },
        body: JSON.stringify(form),
      });
      const answer = await response.json().catch(() => ({}));
      if (response.ok) {
        result.className = 'result ok';
        result.textContent = `Reply sent to ${answer.sentTo}; the request is answered once the reply trigger takes it.`;
      } else {
        result.className = 'result bad';
        result.textContent = `${response.status}: ${answer.detail ?? answer.title ?? 'the reply was refused'}`;
        $('reply-send').disabled = false;
      }
    } catch (error) {
      result.className = 'result bad';
      result.textContent = `Could not reach the gateway: ${error}`;
      $('reply-send').disabled = false;
    }
  }

  async function refresh() {
    const live = $('live');
    try {
      const [lists, rejected] = await Promise.all([getJson('/console/requests'), getJson('/rejected').catch(() => ({ status: 0 }))]);
      if (lists.status !== 200 || lists.body === undefined) throw new Error(`HTTP ${lists.status}`);
      channels = lists.body.replyChannels ?? channels;
      drawChannels();
      drawPending(lists.body.pending);
      drawFinished(lists.body.finished);
      drawRejected(rejected);
      live.className = 'live';
      live.textContent = `updated ${new Date().toLocaleTimeString()} · every ${POLL_MS / 1000} s · finished in the last ${lists.body.recentMinutes} min`;
    } catch (error) {
      live.className = 'live down';
      live.textContent = `gateway unreachable (${error instanceof Error ? error.message : error}); retrying`;
    }
  }

  async function loop() {
    // A hidden tab stops polling; it refreshes as soon as it is shown again.
    if (!document.hidden) await refresh();
    setTimeout(loop, POLL_MS);
  }

  $('answer-form').addEventListener('submit', sendAnswer);
  $('reply-close').addEventListener('click', () => {
    selected = undefined;
    $('answer').hidden = true;
  });
  document.addEventListener('visibilitychange', () => {
    if (!document.hidden) void refresh();
  });
  void loop();
})();
