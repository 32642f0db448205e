// End to end: the real bot (discord.js client, SQLite store, every module) against the local Discord
// server. Each test gets its own guild, so pools never mix.
import { setTimeout as sleep } from "node:timers/promises";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ManualClock } from "../../src/clock.js";
import { getGuildConfig } from "../../src/guild/config.js";
import { DAY_MS, MEMBERSHIP_FRESH_MS, STATS_LONG_SCAN_PAIRS } from "../../src/pairing/pairing.js";
import {
  FOLLOW_UP_MS,
  PairingStateSchema,
  PairSchema,
  pairKey,
  pairStateKey,
} from "../../src/pairing/schema.js";
import { RETRY_TRIES_MAX } from "../../src/retry.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import type { JsonObject } from "../support/discord-server.js";

let t: TestBot;
let clock: ManualClock;

beforeAll(async () => {
  t = await startTestBot();
  clock = t.clock as ManualClock;
});
afterAll(async () => {
  await t?.stop();
});

async function until<T>(
  what: string,
  probe: () => T | undefined | false | Promise<T | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

type Guild = { id: string; nexus: string; member(name: string): string };

let guildCount = 0;
/** A fresh guild with #prodevprojectnexus, adopted by the bot. */
async function freshGuild(): Promise<Guild> {
  guildCount++;
  const id = t.server.addGuild({ name: `Pairing ${guildCount}` });
  const nexus = t.server.store.guildChannels(id).find((c) => c.data.name === "prodevprojectnexus")?.id;
  if (nexus === undefined) throw new Error("no nexus channel");
  await until(
    "the guild to be adopted",
    async () => (await getGuildConfig(t.store, t.clock, id)).channelId === nexus,
  );
  return {
    id,
    nexus,
    member: (name) => t.server.addMember(id, { username: `${name}${guildCount}` }).user.id,
  };
}

/** A member's slash command in the guild's Nexus channel (its handle). */
function interactIn(
  guild: Guild,
  user: string,
  commandName: string,
  subcommand: string,
  options: Record<string, string | number> = {},
  admin = false,
) {
  return t.server.interact({
    guildId: guild.id,
    channelId: guild.nexus,
    user,
    commandName,
    subcommand,
    options,
    ...(admin ? { admin: true } : {}),
  });
}

function request(guild: Guild, user: string, options: Record<string, string>) {
  return interactIn(guild, user, "pair", "request", options).reply();
}

function run(
  guild: Guild,
  user: string,
  subcommand: string,
  options: Record<string, string | number> = {},
  admin = false,
) {
  return interactIn(guild, user, "pair", subcommand, options, admin).reply();
}

function nexus(
  guild: Guild,
  user: string,
  subcommand: string,
  options: Record<string, string>,
  admin = false,
) {
  return interactIn(guild, user, "nexus", subcommand, options, admin).reply();
}

/** The introduction's embed fields in the pair's thread, by name ("Backend", "Frontend"). */
async function introFields(guild: Guild, pairId: number): Promise<Record<string, string>> {
  const threadId = await until("the pair's thread", async () => {
    const pair = await t.store.get(pairKey(guild.id, pairId), PairSchema);
    return pair?.delivery.threadId ?? undefined;
  });
  const [intro] = await until("the introduction", () => {
    const messages = t.server.messagesIn(threadId);
    return messages.length > 0 ? messages : undefined;
  });
  const fields = ((intro?.embeds as JsonObject[] | undefined)?.[0]?.fields ?? []) as JsonObject[];
  return Object.fromEntries(fields.map((field) => [String(field.name), String(field.value)]));
}

async function pairState(guildId: string) {
  return (await t.store.get(pairStateKey(guildId), PairingStateSchema)) ?? PairingStateSchema.parse({});
}

function threads(guild: Guild): JsonObject[] {
  return t.server.threadsIn(guild.nexus);
}

function threadMemberIds(threadId: string): string[] {
  return [...(t.server.store.channels.get(threadId)?.threadMembers.keys() ?? [])];
}

describe("/pair end to end", () => {
  it("GIVEN a backend waiting WHEN a frontend asks THEN both get a private thread with the introduction, pinging only them", async () => {
    const g = await freshGuild();
    // Not in the invite, but an admin may grant it: the introduction must not ping everyone even then.
    t.server.allowPermissions(g.nexus, t.server.botUser.id, ["mentionEveryone"]);
    const backend = g.member("bea");
    const frontend = g.member("fred");
    const first = await request(g, backend, {
      role: "backend",
      topic: "Django",
      note: "@everyone evenings <@&1> please",
    });
    expect(first.ephemeral).toBe(true);
    expect(first.content).toMatch(/in the queue as \*\*backend\*\*/);
    expect(first.content).toMatch(/\*\*1\*\* backend and \*\*0\*\* frontend/);

    const second = await request(g, frontend, { role: "frontend", topic: "Django" });
    expect(second.ephemeral).toBe(true);
    expect(second.content).toContain(`<@${backend}> is the **backend**`);

    const [thread] = await until("the pair's thread", () =>
      threads(g).length === 1 ? threads(g) : undefined,
    );
    expect(thread?.type).toBe(12);
    expect((thread?.thread_metadata as JsonObject | undefined)?.invitable).toBe(false);
    expect(String(thread?.name)).toBe("Pair #1 · backend ↔ frontend · Django");
    const threadId = String(thread?.id);
    const [intro] = await until("the introduction", () => {
      const messages = t.server.messagesIn(threadId);
      return messages.length > 0 ? messages : undefined;
    });
    expect(threadMemberIds(threadId)).toEqual(expect.arrayContaining([backend, frontend]));
    const text = JSON.stringify(intro);
    expect(text).toContain("Suggested mini-project");
    expect(text).not.toContain("@everyone");
    const introRequest = t.server.requestsTo("POST", new RegExp(`^/channels/${threadId}/messages$`))[0];
    expect(introRequest?.valid).toBe(true);
    expect(introRequest?.mentions.users.sort()).toEqual([backend, frontend].sort());
    expect(introRequest?.mentions.roles).toEqual([]);
    expect(introRequest?.mentions.everyone).toBe(false);

    // The reply is edited with the thread once it exists.
    await until("the reply to point at the thread", () =>
      t.server
        .requestsTo("PATCH", /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/)
        .some((r) => JSON.stringify(r.body).includes(`<#${threadId}>`)),
    );
    const pair = await t.store.get(pairKey(g.id, 1), PairSchema);
    expect(pair?.delivery).toMatchObject({ state: "private", threadId, channelId: g.nexus });

    const cancel = await run(g, frontend, "cancel");
    expect(cancel.ephemeral).toBe(true);
    expect(cancel.content).toMatch(/already matched with <@\d+> \(pair #1.*cannot be cancelled/);
  });

  it("GIVEN private threads are not allowed THEN a public thread is used; with no threads at all, DMs", async () => {
    const g = await freshGuild();
    t.server.denyPermissions(g.nexus, { createPrivateThreads: true });
    const [a, b, c, d] = [g.member("a"), g.member("b"), g.member("c"), g.member("d")];
    await request(g, a, { role: "backend" });
    await request(g, b, { role: "frontend" });
    const publicThread = await until("a public thread with its introduction", () =>
      threads(g).find((th) => th.type === 11 && t.server.messagesIn(String(th.id)).length > 0),
    );
    expect(threadMemberIds(String(publicThread.id))).toEqual(expect.arrayContaining([a, b]));
    expect(threads(g).filter((th) => th.type === 12)).toEqual([]);

    t.server.denyPermissions(g.nexus, { createPrivateThreads: true, createPublicThreads: true });
    await request(g, c, { role: "backend" });
    await request(g, d, { role: "frontend" });
    await until("DMs to both", () => {
      const dms = [c, d].map((id) => t.server.store.dmChannels.get(id));
      return dms.every((dm) => dm !== undefined && t.server.messagesIn(dm).length > 0);
    });
    const pair = await until("the DM delivery to be recorded", async () => {
      const stored = await t.store.get(pairKey(g.id, 2), PairSchema);
      return stored?.delivery.state === "dm" ? stored : undefined;
    });
    expect(pair.delivery.threadId).toBeNull();
    t.server.restorePermissions(g.nexus);
  });

  it("GIVEN a waiting learner who left the guild WHEN matched THEN they are dropped and the next one is chosen", async () => {
    const g = await freshGuild();
    const [gone, stays, asker] = [g.member("gone"), g.member("stays"), g.member("asker")];
    await request(g, gone, { role: "frontend", topic: "Docker" });
    await request(g, stays, { role: "frontend" });
    clock.advance(MEMBERSHIP_FRESH_MS + 1);
    t.server.removeMember(g.id, gone);
    const reply = await request(g, asker, { role: "backend", topic: "Docker" });
    expect(reply.content).toContain(`<@${stays}> is the **frontend**`);
    const state = await pairState(g.id);
    expect(state.pool).toEqual([]);
    expect(state.stats.departed).toBe(1);
  });

  it("GIVEN a waiting learner not seen for 10 minutes and a slow member lookup WHEN a partner runs /pair request THEN it and another member's command are answered within 3 s", async () => {
    const g = await freshGuild();
    const [a, b, other] = [g.member("slow-a"), g.member("slow-b"), g.member("slow-c")];
    await request(g, a, { role: "backend" });
    clock.advance(MEMBERSHIP_FRESH_MS + 60_000);
    // One 429 asking to wait 3.5 s on the member route, as a busy bucket would.
    await t.server.withFaults(
      {
        rate429: 1,
        rate500: 0,
        retryAfterMs: 3_500,
        maxConsecutive: 1,
        routes: /^\/guilds\/\d+\/members\/\d+$/,
      },
      async () => {
        const matched = request(g, b, { role: "frontend" });
        await sleep(100);
        const status = run(g, other, "status");
        const [reply, statusReply] = await Promise.all([matched, status]);
        expect(reply.content).toMatch(/You are paired!/);
        expect(statusReply.embeds[0]?.title).toBe("Your pairing");
      },
    );
    await until("the pair's thread", () => threads(g).length === 1);
  });

  it("GIVEN a requester whose partner turns out to have left WHEN they are told in their reply THEN their next /pair does not tell them again", async () => {
    const g = await freshGuild();
    // Seen a moment ago, so the match does not check; the introduction finds them gone.
    const { asker } = await pairedWithDeparted(g, "left-late", "told-once");
    await until("the reply edited with the undone pair", () =>
      t.server
        .requestsTo("PATCH", /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/)
        .some((r) => JSON.stringify(r.body).includes("Your partner turned out to have left the server")),
    );
    expect((await pairState(g.id)).pool.map((e) => e.user)).toEqual([asker]);
    const status = await run(g, asker, "status");
    expect(status.content ?? "").not.toMatch(/left the server/);
    expect(JSON.stringify(status.embeds)).toContain("Open request as **backend**");
  });

  it("GIVEN a partner who left and a bot without Manage Threads (as invited) WHEN the pair is undone THEN no thread of it is left in the channel", async () => {
    const g = await freshGuild();
    // Seen a moment ago, so the match does not check: a thread made before asking could not be deleted.
    const { asker } = await pairedWithDeparted(g, "gone-early", "not-stranded");
    const state = await until("the pair to be undone", async () => {
      const current = await pairState(g.id);
      return current.stats.departed === 1 ? current : undefined;
    });
    expect(state.pool.map((e) => e.user)).toEqual([asker]);
    expect(threads(g).map((th) => th.name)).toEqual([]);
  });

  it("GIVEN the bot cannot send messages in threads WHEN two learners are matched THEN they are introduced by DM and no empty thread is left in the channel", async () => {
    const g = await freshGuild();
    t.server.denyPermissions(g.nexus, { sendMessagesInThreads: true });
    const [a, b] = [g.member("no-threads-a"), g.member("no-threads-b")];
    await request(g, a, { role: "backend" });
    await request(g, b, { role: "frontend" });
    const pair = await until("the DM delivery to be recorded", async () => {
      const stored = await t.store.get(pairKey(g.id, 1), PairSchema);
      return stored?.delivery.state === "dm" ? stored : undefined;
    });
    expect(pair.delivery.threadId).toBeNull();
    for (const id of [a, b]) {
      const dm = t.server.store.dmChannels.get(id);
      expect(dm !== undefined && t.server.messagesIn(dm).length).toBe(1);
    }
    expect(threads(g).map((th) => `${th.name} (type ${th.type})`)).toEqual([]);
    t.server.restorePermissions(g.nexus);
  });

  it("GIVEN a server with more pairs than /pair stats counts quickly WHEN an admin asks THEN the reply is deferred, then the stats", async () => {
    const g = await freshGuild();
    const key = pairStateKey(g.id);
    const state = await t.store.get(key, PairingStateSchema);
    await t.store.set(key, PairingStateSchema, {
      ...PairingStateSchema.parse(state ?? {}),
      nextPairId: STATS_LONG_SCAN_PAIRS + 2,
    });
    const handle = interactIn(g, g.member("big-admin"), "pair", "stats", {}, true);
    expect((await handle.callback).type).toBe(5);
    const stats = await handle.reply();
    expect(stats.ephemeral).toBe(true);
    expect(JSON.stringify(stats.embeds)).toContain("Pairs that met");
  });

  it("GIVEN a match WHEN 48 h pass THEN the job asks in the thread and 'We met' counts toward the stats", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("meet-a"), g.member("meet-b")];
    const threadId = await pairedInThread(g, a, b);
    clock.advance(FOLLOW_UP_MS);
    await t.bot.ctx.jobs.runNow("pairing");
    const followUp = await until("the follow-up", () =>
      t.server.messagesIn(threadId).find((m) => JSON.stringify(m.components ?? []).includes("pair:met:1:")),
    );
    expect(String(followUp.content)).toContain("/learn log");

    const outsider = g.member("outsider");
    const refused = await t.server
      .interact({ guildId: g.id, channelId: threadId, user: outsider, customId: `pair:met:1:yes:${g.id}` })
      .reply();
    expect(refused.ephemeral).toBe(true);
    expect(refused.content).toMatch(/Only the two members/);
    const met = await t.server
      .interact({ guildId: g.id, channelId: threadId, user: a, customId: `pair:met:1:yes:${g.id}` })
      .reply();
    expect(met.ephemeral).toBe(true);
    expect(met.content).toMatch(/Counted: pair #1 met/);

    const stats = await run(g, a, "stats", {}, true);
    const fields = (stats.embeds[0]?.fields ?? []) as Array<{ name: string; value: string }>;
    expect(fields.find((f) => f.name === "Pairs that met")?.value).toBe("1 (100%)");
    const denied = await run(g, a, "stats");
    expect(denied.content).toMatch(/Manage Server/);
  });

  it("GIVEN the 48 h follow-up falls in a Discord outage (its post made but not confirmed, DMs failing) WHEN Discord recovers THEN the pairing job posts it, once", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("fu-a"), g.member("fu-b")];
    const threadId = await pairedInThread(g, a, b);
    const before = t.server.messagesIn(threadId).length;
    clock.advance(FOLLOW_UP_MS + 60_000);
    await pairingJobFailing(/^\/channels\/\d+\/messages$|^\/users\/@me\/channels$/, {
      afterProcessing: true,
    });
    expect((await t.store.get(pairKey(g.id, 1), PairSchema))?.followUpSentAt).toBeNull();
    clock.advance(30 * 60_000);
    await t.bot.ctx.jobs.runNow("pairing");
    expect((await t.store.get(pairKey(g.id, 1), PairSchema))?.followUpSentAt).not.toBeNull();
    const followUps = t.server
      .messagesIn(threadId)
      .slice(before)
      .filter((m) => JSON.stringify(m).includes("We met"));
    expect(followUps).toHaveLength(1);
  });

  it("GIVEN the 48 h follow-up's thread post made by Discord but answered 500, DMs working WHEN the job retries THEN each member has the follow-up once, in the thread", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("fut-a"), g.member("fut-b")];
    const threadId = await pairedInThread(g, a, b);
    const before = t.server.messagesIn(threadId).length;
    clock.advance(FOLLOW_UP_MS + 60_000);
    await pairingJobFailing(new RegExp(`^/channels/${threadId}/messages$`), { afterProcessing: true });
    clock.advance(30 * 60_000);
    await t.bot.ctx.jobs.runNow("pairing");
    expect((await pairOf(g, 1))?.followUpSentAt).not.toBeNull();
    const inThread = t.server
      .messagesIn(threadId)
      .slice(before)
      .filter((m) => JSON.stringify(m).includes("We met"));
    expect(inThread).toHaveLength(1);
    expect([dmsTo(a, "We met").length, dmsTo(b, "We met").length]).toEqual([0, 0]);
  });

  it("GIVEN the 48 h follow-up's thread post answered 500 on every try, DMs working WHEN the last try comes THEN each member has it by DM, once", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("ful-a"), g.member("ful-b")];
    const threadId = await pairedInThread(g, a, b);
    clock.advance(FOLLOW_UP_MS + 60_000);
    const tries: number[] = [];
    for (let i = 0; i < RETRY_TRIES_MAX; i++) {
      await pairingJobFailing(new RegExp(`^/channels/${threadId}/messages$`));
      tries.push(dmsTo(a, "We met").length + dmsTo(b, "We met").length);
      clock.advance(61 * 60_000);
    }
    // No DM while a later try could still post it in the thread; both at the last.
    expect(tries).toEqual([...Array(RETRY_TRIES_MAX - 1).fill(0), 2]);
    expect((await pairOf(g, 1))?.followUpSentAt).not.toBeNull();
    await t.bot.ctx.jobs.runNow("pairing");
    expect([dmsTo(a, "We met").length, dmsTo(b, "We met").length]).toEqual([1, 1]);
  });

  it("GIVEN a pair introduced by DM and one member's follow-up DM failing (500) WHEN the job retries THEN each member has the follow-up once", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("fdm-a"), g.member("fdm-b")];
    await withoutThreads(g, async () => {
      await request(g, a, { role: "backend" });
      await request(g, b, { role: "frontend" });
      await until("the DMs", async () => (await pairOf(g, 1))?.delivery.state === "dm");
      const bDm = t.server.store.dmChannels.get(b);
      clock.advance(FOLLOW_UP_MS + 60_000);
      await pairingJobFailing(new RegExp(`^/channels/${bDm}/messages$`));
      expect(dmsTo(b, "We met")).toHaveLength(0);
      pastNonceWindow(a);
      clock.advance(10 * 60_000);
      await t.bot.ctx.jobs.runNow("pairing");
      expect([dmsTo(a, "We met").length, dmsTo(b, "We met").length]).toEqual([1, 1]);
    });
  });

  /**
   * Pair #1 introduced in its thread, then the store put back as it was when the process died before
   * `recordDelivery`: the pair as the match left it ("delivering", claimed by the requester), and the
   * delivery cursor on it. Returns the thread's id.
   */
  async function introducedButNotRecorded(g: Guild, a: string, b: string): Promise<string> {
    await request(g, a, { role: "backend" });
    await request(g, b, { role: "frontend" });
    return String((await forgetDelivery(g, "private")).delivery.threadId);
  }

  /** Once pair #1 is introduced (`state`), the store put back as `introducedButNotRecorded` says. */
  async function forgetDelivery(g: Guild, state: "private" | "dm") {
    const pair = await until("the introduction recorded", async () => {
      const stored = await t.store.get(pairKey(g.id, 1), PairSchema);
      return stored?.delivery.state === state ? stored : undefined;
    });
    await t.store.set(pairKey(g.id, 1), PairSchema, {
      ...pair,
      delivery: { state: "delivering", at: pair.createdAt, channelId: null, threadId: null },
    });
    await t.store.update(pairStateKey(g.id), PairingStateSchema, (state) =>
      state === undefined ? state : { ...state, deliveryCursor: 1 },
    );
    return pair;
  }

  /** The pairing job after the delivery is presumed abandoned (DELIVERY_STALE_MS), until it has settled. */
  async function retryAbandoned(g: Guild) {
    clock.advance(11 * 60_000);
    await t.bot.ctx.jobs.runNow("pairing");
    return until("the retry to settle", async () => {
      const stored = await t.store.get(pairKey(g.id, 1), PairSchema);
      return stored?.delivery.state !== "delivering" ? stored : undefined;
    });
  }

  it("GIVEN the process died after introducing a pair in its thread but before recording it WHEN the pairing job retries THEN that thread is recorded, with no second thread or introduction", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("crash-a"), g.member("crash-b")];
    const threadId = await introducedButNotRecorded(g, a, b);
    const pair = await retryAbandoned(g);
    expect(pair.delivery).toMatchObject({ state: "private", channelId: g.nexus, threadId });
    expect(threads(g).map((thread) => thread.id)).toEqual([threadId]);
    expect(t.server.messagesIn(threadId)).toHaveLength(1);
  });

  it("GIVEN no threads allowed and the process dead after DMing both members their introduction, before recording it WHEN the pairing job retries (past Discord's nonce window) THEN neither gets it again", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("dmcrash-a"), g.member("dmcrash-b")];
    await withoutThreads(g, async () => {
      await request(g, a, { role: "backend" });
      await request(g, b, { role: "frontend" });
      await forgetDelivery(g, "dm");
      expect(introDms(a, b)).toEqual([1, 1]);
      pastNonceWindow(a);
      pastNonceWindow(b);
      const pair = await retryAbandoned(g);
      expect(pair.delivery).toMatchObject({ state: "dm", dmSent: [a, b] });
      expect(introDms(a, b)).toEqual([1, 1]);
    });
  });

  it("GIVEN the process died after opening a pair's thread, before adding the members or introducing them WHEN the pairing job retries THEN both are added and introduced in that thread", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("crash-c"), g.member("crash-d")];
    const threadId = await introducedButNotRecorded(g, a, b);
    // The server's own records (messagesIn hands out copies).
    const stored = t.server.store.messagesIn(threadId);
    const first = stored.map((message) => message.data.id);
    for (const message of stored) message.deleted = true;
    expect(t.server.messagesIn(threadId)).toEqual([]);
    const thread = t.server.store.channels.get(threadId);
    for (const user of [a, b]) thread?.threadMembers.delete(user);
    const pair = await retryAbandoned(g);
    expect(pair.delivery).toMatchObject({ state: "private", threadId });
    expect(threads(g)).toHaveLength(1);
    expect(threadMemberIds(threadId)).toEqual(expect.arrayContaining([a, b]));
    const [intro, ...more] = t.server.messagesIn(threadId);
    expect(JSON.stringify(intro)).toContain("Suggested mini-project");
    expect(first).not.toContain(intro?.id);
    expect(more).toEqual([]);
  });

  it("GIVEN the process died after adding the members (Discord's 'added to the thread' messages, in the bot's name) WHEN the pairing job retries THEN the introduction is posted", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("crash-e"), g.member("crash-f")];
    const threadId = await introducedButNotRecorded(g, a, b);
    // As Discord leaves it when the introduction was never sent: a system message (type 1) by the bot, with
    // no nonce of the introduction's.
    for (const message of t.server.store.messagesIn(threadId)) {
      message.data = { ...message.data, type: 1, content: "", embeds: [], components: [], mentions: [] };
      message.nonce = undefined;
    }
    const pair = await retryAbandoned(g);
    expect(pair.delivery).toMatchObject({ state: "private", threadId });
    const posted = t.server.messagesIn(threadId).filter((message) => message.type === 0);
    expect(posted).toHaveLength(1);
    expect(JSON.stringify(posted[0])).toContain("Suggested mini-project");
  });

  it("GIVEN an expired request THEN the member is told the next time they use /pair", async () => {
    const g = await freshGuild();
    const a = g.member("expiring");
    await request(g, a, { role: "frontend" });
    clock.advance(7 * DAY_MS);
    await t.bot.ctx.jobs.runNow("pairing");
    expect((await pairState(g.id)).pool).toEqual([]);
    const status = await run(g, a, "status");
    expect(status.content).toMatch(/request \(frontend\) expired/);
    expect(JSON.stringify(status.embeds)).toContain("No open request");
  });

  it("GIVEN requests that expired in the job and in a command THEN the next pass names each member once in the channel, pinging only them", async () => {
    const g = await freshGuild();
    const early = g.member("expires-in-job");
    const late = g.member("expires-in-command");
    const asker = g.member("asks-later");
    const expiredPosts = () =>
      t.server
        .messagesIn(g.nexus)
        .filter((m) => String(m.content).startsWith("⌛ These pairing requests expired"));
    await request(g, early, { role: "frontend" });
    clock.advance(7 * DAY_MS);
    await t.bot.ctx.jobs.runNow("pairing");
    const first = await until("the expiry announcement", () => expiredPosts()[0]);
    expect(String(first.content)).toContain(`<@${early}>`);
    expect(String(first.content)).toContain("/pair request");

    // Expired by another member's /pair request (no job run in between): announced by the next pass.
    await request(g, late, { role: "frontend" });
    clock.advance(7 * DAY_MS);
    await request(g, asker, { role: "backend" });
    await t.bot.ctx.jobs.runNow("pairing");
    await t.bot.ctx.jobs.runNow("pairing");
    await until("the second announcement", () => expiredPosts().length === 2);
    const second = expiredPosts()[1];
    expect(String(second?.content)).toContain(`<@${late}>`);
    expect(String(second?.content)).not.toContain(`<@${early}>`);
    const posted = t.server.requests.filter(
      (r) =>
        r.method === "POST" &&
        r.path.includes(`/channels/${g.nexus}/`) &&
        JSON.stringify(r.body).includes("These pairing requests expired"),
    );
    expect(posted.map((r) => r.mentions.users)).toEqual([[early], [late]]);
    expect(expiredPosts()).toHaveLength(2);
  });

  it("GIVEN Discord failing (5xx) on threads and DMs while /pair round introduces its pair WHEN Discord recovers THEN the pairing job introduces it, as the round's reply promises", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("outage-a"), g.member("outage-b")];
    await request(g, a, { role: "backend" });
    await run(g, a, "pause", { days: 1 });
    await request(g, b, { role: "frontend" });
    clock.advance(DAY_MS);
    await t.server.withFaults(
      {
        rate429: 0,
        rate500: 1,
        maxConsecutive: Number.POSITIVE_INFINITY,
        routes: /^\/channels\/\d+\/threads$|^\/users\/@me\/channels$/,
      },
      async () => {
        const handle = startRound(g);
        await handle.reply();
        const summary = await until("the round's summary", () => {
          const edits = t.server.requestsTo("PATCH", /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/);
          return edits.map((r) => JSON.stringify(r.body)).find((body) => body.includes("Introduced:"));
        });
        expect(summary).toContain("1 not delivered yet (retried automatically)");
        expect((await t.store.get(pairKey(g.id, 1), PairSchema))?.delivery).toMatchObject({
          state: "pending",
          attempts: 1,
        });
      },
    );
    clock.advance(3 * 60_000);
    await t.bot.ctx.jobs.runNow("pairing");
    const pair = await until("the introduction", async () => {
      const stored = await t.store.get(pairKey(g.id, 1), PairSchema);
      return stored?.delivery.state === "private" ? stored : undefined;
    });
    expect(threads(g).map((thread) => thread.id)).toEqual([pair.delivery.threadId]);
    expect(threadMemberIds(String(pair.delivery.threadId))).toEqual(expect.arrayContaining([a, b]));
  });

  it("GIVEN Discord opened a pair's thread but its answer was lost (the try recorded as unanswered) WHEN the pairing job retries THEN that thread is used, not a second one", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("lost-a"), g.member("lost-b")];
    const threadId = await introducedButNotRecorded(g, a, b);
    const stored = await t.store.get(pairKey(g.id, 1), PairSchema);
    if (stored === undefined) throw new Error("no pair");
    await t.store.set(pairKey(g.id, 1), PairSchema, {
      ...stored,
      delivery: { ...stored.delivery, state: "pending", attempts: 1 },
    });
    clock.advance(3 * 60_000);
    await t.bot.ctx.jobs.runNow("pairing");
    const pair = await until("the retry to settle", async () => {
      const retried = await t.store.get(pairKey(g.id, 1), PairSchema);
      return retried?.delivery.state === "private" ? retried : undefined;
    });
    expect(pair.delivery).toMatchObject({ threadId, attempts: 1 });
    expect(threads(g).map((thread) => thread.id)).toEqual([threadId]);
    expect(t.server.messagesIn(threadId)).toHaveLength(1);
  });

  const pairOf = (g: Guild, id: number) => t.store.get(pairKey(g.id, id), PairSchema);
  const dmsTo = (user: string, text: string) => {
    const dm = t.server.store.dmChannels.get(user);
    return dm === undefined ? [] : t.server.messagesIn(dm).filter((m) => JSON.stringify(m).includes(text));
  };
  /**
   * The bot's DMs to `user` made older than Discord's nonce window, which runs on real time (the clock the
   * tests advance is the bot's): a DM sent again is then a second copy, as it would be after the back-off.
   */
  const pastNonceWindow = (user: string) => {
    const dm = t.server.store.dmChannels.get(user);
    for (const message of dm === undefined ? [] : t.server.store.messagesIn(dm))
      message.createdAt -= 10 * 60_000;
  };
  /** Runs `fn` with threads refused in the guild's Nexus channel: introductions fall back to DMs. */
  /** The pairing job's pass with Discord answering 500 on `routes` (after making the post: `afterProcessing`). */
  async function pairingJobFailing(routes: RegExp, { afterProcessing = false } = {}): Promise<void> {
    await t.server.withFaults(
      { rate429: 0, rate500: 1, afterProcessing, maxConsecutive: Number.POSITIVE_INFINITY, routes },
      () => t.bot.ctx.jobs.runNow("pairing"),
    );
  }

  async function withoutThreads<T>(g: Guild, fn: () => Promise<T>): Promise<T> {
    t.server.denyPermissions(g.nexus, { createPrivateThreads: true, createPublicThreads: true });
    try {
      return await fn();
    } finally {
      t.server.restorePermissions(g.nexus);
    }
  }
  /** How many introduction DMs each of `users` has. */
  const introDms = (...users: string[]) => users.map((user) => dmsTo(user, "Suggested mini-project").length);
  /** An admin's `/pair round` in the guild's Nexus channel (its handle: the reply comes deferred). */
  const startRound = (g: Guild) =>
    t.server.interact({
      guildId: g.id,
      channelId: g.nexus,
      admin: true,
      commandName: "pair",
      subcommand: "round",
    });
  /** `a` (backend) and `b` (frontend) matched as pair #1: its thread's id once it is open. */
  async function pairedInThread(g: Guild, a: string, b: string): Promise<string> {
    await request(g, a, { role: "backend" });
    await request(g, b, { role: "frontend" });
    return until(
      "the thread",
      async () => (await t.store.get(pairKey(g.id, 1), PairSchema))?.delivery.threadId ?? undefined,
    );
  }
  /**
   * A frontend learner asks, then leaves the guild (seen a moment ago, so the match does not check), and a
   * backend learner is matched with them: the reply names the departed partner.
   */
  async function pairedWithDeparted(
    g: Guild,
    leftName: string,
    askerName: string,
  ): Promise<{ asker: string }> {
    const [leaves, asker] = [g.member(leftName), g.member(askerName)];
    await request(g, leaves, { role: "frontend" });
    t.server.removeMember(g.id, leaves);
    const reply = await request(g, asker, { role: "backend" });
    expect(reply.content).toContain(`<@${leaves}> is the **frontend**`);
    return { asker };
  }
  /**
   * `user` asks as frontend and is matched while Discord does the work of `routes` but answers 500: returns
   * once that first try is recorded as unanswered.
   */
  async function matchedUnanswered(g: Guild, user: string, routes: RegExp): Promise<void> {
    const faults = {
      rate429: 0,
      rate500: 1,
      afterProcessing: true,
      maxConsecutive: Number.POSITIVE_INFINITY,
    };
    await t.server.withFaults({ ...faults, routes }, async () => {
      await request(g, user, { role: "frontend" });
      await until(
        "the try recorded as unanswered",
        async () => (await pairOf(g, 1))?.delivery.attempts === 1,
      );
    });
  }
  /** The pairing job's pass once the first retry's wait has passed. */
  async function retryDeliveries(): Promise<void> {
    clock.advance(3 * 60_000);
    await t.bot.ctx.jobs.runNow("pairing");
  }
  const settledDelivery = (g: Guild) =>
    until("the delivery to settle", async () => {
      const pair = await pairOf(g, 1);
      return pair?.delivery.state !== "pending" && pair?.delivery.state !== "delivering" ? pair : undefined;
    });

  it("GIVEN Discord making the private thread's introduction but answering 500 WHEN the try and its retry finish THEN the pair has one private thread, and no public one shows its notes", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("pub-a"), g.member("pub-b")];
    await request(g, a, { role: "backend", note: "my private note" });
    await matchedUnanswered(g, b, /^\/channels\/\d+\/messages$/);
    await retryDeliveries();
    const pair = await settledDelivery(g);
    expect(pair?.delivery.state).toBe("private");
    expect(threads(g).map((thread) => thread.type)).toEqual([12]);
    const [thread] = threads(g);
    const intros = t.server
      .messagesIn(String(thread?.id))
      .filter((m) => String(m.content).includes("you are pair #1"));
    expect(intros).toHaveLength(1);
  });

  it("GIVEN Discord failing (500) to add thread members and to open DMs WHEN the job retries twice and Discord recovers THEN the channel holds one thread of the pair", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("po-a"), g.member("po-b")];
    await request(g, a, { role: "backend" });
    await t.server.withFaults(
      {
        rate429: 0,
        rate500: 1,
        maxConsecutive: Number.POSITIVE_INFINITY,
        routes: /^\/channels\/\d+\/thread-members\/\d+$|^\/users\/@me\/channels$/,
      },
      async () => {
        await request(g, b, { role: "frontend" });
        await until("the first try", async () => (await pairOf(g, 1))?.delivery.attempts === 1);
        clock.advance(3 * 60_000);
        await t.bot.ctx.jobs.runNow("pairing");
        await until("the second try", async () => (await pairOf(g, 1))?.delivery.attempts === 2);
      },
    );
    clock.advance(9 * 60_000);
    await t.bot.ctx.jobs.runNow("pairing");
    await until("the introduction", async () => (await pairOf(g, 1))?.delivery.state === "private");
    expect(threads(g).map((thread) => thread.type)).toEqual([12]);
  });

  it("GIVEN no threads allowed and Discord making the DMs but answering 500 WHEN the job retries the pending pair THEN each member has the introduction once", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("dm-a"), g.member("dm-b")];
    await withoutThreads(g, async () => {
      await request(g, a, { role: "backend" });
      await matchedUnanswered(g, b, /^\/channels\/\d+\/messages$/);
      await retryDeliveries();
      await until("the retry", async () => (await pairOf(g, 1))?.delivery.state === "dm");
      expect(introDms(a, b)).toEqual([1, 1]);
    });
  });

  /**
   * `a` (backend) and `b` (frontend) matched as pair #1 while threads are refused and `b`'s DM fails (500):
   * only `a` has the introduction, the pair is pending. Returns the reply `b` was given.
   */
  async function introducedToOneByDm(g: Guild, a: string, b: string) {
    const bUser = t.server.store.users.get(b);
    if (bUser === undefined) throw new Error("no user");
    const bDm = t.server.store.openDm(bUser).id;
    return withoutThreads(g, async () => {
      await request(g, a, { role: "backend" });
      return t.server.withFaults(
        {
          rate429: 0,
          rate500: 1,
          maxConsecutive: Number.POSITIVE_INFINITY,
          routes: new RegExp(`^/channels/${bDm}/messages$`),
        },
        async () => {
          const handle = interactIn(g, b, "pair", "request", { role: "frontend" });
          await until("the first try", async () => (await pairOf(g, 1))?.delivery.state !== "delivering");
          return until("the requester told", async () => {
            const reply = await handle.reply();
            return String(reply.content).includes("Opening a private thread") ? undefined : reply;
          });
        },
      );
    });
  }

  it("GIVEN no threads allowed and one member's DM failing (500) WHEN the job retries THEN the member who missed it gets the introduction, and the other only once", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("half-a"), g.member("half-b")];
    const told = await introducedToOneByDm(g, a, b);
    expect((await pairOf(g, 1))?.delivery).toMatchObject({ state: "pending", attempts: 1 });
    // The requester is the one whose DM Discord did not take.
    expect(told.content).toContain(
      `<@${a}> has the introduction by direct message; Discord did not take yours yet`,
    );
    await withoutThreads(g, async () => {
      // Past Discord's nonce window: only the record can keep the first member from a second copy.
      pastNonceWindow(a);
      clock.advance(10 * 60_000);
      await t.bot.ctx.jobs.runNow("pairing");
      await until("the retry", async () => (await pairOf(g, 1))?.delivery.state === "dm");
      expect(introDms(a, b)).toEqual([1, 1]);
    });
  });

  it("GIVEN one member introduced by DM (threads refused, the other's DM failing) WHEN threads are allowed again by the retry THEN only the other is sent it, by DM, and no thread introduces the first again", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("late-a"), g.member("late-b")];
    await introducedToOneByDm(g, a, b);
    expect(introDms(a, b)).toEqual([1, 0]);
    pastNonceWindow(a);
    await retryDeliveries();
    const pair = await settledDelivery(g);
    expect(pair.delivery).toMatchObject({ state: "dm", dmSent: [a, b] });
    expect(introDms(a, b)).toEqual([1, 1]);
    expect(threads(g)).toEqual([]);
  });

  it("GIVEN no threads allowed and one member's DM failing (500) WHEN /pair round introduces their pair THEN the summary says one member has it by DM, not that it was not delivered", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("rhalf-a"), g.member("rhalf-b")];
    const bUser = t.server.store.users.get(b);
    if (bUser === undefined) throw new Error("no user");
    const bDm = t.server.store.openDm(bUser).id;
    await request(g, a, { role: "backend" });
    await run(g, a, "pause", { days: 1 });
    await request(g, b, { role: "frontend" });
    clock.advance(DAY_MS);
    const summary = await withoutThreads(g, () =>
      t.server.withFaults(
        {
          rate429: 0,
          rate500: 1,
          maxConsecutive: Number.POSITIVE_INFINITY,
          routes: new RegExp(`^/channels/${bDm}/messages$`),
        },
        async () => {
          const handle = startRound(g);
          await handle.reply();
          return until("the round's summary", () =>
            t.server
              .requestsTo("PATCH", new RegExp(`^/webhooks/\\d+/${handle.token}/messages/@original$`))
              .map((r) => JSON.stringify(r.body))
              .find((body) => body.includes("Introduced:")),
          );
        },
      ),
    );
    expect((await pairOf(g, 1))?.delivery).toMatchObject({ state: "pending", dmSent: [a] });
    expect(introDms(a, b)).toEqual([1, 0]);
    expect(summary).not.toContain("not delivered yet");
    expect(summary).toContain("1 by DM to one member so far (the other's DM is retried automatically)");
  });

  it("GIVEN no threads allowed and the requester's DMs closed WHEN they are paired THEN they are told only their partner has the introduction, not that both got it", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("shut-a"), g.member("shut-b")];
    t.server.closeDms(b);
    await withoutThreads(g, async () => {
      await request(g, a, { role: "backend" });
      const handle = interactIn(g, b, "pair", "request", { role: "frontend" });
      const told = await until("the requester told", async () => {
        const reply = await handle.reply();
        return String(reply.content).includes("Opening a private thread") ? undefined : reply;
      });
      expect((await pairOf(g, 1))?.delivery).toMatchObject({ state: "dm", dmSent: [a] });
      expect(told.content).not.toContain("sent you both");
      expect(told.content).toContain(
        `I sent <@${a}> the introduction by direct message, but I could not DM you`,
      );
    });
  });

  it("GIVEN a bot without Embed Links and the process dead after introducing a pair WHEN the job retries THEN the introduction is not posted again", async () => {
    const g = await freshGuild();
    t.server.denyPermissions(g.nexus, { embedLinks: true });
    try {
      const [a, b] = [g.member("emb-a"), g.member("emb-b")];
      const threadId = await introducedButNotRecorded(g, a, b);
      await retryAbandoned(g);
      const intros = t.server
        .messagesIn(threadId)
        .filter((m) => String(m.content).includes("you are pair #1"));
      expect(intros).toHaveLength(1);
    } finally {
      t.server.restorePermissions(g.nexus);
    }
  });

  it("GIVEN learners waiting on both sides WHEN an admin runs /pair round THEN pairs get threads and the leftover is told", async () => {
    const g = await freshGuild();
    const backends = [g.member("rb1"), g.member("rb2"), g.member("rb3")];
    const frontends = [g.member("rf1"), g.member("rf2")];
    // Everyone asks while the other side is paused, so nobody is matched at once.
    for (const user of backends) {
      await request(g, user, { role: "backend" });
      await run(g, user, "pause", { days: 1 });
    }
    for (const user of frontends) await request(g, user, { role: "frontend" });
    clock.advance(DAY_MS);
    const state = await pairState(g.id);
    expect(state.pool).toHaveLength(5);

    const refused = await run(g, backends[0] as string, "round");
    expect(refused.content).toMatch(/Manage Server/);
    const handle = startRound(g);
    const first = await handle.reply();
    expect(first.ephemeral).toBe(true);
    expect(first.content).toMatch(/Matched \*\*2\*\* pairs\. Still queued: 1 backend, 0 frontend/);
    await until("two threads", () => threads(g).length === 2);
    const leftover = backends[2] as string;
    const announcement = await until("the leftover announcement", () =>
      t.server.messagesIn(g.nexus).find((m) => String(m.content).startsWith("Matching round")),
    );
    expect(String(announcement.content)).toContain(`<@${leftover}>`);
    const status = await run(g, leftover, "status");
    expect(status.content).toMatch(/could not pair you this time/);
  });

  it("GIVEN a round pair whose member left the guild THEN the pair is undone and the other keeps their place", async () => {
    const g = await freshGuild();
    const [stays, leaves] = [g.member("stays-r"), g.member("leaves-r")];
    await request(g, stays, { role: "backend" });
    await run(g, stays, "pause", { days: 1 });
    await request(g, leaves, { role: "frontend" });
    clock.advance(DAY_MS);
    t.server.removeMember(g.id, leaves);
    const handle = startRound(g);
    await handle.reply();
    await until("the round's final summary", () =>
      t.server
        .requestsTo("PATCH", /^\/webhooks\/\d+\/[^/]+\/messages\/@original$/)
        .some((r) => JSON.stringify(r.body).includes("1 undone because a member had left")),
    );
    expect(threads(g)).toEqual([]);
    const state = await pairState(g.id);
    expect(state.pool.map((e) => e.user)).toEqual([stays]);
    expect(state.stats).toMatchObject({ matches: 0, departed: 1 });
    const status = await run(g, stays, "status");
    expect(status.content).toMatch(/left the server before you were introduced/);
    expect(JSON.stringify(status.embeds)).toContain("Open request as **backend**");
  });

  it("GIVEN two former partners both waiting WHEN the recency window ends THEN the pairing job pairs them (before their requests expire) in a thread", async () => {
    const g = await freshGuild();
    const [a, b] = [g.member("rec-a"), g.member("rec-b")];
    await request(g, a, { role: "backend" });
    expect((await request(g, b, { role: "frontend" })).content).toMatch(/You are paired!/);
    await until("the first pair's thread", () => threads(g).length === 1);
    clock.advance(27 * DAY_MS);
    await request(g, a, { role: "backend" });
    const waiting = await request(g, b, { role: "frontend" });
    expect(waiting.content).toMatch(/whom you were paired with in the last 28 days, so not again yet/);
    await t.bot.ctx.jobs.runNow("pairing");
    expect((await pairState(g.id)).pool).toHaveLength(2);
    clock.advance(DAY_MS);
    await t.bot.ctx.jobs.runNow("pairing");
    expect((await pairState(g.id)).pool).toEqual([]);
    const pair = await t.store.get(pairKey(g.id, 2), PairSchema);
    expect(pair).toMatchObject({ via: "queue", backend: { user: a }, frontend: { user: b } });
    expect(pair?.delivery.state).toBe("private");
    const thread = threads(g).find((c) => c.id === pair?.delivery.threadId);
    expect(threadMemberIds(String(thread?.id))).toEqual(expect.arrayContaining([a, b]));
  });

  it("GIVEN a request with a topic and a note, paused WHEN the member resumes it with /pair request as the pause reply says THEN the topic and note are kept and the reply says so", async () => {
    const g = await freshGuild();
    const a = g.member("resume-a");
    await request(g, a, {
      role: "backend",
      topic: "Docker",
      note: "Evenings after 18:00 WAT, I want to try FastAPI",
    });
    const paused = await run(g, a, "pause", { days: 3 });
    expect(paused.content).toMatch(/`\/pair request` resumes it earlier/);
    const resumed = await request(g, a, { role: "backend" });
    expect(resumed.content).toMatch(
      /your pause is lifted and your request keeps its place \(on \*\*Docker\*\*, with your note\)\./,
    );
    const status = await run(g, a, "status");
    const description = String((status.embeds[0] as { description?: string }).description);
    expect(description).toContain("on **Docker**");
    expect(description).toContain("Note: Evenings after 18:00 WAT");
  });

  it("GIVEN a round whose pair is undone because a backend left WHEN the frontend is re-matched with the round's leftover THEN the channel post does not tell that leftover they are still queued, nor the summary count them", async () => {
    const g = await freshGuild();
    const [b1, b2, f1] = [g.member("lo-b1"), g.member("lo-b2"), g.member("lo-f1")];
    // Both backends ask while the frontend side is empty, then pause so the frontend is not matched at once.
    await request(g, b1, { role: "backend" });
    await run(g, b1, "pause", { days: 1 });
    clock.advance(60_000);
    await request(g, b2, { role: "backend" });
    await run(g, b2, "pause", { days: 1 });
    await request(g, f1, { role: "frontend" });
    clock.advance(DAY_MS);
    t.server.removeMember(g.id, b1); // b1 waited longest: the round pairs b1 with f1, b2 is left over
    const handle = startRound(g);
    const first = await handle.reply();
    expect(first.content).toMatch(/Matched \*\*1\*\* pair\. Still queued: 1 backend, 0 frontend/);
    const final = await until("the round's final summary", () =>
      t.server
        .requestsTo("PATCH", new RegExp(`^/webhooks/\\d+/${handle.token}/messages/@original$`))
        .map((r) => JSON.stringify(r.body))
        .find((body) => body.includes("Introduced:")),
    );
    expect(final).toContain("1 undone because a member had left");
    // f1 went back to the queue and was paired with b2 at once (pair #2): nobody is waiting.
    expect((await pairState(g.id)).pool).toEqual([]);
    expect((await t.store.get(pairKey(g.id, 2), PairSchema))?.backend.user).toBe(b2);
    expect(final).toContain("Still queued: 0 backend, 0 frontend.");
    expect(
      t.server.messagesIn(g.nexus).filter((m) => String(m.content).startsWith("Matching round")),
    ).toEqual([]);
  });

  it("GIVEN 250 backend and 250 frontend requests at once THEN 250 pairs, nobody twice, nothing lost, every reply in time", async () => {
    const g = await freshGuild();
    const users = Array.from({ length: 500 }, (_, i) => g.member(`load${i}-`));
    const handles = users.map((user, i) =>
      interactIn(g, user, "pair", "request", { role: i % 2 === 0 ? "backend" : "frontend" }),
    );
    const replies = await Promise.all(handles.map((h) => h.reply({ timeoutMs: 20_000 })));
    expect(handles.filter((h) => h.late)).toHaveLength(0);
    expect(replies.every((r) => r.ephemeral)).toBe(true);
    expect(replies.filter((r) => r.content.includes("You are paired!"))).toHaveLength(250);
    const state = await pairState(g.id);
    expect(state.pool).toEqual([]);
    expect(state.stats).toMatchObject({ requests: 500, matches: 250 });
    const pairs = await t.store.getMany(
      Array.from({ length: 250 }, (_, i) => pairKey(g.id, i + 1)),
      PairSchema,
    );
    const paired = pairs.flatMap((p) => (p ? [p.backend.user, p.frontend.user] : []));
    expect(paired).toHaveLength(500);
    expect(new Set(paired)).toEqual(new Set(users));
  }, 60_000);

  it("GIVEN a matching /pair request acknowledged too late THEN the pair's thread is still opened at once", async () => {
    const g = await freshGuild();
    const backend = g.member("lou");
    const frontend = g.member("lea");
    await request(g, backend, { role: "backend" });
    // The guild's lock held past Discord's 3 s deadline, as a long section of any feature would.
    const busy = t.store.locked(g.id, () => sleep(3_200));
    const late = interactIn(g, frontend, "pair", "request", { role: "frontend" });
    await expect(late.reply()).rejects.toThrow(/deadline/);
    await busy;
    // No pairing pass runs: the introduction follows the late reply itself.
    const [thread] = await until("the pair's thread", () =>
      threads(g).length === 1 ? threads(g) : undefined,
    );
    await until("both members in the thread", () =>
      [backend, frontend].every((user) => threadMemberIds(String(thread?.id)).includes(user)),
    );
    const pair = await until("the delivery to be recorded", async () => {
      const stored = await t.store.get(pairKey(g.id, 1), PairSchema);
      return stored?.delivery.state === "private" ? stored : undefined;
    });
    expect(pair.delivery.threadId).toBe(thread?.id);
  }, 20_000);

  it("GIVEN a backend waiting since before they set /nexus timezone WHEN a frontend is matched with them THEN the pair and its introduction have the zone they set", async () => {
    const g = await freshGuild();
    const backend = g.member("tz-bea");
    const frontend = g.member("tz-fred");
    await request(g, backend, { role: "backend" });
    expect((await nexus(g, backend, "timezone", { name: "Asia/Tokyo" })).content).toContain("Asia/Tokyo");
    expect((await request(g, frontend, { role: "frontend" })).content).toMatch(/You are paired!/);
    const pair = await t.store.get(pairKey(g.id, 1), PairSchema);
    expect({ backend: pair?.backend.tz, frontend: pair?.frontend.tz }).toEqual({
      backend: "Asia/Tokyo",
      frontend: "UTC",
    });
    expect((await introFields(g, 1)).Backend).toContain("Time zone: Asia/Tokyo");
  });

  it("GIVEN a frontend without a zone of their own waiting WHEN an admin sets the server's zone with /nexus setup and a backend is matched THEN the frontend is introduced with the server's new zone", async () => {
    const g = await freshGuild();
    const frontend = g.member("tz-fay");
    const backend = g.member("tz-ben");
    const admin = g.member("tz-admin");
    await request(g, frontend, { role: "frontend" });
    const setup = await nexus(g, admin, "setup", { channel: g.nexus, timezone: "Africa/Lagos" }, true);
    expect(setup.content).toContain("(Africa/Lagos)");
    expect((await request(g, backend, { role: "backend" })).content).toMatch(/You are paired!/);
    const pair = await t.store.get(pairKey(g.id, 1), PairSchema);
    expect(pair?.frontend.tz).toBe("Africa/Lagos");
    expect((await introFields(g, 1)).Frontend).toContain("Time zone: Africa/Lagos");
  });

  it("GIVEN every request the bot made THEN all were valid and only introductions and follow-ups pinged, never roles or everyone", () => {
    const invalid = t.server.requests.filter((r) => !r.valid);
    expect(invalid.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.errors)}`)).toEqual([]);
    for (const r of t.server.requests.filter((req) => req.wouldPing)) {
      expect(r.mentions.everyone).toBe(false);
      expect(r.mentions.roles).toEqual([]);
      expect(r.mentions.users.length).toBeLessThanOrEqual(90);
    }
  });
});
