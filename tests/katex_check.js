#!/usr/bin/env node
// Renders every LaTeX string in a file with KaTeX (throwOnError, displayMode)
// and reports the ones that fail. Input: a JSON array of strings, or one
// string per line. Usage: node tests/katex_check.js FILE   (exit 1 on failure)
"use strict";
const fs = require("fs");
const path = require("path");

let katex;
try {
  katex = require(path.join(__dirname, "..", "node_modules", "katex"));
} catch (e) {
  console.log("SKIP: katex is not installed (npm ci, or npm install --no-save katex@0.16.22)");
  process.exit(0);
}

const file = process.argv[2];
if (!file) {
  console.error("usage: node tests/katex_check.js FILE");
  process.exit(2);
}
const text = fs.readFileSync(file, "utf8");
const trimmed = text.trim();
const items = trimmed.startsWith("[") ? JSON.parse(trimmed) : trimmed.split("\n").filter((l) => l.trim() !== "");

let failures = 0;
for (const s of items) {
  try {
    katex.renderToString(s, { throwOnError: true, displayMode: true });
  } catch (e) {
    failures += 1;
    if (failures <= 20) {
      console.log("FAIL: " + e.message + "\n  in: " + s);
    }
  }
}
console.log(`katex ${katex.version}: ${items.length - failures} of ${items.length} rendered`);
process.exit(failures === 0 ? 0 : 1);
