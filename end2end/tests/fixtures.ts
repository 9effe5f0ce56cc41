import { test as base, expect, type Page } from "@playwright/test";

/** Waits until the app has hydrated (the root carries data-hydrated once the wasm ran). */
export async function waitForHydration(page: Page) {
  await expect(page.locator(".app[data-hydrated]")).toHaveCount(1);
}

/**
 * Every test fails on any console error or uncaught page error, in every page of its context.
 */
export const test = base.extend<{ failOnConsoleErrors: void }>({
  failOnConsoleErrors: [
    async ({ context }, use) => {
      const problems: string[] = [];
      const watch = (page: Page) => {
        page.on("console", (msg) => {
          if (msg.type() === "error") problems.push(`console error: ${msg.text()}`);
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
