// What every browser-driving script of the harness shares: the headless Debian chromium
// launch options (playwright-core, no download; root needs --no-sandbox; the closed
// network needs no background fetches) and a loopback server of files and fixed pages.
import { createServer } from "node:http";
import { readFile } from "node:fs/promises";

/** Options for `chromium.launch` / `launchPersistentContext`. */
export const CHROMIUM = Object.freeze({
  executablePath: process.env.CHROME_BIN || "/usr/bin/chromium",
  headless: true,
  args: ["--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking",
    "--disable-component-update", "--disable-sync"],
});

const TYPES = {
  ".js": "text/javascript",
  ".mjs": "text/javascript",
  ".wasm": "application/wasm",
  ".html": "text/html",
};

/**
 * Serves on 127.0.0.1 (a free port): `pages[path]` as HTML, else the file `resolve(path)`
 * names (null: 404). Resolves with `{ server, origin }`.
 */
export async function serve(resolve, pages = {}) {
  const server = createServer(async (req, res) => {
    const path = new URL(req.url, "http://x").pathname;
    if (Object.hasOwn(pages, path)) {
      res.writeHead(200, { "content-type": "text/html" });
      res.end(pages[path]);
      return;
    }
    try {
      const file = resolve(path);
      if (!file) throw new Error("not found");
      const body = await readFile(file);
      const ext = file.slice(file.lastIndexOf("."));
      res.writeHead(200, { "content-type": TYPES[ext] || "application/octet-stream" });
      res.end(body);
    } catch {
      res.writeHead(404);
      res.end();
    }
  });
  await new Promise((r) => server.listen(0, "127.0.0.1", r));
  return { server, origin: `http://127.0.0.1:${server.address().port}` };
}
