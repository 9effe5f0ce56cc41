import { test, expect, signIn, startFromLibrary, waitForHydration } from "./fixtures";

test.describe("signing in", () => {
  test("the demo login signs in, opens the live link, and signs out", async ({ page }) => {
    await page.goto("/login");
    await waitForHydration(page);
    await expect(page.getByRole("heading", { level: 1, name: "Sign in" })).toBeVisible();
    await expect(page.getByTestId("demo-login")).toContainText("physician");
    await expect(page.getByTestId("demo-login")).toContainText("secret");

    await page.getByLabel("User name").fill("physician");
    await page.getByLabel("Password").fill("secret");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/");
    await waitForHydration(page);
    await expect(page.getByTestId("signed-in-user")).toHaveText("physician");
    await expect(page.getByRole("status", { name: /live connection/i })).toHaveAttribute(
      "data-state",
      "connected",
    );
    // The session cookie is HttpOnly: page scripts cannot read it.
    expect(await page.evaluate(() => document.cookie)).not.toContain("dx0_session");
    const cookies = await page.context().cookies();
    const session = cookies.find((c) => c.name === "dx0_session");
    expect(session?.httpOnly).toBe(true);
    expect(session?.sameSite).toBe("Lax");

    await page.getByRole("button", { name: "Sign out" }).click();
    await page.waitForURL((url) => url.pathname === "/login");
    await waitForHydration(page);
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
    await expect(page.getByRole("status", { name: /live connection/i })).toHaveCount(0);
    // The old cookie value no longer opens anything.
    await page.context().addCookies([{ ...session!, expires: -1 }]);
    await page.goto("/account");
    await page.waitForURL((url) => url.pathname === "/login");
  });

  test("a wrong password is refused with a clear message", async ({ page }) => {
    await page.goto("/login");
    await waitForHydration(page);
    await page.getByLabel("User name").fill("physician");
    await page.getByLabel("Password").fill("not the password");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText("Wrong user name or password.");
    await expect(page).toHaveURL(/\/login$/);
    await expect(page.getByRole("link", { name: "Sign in" })).toBeVisible();
  });

  test("repeated failures lock the account and say when it lifts", async ({ page }) => {
    await page.goto("/login");
    await waitForHydration(page);
    const user = `locked-${Date.now()}`;
    await page.getByLabel("User name").fill(user);
    for (let attempt = 1; attempt <= 5; attempt++) {
      await page.getByLabel("Password").fill(`guess ${attempt}`);
      const answered = page.waitForResponse((r) => r.url().includes("/api/fn/login"));
      await page.getByRole("button", { name: "Sign in" }).click();
      await answered;
      await expect(page.getByRole("alert")).toHaveText("Wrong user name or password.");
    }
    await page.getByLabel("Password").fill("guess 6");
    await page.getByRole("button", { name: "Sign in" }).click();
    await expect(page.getByRole("alert")).toHaveText(
      /^Too many failed sign-in attempts\. Try again in \d+ seconds\.$/,
    );
  });

  test("a protected page sends you to sign in and back", async ({ page }) => {
    const response = await page.goto("/account?tab=sessions");
    // The server redirects before rendering anything of the page.
    expect(response?.url()).toContain("/login?next=");
    await expect(page).toHaveURL(/\/login\?next=%2Faccount%3Ftab%3Dsessions$/);
    await waitForHydration(page);
    await page.getByLabel("User name").fill("physician");
    await page.getByLabel("Password").fill("secret");
    await page.getByRole("button", { name: "Sign in" }).click();
    await page.waitForURL((url) => url.pathname === "/account" && url.search === "?tab=sessions");
    await waitForHydration(page);
    await expect(page.getByRole("heading", { level: 1, name: "Account" })).toBeVisible();
    await expect(page.getByTestId("account-name")).toHaveText("physician");
    await expect(page.getByRole("list", { name: "Sessions" })).toContainText("This browser");
  });

  test("ending a session elsewhere signs that browser out", async ({ browser, baseURL }) => {
    const first = await browser.newContext({ baseURL });
    const second = await browser.newContext({ baseURL });
    const a = await first.newPage();
    const b = await second.newPage();
    // A signs in and reads which session is its own, then goes to the home page.
    await signIn(a, "physician", "secret", "/account");
    const own = a.getByRole("listitem").filter({ hasText: "This browser" });
    const label = (await own.locator(".session-label").textContent())!.trim();
    expect(label).toMatch(/^Browser session \S{8}$/);
    await a.goto("/");
    await waitForHydration(a);
    await expect(a.getByRole("status", { name: /live connection/i })).toHaveAttribute(
      "data-state",
      "connected",
    );
    // B, signed in elsewhere, ends A's session from its account page: A's live link closes.
    await signIn(b, "physician", "secret", "/account");
    const answered = b.waitForResponse((r) => r.url().includes("/api/fn/end_session"));
    await b.getByRole("button", { name: `End ${label}` }).click();
    expect((await answered).status()).toBe(200);
    await expect(b.getByRole("button", { name: `End ${label}` })).toHaveCount(0);
    await expect(a.getByRole("status", { name: /live connection/i })).toHaveAttribute(
      "data-state",
      "ended",
    );
    await a.goto("/account");
    await a.waitForURL((url) => url.pathname === "/login");
    await first.close();
    await second.close();
  });

  test("an encounter page whose session ends says so, offers to sign in and stops reconnecting", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "leg-swelling-56m");
    let sockets = 0;
    page.on("websocket", () => sockets++);
    // The session ends (signed out from a script sharing the browser's cookie).
    const out = await page.request.post("/api/fn/logout", { data: "" });
    expect(out.status()).toBe(200);
    const notice = page.locator(".notice[data-kind='ended']");
    await expect(notice).toContainText("You are signed out");
    await expect(notice.getByRole("link", { name: "Sign in" })).toHaveAttribute("href", "/login");
    await expect(page.locator(".encounter[data-conn='ended']")).toHaveCount(1);
    // No reconnection attempts follow (a retry would come within a second).
    await page.waitForTimeout(3000);
    expect(sockets).toBe(0);
  });
});
