import { test, expect } from "./fixtures";

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

    await page.goto("/healthz");
    const wsUrl = `${baseURL!.replace("http", "ws")}/api/v1/ws?token=${tokens.access_token}`;
    const frames = await page.evaluate(async (url) => {
      const socket = new WebSocket(url);
      const received: unknown[] = [];
      await new Promise<void>((resolve, reject) => {
        socket.onerror = () => reject(new Error("socket error"));
        socket.onopen = () => {
          socket.send(JSON.stringify({ action: "question", content: "Where does it hurt?" }));
          socket.send(JSON.stringify({ content: "Since when?" })); // no action: a question
          socket.send("not json");
        };
        socket.onmessage = (event) => {
          received.push(JSON.parse(event.data));
          if (received.length === 3) resolve();
        };
      });
      socket.close();
      return received;
    }, wsUrl);
    for (const done of frames.slice(0, 2)) {
      expect(done).toMatchObject({ done: true, ordered_tests: [] });
      expect(typeof (done as { reply: unknown }).reply).toBe("string");
      expect(typeof (done as { cost: unknown }).cost).toBe("number");
      expect(typeof (done as { total_spent: unknown }).total_spent).toBe("number");
    }
    expect(frames[2]).toMatchObject({ type: "error", code: "invalid_json" });
    expect(typeof (frames[2] as { error: unknown }).error).toBe("string");

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
});
