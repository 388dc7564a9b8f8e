// featurevault dashboard: list filtering, charts drawn from the JSON endpoints, auto-refresh.
// No inline script (CSP), no libraries: charts are SVG built with DOM calls, text set as text.
"use strict";

const SVG = "http://www.w3.org/2000/svg";
const COLORS = ["#3b6ea8", "#d1813b", "#4f9a5b", "#a8455b", "#7a5ea8", "#3b9aa8", "#a89a3b", "#666666"];

function installFilter(input) {
  const table = document.getElementById(input.dataset.target);
  input.addEventListener("input", () => {
    const needle = input.value.trim().toLowerCase();
    for (const row of table.tBodies[0].rows) {
      const text = (row.dataset.search || row.textContent).toLowerCase();
      row.hidden = needle !== "" && !text.includes(needle);
    }
  });
}

function drawBars(canvas, values) {
  const ctx = canvas.getContext("2d");
  const names = Object.keys(values);
  const top = Math.max(1, ...Object.values(values));
  const slot = canvas.width / Math.max(1, names.length);
  ctx.clearRect(0, 0, canvas.width, canvas.height);
  ctx.font = "12px sans-serif";
  names.forEach((name, i) => {
    const height = (values[name] / top) * (canvas.height - 40);
    ctx.fillStyle = "#3b6ea8";
    ctx.fillRect(i * slot + 8, canvas.height - 24 - height, slot - 16, height);
    ctx.fillStyle = "#222";
    ctx.fillText(String(values[name]), i * slot + 10, canvas.height - 28 - height);
    ctx.fillText(name.slice(0, Math.max(4, Math.floor(slot / 7))), i * slot + 8, canvas.height - 8);
  });
  canvas.dataset.rendered = String(names.length);
}

// -- SVG helpers -------------------------------------------------------------------------------

function el(name, attrs, parent, text) {
  const node = document.createElementNS(SVG, name);
  for (const [key, value] of Object.entries(attrs)) {
    node.setAttribute(key, String(value));
  }
  if (text !== undefined) {
    node.textContent = text;
  }
  if (parent) {
    parent.appendChild(node);
  }
  return node;
}

function size(svg) {
  return { w: Number(svg.getAttribute("width")), h: Number(svg.getAttribute("height")) };
}

function clear(svg) {
  while (svg.firstChild) {
    svg.removeChild(svg.firstChild);
  }
}

function scale(lo, hi, a, b) {
  const span = hi - lo || 1;
  return (v) => a + ((v - lo) / span) * (b - a);
}

function fmt(v) {
  const a = Math.abs(v);
  if (a >= 1e6) return (v / 1e6).toFixed(1) + "M";
  if (a >= 1e4) return (v / 1e3).toFixed(0) + "k";
  if (a >= 100) return v.toFixed(0);
  if (a >= 1) return v.toFixed(2);
  return v === 0 ? "0" : v.toPrecision(2);
}

function empty(svg, message) {
  const { w, h } = size(svg);
  clear(svg);
  el("text", { x: w / 2, y: h / 2, "text-anchor": "middle", class: "none" }, svg, message);
  svg.dataset.rendered = "0";
}

// -- charts ------------------------------------------------------------------------------------

