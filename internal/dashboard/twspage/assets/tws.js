"use strict";
(function () {
  const params = new URLSearchParams(location.search);
  const interval = Math.max(250, Number(params.get("interval")) || 2000);
  const api = "/api/v1/monitoring";
  const classes = [["running", "#2563eb"], ["completed", "#15803d"], ["failed", "#b91c1c"], ["pending", "#9ca3af"]];
  const samples = []; // {t, running, completed, failed, pending}
  const maxSamples = 300;
  const maxEvents = 100;
  const $ = (id) => document.getElementById(id);

  function el(tag, text, cls) {
    const e = document.createElement(tag);
    if (text !== undefined && text !== null) e.textContent = String(text);
    if (cls) e.className = cls;
    return e;
  }
  function tile(id, value, state) {
    $(id).textContent = value;
    const t = $(id).parentElement;
    t.classList.remove("ok", "bad", "warn");
    if (state) t.classList.add(state);
  }
  async function getJSON(path) {
    const r = await fetch(path, { headers: { Accept: "application/json" } });
    if (!r.ok) throw new Error(path + ": " + r.status);
    return r.json();
  }
  function age(seconds) {
    if (seconds === null || seconds === undefined) return "no data yet";
    if (seconds < 90) return "data " + Math.round(seconds) + " s old";
    return "data " + Math.round(seconds / 60) + " min old";
  }
  function hhmmss(iso) {
    if (!iso) return "";
    const d = new Date(iso);
    return isNaN(d) ? "" : d.toLocaleTimeString();
  }

  function renderStatus(st) {
    const p = st.poller || {};
    const up = $("upstream");
    up.textContent = p.simulated ? "upstream: SIMULATOR (resync hwa-sim)" : "upstream: HWA engine";
    up.className = p.simulated ? "sim" : "muted";
    $("holder").textContent = p.holder ? "poller " + p.holder + " · token " + p.token : "no poller";
    const interval = (st.metrics && st.metrics.polling_interval) || 30;
    const a = $("age");
    a.textContent = age(p.data_age_seconds) + " · every " + interval + " s";
    a.classList.toggle("stale", p.data_age_seconds === null || p.data_age_seconds > 3 * interval);
    const snap = st.snapshot;
    if (!snap) return;
    const s = snap.summary;
    document.body.dataset.seq = String(snap.seq);
    tile("health", s.system_health, { healthy: "ok", degraded: "warn", critical: "bad" }[s.system_health]);
    tile("jobs-running", s.jobs_running);
    tile("jobs-completed", s.jobs_completed, "ok");
    tile("jobs-failed", s.jobs_failed, s.jobs_failed > 0 ? "bad" : "ok");
    tile("jobs-pending", s.jobs_pending);
    const last = samples[samples.length - 1];
    if (!last || last.seq !== snap.seq) {
      samples.push({ seq: snap.seq, t: new Date(snap.timestamp), running: s.jobs_running,
        completed: s.jobs_completed, failed: s.jobs_failed, pending: s.jobs_pending });
      if (samples.length > maxSamples) samples.shift();
      draw();
    }
  }

  function renderWorkstations(w) {
    tile("ws-online", w.summary.online, "ok");
    tile("ws-offline", w.summary.offline, w.summary.offline > 0 ? "bad" : "ok");
    const body = $("workstations");
    body.replaceChildren(...w.workstations.map((ws) => {
      const tr = el("tr");
      tr.append(el("td", ws.name), el("td", ws.status, ws.status === "ONLINE" ? "" : "bad"),
        el("td", ws.agent_status, ws.agent_status === "LINKED" ? "" : "bad"),
        el("td", ws.jobs_running), el("td", ws.jobs_pending));
      return tr;
    }));
  }

  function renderAbends(j) {
    const body = $("abends");
    body.replaceChildren(...j.jobs.map((job) => {
      const tr = el("tr");
      tr.dataset.jobId = job.job_id;
      const links = el("td");
      const detail = el("a", "detail");
      detail.href = "/api/v1/tws/jobs/" + encodeURIComponent(job.job_id);
      const log = el("a", "log");
      log.href = "/api/v1/tws/jobs/" + encodeURIComponent(job.job_id) + "/log";
      links.append(detail, " · ", log);
      tr.append(el("td", job.job_name, "bad"), el("td", job.job_stream), el("td", job.workstation),
        el("td", job.return_code), el("td", hhmmss(job.end_time)), links);
      return tr;
    }));
  }

  function addEvent(e, prepend) {
    const li = el("li", null, e.severity);
    li.dataset.type = e.event_type;
    li.dataset.source = e.source;
    li.append(el("time", hhmmss(e.timestamp)), el("span", e.severity, "sev"), el("span", e.message));
    const list = $("events");
    if (prepend) list.prepend(li); else list.append(li);
    while (list.children.length > maxEvents) list.lastChild.remove();
  }

  function draw() {
    const c = $("c-jobs");
    const dpr = window.devicePixelRatio || 1;
    const w = c.clientWidth, h = c.clientHeight;
    c.width = Math.max(1, w * dpr); c.height = Math.max(1, h * dpr);
    const g = c.getContext("2d");
    g.scale(dpr, dpr);
    g.clearRect(0, 0, w, h);
    c.dataset.points = String(samples.length);
    const legend = $("l-jobs");
    const last = samples[samples.length - 1] || {};
    legend.replaceChildren(...classes.map(([k, color]) => {
      const span = el("span");
      const sw = el("i"); sw.style.background = color;
      span.append(sw, k + " ", el("b", last[k] === undefined ? "–" : last[k]));
      return span;
    }));
    if (samples.length === 0) return;
    let max = 1;
    for (const s of samples) for (const [k] of classes) max = Math.max(max, s[k]);
    const left = 40, bottom = 18, top = 6, right = 8;
    g.strokeStyle = "#e5e7eb"; g.fillStyle = "#6b7280"; g.font = "11px sans-serif";
    for (let i = 0; i <= 4; i++) {
      const y = top + (h - top - bottom) * i / 4;
      g.beginPath(); g.moveTo(left, y); g.lineTo(w - right, y); g.stroke();
      g.fillText(String(Math.round(max * (4 - i) / 4)), 2, y + 4);
    }
    const x = (i) => left + (samples.length === 1 ? 0 : (w - left - right) * i / (samples.length - 1));
    const y = (v) => top + (h - top - bottom) * (1 - v / max);
    for (const [k, color] of classes) {
      g.strokeStyle = color; g.lineWidth = 2; g.beginPath();
      samples.forEach((s, i) => { if (i === 0) g.moveTo(x(i), y(s[k])); else g.lineTo(x(i), y(s[k])); });
      g.stroke();
    }
    g.fillStyle = "#6b7280";
    g.fillText(samples[0].t.toLocaleTimeString(), left, h - 4);
    const end = samples[samples.length - 1].t.toLocaleTimeString();
    g.fillText(end, w - right - g.measureText(end).width, h - 4);
  }

  let busy = false;
  async function refresh() {
    if (busy) return;
    busy = true;
    try {
      const [st, ws, ab] = await Promise.all([getJSON(api + "/status?brief=1"), getJSON(api + "/status/workstations"),
        getJSON(api + "/status/jobs?status=ABEND&limit=500")]);
      renderStatus(st);
      renderWorkstations(ws);
      renderAbends(ab);
    } catch (err) {
      $("age").textContent = "cannot read the monitoring API: " + err.message;
      $("age").classList.add("stale");
    } finally {
      busy = false;
    }
  }

  let backoff = 500;
  function connect() {
    const proto = location.protocol === "https:" ? "wss:" : "ws:";
    const sock = new WebSocket(proto + "//" + location.host + api + "/ws");
    sock.onopen = () => { backoff = 500; tile("feed", "live", "ok"); };
    sock.onmessage = (m) => {
      let msg;
      try { msg = JSON.parse(m.data); } catch (e) { return; }
      if (msg.type === "recent_events") {
        $("events").replaceChildren();
        for (const e of msg.events) addEvent(e, true);
      } else if (msg.type === "event") {
        addEvent(msg.event, true);
        refresh();
      }
    };
    sock.onclose = () => {
      tile("feed", "reconnecting", "warn");
      setTimeout(connect, backoff);
      backoff = Math.min(backoff * 2, 10000);
    };
  }

  window.addEventListener("resize", draw);
  refresh();
  setInterval(refresh, interval);
  connect();
})();
