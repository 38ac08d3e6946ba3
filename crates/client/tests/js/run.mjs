// JS-level test of the built package (crates/client/pkg, from `cargo xtask build`):
// serves it with a page importing it as a user would, drives headless Chromium with
// playwright-core, and checks async iteration and error classes from JavaScript, direct
// to the simulator and through the real gateway. Then it pastes the README's client
// example into a fresh plain-ESM page (an import map for `switchboard-client`, nothing
// else), pointed at the gateway, and checks that it runs and prints the streamed reply.
//
//   SWITCHBOARD_SIM_URL=http://127.0.0.1:PORT SWITCHBOARD_GATEWAY_URL=http://127.0.0.1:PORT/v1 \
//   SWITCHBOARD_GATEWAY_TOKEN=TOKEN node crates/client/tests/js/run.mjs
import { readFile } from "node:fs/promises";
import { dirname, join, normalize } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, serve } from "../../../../xtask/js/chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const pkg = join(here, "..", "..", "pkg");
const readme = join(here, "..", "..", "..", "..", "README.md");
const { SWITCHBOARD_SIM_URL: sim, SWITCHBOARD_GATEWAY_URL: gateway } = process.env;
const token = process.env.SWITCHBOARD_GATEWAY_TOKEN ?? "";
if (!sim || !gateway) {
  console.error("SWITCHBOARD_SIM_URL and SWITCHBOARD_GATEWAY_URL must be set");
  process.exit(2);
}

/** The README's client example, pointed at our gateway (its only two edits). */
async function readmeExample() {
  const text = await readFile(readme, "utf8");
  // The block may sit indented in a list item: take it as written, minus the indent.
  const block = text.match(/^( *)```js\n(\1import init, \{ Switchboard \} from "switchboard-client";[\s\S]*?)^\1```/m);
  if (!block) throw new Error("README.md has no ```js block importing switchboard-client");
  let code = block[2].split("\n").map((l) => l.slice(block[1].length)).join("\n");
  for (const [from, to] of [['"http://127.0.0.1:8787/v1"', gateway], ['"a-gateway-token"', token]]) {
    if (!code.includes(from)) throw new Error(`the README example no longer contains ${from}`);
    code = code.replace(from, JSON.stringify(to));
  }
  return code;
}

const pages = {
  "/": '<!doctype html><script type="module" src="/page.mjs"></script>',
  "/readme": `<!doctype html>
<script type="importmap">{"imports":{"switchboard-client":"/pkg/switchboard_client.js"}}</script>
<script type="module">
${await readmeExample()}
window.__readmeDone = true;
</script>`,
};

/** The file a path names: the test page, or a file of the built package. */
function resolve(path) {
  if (path === "/page.mjs") return join(here, "page.mjs");
  if (!path.startsWith("/pkg/")) return null;
  const file = normalize(join(pkg, path.slice(5)));
  return file.startsWith(pkg) ? file : null;
}

const { server, origin } = await serve(resolve, pages);
const browser = await chromium.launch(CHROMIUM);
let passed = 0;
let failed = 0;
const report = (ok, name, error) => {
  console.log(`${ok ? "ok  " : "FAIL"} ${name}${ok ? "" : `: ${error}`}`);
  if (ok) passed++;
  else failed++;
};
try {
  const page = await browser.newPage();
  // An unhandled rejection (e.g. a dropped promise) is a failure too.
  page.on("pageerror", (e) => report(false, "page error", e.message));
  const q = new URLSearchParams({ sim, gateway, token });
  await page.goto(`${origin}/?${q}`);
  await page.waitForFunction(() => window.__results, null, { timeout: 120000 });
  const results = await page.evaluate(() => window.__results);
  for (const r of results) report(r.ok, r.name, r.error);
  if (results.length === 0) report(false, "page checks", "none ran");

  // The README example as a user pastes it: it logs each chunk's text.
  const fresh = await browser.newPage();
  const logged = [];
  fresh.on("console", (m) => m.type() === "log" && logged.push(m.text()));
  fresh.on("pageerror", (e) => report(false, "README example", e.message));
  await fresh.goto(`${origin}/readme`);
  await fresh.waitForFunction(() => window.__readmeDone, null, { timeout: 60000 });
  const printed = logged.join("");
  report(printed === "Hi", "README example streams through the gateway", `printed ${JSON.stringify(logged)}`);
  console.log(`${passed} passed, ${failed} failed`);
} finally {
  await browser.close();
  server.close();
}
process.exit(failed ? 1 : 0);
