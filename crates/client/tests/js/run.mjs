// JS-level test of the built package (crates/client/pkg, from `cargo xtask build`):
// serves it with a page importing it as a user would, drives headless Chromium with
// playwright-core, and checks async iteration and error classes from JavaScript.
//
//   SWITCHBOARD_SIM_URL=http://127.0.0.1:PORT node crates/client/tests/js/run.mjs
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..", "..", "pkg");
const sim = process.env.SWITCHBOARD_SIM_URL;
if (!sim) {
  console.error("SWITCHBOARD_SIM_URL is not set");
  process.exit(2);
}
const types = { ".js": "text/javascript", ".mjs": "text/javascript", ".wasm": "application/wasm", ".html": "text/html" };

const server = createServer(async (req, res) => {
  const path = new URL(req.url, "http://x").pathname;
  let file;
  if (path === "/") file = null;
  else if (path === "/page.mjs") file = join(here, "page.mjs");
  else if (path.startsWith("/pkg/")) file = normalize(join(pkg, path.slice(5)));
  if (file && !file.startsWith(pkg) && file !== join(here, "page.mjs")) file = undefined;
  try {
    if (file === null) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end('<!doctype html><script type="module" src="/page.mjs"></script>');
      return;
    }
    if (!file) throw new Error("not found");
    const body = await readFile(file);
    const ext = file.slice(file.lastIndexOf("."));
    res.writeHead(200, { "content-type": types[ext] || "application/octet-stream" });
    res.end(body);
  } catch {
    res.writeHead(404);
    res.end();
  }
});
await new Promise((r) => server.listen(0, "127.0.0.1", r));
const origin = `http://127.0.0.1:${server.address().port}`;

const browser = await chromium.launch({
  executablePath: process.env.CHROME_BIN || "/usr/bin/chromium",
  args: ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync"],
});
let failed = 0;
try {
  const page = await browser.newPage();
  // An unhandled rejection (e.g. a dropped promise) is a failure too.
  page.on("pageerror", (e) => {
    console.error("FAIL page error:", e.message);
    failed++;
  });
  await page.goto(`${origin}/?sim=${encodeURIComponent(sim)}`);
  await page.waitForFunction(() => window.__results, null, { timeout: 60000 });
  const results = await page.evaluate(() => window.__results);
  for (const r of results) {
    console.log(`${r.ok ? "ok  " : "FAIL"} ${r.name}${r.ok ? "" : `: ${r.error}`}`);
    if (!r.ok) failed++;
  }
  if (results.length === 0) failed++;
  console.log(`${results.length - failed} passed, ${failed} failed`);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
