import * as path from "node:path";
import type { Page } from "@playwright/test";
import {
  test,
  expect,
  chooseAction,
  diagnosisConfirmation,
  signIn,
  startFromLibrary,
  step,
  waitForHydration,
} from "./fixtures";

// Truthful encounters: every step says who took it (the physician or the AI panel), on the page,
// in My encounters and in every export; a diagnosis is never given by accident.

const docs = path.resolve(__dirname, "..", "..", "docs");
const CASE = "rlq-pain-19m";
const PANEL = "AI panel (offline, unconstrained)";

/** The encounter's three exports, fetched with the page's session. */
async function exports(page: Page, id: string) {
  const get = async (format: string) => {
    const response = await page.request.get(`/api/v1/encounters/${id}/export?format=${format}`);
    expect(response.status(), format).toBe(200);
    return response.text();
  };
  return {
    markdown: await get("markdown"),
    json: JSON.parse(await get("json")),
    fhir: JSON.parse(await get("fhir")),
  };
}

function resources(bundle: any, kind: string): any[] {
  return bundle.entry.map((e: any) => e.resource).filter((r: any) => r.resourceType === kind);
}

/** The senders of the steps (not of the case's answers) in a FHIR bundle. */
function stepSenders(bundle: any): string[] {
  return resources(bundle, "Communication")
    .filter((c) => c.category[0].text !== "answer")
    .map((c) => c.sender.reference);
}

test.describe("who acted", () => {
  test("a physician's encounter: each step, the flow, the verdict and every export are theirs", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, CASE);
    const id = page.url().split("/").pop()!;
    await step(page, "Ask", "Where does the pain start?");
    await step(page, "Order test", "CBC");
    await step(page, "Diagnose", "Acute appendicitis");

    const turns = page.getByTestId("transcript").getByRole("listitem");
    await expect(turns).toHaveCount(3);
    await expect(turns.nth(0)).toContainText("You asked");
    await expect(turns.nth(1)).toContainText("You ordered");
    await expect(turns.nth(2)).toContainText("Your diagnosis");
    await expect(page.getByTestId("transcript")).not.toContainText("AI panel");
    const verdict = page.getByTestId("verdict");
    await expect(verdict.getByTestId("diagnosed-by")).toHaveText("You");
    await expect(verdict).toContainText("Your diagnosis");
    const flow = page.getByRole("list", { name: "Diagnostic flow" });
    await expect(flow.getByRole("listitem")).toHaveCount(3);
    for (const item of await flow.getByRole("listitem").all()) await expect(item).toContainText("by You");
    await expect(page.getByRole("list", { name: "Ordered tests" })).toContainText("Ordered by You");

    const out = await exports(page, id);
    expect(out.markdown).toContain("1. **Question by Physician (physician):** Where does the pain start?");
    expect(out.markdown).toContain("**Diagnosed by:** Physician (physician)");
    expect(out.markdown).toContain("Diagnosis given by Physician (physician): Acute appendicitis.");
    expect(out.markdown).not.toContain("AI panel");
    for (const turn of out.json.transcript) expect(turn.actor).toEqual({ kind: "user", name: "physician" });
    expect(out.json.verdict.actor).toEqual({ kind: "user", name: "physician" });
    expect(resources(out.fhir, "Practitioner").map((p) => p.name[0].text)).toEqual(["physician"]);
    expect(resources(out.fhir, "Device")).toEqual([]);
    expect(stepSenders(out.fhir)).toEqual(Array(3).fill("Practitioner/practitioner-1"));
    expect(resources(out.fhir, "ServiceRequest")[0].requester.reference).toBe("Practitioner/practitioner-1");

    await page.getByRole("link", { name: "My encounters" }).first().click();
    await waitForHydration(page);
    const row = page.locator(`tr[data-encounter-id="${id}"]`);
    await expect(row).toContainText("Diagnosed by you");
    await expect(row).not.toContainText("AI panel");
  });

  test("an encounter the panel ran: each step, the flow, the verdict, My encounters and every export are the panel's", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, CASE);
    const id = page.url().split("/").pop()!;
    await page.getByTestId("ai-panel").getByRole("button", { name: "Let the panel run" }).click();
    const verdict = page.getByTestId("verdict");
    await expect(verdict.getByRole("heading", { name: /^(Correct|Incorrect)/ })).toBeVisible();

    const turns = page.getByTestId("transcript").getByRole("listitem");
    const count = await turns.count();
    expect(count).toBeGreaterThan(1);
    for (const turn of await turns.all()) {
      await expect(turn).toContainText(/AI panel( asked| ordered|'s diagnosis)/);
      await expect(turn).toContainText("(offline, unconstrained)");
      await expect(turn).not.toContainText(/You asked|You ordered|Your diagnosis/);
    }
    await expect(verdict.getByTestId("diagnosed-by")).toHaveText(PANEL);
    await expect(verdict).toContainText("AI panel's diagnosis");
    await expect(verdict).not.toContainText("Your diagnosis");
    for (const item of await page.getByRole("list", { name: "Diagnostic flow" }).getByRole("listitem").all()) {
      await expect(item).toContainText(`by ${PANEL}`);
    }
    // A reload shows the same: the actor is stored, not only streamed.
    await page.reload();
    await waitForHydration(page);
    await expect(page.getByTestId("transcript").getByRole("listitem")).toHaveCount(count);
    await expect(page.getByTestId("transcript")).not.toContainText("You asked");
    await expect(page.getByTestId("verdict").getByTestId("diagnosed-by")).toHaveText(PANEL);
    if (test.info().project.name === "sqlite") {
      await page.screenshot({ path: path.join(docs, "panel-run.png"), fullPage: true });
    }

    const out = await exports(page, id);
    const panel = { kind: "panel", engine: "offline", mode: "unconstrained" };
    expect(out.json.transcript.length).toBe(count);
    for (const turn of out.json.transcript) expect(turn.actor).toEqual(panel);
    expect(out.json.verdict.actor).toEqual(panel);
    expect(out.markdown).toContain(`**Diagnosed by:** ${PANEL}`);
    expect(out.markdown).toContain(`Diagnosis given by ${PANEL}:`);
    expect(out.markdown).not.toContain("by Physician");
    expect(resources(out.fhir, "Practitioner")).toEqual([]);
    const devices = resources(out.fhir, "Device");
    expect(devices.map((d) => d.deviceName[0].name)).toEqual([PANEL]);
    expect(stepSenders(out.fhir)).toEqual(Array(count).fill("Device/device-1"));

    // My encounters: labelled as the panel's, and not counted among the physician's diagnoses.
    await page.getByRole("link", { name: "My encounters" }).first().click();
    await waitForHydration(page);
    const row = page.locator(`tr[data-encounter-id="${id}"]`);
    await expect(row).toContainText(`Diagnosed by ${PANEL}`);
    await expect(row).not.toContainText("Diagnosed by you");
    await expect(page.getByTestId("encounter-tally")).toContainText(`${PANEL} diagnosed`);
  });
});

