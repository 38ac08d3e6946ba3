// Driver of the browser bench (`cargo xtask bench browser`): serves index.html,
// bench.mjs, payload.mjs, the built package (crates/client/pkg, as /pkg/) and the pinned
// eventsource-parser on loopback, opens the page in headless Chromium with
// playwright-core, waits for its results and prints them: one tab-separated line per
// figure, `result <shape> <bytes> <pieces> <chunks> <rounds> <variant> <ms>`, then
// `browser <version>` and `about <shape> <text>`.
//
// `--profile FILE` runs only `for await` on the `openai` stream under Chrome's CPU
// profiler, serving the package from `$SWITCHBOARD_BENCH_PKG` (a build keeping function
// names), prints `profile <ms> <percent> <function>` for the functions with the most
// self time and saves the profile to FILE (for DevTools' Performance panel).
//
//   node crates/client/bench/run.mjs [--quick | --profile FILE]
import { writeFile } from "node:fs/promises";
import { dirname, join, normalize, sep } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM, serve } from "../../../xtask/js/chromium.mjs";

const here = dirname(fileURLToPath(import.meta.url));
const at = process.argv.indexOf("--profile");
const profileTo = at > 0 ? process.argv[at + 1] : null;
const roots = {
  "/pkg/": profileTo ? process.env.SWITCHBOARD_BENCH_PKG : join(here, "..", "pkg"),
  "/eventsource-parser/": join(here, "..", "..", "..", "node_modules", "eventsource-parser", "dist"),
  "/": here,
};
const quick = process.argv.includes("--quick");
const query = profileTo
  ? "?rounds=7&warmup=1&budget=20000&variants=0&shape=openai"
  : quick ? "?rounds=1&warmup=0&budget=1000" : "?rounds=7&warmup=2&budget=20000";
const TIMEOUT_MS = quick ? 120000 : 300000;

/** The file under one of `roots` that `path` names, or null. */
function resolve(path) {
  if (path === "/") path = "/index.html";
  for (const [prefix, dir] of Object.entries(roots)) {
    if (!path.startsWith(prefix)) continue;
    const file = normalize(join(dir, path.slice(prefix.length)));
    return file.startsWith(dir + sep) ? file : null;
  }
  return null;
}

/** `[function, self µs, % of all]` per function of a CPU profile, most first. */
function selfTimes(profile) {
  const nodes = new Map(profile.nodes.map((n) => [n.id, n]));
  const self = new Map();
  let total = 0;
  profile.samples.forEach((id, i) => {
    const { functionName, url } = nodes.get(id).callFrame;
    const name = `${functionName || "(anonymous)"} ${url.split("/").pop()}`.trim();
    const dt = profile.timeDeltas[i] ?? 0;
    self.set(name, (self.get(name) ?? 0) + dt);
    total += dt;
  });
  return [...self].map(([n, us]) => [n, us, (100 * us) / total]).sort((a, b) => b[1] - a[1]);
}

const { server, origin } = await serve(resolve);
const browser = await chromium.launch(CHROMIUM);
let code = 0;
try {
  const page = await browser.newPage();
  const cdp = profileTo ? await page.context().newCDPSession(page) : null;
  if (cdp) {
    await cdp.send("Profiler.enable");
    await cdp.send("Profiler.setSamplingInterval", { interval: 200 });
    await cdp.send("Profiler.start");
  }
  // A page error (e.g. a package that fails to load) ends the run at once.
  const failed = new Promise((_, reject) => page.on("pageerror", (e) => reject(new Error(`page error: ${e.message}`))));
  failed.catch(() => {});
  await page.goto(`${origin}/${query}`);
  await Promise.race([
    failed,
    page.waitForFunction(() => window.__bench, null, { timeout: TIMEOUT_MS, polling: 250 }),
  ]);
  const out = await page.evaluate(() => window.__bench);
  if (cdp) {
    const { profile } = await cdp.send("Profiler.stop");
    await writeFile(profileTo, JSON.stringify(profile));
    for (const [name, us, share] of selfTimes(profile).slice(0, 40)) {
      console.log(`profile\t${(us / 1000).toFixed(1)}\t${share.toFixed(1)}\t${name}`);
    }
  }
  if (!out.ok) {
    console.error(`bench page failed: ${out.error}`);
    code = 1;
  } else {
    console.log(`browser\tChromium ${browser.version()}`);
    for (const r of out.results) {
      console.log(`about\t${r.shape}\t${r.about}`);
      for (const v of r.variants) {
        console.log(["result", r.shape, r.bytes, r.pieces, r.chunks, r.rounds, v.name, v.ms.toFixed(2)].join("\t"));
      }
    }
  }
} catch (e) {
  console.error(`bench driver: ${e.message}`);
  code = 1;
} finally {
  await browser.close();
  server.close();
}
process.exit(code);
