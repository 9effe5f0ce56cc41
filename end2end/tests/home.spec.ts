import * as path from "node:path";
import { test, expect, signIn, waitForHydration } from "./fixtures";

test.describe("home page", () => {
  test("is complete without JavaScript (server-rendered)", async ({ browser, baseURL }) => {
    const context = await browser.newContext({ javaScriptEnabled: false, baseURL });
    const page = await context.newPage();
    const response = await page.goto("/");
    expect(response?.status()).toBe(200);
    await expect(page.getByRole("link", { name: "Dx0 home" })).toBeVisible();
    await expect(
      page.getByRole("heading", { level: 1, name: /sequential diagnosis/i }),
    ).toBeVisible();
    await expect(page.getByText(/a gatekeeper reveals only what was asked/i)).toBeVisible();
    await expect(page.getByRole("navigation", { name: "Main" }).getByRole("link", { name: "Home" }))
      .toHaveAttribute("aria-current", "page");
    // The database figure is in the HTML itself, read through the server function on the server.
    const figures = page.getByRole("definition");
    await expect(page.getByTestId("schema-version")).toHaveText(/^[1-9]\d*$/);
    await expect(figures.first()).toBeVisible();
    await expect(page.getByRole("contentinfo")).toContainText(/Dx0 v\d+\.\d+\.\d+/);
    // Without JavaScript nothing hydrates; nobody is signed in, so there is no live link.
    await expect(page.locator(".app[data-hydrated]")).toHaveCount(0);
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(page.getByRole("status")).toHaveCount(0);
    await context.close();
  });

  test("hydrates, opens the WebSocket and calls the server function", async ({ page }, info) => {
    await page.goto("/");
    await waitForHydration(page);
    // Signed out, the page opens no socket.
    await expect(page.getByRole("status", { name: /live connection/i })).toHaveCount(0);
    await signIn(page);

    // WebSocket round trip (signed in): the badge pings /api/v1/ws and shows the answer.
    const badge = page.getByRole("status", { name: /live connection/i });
    await expect(badge).toHaveAttribute("data-state", "connected");
    await expect(badge).toContainText(/Connected · \d+ ms/);

    // Server function from the browser: "Check again" re-reads the database over HTTP.
    const expected = info.project.name === "postgres" ? "PostgreSQL" : "SQLite";
    await expect(page.getByTestId("database-engine")).toHaveText(expected);
    const call = page.waitForResponse(
      (r) => r.url().includes("/api/fn/system_status") && r.request().method() === "POST",
    );
    await page.getByRole("button", { name: "Check again" }).click();
    const response = await call;
    expect(response.status()).toBe(200);
    const body = await response.json();
    expect(body.database).toBe(expected);
    expect(body.schema_version).toBeGreaterThanOrEqual(1);
    await expect(page.getByTestId("schema-version")).toHaveText(String(body.schema_version));

    if (info.project.name === "sqlite") {
      await page.screenshot({
        path: path.join(__dirname, "..", "..", "docs", "screenshot.png"),
        fullPage: true,
      });
    }
  });

  test("is usable 375 px wide", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 740 });
    await page.goto("/");
    await waitForHydration(page);
    const overflow = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(page.getByRole("heading", { level: 1 })).toBeVisible();
    // Every control fits the width and still works.
    const button = page.getByRole("button", { name: "Check again" });
    await button.scrollIntoViewIfNeeded();
    const box = await button.boundingBox();
    expect(box).not.toBeNull();
    expect(box!.x + box!.width).toBeLessThanOrEqual(375);
    const call = page.waitForResponse((r) => r.url().includes("/api/fn/system_status"));
    await button.click();
    expect((await call).status()).toBe(200);

    // Signed in, the header (name, sign-out, live link) and the account page still fit.
    await signIn(page, "physician", "secret", "/account");
    await expect(page.getByRole("heading", { level: 1, name: "Account" })).toBeVisible();
    const overflowSignedIn = await page.evaluate(
      () => document.documentElement.scrollWidth - document.documentElement.clientWidth,
    );
    expect(overflowSignedIn).toBeLessThanOrEqual(0);
    await expect(page.getByRole("button", { name: "Sign out" })).toBeInViewport();
  });

  test("follows the system's light and dark preference", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "light" });
    await page.goto("/");
    await waitForHydration(page);
    const background = () =>
      page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    const light = await background();
    await page.emulateMedia({ colorScheme: "dark" });
    const dark = await background();
    expect(light).not.toBe(dark);
    expect(dark).toBe("rgb(15, 18, 23)");
  });

  test("keyboard users can skip to the content", async ({ page }) => {
    await page.goto("/");
    await waitForHydration(page);
    await page.keyboard.press("Tab");
    const skip = page.getByRole("link", { name: "Skip to content" });
    await expect(skip).toBeFocused();
    await skip.press("Enter");
    await expect(page).toHaveURL(/#main$/);
  });

  test.describe(() => {
    // Chromium logs the 404 status of the document itself; nothing else may be logged.
    test.use({ allowedConsoleErrors: [/status of 404 \(Not Found\)/] });
    test("an unknown address answers 404 with the app frame", async ({ page }) => {
    const response = await page.goto("/no-such-page");
    expect(response?.status()).toBe(404);
    await expect(page.getByRole("heading", { name: "Page not found" })).toBeVisible();
    await waitForHydration(page);
    await page.getByRole("link", { name: "Go to the home page" }).click();
    await expect(page.getByRole("heading", { level: 1, name: /sequential diagnosis/i })).toBeVisible();
    });
  });
});

test.describe("operations", () => {
  test("health and readiness", async ({ request }, info) => {
    const health = await request.get("/healthz");
    expect(health.status()).toBe(200);
    expect((await health.json()).status).toBe("ok");
    const ready = await request.get("/readyz");
    expect(ready.status()).toBe(200);
    const body = await ready.json();
    expect(body.status).toBe("ready");
    expect(body.database).toBe(info.project.name === "postgres" ? "PostgreSQL" : "SQLite");
  });
});
