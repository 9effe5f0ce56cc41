import { test as base, expect, type Page } from "@playwright/test";

/** Waits until the app has hydrated (the root carries data-hydrated once the wasm ran). */
export async function waitForHydration(page: Page) {
  await expect(page.locator(".app[data-hydrated]")).toHaveCount(1);
}

/** Signs in through the sign-in page and waits for the page it leads to. */
export async function signIn(page: Page, user = "physician", password = "secret", next = "/") {
  await page.goto(next === "/" ? "/login" : `/login?next=${encodeURIComponent(next)}`);
  await waitForHydration(page);
  await page.getByLabel("User name").fill(user);
  await page.getByLabel("Password").fill(password);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.waitForURL((url) => url.pathname === next.split("?")[0]);
  await waitForHydration(page);
  await expect(page.getByTestId("signed-in-user")).toHaveText(user);
}

/** Starts an encounter from the library card of `caseId`, with an optional budget. */
export async function startFromLibrary(page: Page, caseId: string, budget = "") {
  await page.goto("/cases");
  await waitForHydration(page);
  const card = page.locator(`article[data-case-id="${caseId}"]`);
  if (budget) await card.getByLabel("Budget ($, optional)").fill(budget);
  await card.getByRole("button", { name: "Start new encounter" }).click();
  await page.waitForURL(/\/encounters\/[A-Za-z0-9_-]+$/);
  await waitForHydration(page);
  await expect(page.locator(".encounter[data-conn='open']")).toHaveCount(1);
}

export type StepAction = "Ask" | "Order test" | "Diagnose";

/** Picks Ask / Order test / Diagnose in the composer's radio group. */
export async function chooseAction(page: Page, action: StepAction) {
  await page.getByRole("group", { name: "Next step" }).getByText(action, { exact: true }).click();
  await expect(page.getByRole("radio", { name: action })).toBeChecked();
}

/** The confirmation a diagnosis asks for before it ends the encounter. */
export function diagnosisConfirmation(page: Page) {
  return page.getByRole("alertdialog", { name: "Give this diagnosis?" });
}

/**
 * Sends a step with the chosen action and waits until its answer is saved in the transcript.
 * A diagnosis is confirmed in the dialog it opens (it ends the encounter).
 */
export async function step(page: Page, action: StepAction, text: string) {
  const before = await page.locator(".transcript > li:not(.pending)").count();
  await chooseAction(page, action);
  const box = page.locator("#step-text");
  await box.fill(text);
  await box.press("Enter");
  if (action === "Diagnose") {
    const confirm = diagnosisConfirmation(page);
    await expect(confirm).toContainText(text);
    await confirm.getByRole("button", { name: "Give diagnosis" }).click();
  }
  await expect(page.locator(".transcript > li:not(.pending)")).toHaveCount(before + 1);
  await expect(page.locator(".transcript > li.pending")).toHaveCount(0);
}

/**
 * Every test fails on any console error or uncaught page error, in every page of its context.
 */
export const test = base.extend<{ allowedConsoleErrors: RegExp[]; failOnConsoleErrors: void }>({
  // A test may name console messages it expects (e.g. the 404 of a missing page); each such
  // message is allowed, any other fails the test.
  allowedConsoleErrors: [[], { option: true }],
  failOnConsoleErrors: [
    async ({ context, allowedConsoleErrors }, use) => {
      const problems: string[] = [];
      const watch = (page: Page) => {
        page.on("console", (msg) => {
          if (msg.type() !== "error") return;
          const text = msg.text();
          if (!allowedConsoleErrors.some((re) => re.test(text))) problems.push(`console error: ${text}`);
        });
        page.on("pageerror", (err) => problems.push(`page error: ${err.message}`));
      };
      context.pages().forEach(watch);
      context.on("page", watch);
      await use();
      expect(problems, "the browser reported errors").toEqual([]);
    },
    { auto: true },
  ],
});

export { expect };
