// Status page of stays-reconciler. It keeps the admin token in this tab's sessionStorage
// only, reads /api/admin/dashboard with it, and writes every value from the API with
// textContent or setAttribute, never as markup, so guest names and log messages always show
// as text.
"use strict";

(function () {
  const TOKEN_KEY = "staysReconciler.adminToken";
  const REFRESH_MILLISECONDS = 30000;
  const POLL_MILLISECONDS = 1500;
  const POLL_LIMIT_MILLISECONDS = 120000;
  const HISTORY_ROWS = 20;
  const STAT_FIELDS = ["fetched", "created", "updated", "unchanged", "orphaned", "deleted", "errors"];
  const SVG_NS = "http://www.w3.org/2000/svg";

  const body = document.body;
  const lang = body.dataset.lang;
  const text = JSON.parse(document.getElementById("page-strings").textContent);
  const numbers = new Intl.NumberFormat(lang);
  const decimals = new Intl.NumberFormat(lang, { maximumFractionDigits: 1 });
  const percents = new Intl.NumberFormat(lang, { style: "percent", maximumFractionDigits: 1 });
  const relative = new Intl.RelativeTimeFormat(lang, { numeric: "auto" });
  const dates = new Intl.DateTimeFormat(lang, {
    year: "numeric", month: "2-digit", day: "2-digit",
    hour: "2-digit", minute: "2-digit", second: "2-digit", timeZoneName: "short",
  });

  const byId = (id) => document.getElementById(id);
  let refreshTimer = null;
  let pending = null; // {key, since} of a trigger whose run has not appeared yet
  let triggeredRunId = null; // the run that this page's last trigger started

  // Replace {name} placeholders; the result is only ever assigned to textContent.
  function format(template, values) {
    return template.replace(/\{(\w+)\}/g, (match, name) =>
      name in values ? String(values[name]) : match);
  }

  function setText(id, value) {
    byId(id).textContent = value == null ? "" : String(value);
  }

  function formatDate(iso) {
    return iso ? dates.format(new Date(iso)) : "–";
  }

  function formatDuration(milliseconds) {
    if (milliseconds == null) return "–";
    if (milliseconds < 1000) return numbers.format(milliseconds) + " ms";
    const seconds = milliseconds / 1000;
    if (seconds < 60) return decimals.format(seconds) + " s";
    const minutes = Math.floor(seconds / 60);
    return numbers.format(minutes) + " min " + String(Math.round(seconds % 60)).padStart(2, "0") + " s";
  }

  function formatRelative(iso) {
    const minutes = Math.round((new Date(iso).getTime() - Date.now()) / 60000);
    if (Math.abs(minutes) < 120) return relative.format(minutes, "minute");
    return relative.format(Math.round(minutes / 60), "hour");
  }

  function runStatusText(status) {
    return text["run_status_" + status] || status;
  }

  function cell(row, value, className) {
    const td = document.createElement("td");
    td.textContent = value == null ? "" : String(value);
    if (className) td.className = className;
    row.appendChild(td);
    return td;
  }

  function badge(id, status, label) {
    const element = byId(id);
    element.textContent = label;
    element.className = "badge status-" + status;
  }

  // ---- token and requests ----

  function token() {
    return sessionStorage.getItem(TOKEN_KEY);
  }

  function showNotice(message) {
    const notice = byId("notice");
    notice.textContent = message;
    notice.hidden = !message;
  }

  function showSignedIn(signedIn) {
    byId("token-form").hidden = signedIn;
    byId("signed-in").hidden = !signedIn;
    byId("dashboard").hidden = !signedIn;
  }

  function signOut(message) {
    sessionStorage.removeItem(TOKEN_KEY);
    clearTimeout(refreshTimer);
    pending = null;
    showSignedIn(false);
    showNotice(message || text.token_missing);
  }

  async function request(url, options) {
    const headers = { Authorization: "Bearer " + token(), Accept: "application/json" };
    let response;
    try {
      response = await fetch(url, { cache: "no-store", ...options, headers });
    } catch (error) {
      showNotice(format(text.error_network, { message: error.message }));
      return null;
    }
    const payload = await response.json().catch(() => ({}));
    const message = (payload.error && payload.error.message) || response.statusText;
    if (response.status === 401) {
      signOut(format(text.error_401, { message }));
      return null;
    }
    if (response.status === 403) {
      signOut(text.error_403);
      return null;
    }
    return { status: response.status, payload, message };
  }

  // ---- rendering ----

  function renderLastRun(run) {
    const stats = byId("last-run-stats");
    stats.replaceChildren();
    if (!run) {
      badge("last-run-status", "none", text.no_run);
      ["last-run-id", "last-run-started", "last-run-completed", "last-run-duration",
        "last-run-message"].forEach((id) => setText(id, ""));
      return;
    }
    badge("last-run-status", run.status, runStatusText(run.status));
    setText("last-run-id", "#" + run.id);
    setText("last-run-started", formatDate(run.startedAt));
    setText("last-run-completed", formatDate(run.completedAt));
    setText("last-run-duration", formatDuration(run.duration));
    setText("last-run-message", run.message);
    for (const name of STAT_FIELDS) {
      const term = document.createElement("dt");
      term.textContent = text["stat_" + name];
      const value = document.createElement("dd");
      value.textContent = numbers.format(run[name]);
      value.dataset.stat = name;
      if (name === "errors" && run[name] > 0) value.className = "bad";
      const group = document.createElement("div");
      group.append(term, value);
      stats.appendChild(group);
    }
  }

  function renderSchedule(status) {
    setText("next-run", formatDate(status.nextRun));
    setText("next-run-relative", formatRelative(status.nextRun));
    const running = status.currentStatus === "running";
    badge("current-status", status.currentStatus, text["status_" + status.currentStatus]);
    let progress = "";
    const current = status.currentRun;
    if (current) {
      progress = format(text.running_progress, {
        id: current.id, processed: numbers.format(current.processed), listed: numbers.format(current.listed),
      });
      if (!current.pagingDone) progress += " " + text.running_paging;
      if (current.stale) progress += " " + text.running_stale;
    }
    setText("current-progress", progress);
    byId("run-now").disabled = running && !(current && current.stale);
  }

  function renderErrorRate(id, rate) {
    const box = byId(id);
    const [big, runs, items] = ["rate", "runs", "items"].map((name) => box.querySelector("." + name));
    if (!rate.finishedRuns) {
      big.textContent = "–";
      runs.textContent = text.no_runs_in_window;
      items.textContent = "";
      return;
    }
    big.textContent = percents.format(rate.failureRate);
    big.classList.toggle("bad", rate.failedRuns > 0);
    runs.textContent = format(text.failed_runs, {
      failed: numbers.format(rate.failedRuns), runs: numbers.format(rate.finishedRuns),
    });
    items.textContent = format(text.item_errors, {
      errors: numbers.format(rate.itemErrors), fetched: numbers.format(rate.fetched),
    });
  }

  function renderPinJobs(pins) {
    setText("pin-due", numbers.format(pins.dueNext24Hours));
    setText("pin-failed", numbers.format(pins.failed));
    setText("pin-overdue", numbers.format(pins.overdue));
    byId("pin-failed").classList.toggle("bad", pins.failed > 0);
    const tbody = byId("pin-jobs-table").querySelector("tbody");
    tbody.replaceChildren();
    const jobs = pins.upcoming.concat(pins.recentFailures);
    for (const job of jobs) {
      const reservation = job.reservation;
      const row = document.createElement("tr");
      row.dataset.pinJob = job.id;
      cell(row, formatDate(job.runAt));
      cell(row, text["pin_kind_" + job.kind] || job.kind);
      cell(row, text["pin_status_" + job.status] || job.status, "status-" + job.status);
      cell(row, reservation.found ? reservation.shortId : reservation.staysReservationId + " " + text.not_found);
      cell(row, reservation.listing.name || reservation.listing.staysListingId);
      cell(row, reservation.guestName, "guest");
      cell(row, numbers.format(job.attempts));
      cell(row, job.lastError, "message");
      tbody.appendChild(row);
    }
    byId("pin-jobs-empty").hidden = jobs.length > 0;
  }

  function svg(tag, attributes) {
    const element = document.createElementNS(SVG_NS, tag);
    for (const [name, value] of Object.entries(attributes)) element.setAttribute(name, value);
    return element;
  }

  function renderChart(runs) {
    const finished = runs.filter((run) => run.duration != null && run.status !== "running").reverse();
    const chart = byId("duration-chart");
    chart.replaceChildren();
    const title = format(text.chart_title, { count: finished.length });
    setText("chart-title", title);
    chart.setAttribute("aria-label", title);
    byId("chart-empty").hidden = finished.length > 0;
    chart.hidden = finished.length === 0;
    if (!finished.length) return;

    const width = 800, height = 200, left = 70, bottom = 24, top = 10;
    const longest = Math.max(1, ...finished.map((run) => run.duration));
    // At least 12 slots, so a short history does not draw a few bars as wide as the chart.
    const slot = (width - left) / Math.max(finished.length, 12);
    const scale = (height - bottom - top) / longest;
    chart.appendChild(svg("line", { x1: left, y1: height - bottom, x2: width, y2: height - bottom, class: "axis" }));
    const maxLabel = svg("text", { x: left - 6, y: top + 10, "text-anchor": "end", class: "axis-label" });
    maxLabel.textContent = formatDuration(longest);
    const zeroLabel = svg("text", { x: left - 6, y: height - bottom, "text-anchor": "end", class: "axis-label" });
    zeroLabel.textContent = "0";
    chart.append(maxLabel, zeroLabel);
    const firstLabel = svg("text", { x: left, y: height - 6, class: "axis-label" });
    firstLabel.textContent = "#" + finished[0].id;
    const lastLabel = svg("text", {
      x: left + finished.length * slot, y: height - 6, "text-anchor": "end", class: "axis-label",
    });
    lastLabel.textContent = "#" + finished[finished.length - 1].id;
    chart.append(firstLabel);
    if (finished.length > 1) chart.append(lastLabel);
    finished.forEach((run, index) => {
      const barHeight = Math.max(1, run.duration * scale);
      const bar = svg("rect", {
        x: left + index * slot + slot * 0.15, y: height - bottom - barHeight,
        width: Math.max(1, slot * 0.7), height: barHeight, class: "bar status-" + run.status,
      });
      const tooltip = svg("title", {});
      tooltip.textContent = format(text.chart_label, { id: run.id, duration: formatDuration(run.duration) });
      bar.appendChild(tooltip);
      chart.appendChild(bar);
    });
  }

  function renderHistory(runs) {
    const recentRuns = runs.slice(0, HISTORY_ROWS);
    setText("history-title", format(text.history, { count: recentRuns.length }));
    const tbody = byId("runs-table").querySelector("tbody");
    tbody.replaceChildren();
    for (const run of recentRuns) {
      const row = document.createElement("tr");
      row.dataset.runId = run.id;
      row.dataset.triggerKey = run.triggerKey || "";
      if (run.id === triggeredRunId) row.classList.add("new-run");
      cell(row, run.id);
      cell(row, formatDate(run.startedAt));
      cell(row, runStatusText(run.status), "status-" + run.status);
      cell(row, formatDuration(run.duration), "number");
      for (const name of STAT_FIELDS) cell(row, numbers.format(run[name]), "number");
      cell(row, run.message, "message");
      tbody.appendChild(row);
    }
  }

  function render(data) {
    renderLastRun(data.status.lastRun);
    renderSchedule(data.status);
    renderErrorRate("error-rate-24h", data.errorRates.last24Hours);
    renderErrorRate("error-rate-7d", data.errorRates.last7Days);
    renderPinJobs(data.pinJobs);
    renderChart(data.runs);
    renderHistory(data.runs);
    setText("updated-at", format(text.updated_at, { time: formatDate(data.generatedAt) }));
  }

  // ---- loading, triggering and polling ----

  async function checkPendingTrigger(runs) {
    if (!pending) return;
    let run = runs.find((candidate) => candidate.triggerKey === pending.key);
    if (!run) {
      const url = body.dataset.runsUrl + "?limit=1&triggerKey=" + encodeURIComponent(pending.key);
      const result = await request(url);
      run = result && result.status === 200 ? result.payload.data[0] : null;
    }
    if (run) {
      const message = run.status === "skipped"
        ? run.message : format(text.run_started, { id: run.id });
      setText("run-feedback", message);
      triggeredRunId = run.id;
      renderHistory(runs);
      pending = null;
    } else if (Date.now() - pending.since > POLL_LIMIT_MILLISECONDS) {
      pending = null;
    }
  }

  async function load() {
    clearTimeout(refreshTimer);
    if (!token()) {
      signOut();
      return;
    }
    const result = await request(body.dataset.dashboardUrl);
    if (!token()) return; // a 401 or 403 signed out
    let data = null;
    if (result && result.status === 200) {
      data = result.payload.data;
      showNotice("");
      showSignedIn(true);
      render(data);
      await checkPendingTrigger(data.runs);
    } else if (result) {
      showNotice(format(text.error_http, { status: result.status, message: result.message }));
    }
    // Keep refreshing after a network or server error too; poll faster while a run is due.
    const busy = pending || (data && data.status.currentStatus === "running");
    refreshTimer = setTimeout(load, busy ? POLL_MILLISECONDS : REFRESH_MILLISECONDS);
  }

  async function triggerRun() {
    const button = byId("run-now");
    button.disabled = true;
    const result = await request(body.dataset.triggerUrl, { method: "POST" });
    if (!token()) return; // a 401 or 403 signed out
    if (!result) {
      button.disabled = false; // a network error, already shown in the notice
      return;
    }
    if (result.status === 202) {
      pending = { key: result.payload.data.triggerKey, since: Date.now() };
      setText("run-feedback", format(text.run_queued, { key: pending.key }));
    } else if (result.status === 409) {
      setText("run-feedback", format(text.run_conflict, { message: result.message }));
    } else {
      setText("run-feedback", format(text.error_http, { status: result.status, message: result.message }));
      button.disabled = false;
    }
    await load();
  }

  byId("token-form").addEventListener("submit", (event) => {
    event.preventDefault();
    const input = byId("token-input");
    const value = input.value.trim().replace(/^Bearer\s+/i, "");
    input.value = "";
    if (!value) return;
    sessionStorage.setItem(TOKEN_KEY, value);
    load();
  });
  byId("forget-token").addEventListener("click", () => signOut());
  byId("run-now").addEventListener("click", triggerRun);

  if (token()) {
    showNotice(text.loading);
    load();
  } else {
    signOut();
  }
})();
