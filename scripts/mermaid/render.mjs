// Renders every Mermaid diagram of the Markdown files named on the command
// line with mermaid-cli's renderMermaid, in one headless Chromium (Debian's,
// never puppeteer's download), and fails naming FILE:LINE of each diagram
// that does not render. scripts/docs-check.sh copies this file beside the
// pinned node_modules (package-lock.json) in the tool cache and runs it.
//
//   node render.mjs [--out DIR] FILE.md...
//
// --out writes each diagram as DIR/<file>-<line>.svg (to look at them).
// Before the documents, a canary diagram with a syntax error must fail: a
// renderer that accepted everything would prove nothing.
import { mkdir, readFile, writeFile } from "node:fs/promises";
import path from "node:path";
import puppeteer from "puppeteer";
import { renderMermaid } from "@mermaid-js/mermaid-cli";

const fence = /^(\s*)(`{3,}|~{3,})\s*mermaid\s*$/;

// diagrams returns the Mermaid blocks of a Markdown text: {line, text}, line
// being the 1-based line of the opening fence.
export function diagrams(md) {
  const lines = md.split(/\r?\n/);
  const out = [];
  for (let i = 0; i < lines.length; i++) {
    const m = fence.exec(lines[i]);
    if (!m) continue;
    const [, indent, open] = m;
    const body = [];
    let j = i + 1;
    for (; j < lines.length; j++) {
      const t = lines[j].trim();
      if (t.startsWith(open[0].repeat(open.length)) && /^[`~]+$/.test(t)) break;
      body.push(lines[j].startsWith(indent) ? lines[j].slice(indent.length) : lines[j]);
    }
    out.push({ line: i + 1, text: body.join("\n"), closed: j < lines.length });
    i = j;
  }
  return out;
}

async function render(browser, text) {
  const { data } = await renderMermaid(browser, text, "svg", {
    // no network: the diagrams use no icon packs
    mermaidConfig: { securityLevel: "strict" },
  });
  const svg = Buffer.from(data).toString("utf8");
  if (!svg.includes("<svg")) throw new Error("no <svg> in the output");
  if (/Syntax error in (text|graph)/.test(svg)) throw new Error("Mermaid drew its syntax-error diagram");
  return svg;
}

async function main(argv) {
  let out = "";
  const files = [];
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] === "--out") out = argv[++i];
    else files.push(argv[i]);
  }
  const browser = await puppeteer.launch({
    executablePath: process.env.CHROMIUM || "/usr/bin/chromium",
    headless: true,
    args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
      "--disable-component-update", "--disable-sync", "--disable-dev-shm-usage"],
  });
  let failed = 0, count = 0;
  const started = Date.now();
  try {
    try {
      await render(browser, "flowchart LR\n  a --> b -->\n  c[unclosed");
      console.error("canary: a diagram with a syntax error rendered: the check would prove nothing");
      return 1;
    } catch {
      // expected
    }
    for (const file of files) {
      const md = await readFile(file, "utf8");
      for (const d of diagrams(md)) {
        count++;
        if (!d.closed) {
          console.error(`${file}:${d.line}: mermaid block never closed`);
          failed++;
          continue;
        }
        try {
          const svg = await render(browser, d.text);
          if (out) {
            const name = `${file.replace(/[\/.]/g, "_")}-${d.line}.svg`;
            await mkdir(out, { recursive: true });
            await writeFile(path.join(out, name), svg);
          }
        } catch (e) {
          const msg = String(e && e.message ? e.message : e).split("\n").slice(0, 6).join("\n    ");
          console.error(`${file}:${d.line}: mermaid diagram does not render:\n    ${msg}`);
          failed++;
        }
      }
    }
  } finally {
    await browser.close();
  }
  const secs = ((Date.now() - started) / 1000).toFixed(1);
  if (failed > 0) {
    console.error(`mermaid: ${failed} of ${count} diagrams in ${files.length} files do not render (${secs}s)`);
    return 1;
  }
  console.error(`mermaid: ${count} diagrams in ${files.length} files rendered (${secs}s)`);
  return 0;
}

if (import.meta.url === `file://${process.argv[1]}`) {
  process.exitCode = await main(process.argv.slice(2));
}
