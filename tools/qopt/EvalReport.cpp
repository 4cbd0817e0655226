//===- EvalReport.cpp - qopt eval --report: the HTML fidelity page --------===//
//
// The page is fixed HTML, CSS and JavaScript around the measurements, which
// are embedded as JSON; the script draws every chart as inline SVG, so the
// file opens anywhere, offline, and stays small. When it has drawn
// everything it sets <body data-qopt-report="rendered"> (a script error sets
// "error" and shows the message), which the browser test reads.
//
//===----------------------------------------------------------------------===//

#include "EvalReport.h"

#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FormatVariadic.h"
#include "llvm/Support/raw_ostream.h"

#include <algorithm>
#include <cmath>
#include <limits>

using namespace llvm;

namespace {

constexpr StringLiteral kPageHead = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>qopt eval report</title>
<style>
body { font: 14px/1.45 system-ui, sans-serif; margin: 24px auto; padding: 0 24px; color: #222; max-width: 1280px; }
h1 { font-size: 21px; margin-bottom: 4px; }
h2 { font-size: 16px; margin-top: 34px; border-bottom: 1px solid #ddd; padding-bottom: 3px; }
h3 { font-size: 14px; margin: 18px 0 4px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
td, th { padding: 3px 12px; border-bottom: 1px solid #eee; text-align: right; }
td:first-child, th:first-child { text-align: left; }
th { background: #f6f6f6; }
.chart { overflow-x: auto; }
.row { display: flex; flex-wrap: wrap; gap: 24px; }
.note { color: #666; font-size: 12.5px; }
.legend { font-size: 12px; margin: 2px 0 8px; }
.legend span { display: inline-block; margin-right: 16px; }
.swatch { display: inline-block; width: 10px; height: 10px; margin-right: 5px; vertical-align: -1px; }
svg text { font: 11px system-ui, sans-serif; fill: #333; }
svg .grid { stroke: #e4e4e4; }
svg .axis { stroke: #888; }
</style>
</head>
<body>
<h1>qopt eval report</h1>
<p id="qopt-report-status" class="note">This page draws its charts with JavaScript.</p>
<div id="report"></div>
<script type="application/json" id="qopt-data">)html";

constexpr StringLiteral kPageScript = R"html(</script>
<script>
"use strict";
(function () {
const status = document.getElementById("qopt-report-status");
window.addEventListener("error", (event) => {
  status.textContent = "error while drawing the report: " + event.message;
  document.body.setAttribute("data-qopt-report", "error");
});
const data = JSON.parse(document.getElementById("qopt-data").textContent);
const root = document.getElementById("report");
const SVG_NS = "http://www.w3.org/2000/svg";
const PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
                 "#9c755f", "#bab0ac"];

function element(tag, attributes, text) {
  const node = document.createElement(tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
function svgElement(tag, attributes, text) {
  const node = document.createElementNS(SVG_NS, tag);
  for (const [key, value] of Object.entries(attributes || {})) node.setAttribute(key, value);
  if (text !== undefined) node.textContent = text;
  return node;
}
// Layer outputs are probed as "<layer>.output".
function layerName(probe) { return probe.endsWith(".output") ? probe.slice(0, -7) : probe; }
function isNumber(value) { return typeof value === "number" && isFinite(value); }
function format(value, digits) {
  if (value === null || value === undefined) return "\u2013";
  if (!isNumber(value)) return String(value);
  const magnitude = Math.abs(value);
  if (magnitude !== 0 && (magnitude < 1e-3 || magnitude >= 1e6)) return value.toExponential(digits === undefined ? 3 : digits);
  return value.toFixed(digits === undefined ? 3 : digits);
}
function section(title, note) {
  root.appendChild(element("h2", {}, title));
  if (note) root.appendChild(element("p", { class: "note" }, note));
  const holder = element("div", { class: "chart" });
  root.appendChild(holder);
  return holder;
}
function note(parent, text) { parent.appendChild(element("p", { class: "note" }, text)); }
function legend(parent, names, colors) {
  const box = element("div", { class: "legend" });
  names.forEach((name, i) => {
    const item = element("span");
    item.appendChild(element("span", { class: "swatch", style: "background:" + colors[i] }));
    item.appendChild(document.createTextNode(name));
    box.appendChild(item);
  });
  parent.appendChild(box);
}
// The first `textColumns` columns are names (left-aligned), the rest numbers.
function table(parent, header, rows, textColumns) {
  const node = element("table");
  const head = element("tr");
  const align = (i) => (i < textColumns ? { style: "text-align:left" } : {});
  header.forEach((h, i) => head.appendChild(element("th", align(i), h)));
  node.appendChild(head);
  rows.forEach((row) => {
    const line = element("tr");
    row.forEach((cell, i) => line.appendChild(element("td", align(i), cell)));
    node.appendChild(line);
  });
  parent.appendChild(node);
}

// Axes: a linear or base-10 logarithmic map from values to pixels.
function niceStep(raw) {
  const power = Math.pow(10, Math.floor(Math.log10(raw)));
  const mantissa = raw / power;
  return (mantissa <= 1 ? 1 : mantissa <= 2 ? 2 : mantissa <= 5 ? 5 : 10) * power;
}
function makeAxis(values, log, from, to, includeZero) {
  let low, high;
  if (log) {
    const positive = values.filter((v) => v > 0);
    low = Math.pow(10, Math.floor(Math.log10(Math.min(...positive))));
    high = Math.pow(10, Math.ceil(Math.log10(Math.max(...positive))));
    if (high <= low) high = low * 10;
  } else {
    low = Math.min(...values);
    high = Math.max(...values);
    if (includeZero) { low = Math.min(low, 0); high = Math.max(high, 0); }
    if (high <= low) { high = low + 1; }
    const step = niceStep((high - low) / 5);
    low = Math.floor(low / step) * step;
    high = Math.ceil(high / step) * step;
  }
  const t = (v) => (log ? Math.log10(v) : v);
  const map = (v) => from + ((t(v) - t(low)) / (t(high) - t(low))) * (to - from);
  const ticks = [];
  if (log) {
    for (let v = low; v <= high * 1.0001; v *= 10) ticks.push(v);
  } else {
    const step = niceStep((high - low) / 5);
    for (let v = low; v <= high + step * 1e-6; v += step) ticks.push(Number(v.toPrecision(10)));
  }
  // Powers of ten as 0.01 ... 1000, beyond that as 1e-5; linear ticks with two decimals.
  const label = (v) => (!log ? format(v, 2) : v >= 0.01 && v <= 1000 ? String(v) : v.toExponential(0));
  return { map, ticks, low, high, label };
}
function yGrid(svg, axis, left, right, label, top, bottom) {
  for (const tick of axis.ticks) {
    const y = axis.map(tick);
    svg.appendChild(svgElement("line", { class: "grid", x1: left, x2: right, y1: y, y2: y }));
    svg.appendChild(svgElement("text", { x: left - 5, y: y + 4, "text-anchor": "end" }, axis.label(tick)));
  }
  const middle = (top + bottom) / 2;
  svg.appendChild(svgElement("text", { x: 12, y: middle, transform: "rotate(-90 12 " + middle + ")",
                                       "text-anchor": "middle" }, label));
}

// Bars per category, one per series (values may be null: no bar).
function barChart(parent, categories, series, options) {
  const values = series.flatMap((s) => s.values).filter((v) => isNumber(v) && (!options.log || v > 0));
  if (!values.length) { note(parent, "nothing to plot"); return; }
  const colors = series.map((s, i) => s.color || PALETTE[i % PALETTE.length]);
  const bar = Math.max(3, Math.min(18, Math.floor(720 / (categories.length * series.length))));
  const group = bar * series.length + 6;
  const left = 64, top = options.labelBars ? 70 : 12, height = 220;
  const longest = Math.max(...categories.map((c) => c.length));
  const labelSpace = Math.min(170, 6 * longest * 0.72 + 16);
  const width = left + group * categories.length + 24;
  const svg = svgElement("svg", { width, height: top + height + labelSpace, role: "img" });
  const axis = makeAxis(values, options.log, top + height, top, true);
  yGrid(svg, axis, left, width - 10, options.yLabel, top, top + height);
  const base = options.log ? top + height : axis.map(Math.max(axis.low, Math.min(0, axis.high)));
  categories.forEach((category, i) => {
    const x0 = left + i * group + 3;
    series.forEach((s, j) => {
      const v = s.values[i];
      if (!isNumber(v) || (options.log && v <= 0)) return;
      const y = axis.map(v);
      const rect = svgElement("rect", { x: x0 + j * bar, y: Math.min(y, base), width: Math.max(1, bar - 1),
                                        height: Math.max(1, Math.abs(base - y)), fill: colors[j] });
      const tip = s.tips ? s.tips[i] : "";
      rect.appendChild(svgElement("title", {}, s.name + " \u00b7 " + category + ": " + format(v) + (tip ? " (" + tip + ")" : "")));
      svg.appendChild(rect);
      if (options.labelBars && tip) {
        const lx = x0 + j * bar + bar / 2 + 3, ly = Math.min(y, base) - 4;
        svg.appendChild(svgElement("text", { x: lx, y: ly, transform: "rotate(-90 " + lx + " " + ly + ")" }, tip));
      }
    });
    const x = x0 + group / 2 - 3, y = top + height + 12;
    svg.appendChild(svgElement("text", { x, y, "text-anchor": "end", transform: "rotate(-40 " + x + " " + y + ")" },
                               category));
  });
  svg.appendChild(svgElement("line", { class: "axis", x1: left, x2: width - 10, y1: base, y2: base }));
  parent.appendChild(svg);
  legend(parent, series.map((s) => s.name), colors);
}

// Points joined in order of x, each labeled.
function curveChart(parent, points, options) {
  points = points.filter((p) => isNumber(p.x) && isNumber(p.y) && (!options.log || p.y > 0)).sort((a, b) => a.x - b.x);
  if (!points.length) { note(parent, "nothing to plot"); return; }
  const left = 64, top = 14, width = 640, height = 300, bottom = 36;
  const svg = svgElement("svg", { width, height: top + height + bottom, role: "img" });
  const yAxis = makeAxis(points.map((p) => p.y), options.log, top + height, top, false);
  const xAxis = makeAxis(points.map((p) => p.x), false, left + 10, width - 90, true);
  yGrid(svg, yAxis, left, width - 10, options.yLabel, top, top + height);
  for (const tick of xAxis.ticks) {
    const x = xAxis.map(tick);
    svg.appendChild(svgElement("line", { class: "grid", x1: x, x2: x, y1: top, y2: top + height }));
    svg.appendChild(svgElement("text", { x, y: top + height + 14, "text-anchor": "middle" }, format(tick, 1)));
  }
  svg.appendChild(svgElement("text", { x: (left + width) / 2, y: top + height + 30, "text-anchor": "middle" },
                             options.xLabel));
  svg.appendChild(svgElement("polyline", { fill: "none", stroke: PALETTE[0], "stroke-width": 1.5,
                                           points: points.map((p) => xAxis.map(p.x) + "," + yAxis.map(p.y)).join(" ") }));
  for (const p of points) {
    const x = xAxis.map(p.x), y = yAxis.map(p.y);
    const dot = svgElement("circle", { cx: x, cy: y, r: 4, fill: PALETTE[1] });
    dot.appendChild(svgElement("title", {}, p.label + ": " + format(p.x, 2) + " bpw, " + format(p.y)));
    svg.appendChild(dot);
    svg.appendChild(svgElement("text", { x: x + 6, y: y - 6 }, p.label));
  }
  parent.appendChild(svg);
}

// Series of one histogram ({low, high, counts: [[...], ...]}) as filled steps.
function histogramChart(parent, title, histogram, names) {
  const box = element("div");
  box.appendChild(element("h3", {}, title));
  const counts = histogram.counts;
  if (!counts.length || !counts[0].length) { note(box, "no values"); parent.appendChild(box); return; }
  const bins = counts[0].length;
  const left = 56, top = 8, width = 470, height = 170, bottom = 22;
  const colors = names.map((n, i) => PALETTE[i % PALETTE.length]);
  const svg = svgElement("svg", { width, height: top + height + bottom, role: "img" });
  const yAxis = makeAxis(counts.flat(), false, top + height, top, true);
  const xAxis = makeAxis([histogram.low, histogram.high], false, left, width - 28, false);
  yGrid(svg, yAxis, left, width - 10, "count", top, top + height);
  for (const tick of xAxis.ticks) {
    const x = xAxis.map(tick);
    svg.appendChild(svgElement("text", { x, y: top + height + 14, "text-anchor": "middle" }, format(tick, 2)));
  }
  const binWidth = (histogram.high - histogram.low) / bins;
  counts.forEach((series, s) => {
    let path = "M" + xAxis.map(histogram.low) + "," + yAxis.map(0);
    series.forEach((count, b) => {
      const y = yAxis.map(count);
      path += " L" + xAxis.map(histogram.low + b * binWidth) + "," + y + " L" + xAxis.map(histogram.low + (b + 1) * binWidth) + "," + y;
    });
    path += " L" + xAxis.map(histogram.high) + "," + yAxis.map(0) + " Z";
    svg.appendChild(svgElement("path", { d: path, fill: colors[s], "fill-opacity": 0.35, stroke: colors[s] }));
  });
  box.appendChild(svg);
  legend(box, names, colors);
  parent.appendChild(box);
}

const results = data.results || [];
root.appendChild(element("p", {}, "Model " + data.model + ", " + data.samples + " evaluation samples, " +
                                  results.length + " recipes, against the float model run in the same process."));

// --- The recipe table ---------------------------------------------------
{
  const holder = section("Recipes", "KLD: mean KL(softmax(float) || softmax(quantized)) over the positions of " +
                         "an output whose last axis is longer than 1; top-1: argmax agreement; SQNR of the output.");
  const rows = [];
  for (const result of results)
    for (const output of result.outputs)
      rows.push([result.recipe, output.name, format(result.bits_per_weight, 2), format(output.kld),
                 isNumber(output.top1_agreement) ? (100 * output.top1_agreement).toFixed(2) + "%" : "\u2013",
                 output.sqnr_db === null ? "exact" : format(output.sqnr_db, 2)]);
  table(holder, ["recipe", "output", "bits / weight", "KLD", "top-1", "SQNR dB"], rows, 2);
}

// --- Bits per weight against KLD -----------------------------------------
{
  const withKld = results.length ? results[0].outputs.find((o) => isNumber(o.kld)) : undefined;
  const outputName = withKld ? withKld.name : (results.length && results[0].outputs.length ? results[0].outputs[0].name : "");
  const metric = withKld ? "kld" : "sqnr_db";
  const holder = section("Bits per weight against " + (withKld ? "KLD" : "SQNR") + " (output " + outputName + ")",
                         withKld ? "Each point a recipe; KLD on a log axis (recipes with a KLD of 0, e.g. float, are left out)."
                                 : "No output is a distribution: SQNR instead of KLD.");
  const points = results.map((result) => {
    const output = result.outputs.find((o) => o.name === outputName);
    return { x: result.bits_per_weight, y: output ? output[metric] : null, label: result.recipe };
  });
  curveChart(holder, points, { log: !!withKld, xLabel: "bits per weight", yLabel: withKld ? "KLD" : "SQNR dB" });
}

// --- SQNR per layer --------------------------------------------------------
{
  const holder = section("SQNR per layer", "Each layer's output, quantized model against float, over the evaluation samples " +
                         "(quantization error accumulated up to that layer). Exact layers have no bar.");
  const layered = results.filter((r) => (r.layers || []).some((l) => isNumber(l.sqnr_db)));
  if (!layered.length) note(holder, "no layer differs from float");
  else {
    const names = layered[0].layers.map((l) => l.name);
    barChart(holder, names.map(layerName), layered.map((r) => ({
      name: r.recipe,
      values: names.map((n) => { const l = r.layers.find((x) => x.name === n); return l ? l.sqnr_db : null; }),
    })), { yLabel: "SQNR dB", log: false });
  }
}

// --- KLD per layer and the bit allocation (mixed-precision recipes) ---------
{
  const allocated = results.filter((r) => r.allocation);
  const holder = section("KLD per layer (bit allocation's measured sensitivities)",
                         "For each layer, the KLD of the model's output on the calibration samples with only that layer " +
                         "quantized in the scheme bit allocation chose (qopt-allocate-bits, sensitivity=measured; " +
                         "a Hessian-weighted error under sensitivity=proxy).");
  if (!allocated.length)
    note(holder, "No mixed-precision recipe ran: evaluate e.g. --recipe mixed-4.25 (with --calib) to see one.");
  else {
    const names = allocated[0].allocation.layers.map((l) => l.name);
    barChart(holder, names, allocated.map((r) => ({
      name: r.recipe + " (" + r.allocation.sensitivity + ")",
      values: names.map((n) => { const l = r.allocation.layers.find((x) => x.name === n); return l ? l.sensitivity : null; }),
      tips: names.map((n) => { const l = r.allocation.layers.find((x) => x.name === n); return l ? l.scheme : ""; }),
    })), { yLabel: "KLD", log: true });
  }
  for (const r of allocated) {
    const a = r.allocation;
    const box = section("Bit allocation: " + r.recipe,
      a.solver + (a.optimal ? ", proven optimal" : ", time limit reached") + " in " + format(a.seconds) + " s; " +
      format(a.bits_per_weight, 3) + " bits per weight (budget " + (isNumber(a.budget_bits_per_weight) ? format(a.budget_bits_per_weight, 3) : "none") +
      "); loss " + format(a.loss) + " (LP bound " + format(a.lower_bound) + ").");
    const names = a.layers.map((l) => l.name);
    barChart(box, names, [{ name: "bits per weight", values: a.layers.map((l) => l.bits_per_weight),
                            tips: a.layers.map((l) => l.scheme) }], { yLabel: "bits / weight", log: false, labelBars: true });
    const withLatency = a.layers.some((l) => isNumber(l.latency_ms));
    table(box, ["layer", "scheme", "bits / weight", "sensitivity", "weights"].concat(withLatency ? ["latency ms"] : []),
          a.layers.map((l) => [l.name, l.scheme, format(l.bits_per_weight, 3), format(l.sensitivity), String(l.weights)]
                                .concat(withLatency ? [format(l.latency_ms, 4)] : [])), 2);
  }
}

// --- Histograms of the worst layers -----------------------------------------
{
  const worst = data.histograms || [];
  const holder = section("Worst layers: weights and activations",
                         "The layers with the lowest output SQNR in any recipe; weights of the float model, and the " +
                         "layer's output over the first evaluation samples, float against the recipe where it is worst.");
  if (!worst.length) note(holder, "every layer is exact");
  for (const entry of worst) {
    holder.appendChild(element("h3", {}, layerName(entry.layer) + " \u2014 worst in " + entry.recipe + " (SQNR " +
                                         format(entry.sqnr_db, 2) + " dB)"));
    const row = element("div", { class: "row" });
    if (entry.weights) histogramChart(row, "weights (float)", entry.weights, ["float"]);
    if (entry.activations) histogramChart(row, "output activations", entry.activations, ["float", entry.recipe]);
    holder.appendChild(row);
  }
}

status.textContent = "Generated by qopt eval --report.";
document.body.setAttribute("data-qopt-report", "rendered");
})();
</script>
</body>
</html>
)html";

} // namespace

json::Object qopt::makeSharedHistogram(ArrayRef<ArrayRef<float>> series, unsigned bins) {
  float low = std::numeric_limits<float>::infinity(), high = -low;
  for (ArrayRef<float> values : series)
    for (float value : values)
      if (std::isfinite(value)) {
        low = std::min(low, value);
        high = std::max(high, value);
      }
  if (!(low <= high)) {
    low = 0;
    high = 1;
  } else if (low == high) {
    low -= 0.5f;
    high += 0.5f;
  }
  json::Array counts;
  for (ArrayRef<float> values : series) {
    std::vector<int64_t> bin(bins, 0);
    for (float value : values) {
      if (!std::isfinite(value))
        continue;
      auto index = size_t(double(value - low) / double(high - low) * bins);
      ++bin[std::min<size_t>(index, bins - 1)];
    }
    counts.push_back(json::Array(bin));
  }
  return json::Object{{"low", low}, {"high", high}, {"counts", std::move(counts)}};
}

Error qopt::writeEvalReport(const json::Object &data, StringRef path) {
  std::string text;
  raw_string_ostream(text) << json::Value(json::Object(data));
  // "</script>" inside the data would end its element: JSON may escape "/".
  std::string embedded;
  embedded.reserve(text.size());
  for (size_t i = 0; i < text.size(); ++i) {
    embedded += text[i];
    if (text[i] == '<' && i + 1 < text.size() && text[i + 1] == '/')
      embedded += '\\';
  }
  Expected<sys::fs::TempFile> temporary = sys::fs::TempFile::create(path + ".tmp-%%%%%%");
  if (!temporary)
    return createStringError(inconvertibleErrorCode(), "cannot write '" + path + "': " +
                                                           toString(temporary.takeError()));
  {
    raw_fd_ostream os(temporary->FD, /*shouldClose=*/false);
    os << kPageHead << embedded << kPageScript;
    os.flush();
    if (os.has_error()) {
      std::string message = os.error().message();
      os.clear_error();
      consumeError(temporary->discard());
      return createStringError(inconvertibleErrorCode(), "cannot write '" + path + "': " + message);
    }
  }
  if (Error error = temporary->keep(path))
    return createStringError(inconvertibleErrorCode(), "cannot write '" + path + "': " + toString(std::move(error)));
  return Error::success();
}