// A small line: [[time or label, value], ...]
function sparkline(svg, points) {
  if (!points || points.length === 0) {
    return empty(svg, "no data yet");
  }
  const { w, h } = size(svg);
  clear(svg);
  const values = points.map((p) => p[1]);
  const y = scale(Math.min(0, ...values), Math.max(...values), h - 3, 3);
  const x = points.length === 1 ? () => w / 2 : scale(0, points.length - 1, 3, w - 3);
  el("line", { x1: 0, y1: h - 2, x2: w, y2: h - 2, class: "axis" }, svg);
  const path = points.map((p, i) => `${i ? "L" : "M"}${x(i).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
  el("path", { d: path, fill: "none", stroke: COLORS[0], "stroke-width": 1.5 }, svg);
  const last = points[points.length - 1];
  el("circle", { cx: x(points.length - 1), cy: y(last[1]), r: 2.5, fill: COLORS[0] }, svg);
  el("title", {}, svg, `${points.length} points, last ${fmt(last[1])} at ${last[0]}`);
  svg.dataset.rendered = String(points.length);
}

// Series over time: {name: [[iso time, value], ...]}
function lineChart(svg, series) {
  const names = Object.keys(series || {}).filter((n) => series[n].length > 0);
  if (names.length === 0) {
    return empty(svg, "nothing recorded yet");
  }
  const { w, h } = size(svg);
  clear(svg);
  const pad = { l: 48, r: 130, t: 10, b: 24 };
  const all = names.flatMap((n) => series[n]);
  const times = all.map((p) => Date.parse(p[0]));
  const values = all.map((p) => p[1]);
  const [t0, t1] = [Math.min(...times), Math.max(...times)];
  // one moment only: centre it; a flat series: give the axis some height above it
  const x = t0 === t1 ? () => (pad.l + w - pad.r) / 2 : scale(t0, t1, pad.l, w - pad.r);
  const low = Math.min(0, ...values);
  const high = Math.max(...values) > low ? Math.max(...values) : low + (Math.abs(low) || 1);
  const y = scale(low, high, h - pad.b, pad.t);
  el("line", { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: "axis" }, svg);
  el("line", { x1: pad.l, y1: pad.t, x2: pad.l, y2: h - pad.b, class: "axis" }, svg);
  el("text", { x: pad.l - 4, y: pad.t + 8, "text-anchor": "end", class: "tick" }, svg, fmt(high));
  el("text", { x: pad.l - 4, y: h - pad.b, "text-anchor": "end", class: "tick" }, svg, fmt(low));
  const stamp = (t) => new Date(t).toISOString().slice(0, 16).replace("T", " ");
  if (t0 === t1) {
    el("text", { x: x(t0), y: h - 6, "text-anchor": "middle", class: "tick" }, svg, stamp(t0));
  } else {
    el("text", { x: pad.l, y: h - 6, class: "tick" }, svg, stamp(t0));
    el("text", { x: w - pad.r, y: h - 6, "text-anchor": "end", class: "tick" }, svg, stamp(t1));
  }
  let drawn = 0;
  names.forEach((name, i) => {
    const color = COLORS[i % COLORS.length];
    const pts = series[name];
    const d = pts.map((p, j) => `${j ? "L" : "M"}${x(Date.parse(p[0])).toFixed(1)},${y(p[1]).toFixed(1)}`).join(" ");
    el("path", { d, fill: "none", stroke: color, "stroke-width": 1.5 }, svg);
    for (const p of pts) {
      const dot = el("circle", { cx: x(Date.parse(p[0])), cy: y(p[1]), r: 2.5, fill: color }, svg);
      el("title", {}, dot, `${name}: ${fmt(p[1])} at ${p[0]}`);
      drawn += 1;
    }
    el("rect", { x: w - pad.r + 10, y: pad.t + i * 16, width: 10, height: 10, fill: color }, svg);
    el("text", { x: w - pad.r + 24, y: pad.t + 9 + i * 16, class: "tick" }, svg, name.slice(0, 18));
  });
  svg.dataset.rendered = String(drawn);
}

// Labelled bars: [[label, value], ...]; ``limit`` draws a dashed line at that value.
function barChart(svg, bars, limit) {
  if (!bars || bars.length === 0) {
    return empty(svg, "nothing to show");
  }
  const { w, h } = size(svg);
  clear(svg);
  const pad = { l: 40, r: 10, t: 12, b: 36 };
  const top = Math.max(limit || 0, ...bars.map((b) => b[1]), 1e-9);
  const y = scale(0, top, h - pad.b, pad.t);
  const slot = Math.min(80, (w - pad.l - pad.r) / bars.length);
  el("line", { x1: pad.l, y1: h - pad.b, x2: w - pad.r, y2: h - pad.b, class: "axis" }, svg);
  bars.forEach(([label, value], i) => {
    const over = limit !== undefined && value > limit;
    const rect = el("rect", {
      x: pad.l + i * slot + 2, y: y(value), width: Math.max(1, slot - 4), height: Math.max(0.5, h - pad.b - y(value)),
      fill: over ? "#b00020" : COLORS[0],
    }, svg);
    el("title", {}, rect, `${label}: ${fmt(value)}`);
    if (slot > 28) {
      el("text", { x: pad.l + i * slot + slot / 2, y: h - pad.b + 14, "text-anchor": "middle", class: "tick" }, svg,
        String(label).slice(0, Math.floor(slot / 6)));
    }
  });
  if (limit !== undefined) {
    el("line", { x1: pad.l, y1: y(limit), x2: w - pad.r, y2: y(limit), class: "limit" }, svg);
  }
  el("text", { x: pad.l - 4, y: pad.t + 8, "text-anchor": "end", class: "tick" }, svg, fmt(top));
  svg.dataset.rendered = String(bars.length);
}

// Baseline against current: densities over value ranges (numeric) or shares per category.
function histogram(svg, pair) {
  const parts = [["baseline", pair.baseline, COLORS[0]], ["current", pair.current, COLORS[1]]].filter((p) => p[1]);
  if (parts.length === 0) {
    return empty(svg, "no baseline or profile");
  }
  const { w, h } = size(svg);
  clear(svg);
  const pad = { l: 10, r: 10, t: 18, b: 20 };
  let drawn = 0;
  if (parts[0][1].kind === "numeric") {
    const edges = parts.flatMap((p) => p[1].edges || []);
    const x = scale(Math.min(...edges), Math.max(...edges), pad.l, w - pad.r);
    const dens = (p) => p.shares.map((s, i) => s / Math.max(p.edges[i + 1] - p.edges[i], 1e-12));
    const top = Math.max(...parts.flatMap((p) => dens(p[1])), 1e-12);
    const y = scale(0, top, h - pad.b, pad.t);
    for (const [name, p, color] of parts) {
      dens(p).forEach((d, i) => {
        el("rect", {
          x: x(p.edges[i]), y: y(d), width: Math.max(1, x(p.edges[i + 1]) - x(p.edges[i])),
          height: Math.max(0.5, h - pad.b - y(d)), fill: color, "fill-opacity": 0.45, stroke: color,
        }, svg);
        drawn += 1;
      });
    }
    el("text", { x: pad.l, y: h - 5, class: "tick" }, svg, fmt(Math.min(...edges)));
    el("text", { x: w - pad.r, y: h - 5, "text-anchor": "end", class: "tick" }, svg, fmt(Math.max(...edges)));
  } else {
    const names = [...new Set(parts.flatMap((p) => p[1].categories))];
    const slot = (w - pad.l - pad.r) / Math.max(1, names.length);
    const y = scale(0, Math.max(...parts.flatMap((p) => p[1].shares), 1e-12), h - pad.b, pad.t);
    parts.forEach(([name, p, color], k) => {
      p.categories.forEach((c, i) => {
        const at = names.indexOf(c);
        el("rect", {
          x: pad.l + at * slot + 2 + (k * (slot - 4)) / 2, y: y(p.shares[i]), width: Math.max(1, (slot - 4) / 2),
          height: Math.max(0.5, h - pad.b - y(p.shares[i])), fill: color,
        }, svg);
        drawn += 1;
      });
    });
    names.forEach((c, i) => el("text", { x: pad.l + i * slot + slot / 2, y: h - 5, "text-anchor": "middle", class: "tick" },
      svg, String(c).slice(0, 10)));
  }
  parts.forEach(([name, , color], k) => {
    el("rect", { x: pad.l + k * 90, y: 2, width: 10, height: 10, fill: color, "fill-opacity": 0.6 }, svg);
    el("text", { x: pad.l + 14 + k * 90, y: 11, class: "tick" }, svg, name);
  });
  svg.dataset.rendered = String(drawn);
}

const CHARTS = {
  "spark-freshness": (svg, body) => sparkline(svg, body.freshness),
  "spark-quarantine": (svg, body) => sparkline(svg, body.quarantined),
  failures: (svg, body) => lineChart(svg, body.rule_failures_at),
  drift: (svg, body) => lineChart(svg, body.drift[svg.dataset.key]),
  histogram: (svg, body) => histogram(svg, body.histograms[svg.dataset.key]),
  "freshness-ratio": (svg, body) => barChart(
    svg, body.views.filter((v) => v.ratio !== null).map((v) => [v.view, v.ratio]), body.stale_factor),
};

function withTimes(body) {
  // rule failures per day as a time series (a day's count at its midnight UTC)
  if (body.rule_failures) {
    body.rule_failures_at = Object.fromEntries(Object.entries(body.rule_failures).map(
      ([rule, days]) => [rule, days.map(([day, n]) => [`${day}T00:00:00Z`, n])]));
  }
  return body;
}

function installCharts(root) {
  const sources = new Map();
  root.querySelectorAll("[data-chart][data-source]").forEach((node) => {
    const url = node.dataset.source;
    if (!sources.has(url)) {
      sources.set(url, fetch(url, { credentials: "same-origin" }).then((response) => {
        if (!response.ok) {
          throw new Error(`chart data ${url}: ${response.status}`);
        }
        return response.json();
      }).then(withTimes));
    }
    sources.get(url).then((body) => CHARTS[node.dataset.chart](node, body)).catch((error) => console.error(error));
  });
  root.querySelectorAll("canvas[data-source]").forEach((canvas) => {
    fetch(canvas.dataset.source, { credentials: "same-origin" })
      .then((response) => {
        if (!response.ok) {
          throw new Error(`chart data ${canvas.dataset.source}: ${response.status}`);
        }
        return response.json();
      })
      .then((body) => drawBars(canvas, body.features_per_view))
      .catch((error) => console.error(error));
  });
}

function install(root) {
  root.querySelectorAll("input[data-target]").forEach(installFilter);
  installCharts(root);
}

// Reload the page's <main> in place every ``data-refresh`` seconds (skipped while the tab is hidden).
function installRefresh() {
  const seconds = Number(document.body.dataset.refresh || 0);
  if (!seconds) {
    return;
  }
  document.body.dataset.refreshes = "0";
  window.setInterval(async () => {
    if (document.hidden) {
      return;
    }
    const response = await fetch(window.location.href, { credentials: "same-origin" });
    if (!response.ok) {
      console.error(`refresh ${window.location.href}: ${response.status}`);
      return;
    }
    const page = new DOMParser().parseFromString(await response.text(), "text/html");
    const fresh = page.querySelector("main");
    const main = document.querySelector("main");
    if (fresh && main) {
      const node = document.importNode(fresh, true);
      main.replaceWith(node);
      install(node);
      document.body.dataset.refreshes = String(Number(document.body.dataset.refreshes) + 1);
    }
  }, seconds * 1000);
}

document.addEventListener("DOMContentLoaded", () => {
  install(document);
  installRefresh();
});
