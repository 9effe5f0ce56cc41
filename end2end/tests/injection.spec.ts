import { execFileSync } from "node:child_process";
import * as fs from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import type { Page } from "@playwright/test";
import { test, expect, signIn, startFromLibrary, step } from "./fixtures";

// Stored script injection: a case whose every text field holds script and markup is imported
// beside the running server, worked to a verdict, and must stay inert everywhere it is shown —
// the library, the encounter page and its <title>, the verdict, My encounters, the exports.

const CASE_ID = "injection-probe";
/** Each payload sets window.__pwned if it ever runs. */
const PAYLOADS = [
  "</title><script>window.__pwned=1</script><title>",
  '<img src=x onerror="window.__pwned=1">',
  "<script>window.__pwned=1</script>",
  '<svg onload="window.__pwned=1"></svg>',
].join(" ");
/** A field's text: a readable word the tests can find, then every payload. */
const tainted = (word: string) => `${word} ${PAYLOADS}`;

const probeCase = {
  id: CASE_ID,
  title: tainted("Probe title"),
  specialty: tainted("Probe specialty"),
  difficulty: "easy",
  summary: tainted("Probe summary: a 30-year-old with a cough."),
  history: [{ topic: tainted("Cough"), keywords: ["cough"], answer: tainted("Probe history answer.") }],
  exam: [{ topic: tainted("Chest"), keywords: ["chest", "lungs"], answer: tainted("Probe exam answer.") }],
  tests: [{ name: tainted("Complete blood count"), cpt: "85025", result: tainted("Probe test result.") }],
  diagnosis: tainted("Probe diagnosis"),
  synonyms: [tainted("Probe synonym")],
  teaching_points: [tainted("Probe teaching point.")],
};

/** Imports the case into the database of the server under test (replacing an earlier run's). */
function importProbeCase(database: string, binary: string) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), "dx0-injection-"));
  const file = path.join(dir, `${CASE_ID}.json`);
  fs.writeFileSync(file, JSON.stringify(probeCase));
  execFileSync(binary, ["cases", "import", "--replace", file, "--database", database], {
    env: { ...process.env, RUST_LOG: "warn" },
  });
}

/** Fails when any payload ran on the page so far. */
async function expectInert(page: Page, where: string) {
  expect(await page.evaluate(() => (window as { __pwned?: unknown }).__pwned), where).toBeUndefined();
  // A payload turned into markup would add an element with a handler, or a script without
  // the page's nonce (Leptos's own inline scripts carry it; its data scripts hold case text).
  expect(await page.locator("img[src='x'], svg[onload], script:not([nonce])").count(), where).toBe(0);
}

test("a case whose every text holds script and markup renders inert everywhere", async ({ page }, testInfo) => {
  const { database, binary } = testInfo.project.metadata as { database: string; binary: string };
  importProbeCase(database, binary);
  const dialogs: string[] = [];
  page.on("dialog", async (dialog) => {
    dialogs.push(dialog.message());
    await dialog.dismiss();
  });

  await signIn(page, "physician", "secret", "/cases");
  const card = page.locator(`article[data-case-id="${CASE_ID}"]`);
  await expect(card).toContainText(probeCase.title);
  await expect(card).toContainText(probeCase.summary);
  await expectInert(page, "case library");

  await startFromLibrary(page, CASE_ID);
  await expect(page.getByRole("heading", { level: 1 })).toHaveText(probeCase.title);
  await expect(page.getByTestId("case-abstract")).toHaveText(probeCase.summary);
  expect(await page.title()).toBe(`${probeCase.title} · Dx0`);
  await step(page, "Ask", "Do you have a cough?");
  await step(page, "Ask", "Can I listen to your chest and lungs?");
  await step(page, "Order test", "Complete blood count");
  const transcript = page.getByTestId("transcript");
  for (const text of ["Probe history answer.", "Probe exam answer.", "Probe test result."]) {
    await expect(transcript).toContainText(tainted(text));
  }
  await step(page, "Diagnose", tainted("My diagnosis"));
  const verdict = page.getByTestId("verdict");
  await expect(page.getByTestId("true-diagnosis")).toHaveText(probeCase.diagnosis);
  await expect(verdict).toContainText(probeCase.teaching_points[0]);
  await expect(verdict).toContainText(tainted("My diagnosis"));
  await expectInert(page, "encounter page after the verdict");

  // The first paint of the closed encounter: server-rendered title, transcript and verdict.
  const encounterUrl = page.url();
  const first = await page.request.get(encounterUrl);
  // Even markup that got through could not run: only scripts of this site and of the nonce.
  expect(first.headers()["content-security-policy"]).toMatch(/script-src 'self' 'nonce-[\w-]+' 'wasm-unsafe-eval';/);
  const html = await first.text();
  expect(html).not.toContain("<script>window.__pwned");
  expect(html).not.toContain("<img src=x");
  await page.reload();
  await expect(page.getByTestId("verdict")).toBeVisible();
  expect(await page.title()).toBe(`${probeCase.title} · Dx0`);
  await expectInert(page, "reloaded encounter page");

  await page.goto("/encounters");
  await expect(page.locator(".encounter-table")).toContainText(probeCase.title);
  await expectInert(page, "My encounters");

  const id = encounterUrl.split("/").pop()!;
  const exported = async (format: string) => {
    const response = await page.request.get(`/api/v1/encounters/${id}/export?format=${format}`);
    expect(response.status(), format).toBe(200);
    expect(response.headers()["x-content-type-options"], format).toBe("nosniff");
    expect(response.headers()["content-disposition"], format).toMatch(/^attachment;/);
    expect(response.headers()["content-security-policy"], format).toContain("default-src 'none'");
    return { type: response.headers()["content-type"], body: await response.text() };
  };
  const json = await exported("json");
  expect(json.type).toBe("application/json");
  expect(JSON.stringify(JSON.parse(json.body))).toContain(JSON.stringify(probeCase.title).slice(1, -1));
  const fhir = await exported("fhir");
  expect(fhir.type).toBe("application/fhir+json");
  expect(JSON.parse(fhir.body).resourceType).toBe("Bundle");
  const markdown = await exported("markdown");
  expect(markdown.type).toBe("text/markdown; charset=utf-8");
  // Markdown renderers pass inline HTML through: the export holds no markup of the case at all,
  // only its text (entities render as the characters they stand for).
  expect(markdown.body).toContain("Probe title &lt;/title&gt;&lt;script&gt;window.__pwned=1&lt;/script&gt;");
  expect(markdown.body).not.toMatch(/<\/?(script|img|svg|title)\b/i);
  // The worst renderer: the Markdown taken as HTML. Nothing runs, and the text reads the same.
  await page.goto("about:blank");
  await page.setContent(markdown.body);
  await expect(page.locator("body")).toContainText(probeCase.title);
  await expectInert(page, "Markdown export rendered as HTML");

  expect(dialogs, "no payload opened a dialog").toEqual([]);
});