test.describe("nothing recorded by accident", () => {
  test("a diagnosis asks first: cancel keeps the text and the encounter; a question is flagged; confirm ends it", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    await startFromLibrary(page, CASE);
    await chooseAction(page, "Diagnose");
    const box = page.locator("#step-text");
    const confirm = diagnosisConfirmation(page);

    // Enter opens the confirmation, focused on Cancel; Cancel returns to the text.
    await box.fill("Acute appendicitis");
    await box.press("Enter");
    await expect(confirm).toBeVisible();
    await expect(confirm).toContainText("Acute appendicitis");
    await expect(confirm).toContainText("ends the encounter");
    await expect(confirm.getByTestId("question-warning")).toHaveCount(0);
    await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
    await page.keyboard.press("Enter"); // a second Enter lands on Cancel: still nothing sent
    await expect(confirm).toHaveCount(0);
    await expect(box).toHaveValue("Acute appendicitis");
    await expect(box).toBeFocused();
    await expect(page.locator(".transcript > li")).toHaveCount(0);

    // A question-like diagnosis is flagged; Escape takes it back too.
    for (const doubtful of ["Could this be appendicitis", "Appendicitis or mesenteric adenitis", "Appendicitis?"]) {
      await box.fill(doubtful);
      await page.getByRole("button", { name: "Give diagnosis" }).click();
      await expect(confirm.getByTestId("question-warning")).toContainText("reads like a question");
      await expect(confirm.getByRole("button", { name: "Cancel" })).toBeFocused();
      if (doubtful.endsWith("?") && test.info().project.name === "sqlite") {
        await page.locator(".composer").screenshot({ path: path.join(docs, "confirm.png") });
      }
      await page.keyboard.press("Escape");
      await expect(confirm).toHaveCount(0);
      await expect(box).toHaveValue(doubtful);
    }
    await expect(page.locator(".transcript > li")).toHaveCount(0);
    await expect(page.getByTestId("verdict")).toHaveCount(0);

    // Confirmed: the diagnosis is sent and the encounter ends.
    await box.fill("Acute appendicitis");
    await box.press("Enter");
    await confirm.getByRole("button", { name: "Give diagnosis" }).click();
    await expect(page.getByTestId("verdict")).toContainText("Correct");
    await expect(page.locator("#step-text")).toHaveCount(0);
  });

  test("the panel's one-click diagnosis asks first as well", async ({ page }) => {
    await signIn(page, "physician", "secret", "/cases");
    // With $1 nothing is affordable: the panel must propose a diagnosis.
    await startFromLibrary(page, CASE, "1");
    const panel = page.getByTestId("ai-panel");
    await panel.getByRole("button", { name: "Ask the panel" }).click();
    const proposal = panel.getByTestId("panel-proposal");
    await expect(proposal.locator(".proposal-line")).toContainText(/^Diagnose:/);
    const accept = proposal.getByRole("button", { name: /^Diagnose / });
    const diagnosis = (await accept.textContent())!.replace(/^Diagnose /, "");
    await accept.click();
    const confirm = diagnosisConfirmation(page);
    await expect(confirm).toContainText(diagnosis);
    await confirm.getByRole("button", { name: "Cancel" }).click();
    await expect(confirm).toHaveCount(0);
    await expect(page.locator(".transcript > li")).toHaveCount(0);
    await expect(page.locator("#step-text")).toHaveValue(diagnosis);
    await expect(page.getByRole("radio", { name: "Diagnose" })).toBeChecked();

    await accept.click();
    await confirm.getByRole("button", { name: "Give diagnosis" }).click();
    await expect(page.getByTestId("verdict").getByRole("heading", { name: /^(Correct|Incorrect)/ })).toBeVisible();
    // The physician accepted it: the diagnosis is theirs.
    await expect(page.getByTestId("verdict").getByTestId("diagnosed-by")).toHaveText("You");
  });
});
