import type { Page } from "@playwright/test";
import { test, expect } from "./fixtures";

/**
 * The client's script runs in a page of the server's: Chromium lets only a page at the server's
 * own address reach 127.0.0.1, and a page's policy lets it open sockets to its site (the JSON
 * answers, such as /healthz, carry `default-src 'none'`: no socket from them).
 */
async function openClientPage(page: Page) {
  await page.goto("/login");
}

// A client written only from product.md's "Compatibility with the original API (v1)": HTTP calls
// from Playwright's request context, the WebSocket from the browser's own WebSocket.
test.describe("API v1 client", () => {
  test("login, socket, refresh, logout", async ({ request, page, baseURL }) => {
    const bad = await request.post("/api/v1/login", {
      data: { username: "physician", password: "wrong" },
    });
    expect(bad.status()).toBe(401);
    expect(typeof (await bad.json()).detail).toBe("string");
    const missing = await request.post("/api/v1/login", { data: { username: "physician" } });
    expect(missing.status()).toBe(422);

    const login = await request.post("/api/v1/login", {
      data: { username: "physician", password: "secret" },
    });
    expect(login.status()).toBe(200);
    const tokens = await login.json();
    expect(tokens).toMatchObject({ token_type: "bearer", expires_in: 3600 });
    expect(typeof tokens.access_token).toBe("string");
    expect(typeof tokens.refresh_token).toBe("string");

    await openClientPage(page);
    const wsUrl = `${baseURL!.replace("http", "ws")}/api/v1/ws?token=${tokens.access_token}`;
    // Each answer is zero or more {reply, done: false} chunks and one done frame; errors are
    // {error}. The client collects until it has seen `expected` final frames.
    const frames = await page.evaluate(async (url) => {
      const socket = new WebSocket(url);
      const finals: Record<string, unknown>[] = [];
      const chunks: Record<string, unknown>[] = [];
      const outgoing = [
        { action: "question", content: "Where does it hurt?" },
        { content: "Since when?" }, // no action: a question
        "not json",
        { action: "test", content: "CBC" },
        { action: "diagnosis", content: "Acute appendicitis" },
        { action: "question", content: "Anything else?" },
      ];
      await new Promise<void>((resolve, reject) => {
        socket.onerror = () => reject(new Error("socket error"));
        const next = () => {
          const frame = outgoing.shift();
          if (frame === undefined) return resolve();
          socket.send(typeof frame === "string" ? frame : JSON.stringify(frame));
        };
        socket.onopen = next;
        socket.onmessage = (event) => {
          const frame = JSON.parse(event.data);
          if (frame.done === false) {
            chunks.push(frame);
            return;
          }
          finals.push(frame);
          next();
        };
      });
      socket.close();
      return { finals, chunks };
    }, wsUrl);
    const [q1, q2, invalid, test, diagnosis, closed] = frames.finals as Record<string, any>[];
    for (const done of [q1, q2, test, diagnosis]) {
      expect(done.done).toBe(true);
      expect(typeof done.reply).toBe("string");
      expect(typeof done.cost).toBe("number");
      expect(typeof done.total_spent).toBe("number");
      expect(Array.isArray(done.ordered_tests)).toBe(true);
    }
    expect(q1.cost).toBe(300);
    expect(q2.cost).toBe(0);
    expect(invalid).toMatchObject({ type: "error", code: "invalid_json" });
    expect(typeof invalid.error).toBe("string");
    expect(test.ordered_tests).toEqual(["Complete blood count with differential"]);
    expect(test.total_spent).toBeGreaterThan(300);
    expect(diagnosis.verdict).toMatchObject({ score: 5, correct: true, diagnosis: "Acute appendicitis" });
    expect(closed).toMatchObject({ error: "encounter closed", code: "encounter_closed" });
    for (const chunk of frames.chunks) expect(typeof chunk.reply).toBe("string");

    const refreshed = await request.post("/api/v1/refresh", {
      data: { refresh_token: tokens.refresh_token },
    });
    expect(refreshed.status()).toBe(200);
    const next = await refreshed.json();
    expect(next.refresh_token).not.toBe(tokens.refresh_token);
    const again = await request.post("/api/v1/refresh", {
      data: { refresh_token: tokens.refresh_token },
    });
    expect(again.status()).toBe(401);
    // Reuse of a rotated-away token revoked the session: even the newest tokens are refused.
    expect((await request.get(`/api/v1/ws?token=${next.access_token}`)).status()).toBe(401);

    const second = await (
      await request.post("/api/v1/login", { data: { username: "physician", password: "secret" } })
    ).json();
    const logout = await request.post("/api/v1/logout", {
      data: { refresh_token: second.refresh_token },
    });
    expect(logout.status()).toBe(200);
    expect((await request.get(`/api/v1/ws?token=${second.access_token}`)).status()).toBe(401);
    const unknown = await request.post("/api/v1/logout", { data: { refresh_token: "never-issued" } });
    expect(unknown.status()).toBe(200);
    expect((await request.get("/api/v1/ws")).status()).toBe(401);
  });

  test("every case in the list is worked to a verdict", async ({ request, page, baseURL }) => {
    test.setTimeout(120_000);
    const listed = await request.get("/api/v1/cases");
    expect(listed.status()).toBe(200);
    const { cases } = await listed.json();
    expect(cases.length).toBeGreaterThanOrEqual(24);
    await openClientPage(page);
    for (const c of cases) {
      expect(typeof c.summary).toBe("string");
      // One login per case: the message limit is per login session.
      const tokens = await (
        await request.post("/api/v1/login", { data: { username: "physician", password: "secret" } })
      ).json();
      const url = `${baseURL!.replace("http", "ws")}/api/v1/ws?token=${tokens.access_token}&case=${encodeURIComponent(c.id)}&new=1`;
      // Work the case twice: once with a wrong answer (the verdict names the true diagnosis),
      // then in a new encounter with that diagnosis.
      const run = (diagnosis: string) =>
        page.evaluate(
          async ({ url, diagnosis }) => {
            const socket = new WebSocket(url);
            const outgoing = [
              { action: "question", content: "What brings you in today?", id: 1 },
              { action: "test", content: "CBC", id: 2 },
              { action: "diagnosis", content: diagnosis, id: 3 },
            ];
            const finals: any[] = [];
            await new Promise<void>((resolve, reject) => {
              socket.onerror = () => reject(new Error("socket error"));
              const next = () => {
                const frame = outgoing.shift();
                if (frame === undefined) return resolve();
                socket.send(JSON.stringify(frame));
              };
              socket.onopen = next;
              socket.onmessage = (event) => {
                const frame = JSON.parse(event.data);
                if (frame.done === false) return;
                finals.push(frame);
                next();
              };
            });
            socket.close();
            return finals;
          },
          { url, diagnosis },
        );
      const first = await run("Tension-type headache");
      expect(first.map((f) => f.type), c.id).toEqual(["done", "done", "done"]);
      expect(first[2].id).toBe(3);
      const verdict = first[2].verdict;
      expect(verdict, c.id).toMatchObject({ given: "Tension-type headache" });
      expect(typeof verdict.diagnosis).toBe("string");
      expect(verdict.score).toBeGreaterThanOrEqual(1);
      expect(verdict.score).toBeLessThanOrEqual(5);
      expect(first[2].total_spent).toBeCloseTo(first[0].cost + first[1].cost, 2);
      const second = await run(verdict.diagnosis);
      expect(second[2].encounter_id).not.toBe(first[2].encounter_id);
      expect(second[2].verdict, c.id).toMatchObject({ score: 5, correct: true });
    }
  });
});
