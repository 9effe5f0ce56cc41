import { defineConfig } from "@playwright/test";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";

// The suite runs against the release build (`scripts/build.sh release`), started by Playwright:
// once on an embedded SQLite database and, when a PostgreSQL URL is given, once more on it.
const root = path.resolve(__dirname, "..");
// DX0_E2E_BINARY runs the suite against another build (e.g. target/debug/dx0 after a debug build).
const binary = process.env.DX0_E2E_BINARY ?? path.join(root, "target", "release", "dx0");
// The config is read again in every worker process: the data directory is made once, in the
// main process, and handed to the workers through the environment they inherit.
const dataDir = (process.env.DX0_E2E_DATA_DIR ??= fs.mkdtempSync(path.join(os.tmpdir(), "dx0-e2e-")));
const postgresUrl = process.env.DX0_E2E_POSTGRES_URL;
if (process.env.DX0_REQUIRE_POSTGRES === "1" && !postgresUrl) {
  throw new Error("DX0_REQUIRE_POSTGRES=1 but DX0_E2E_POSTGRES_URL is not set");
}

const backends = [
  { name: "sqlite", port: 3100, database: `sqlite:${path.join(dataDir, "e2e.db")}` },
  ...(postgresUrl ? [{ name: "postgres", port: 3101, database: postgresUrl }] : []),
];

export default defineConfig({
  testDir: "./tests",
  timeout: 30_000,
  expect: { timeout: 10_000 },
  fullyParallel: false,
  forbidOnly: !!process.env.CI,
  retries: 0,
  workers: 1,
  reporter: [["list"]],
  use: {
    browserName: "chromium",
    launchOptions: {
      executablePath: process.env.DX0_CHROMIUM ?? "/usr/bin/chromium",
      args: [
        "--headless",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    },
    trace: "retain-on-failure",
  },
  // `metadata.database` lets a spec work on the server's database with the CLI
  // (e.g. `dx0 cases import` beside the running server).
  projects: backends.map((b) => ({
    name: b.name,
    use: { baseURL: `http://127.0.0.1:${b.port}` },
    metadata: { database: b.database, binary },
  })),
  webServer: backends.map((b) => ({
    command: `"${binary}" serve --addr 127.0.0.1:${b.port} --database "${b.database}"`,
    url: `http://127.0.0.1:${b.port}/healthz`,
    reuseExistingServer: false,
    timeout: 60_000,
    stdout: "pipe",
    stderr: "pipe",
    env: { RUST_LOG: "warn", DX0_ENV: "development" },
  })),
});
