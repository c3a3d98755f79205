'use strict';
// The resync dashboard: polls the /api/v1/metrics document and draws it.
// Rates and percentiles come from deltas between two polls, so the page needs
// no server-side state. Everything is plain DOM and <canvas>.
(function () {
  const params = new URLSearchParams(location.search);
  const INTERVAL = Math.max(250, Number(params.get('interval')) || 2000); // ms
  const KEEP = 150; // points per series: 5 minutes at the default interval
  const m = location.pathname.match(/^(.+)\/dashboard\/?$/);
  const SRC = m ? m[1] : '/api/v1/metrics'; // the document beside this page
  const PALETTE = ['#2563eb', '#ea580c', '#16a34a', '#9333ea', '#dc2626', '#0891b2',
    '#ca8a04', '#db2777', '#4b5563', '#65a30d', '#7c3aed', '#0d9488'];

  const series = (name, color) => ({ name, color, pts: [] });
  const S = {
    rps: [series('requests/s', PALETTE[0]), series('5xx/s', PALETTE[4])],
    lat: [series('p50', PALETTE[0]), series('p99', PALETTE[1])],
    life: [series('restarts', PALETTE[4]), series('recycles', PALETTE[0]), series('timeouts', PALETTE[1])],
    rss: new Map(), // pid -> series
    cpu: new Map(),
  };
  let prev = null;

  function push(s, t, v) {
    s.pts.push([t, v]);
    if (s.pts.length > KEEP) s.pts.shift();
  }

  function workerSeries(map, pid) {
    let s = map.get(pid);
    if (!s) {
      s = series(String(pid), PALETTE[map.size % PALETTE.length]);
      map.set(pid, s);
    }
    return s;
  }

  // quantile interpolates inside the bucket holding rank q, as Prometheus's
  // histogram_quantile does. counts are per bucket, the last one +Inf.
  function quantile(bounds, counts, q) {
    const total = counts.reduce((a, b) => a + b, 0);
    if (!(total > 0)) return null;
    const rank = q * total;
    let cum = 0;
    for (let i = 0; i < counts.length; i++) {
      if (cum + counts[i] >= rank && counts[i] > 0) {
        if (i >= bounds.length) return bounds[bounds.length - 1]; // +Inf: best known bound
        const lo = i === 0 ? 0 : bounds[i - 1];
        return lo + (bounds[i] - lo) * ((rank - cum) / counts[i]);
      }
      cum += counts[i];
    }
    return bounds[bounds.length - 1];
  }

  const sum5xx = (codes) => Object.entries(codes || {})
    .filter(([c]) => c.startsWith('5')).reduce((a, [, n]) => a + n, 0);

  function update(r) {
    const t = Date.parse(r.generated_at);
    const tot = r.totals;
    if (prev && tot.requests < prev.totals.requests) prev = null; // master restarted
    if (prev) {
      const dt = (t - Date.parse(prev.generated_at)) / 1000;
      if (dt <= 0) return; // the same document again
      const rps = (tot.requests - prev.totals.requests) / dt;
      const err = (sum5xx(tot.codes) - sum5xx(prev.totals.codes)) / dt;
      push(S.rps[0], t, rps);
      push(S.rps[1], t, err);
      const d = tot.latency.counts.map((n, i) => n - (prev.totals.latency.counts[i] || 0));
      const p50 = quantile(tot.latency.bounds_seconds, d, 0.5);
      const p99 = quantile(tot.latency.bounds_seconds, d, 0.99);
      push(S.lat[0], t, p50 === null ? null : p50 * 1000);
      push(S.lat[1], t, p99 === null ? null : p99 * 1000);
      tile('t-rps', fmt(rps));
      tile('t-err', fmt(err), err > 0 ? 'bad' : 'ok');
      tile('t-p50', p50 === null ? 'idle' : fmtMs(p50 * 1000));
      tile('t-p99', p99 === null ? 'idle' : fmtMs(p99 * 1000));
    }
    push(S.life[0], t, tot.restarts);
    push(S.life[1], t, tot.recycles);
    push(S.life[2], t, tot.timeouts);
    for (const w of r.workers || []) {
      push(workerSeries(S.rss, w.pid), t, w.memory_mb);
      push(workerSeries(S.cpu, w.pid), t, w.cpu_percent);
    }
    for (const map of [S.rss, S.cpu]) { // forget workers gone for a whole window
      for (const [pid, s] of map) {
        const last = s.pts[s.pts.length - 1];
        if (!last || t - last[0] > KEEP * INTERVAL) map.delete(pid);
      }
    }
    prev = r;

    tile('t-inflight', fmt(tot.in_flight));
    tile('t-workers', String(tot.workers), tot.workers > 0 ? 'ok' : 'bad');
    tile('t-restarts', String(tot.restarts), tot.restarts > 0 ? 'warn' : '');
    tile('t-recycles', String(tot.recycles));
    tile('t-timeouts', String(tot.timeouts), tot.timeouts > 0 ? 'bad' : '');
    for (const dep of ['redis', 'upstream']) {
      const h = r.health && r.health[dep];
      // The master's embedded Redis is ok but one host's: said, in amber.
      const embedded = h && h.status === 'ok' && (h.detail || '').startsWith('embedded');
      tile('t-' + dep, embedded ? 'embedded' : h ? h.status : 'n/a', !h ? 'na' : embedded ? 'warn' : h.status === 'ok' ? 'ok' : 'bad',
        h ? [h.detail, h.latency_ms ? fmtMs(h.latency_ms) : ''].filter(Boolean).join(' · ') : 'not reported');
    }
    const x = tot.extra || {}; // series the workers report (internal/tws/metrics.go)
    const hasTWS = x.tws_upstream_calls_total !== undefined;
    tile('t-hwa', !hasTWS ? 'n/a' : x.tws_simulated ? 'SIMULATED' : 'engine',
      !hasTWS ? 'na' : x.tws_simulated ? 'warn' : 'ok',
      x.tws_simulated ? 'no RESYNC_TWS_URL: the data is the built-in simulator\'s' : '');
    const asked = (x.tws_cache_hits_total || 0) + (x.tws_cache_misses_total || 0);
    const hit = (x.tws_cache_hits_total || 0) + (x.tws_cache_shared_hits_total || 0);
    tile('t-cache', asked ? Math.round(100 * hit / asked) + ' %' : '–', '',
      'upstream calls ' + (x.tws_upstream_calls_total || 0) + ', stale ' + (x.tws_cache_stale_total || 0) +
      ', evictions ' + (x.tws_cache_evictions_total || 0) + ', ' +
      ((x.tws_cache_bytes || 0) / 1048576).toFixed(1) + ' MB in ' + (x.tws_cache_items || 0) + ' entries');
    const host = r.host;
    tile('t-host', host.load1.toFixed(1) + ' · ' + Math.round(host.memory_percent) + '%', '',
      host.cpus + ' CPUs, ' + Math.round(host.memory_available_mb) + ' MB available' +
      (host.memory_limit_mb ? ', cgroup limit ' + Math.round(host.memory_limit_mb) + ' MB' : ''));
    const ms = r.master;
    text('master', 'master ' + ms.pid + ' · up ' + fmtAge(ms.uptime_seconds) + ' · ' +
      ms.memory_mb.toFixed(0) + ' MB · ' + ms.cpu_percent.toFixed(1) + '% CPU');
    table(r);
    drawAll();
  }

  // tile sets a tile's value; a unit after a space ("5.01 ms") is set smaller.
  function tile(id, value, cls, title) {
    const el = document.getElementById(id);
    el.className = 'tile' + (cls ? ' ' + cls : '');
    const v = el.querySelector('.v'), cut = value.indexOf(' ');
    const small = document.createElement('small');
    small.textContent = cut < 0 ? '' : value.slice(cut);
    v.replaceChildren(cut < 0 ? value : value.slice(0, cut), small);
    if (title !== undefined) el.title = title;
  }
  function text(id, s) { document.getElementById(id).textContent = s; }

  function table(r) {
    const now = Date.parse(r.generated_at);
    const rows = (r.workers || []).map((w) => {
      const beat = (now - Date.parse(w.last_heartbeat)) / 1000;
      const cells = [w.pid, w.generation, fmtAge((now - Date.parse(w.started_at)) / 1000), fmt(w.requests),
        w.in_flight, w.memory_mb.toFixed(0) + ' (' + w.memory_percent.toFixed(1) + '%)', w.cpu_percent.toFixed(0),
        w.threads, w.fds, beat.toFixed(0) + 's'];
      const tr = document.createElement('tr');
      cells.forEach((c, i) => {
        const td = document.createElement('td');
        td.textContent = String(c);
        if (i === cells.length - 1 && beat > 5) td.className = 'late';
        tr.appendChild(td);
      });
      return tr;
    });
    document.querySelector('#workers tbody').replaceChildren(...rows);
  }

  function fmt(v) {
    if (v === null || v === undefined || !isFinite(v)) return '–';
    const a = Math.abs(v);
    if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
    if (a >= 1e4) return (v / 1e3).toFixed(1) + 'k';
    if (a >= 100 || Number.isInteger(v)) return v.toFixed(0);
    return v.toFixed(a >= 10 ? 1 : 2);
  }
  function fmtMs(v) {
    if (v >= 1000) return (v / 1000).toFixed(v >= 10000 ? 0 : 1) + ' s';
    return v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2) + ' ms';
  }
  function fmtAge(s) {
    if (!(s >= 0)) return '–';
    if (s < 120) return Math.floor(s) + 's';
    if (s < 7200) return Math.floor(s / 60) + 'm';
    if (s < 172800) return Math.floor(s / 3600) + 'h';
    return Math.floor(s / 86400) + 'd';
  }

  // niceMax rounds a maximum up to 1, 2 or 5 times a power of ten.
  function niceMax(v) {
    if (!(v > 0)) return 1;
    const p = Math.pow(10, Math.floor(Math.log10(v)));
    for (const k of [1, 2, 5, 10]) if (k * p >= v) return k * p;
    return 10 * p;
  }

  function isNice(v) {
    const m = v / Math.pow(10, Math.floor(Math.log10(v)));
    return [1, 2, 5, 10].some((k) => Math.abs(m - k) < 1e-9);
  }

  function draw(id, list, unit) {
    const cv = document.getElementById(id);
    const ctx = cv.getContext('2d');
    const dpr = window.devicePixelRatio || 1;
    const W = cv.clientWidth, H = cv.clientHeight;
    if (cv.width !== Math.round(W * dpr) || cv.height !== Math.round(H * dpr)) {
      cv.width = Math.round(W * dpr);
      cv.height = Math.round(H * dpr);
    }
    ctx.setTransform(dpr, 0, 0, dpr, 0, 0);
    ctx.clearRect(0, 0, W, H);
    let n = 0, tmax = -Infinity, vmax = 0;
    for (const s of list) for (const [t, v] of s.pts) {
      if (v === null) continue;
      n++; tmax = Math.max(tmax, t); vmax = Math.max(vmax, v);
    }
    cv.dataset.points = String(n);
    ctx.font = '11px system-ui, sans-serif';
    ctx.fillStyle = '#6b7280';
    if (n === 0) {
      ctx.fillText('waiting for data…', 12, 20);
      legend(id, list, unit);
      return;
    }
    const pad = { l: 44, r: 8, t: 6, b: 18 };
    const span = KEEP * INTERVAL, tmin = tmax - span;
    const ymax = niceMax(vmax * 1.05);
    const x = (t) => pad.l + (W - pad.l - pad.r) * (t - tmin) / span;
    const y = (v) => H - pad.b - (H - pad.t - pad.b) * v / ymax;
    ctx.strokeStyle = '#e5e7eb';
    ctx.lineWidth = 1;
    ctx.textAlign = 'right';
    ctx.textBaseline = 'middle';
    const steps = isNice(ymax / 5) ? 5 : 4;
    for (let i = 0; i <= steps; i++) {
      const v = ymax * i / steps, yy = Math.round(y(v)) + 0.5;
      ctx.beginPath(); ctx.moveTo(pad.l, yy); ctx.lineTo(W - pad.r, yy); ctx.stroke();
      ctx.fillText(fmt(v), pad.l - 6, yy);
    }
    ctx.textAlign = 'center';
    ctx.textBaseline = 'top';
    for (let i = 0; i <= 5; i++) {
      const ago = span * (5 - i) / 5 / 1000;
      ctx.fillText(i === 5 ? 'now' : '-' + fmtAge(ago), x(tmax - ago * 1000), H - pad.b + 4);
    }
    ctx.lineWidth = 2;
    ctx.lineJoin = 'round';
    for (const s of list) {
      const pts = s.pts, lone = [];
      ctx.strokeStyle = s.color;
      ctx.beginPath();
      let pen = false;
      for (let i = 0; i < pts.length; i++) {
        const v = pts[i][1];
        if (v === null) { pen = false; continue; }
        const X = x(pts[i][0]), Y = y(v);
        if (pen) ctx.lineTo(X, Y); else ctx.moveTo(X, Y);
        pen = true;
        const before = i > 0 && pts[i - 1][1] !== null;
        const after = i + 1 < pts.length && pts[i + 1][1] !== null;
        if (!before && !after) lone.push([X, Y]); // draws no line: mark it
      }
      ctx.stroke();
      ctx.fillStyle = s.color;
      for (const [X, Y] of lone) ctx.fillRect(X - 2.5, Y - 2.5, 5, 5);
    }
    legend(id, list, unit);
  }

  // legend names the series still reporting; retired workers' lines stay on
  // the chart until they scroll out, unnamed.
  function legend(id, list, unit) {
    const el = document.getElementById('l' + id.slice(1));
    const newest = Math.max(...list.map((s) => s.pts.length ? s.pts[s.pts.length - 1][0] : -Infinity));
    const live = list.filter((s) => s.pts.length && s.pts[s.pts.length - 1][0] === newest);
    el.replaceChildren(...live.map((s) => {
      const last = s.pts.length ? s.pts[s.pts.length - 1][1] : null;
      const span = document.createElement('span');
      const sw = document.createElement('i');
      sw.style.background = s.color;
      const b = document.createElement('b');
      b.textContent = last === null ? '–' : fmt(last) + unit;
      span.append(sw, s.name + ' ', b);
      return span;
    }));
  }

  function drawAll() {
    draw('c-rps', S.rps, '');
    draw('c-lat', S.lat, ' ms');
    draw('c-life', S.life, '');
    draw('c-rss', [...S.rss.values()], ' MB');
    draw('c-cpu', [...S.cpu.values()], '%');
  }

  async function poll() {
    try {
      const resp = await fetch(SRC, { cache: 'no-store', headers: { Accept: 'application/json' } });
      if (!resp.ok) throw new Error(SRC + ': HTTP ' + resp.status);
      update(await resp.json());
      const st = document.getElementById('status');
      st.className = 'status';
      st.textContent = 'updated ' + new Date().toLocaleTimeString() + ' · every ' + INTERVAL / 1000 + ' s';
    } catch (e) {
      const st = document.getElementById('status');
      st.className = 'status stale';
      st.textContent = 'stale: ' + e.message;
    }
    setTimeout(poll, INTERVAL);
  }

  window.addEventListener('resize', drawAll);
  drawAll();
  poll();
})();
