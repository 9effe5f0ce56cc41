import * as fs from "node:fs";
import * as path from "node:path";
import { test, expect, chooseAction, signIn, startFromLibrary, step, waitForHydration } from "./fixtures";

// The physician's whole experience in the browser: library, encounter, verdict, history, export.

const docs = path.resolve(__dirname, "..", "..", "docs");
const DEFAULT_CASE = "rlq-pain-19m";
const DEFAULT_TITLE = "Right lower quadrant pain in a 19-year-old man";

test.describe("encounter in the browser", () => {
  test("a whole encounter: ask, search and order, budget, diagnose, verdict", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, DEFAULT_CASE, "450");
    await expect(page.getByRole("heading", { level: 1 })).toHaveText(DEFAULT_TITLE);
    await expect(page.getByTestId("case-abstract")).not.toBeEmpty();
    await expect(page.getByRole("meter", { name: "Budget used" })).toHaveAttribute("aria-valuenow", "0.00");
    // Every answer carries the step as saved: the page applies it and never fetches the
    // encounter again.
    const refetches: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/api/fn/get_encounter")) refetches.push(request.url());
    });

    await step(page, "Ask", "Where is the pain and when did it start?");
    const transcript = page.getByTestId("transcript");
    await expect(transcript).toContainText("Where is the pain");
    await expect(page.getByTestId("total-spent")).toHaveText("$300.00");
    // Nothing already on the page moves while a reply streams in below it.
    const firstTurn = page.locator(".transcript > li").first();
    const side = page.locator(".encounter-side");
    const [turnBefore, sideBefore] = [await firstTurn.boundingBox(), await side.boundingBox()];
    await step(page, "Ask", "Any fever?");
    expect(await firstTurn.boundingBox()).toEqual(turnBefore);
    expect((await side.boundingBox())!.y).toEqual(sideBefore!.y);
    await expect(page.getByTestId("total-spent")).toHaveText("$300.00"); // same visit

    // The order box shows matching tests with their prices before ordering.
    await chooseAction(page, "Order test");
    await page.locator("#step-text").fill("complete blood");
    const matches = page.getByRole("list", { name: "Matching tests" });
    await expect(matches).toContainText("Complete blood count");
    await expect(matches).toContainText("$");
    await matches.getByRole("button", { name: /Complete blood count with differential/ }).click();
    await expect(page.locator("#step-text")).toHaveValue("Complete blood count with differential");
    await page.getByRole("button", { name: "Order", exact: true }).click();
    await expect(page.getByRole("list", { name: "Ordered tests" })).toContainText("Complete blood count with differential");
    await expect(page.getByRole("list", { name: "Ordered tests" })).toContainText("CPT 85025");
    await expect(page.getByRole("list", { name: "Diagnostic flow" })).toContainText("Visit 1");
    await expect(page.getByTestId("cost-chart")).toHaveAttribute("data-points", "3");

    // An unknown name gets suggestions, nothing charged.
    const spent = await page.getByTestId("total-spent").textContent();
    await page.locator("#step-text").fill("serum unobtainium level");
    await page.locator("#step-text").press("Enter");
    await expect(page.locator(".notice[data-kind='unknown_test']")).toBeVisible();
    await expect(page.getByRole("list", { name: "Suggested tests" }).getByRole("button").first()).toBeVisible();
    // The budget: a CT is refused, nothing charged, the text stays in the box.
    await page.locator("#step-text").fill("CT abdomen and pelvis with contrast");
    await page.locator("#step-text").press("Enter");
    await expect(page.locator(".notice[data-kind='over_budget']")).toContainText("Over budget");
    await expect(page.getByTestId("total-spent")).toHaveText(spent!);
    await expect(page.locator("#step-text")).toHaveValue("CT abdomen and pelvis with contrast");

    await page.screenshot({ path: path.join(docs, "encounter.png"), fullPage: true });
    await step(page, "Diagnose", "Acute appendicitis");
    const verdict = page.getByTestId("verdict");
    await expect(verdict).toContainText("Correct");
    await expect(verdict).toContainText("score 5/5");
    await expect(page.getByTestId("true-diagnosis")).toHaveText("Acute appendicitis");
    await page.screenshot({ path: path.join(docs, "verdict.png"), fullPage: true });
    await expect(verdict.getByRole("heading", { name: "Teaching points" })).toBeVisible();
    await expect(page.locator("#step-text")).toHaveCount(0); // closed: no composer
    expect(refetches).toEqual([]);
  });

  test("reload resumes the encounter; the first paint already holds the transcript", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "fever-cough-47m");
    await step(page, "Ask", "How long have you had the cough?");
    const url = page.url();
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByTestId("transcript")).toContainText("How long have you had the cough?");
    // Server-rendered: the HTML before any script runs has the abstract and the transcript.
    const html = await (await page.context().request.get(url)).text();
    expect(html).toContain("How long have you had the cough?");
    expect(html).toContain("Fever and cough in a 47-year-old man");
    // The library offers to resume it.
    await page.goto("/cases");
    await waitForHydration(page);
    await page
      .locator('article[data-case-id="fever-cough-47m"]')
      .getByRole("link", { name: /Resume/ })
      .click();
    await expect(page).toHaveURL(url);
    await waitForHydration(page);
    await expect(page.getByTestId("transcript")).toContainText("How long have you had the cough?");
  });

  test("my encounters lists them and exports each as Markdown, JSON and FHIR", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "painful-swollen-toe-52m");
    await step(page, "Ask", "Which joint hurts?");
    const id = page.url().split("/").pop()!;
    await page.getByRole("link", { name: "My encounters" }).first().click();
    await waitForHydration(page);
    const row = page.locator(`tr[data-encounter-id="${id}"]`);
    await expect(row).toContainText("Painful swollen toe");
    await expect(row).toContainText("Open");
    await expect(row).toContainText("$300.00");
    for (const [name, needle] of [
      ["Markdown", "Which joint hurts?"],
      ["JSON", '"transcript"'],
      ["FHIR", '"resourceType": "Bundle"'],
    ]) {
      const download = page.waitForEvent("download");
      await row.getByRole("link", { name }).click();
      const file = await (await download).path();
      const text = fs.readFileSync(file!, "utf8").replace(/"resourceType":"Bundle"/, '"resourceType": "Bundle"');
      expect(text, name).toContain(needle);
    }
    await row.getByRole("link", { name: /Resume/ }).click();
    await expect(page).toHaveURL(new RegExp(`/encounters/${id}$`));
  });

  test("the library searches and filters, in the address", async ({ page }) => {
    await page.goto("/cases");
    await waitForHydration(page);
    const count = page.getByTestId("case-count");
    await expect(count).toHaveText(/^\d+ cases$/);
    const cards = page.getByRole("list", { name: "Cases" }).locator("article");
    const all = await cards.count();
    expect(all).toBeGreaterThanOrEqual(24);

    await page.getByLabel("Search").fill("chest");
    await expect(count).toHaveText(new RegExp(`^\\d+ of ${all} cases$`));
    for (const card of await cards.all()) await expect(card).toContainText(/chest/i);
    await expect(page).toHaveURL(/[?&]q=chest/);

    await page.getByLabel("Search").fill("");
    await page.getByLabel("Specialty").selectOption("Endocrinology");
    await page.getByLabel("Difficulty").selectOption("medium");
    await expect(page).toHaveURL(/specialty=Endocrinology/);
    const filtered = await cards.count();
    expect(filtered).toBeGreaterThan(0);
    for (const card of await cards.all()) {
      await expect(card.locator(".tag").first()).toHaveText("Endocrinology");
      await expect(card.locator(".tag.difficulty")).toHaveText("Medium");
    }
    // The filters live in the address: a reload (or a shared link) shows the same list.
    await page.reload();
    await waitForHydration(page);
    await expect(cards).toHaveCount(filtered);
    await expect(page.getByLabel("Difficulty")).toHaveValue("medium");
    // Signed out, a card offers to sign in instead of starting.
    await expect(cards.first().getByRole("link", { name: "Sign in" })).toBeVisible();
    await page.goto("/cases");
    await waitForHydration(page);
    await page.screenshot({ path: path.join(docs, "library.png") });
  });

  test("375 px: the encounter page fits and works", async ({ page }) => {
    await page.setViewportSize({ width: 375, height: 800 });
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "syncope-63m", "2000");
    await step(page, "Ask", "What happened?");
    await step(page, "Order test", "ECG");
    const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
    expect(overflow).toBeLessThanOrEqual(0);
    await expect(page.getByRole("meter", { name: "Budget used" })).toBeVisible();
    await page.screenshot({ path: path.join(docs, "encounter-375.png"), fullPage: false });
  });

  test("dark theme: the encounter page follows the system setting", async ({ page }) => {
    await page.emulateMedia({ colorScheme: "dark" });
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "thirst-vomiting-17m", "800");
    await step(page, "Ask", "How long have you been thirsty?");
    const background = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(background).toBe("rgb(15, 18, 23)");
    const card = await page.locator(".turn").first().evaluate((e) => getComputedStyle(e).color);
    expect(card).toBe("rgb(230, 237, 243)");
    await page.screenshot({ path: path.join(docs, "encounter-dark.png"), fullPage: true });
  });

  test("a second tab: the encounter closed elsewhere is explained, then shown", async ({ page, context }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "leg-swelling-56m");
    await step(page, "Ask", "How long have your legs been swollen?");
    const other = await context.newPage();
    await other.goto(page.url());
    await waitForHydration(other);
    await expect(other.locator(".encounter[data-conn='open']")).toHaveCount(1);
    await step(page, "Diagnose", "Primary membranous nephropathy");
    await other.locator("#step-text").fill("Any foamy urine?");
    await other.locator("#step-text").press("Enter");
    await expect(other.locator(".notice[data-kind='encounter_closed']")).toContainText("closed");
    await expect(other.getByTestId("verdict")).toContainText("Correct");
  });

  test("past the message limit the page explains it and keeps the text", async ({ page }) => {
    test.setTimeout(60_000);
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "epigastric-pain-46f");
    // 30 messages a minute per session (the default); the 31st is refused.
    for (let i = 1; i <= 30; i++) await step(page, "Ask", `Question ${i}: where is the pain?`);
    await page.locator("#step-text").fill("One more question");
    await page.locator("#step-text").press("Enter");
    await expect(page.locator(".notice[data-kind='rate_limited']")).toContainText("too fast");
    await expect(page.locator("#step-text")).toHaveValue("One more question");
    await expect(page.locator(".transcript > li")).toHaveCount(30);
  });

  test("the keyboard alone works a step", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, "headache-jaw-pain-74f");
    // Radio group: arrow keys move between Ask / Order test / Diagnose.
    await page.locator("#action-question").focus();
    await page.keyboard.press("ArrowRight");
    await expect(page.locator("#action-test")).toBeChecked();
    await page.keyboard.press("ArrowLeft");
    await expect(page.locator("#action-question")).toBeChecked();
    await page.keyboard.press("Tab");
    await expect(page.locator("#step-text")).toBeFocused();
    await page.keyboard.type("Does your jaw hurt when you chew?");
    await page.keyboard.press("Enter");
    await expect(page.locator(".transcript > li:not(.pending)")).toHaveCount(1);
  });
});

