import * as fs from "node:fs";
import * as path from "node:path";
import { test, expect, signIn, startFromLibrary, waitForHydration } from "./fixtures";
import type { Page } from "@playwright/test";

// The AI panel in the browser, with the offline Bayesian engine (no language model in the
// test servers): "Ask the panel" and "Let the panel run".

const docs = path.resolve(__dirname, "..", "..", "docs");
const CASE = "rlq-pain-19m";

async function start(page: Page, budget = "") {
  await signIn(page, "physician", "secret", "/cases");
  await startFromLibrary(page, CASE, budget);
}

test.describe("the AI panel", () => {
  test("ask the panel: five roles, a proposal with reasons, one-click accept", async ({ page }) => {
    await start(page);
    const panel = page.getByTestId("ai-panel");
    await panel.getByRole("button", { name: "Ask the panel" }).click();
    const proposal = panel.getByTestId("panel-proposal");
    await expect(proposal).toBeVisible();
    for (const title of ["Dr. Hypothesis", "Dr. Test-Chooser", "Dr. Challenger", "Dr. Stewardship", "Dr. Checklist"]) {
      await expect(proposal.locator("summary", { hasText: title })).toHaveCount(1);
    }
    // Each persona's part folds away.
    const hypothesis = proposal.locator("details", { has: page.locator("summary", { hasText: "Dr. Hypothesis" }) });
    await expect(hypothesis).toHaveAttribute("open", "");
    await hypothesis.locator("summary").click();
    await expect(hypothesis).not.toHaveAttribute("open", "");
    await expect(proposal.locator(".proposal-line")).toContainText(/^(Ask|Order|Diagnose):/);
    await expect(proposal).toContainText("Differential:");
    await expect(page.getByTestId("total-spent")).toHaveText("$0.00");
    await expect(page.getByTestId("differential-chart")).toHaveAttribute("data-turns", "1");

    // Accept: the proposed step is sent like a typed one and answered in the transcript.
    const before = await page.locator(".transcript > li:not(.pending)").count();
    await proposal.locator(".panel-buttons button").first().click();
    await expect(page.locator(".transcript > li:not(.pending)")).toHaveCount(before + 1);
    await expect(page.locator(".transcript > li.pending")).toHaveCount(0);
    await expect(panel.getByTestId("panel-proposal")).toHaveCount(0);
    await expect(panel.locator(".panel-history > summary")).toHaveText("Earlier deliberations (1)");
  });

  test("let the panel run: turn by turn to a verdict, with the differential over the turns", async ({ page }) => {
    await start(page, "1500");
    const panel = page.getByTestId("ai-panel");
    // The steps arrive in frames and are applied as they come: nothing is fetched again.
    const refetches: string[] = [];
    page.on("request", (request) => {
      if (request.url().includes("/api/fn/get_encounter")) refetches.push(request.url());
    });
    await panel.getByRole("button", { name: "Let the panel run" }).click();
    await expect(page.getByRole("heading", { name: /^(Correct|Incorrect)/ })).toBeVisible();
    const turns = Number(await page.getByTestId("differential-chart").getAttribute("data-turns"));
    expect(turns).toBeGreaterThan(1);
    await expect(page.locator(".transcript > li").last()).toContainText("Total cost");
    await expect(panel.getByRole("button", { name: "Let the panel run" })).toBeDisabled();
    expect(refetches).toEqual([]);
    const applied = {
      spent: await page.getByTestId("total-spent").textContent(),
      tests: await page.getByRole("list", { name: "Ordered tests" }).locator("li").allTextContents(),
      steps: await page.locator(".transcript > li").count(),
    };
    // Reload: everything the panel did was saved, and the page had applied it all.
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByTestId("total-spent")).toHaveText(applied.spent!);
    await expect(page.locator(".transcript > li")).toHaveCount(applied.steps);
    expect(await page.getByRole("list", { name: "Ordered tests" }).locator("li").allTextContents()).toEqual(applied.tests);
    await expect(page.getByTestId("differential-chart")).toHaveAttribute("data-turns", String(turns));
    await expect(panel.locator(".panel-history > summary")).toHaveText(`Earlier deliberations (${turns})`);
    if (test.info().project.name === "sqlite") {
      await page.setViewportSize({ width: 1280, height: 1400 });
      await panel.locator(".panel-history > summary").click();
      await panel.screenshot({ path: path.join(docs, "panel.png") });
    }
  });
});

const casesDir = path.resolve(__dirname, "..", "..", "data", "cases");
const bundled: string[] = fs
  .readdirSync(casesDir)
  .filter((f) => f.endsWith(".json"))
  .map((f) => JSON.parse(fs.readFileSync(path.join(casesDir, f), "utf8")))
  .filter((c) => typeof c.diagnosis === "string")
  .map((c) => c.id);

test("let the panel run reaches a verdict on every bundled case", async ({ page }) => {
  test.setTimeout(300_000);
  expect(bundled.length).toBeGreaterThanOrEqual(24);
  await signIn(page, "physician", "secret", "/cases");
  for (const id of bundled) {
    await startFromLibrary(page, id);
    await page.getByTestId("ai-panel").getByRole("button", { name: "Let the panel run" }).click();
    await expect(page.getByRole("heading", { name: /^(Correct|Incorrect)/ }), id).toBeVisible();
    await expect(page.getByTestId("verdict"), id).toContainText("True diagnosis");
  }
});
