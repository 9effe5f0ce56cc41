import { spawn, type ChildProcess } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { test, expect, signIn, waitForHydration } from "./fixtures";

// Disconnect and restart mid-encounter: this spec runs its own server (so it can stop it) on a
// database of its own, and checks the page reconnects by itself and loses nothing.

const root = path.resolve(__dirname, "..", "..");
const binary = process.env.DX0_E2E_BINARY
  ? path.resolve(__dirname, "..", process.env.DX0_E2E_BINARY)
  : path.join(root, "target", "release", "dx0");
const PORT = 3102;
const base = `http://127.0.0.1:${PORT}`;

async function startServer(database: string): Promise<ChildProcess> {
  const child = spawn(binary, ["serve", "--addr", `127.0.0.1:${PORT}`, "--database", database], {
    env: { ...process.env, RUST_LOG: "warn", DX0_ENV: "development" },
    stdio: ["ignore", "ignore", "inherit"],
  });
  for (let i = 0; i < 100; i++) {
    try {
      if ((await fetch(`${base}/healthz`)).ok) return child;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  child.kill("SIGKILL");
  throw new Error("the server did not start");
}

async function stopServer(child: ChildProcess) {
  const exited = new Promise((r) => child.once("exit", r));
  child.kill("SIGTERM");
  await exited;
}

// While the server is down, Chromium logs each refused reconnection attempt.
test.use({ baseURL: base, allowedConsoleErrors: [/WebSocket connection to .* failed/] });

test("a restart mid-encounter: the page reconnects, keeps unsent text, and loses nothing", async ({
  page,
}, testInfo) => {
  test.skip(testInfo.project.name !== "sqlite", "one run is enough: the server is our own");
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dx0-restart-"));
  const database = `sqlite:${path.join(dir, "restart.db")}`;
  let server = await startServer(database);
  try {
    await signIn(page, "physician", "secret", "/cases");
    await page.goto("/cases");
    await waitForHydration(page);
    await page
      .locator('article[data-case-id="dyspnea-chest-pain-34f"]')
      .getByRole("button", { name: "Start new encounter" })
      .click();
    await page.waitForURL(/\/encounters\/[A-Za-z0-9_-]+$/);
    await waitForHydration(page);
    const encounter = page.locator(".encounter");
    await expect(encounter).toHaveAttribute("data-conn", "open");
    const box = page.locator("#step-text");
    await box.fill("When did the breathlessness start?");
    await box.press("Enter");
    await expect(page.locator(".transcript > li:not(.pending)")).toHaveCount(1);

    // The server goes away: the page says so and retries on its own.
    await stopServer(server);
    await expect(encounter).not.toHaveAttribute("data-conn", "open");
    await expect(page.locator(".notice[data-kind='disconnected']")).toContainText("Reconnecting");
    // What the physician types meanwhile is not lost: sending is refused, the text stays.
    await box.fill("Any leg swelling?");
    await box.press("Enter");
    await expect(box).toHaveValue("Any leg swelling?");

    server = await startServer(database);
    await expect(encounter).toHaveAttribute("data-conn", "open", { timeout: 20_000 });
    await expect(page.locator(".notice[data-kind='reconnected']")).toBeVisible();
    await box.press("Enter");
    await expect(page.locator(".transcript > li:not(.pending)")).toHaveCount(2);
    await expect(page.getByTestId("transcript")).toContainText("When did the breathlessness start?");
    await expect(page.getByTestId("transcript")).toContainText("Any leg swelling?");
    // One visit for the round, before and after the restart.
    await expect(page.getByTestId("total-spent")).toHaveText("$300.00");

    // And a reload shows the same, from the database.
    await page.reload();
    await waitForHydration(page);
    await expect(page.locator(".transcript > li")).toHaveCount(2);
  } finally {
    await stopServer(server);
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