// Every bundled case, worked in the browser to a correct verdict with its own true diagnosis.
const casesDir = path.resolve(__dirname, "..", "..", "data", "cases");
const bundled = fs
  .readdirSync(casesDir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(fs.readFileSync(path.join(casesDir, f), "utf8")))
  .filter((c) => typeof c.diagnosis === "string");

test("every bundled case is worked to a correct verdict in the browser", async ({ browser }) => {
  test.setTimeout(300_000);
  expect(bundled.length).toBeGreaterThanOrEqual(24);
  let context = await browser.newContext();
  let page = await context.newPage();
  for (const [i, c] of bundled.entries()) {
    // Two messages per case; a fresh sign-in every 12 cases keeps under the per-session limit.
    if (i % 12 === 0) {
      await context.close();
      context = await browser.newContext();
      page = await context.newPage();
      await signIn(page, "physician", "secret", "/cases");
    }
    await startFromLibrary(page, c.id);
    await step(page, "Ask", "What brings you in today?");
    await step(page, "Diagnose", c.diagnosis);
    const verdict = page.getByTestId("verdict");
    await expect(verdict, c.id).toContainText("Correct");
    await expect(page.getByTestId("true-diagnosis"), c.id).toHaveText(c.diagnosis);
  }
  await context.close();
});
