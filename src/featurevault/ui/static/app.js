// featurevault dashboard: list filtering and the overview chart. No inline script (CSP), no libraries.
"use strict";

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

async function installChart(canvas) {
  const response = await fetch(canvas.dataset.source, { credentials: "same-origin" });
  if (!response.ok) {
    throw new Error(`chart data ${canvas.dataset.source}: ${response.status}`);
  }
  const body = await response.json();
  drawBars(canvas, body.features_per_view);
}

document.addEventListener("DOMContentLoaded", () => {
  document.querySelectorAll("input[data-target]").forEach(installFilter);
  document.querySelectorAll("canvas[data-source]").forEach((canvas) => {
    installChart(canvas).catch((error) => console.error(error));
  });
});
