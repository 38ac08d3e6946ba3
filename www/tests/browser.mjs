// Helpers for the playground tests: one headless Debian chromium page (playwright-core)
// opened on the playground, with screenshots under target/playground-screenshots/.
import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { chromium } from "playwright-core";
import { CHROMIUM } from "../../xtask/js/chromium.mjs";

const shots = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "target", "playground-screenshots");

/**
 * Opens `url` in a fresh headless profile and waits for the page to say it is ready.
 * Every wait on the page is bounded by `timeout` ms; `shot(name)` saves
 * `<prefix><name>.png`; `pageErrors` collects uncaught page errors; `close()` ends it.
 */
export async function openPlayground(url, { prefix = "", timeout }) {
  await mkdir(shots, { recursive: true });
  const profile = await mkdtemp(join(tmpdir(), "playground-chromium-"));
  const context = await chromium.launchPersistentContext(profile, {
    ...CHROMIUM,
    viewport: { width: 1200, height: 900 },
  });
  const page = context.pages()[0] ?? (await context.newPage());
  page.setDefaultTimeout(timeout);
  const pageErrors = [];
  page.on("pageerror", (e) => pageErrors.push(e.message));
  await page.goto(url);
  await page.waitForSelector("body[data-ready=true]");
  return {
    page,
    pageErrors,
    shot: (name) => page.screenshot({ path: join(shots, `${prefix}${name}.png`), fullPage: true }),
    close: async () => {
      await context.close();
      await rm(profile, { recursive: true, force: true });
    },
  };
}
