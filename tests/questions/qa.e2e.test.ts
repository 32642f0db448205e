import { DiscordAPIError } from "discord.js";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { OUTBOX_JOB } from "../../events/questionJobs.js";
import { ManualClock } from "../../src/clock.js";
import { setupGuild } from "../../src/guild/config.js";
import { silentLogger } from "../../src/log.js";
import { readIndex } from "../../src/questions/catalog.js";
import { deliverToQuestion, type QaContext, showAccepted } from "../../src/questions/discord.js";
import { answerEmbed, questionEmbed } from "../../src/questions/embeds.js";
import {
  acceptAnswer,
  addAnswer,
  askQuestion,
  getAnswer,
  getQuestion,
  REPOST_AFTER_MS,
  SETTLE_QUESTION_AFTER_MS,
} from "../../src/questions/questions.js";
import { memberReputation, readRepLog } from "../../src/questions/reputation.js";
import { keys, NUDGE_AFTER_MS, OutboxSchema, type Question } from "../../src/questions/schema.js";
import { retryDelay } from "../../src/retry.js";
import { openStore } from "../../src/store/open.js";
import { startTestBot, type TestBot } from "../support/bot.js";
import { FIXTURE_IDS, type JsonObject } from "../support/discord-server.js";

const NEXUS = FIXTURE_IDS.nexusChannelId;
const ASKER = FIXTURE_IDS.memberId; // grace, a normal member
const MOD = FIXTURE_IDS.moderatorId; // linus, Manage Threads
const TITLE = "How do I run Django migrations inside Docker compose?";

describe("Q&A end to end (in-process bot, local Discord)", () => {
  let t: TestBot;
  let helper: string;
  let other: string;

  beforeAll(async () => {
    t = await startTestBot();
    helper = t.server.addMember(t.server.guildId, { username: "alan", globalName: "Alan" }).user.id;
    other = t.server.addMember(t.server.guildId, { username: "barbara", globalName: "Barbara" }).user.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const embedsOf = (message: JsonObject | undefined) => (message?.embeds ?? []) as JsonObject[];
  const text = (value: unknown) => JSON.stringify(value);

  function ask(title: string, extra: Record<string, string> = {}, user = ASKER) {
    return t.server.interact({ user, commandName: "ask", options: { title, ...extra } }).reply();
  }
  /** Waits until every interaction has finished its work (the REST calls after the reply too). */
  async function settled(): Promise<void> {
    await vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });
  }
  function answerHandle(question: number, body: string, user = helper) {
    return t.server.interact({
      user,
      commandName: "answer",
      options: { question: { type: 4, value: question }, text: body },
    });
  }
  async function answer(question: number, body: string, user = helper) {
    const reply = await answerHandle(question, body, user).reply();
    await settled();
    return reply;
  }
  async function accept(id: string, user = ASKER) {
    const reply = await t.server.interact({ user, commandName: "accept", options: { answer: id } }).reply();
    await settled();
    return reply;
  }
  async function question(n: number) {
    const q = await getQuestion(t.store, t.server.guildId, n);
    if (q === undefined || q.messageId === null || q.threadId === null) throw new Error(`Q${n} not posted`);
    return { ...q, messageId: q.messageId, threadId: q.threadId };
  }

  it("GIVEN /ask THEN the question embed is posted in the Nexus channel with a public thread and a first message", async () => {
    const reply = await ask(TITLE, {
      details: "It says `relation does not exist` @everyone",
      topic: "docker",
    });
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toContain("Your question is **Q1**");
    const q = await question(1);
    const posted = t.server.messagesIn(NEXUS).find((m) => m.id === q.messageId);
    const [embed] = embedsOf(posted);
    expect(embed?.title).toBe(`Q1 · ${TITLE}`);
    expect(String(embed?.description)).not.toContain("@everyone");
    expect(text(embed?.fields)).toContain("Docker");
    const thread = t.server.channel(q.threadId);
    expect(thread?.name).toBe(TITLE);
    expect(thread?.parent_id).toBe(NEXUS);
    const startThread = t.server.requestsTo(
      "POST",
      new RegExp(`/channels/${NEXUS}/messages/${q.messageId}/threads$`),
    );
    expect(startThread).toHaveLength(1);
    expect(startThread[0]?.body).toMatchObject({ name: TITLE, auto_archive_duration: 10080 });
    const intro = t.server.messagesIn(q.threadId);
    expect(intro).toHaveLength(1);
    expect(String(intro[0]?.content)).toContain("/answer question:1");
  });

  it("GIVEN no Nexus channel in a guild WHEN someone asks THEN they are told to have an admin run /nexus setup", async () => {
    const guildId = t.server.addGuild({ name: "Other", channels: [{ name: "general" }] });
    const reply = await t.server
      .interact({ guildId, commandName: "ask", options: { title: "A question long enough to ask" } })
      .reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/\/nexus setup/);
    expect(await readIndex(t.store, guildId)).toEqual([]);
  });

  it("GIVEN a too-short title THEN the ephemeral error names the rule", async () => {
    const reply = await t.server
      .interact({ commandName: "ask", options: { title: { type: 3, value: "Why error?" } } })
      .reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/15–200 characters/);
  });

  it("GIVEN open questions WHEN /answer autocompletes THEN the best match comes first", async () => {
    await ask("Why does my Celery worker ignore scheduled tasks?", {}, other);
    const choices = await t.server
      .interact({
        user: helper,
        commandName: "answer",
        options: { question: "docker migrations" },
        focused: "question",
      })
      .autocompleteChoices();
    expect(choices[0]).toEqual({ name: `Q1 · ${TITLE} (0 answers)`, value: 1 });
    expect(choices.map((c) => c.value)).not.toContain(2);
  });

  it("GIVEN /answer THEN a numbered answer embed lands in the question's thread and the answerer gets its id", async () => {
    const reply = await answer(1, "Run `python manage.py migrate` in the entrypoint. <@123> @here");
    expect(reply.ephemeral).toBe(true);
    const q = await question(1);
    expect(reply.content).toBe(`Your answer **1-1** to Q1 is saved and posted in <#${q.threadId}>.`);
    const posted = t.server.messagesIn(q.threadId).at(-1);
    const [embed] = embedsOf(posted);
    expect(embed?.title).toBe("Answer 1-1 · Q1");
    expect(String(embed?.description)).not.toMatch(/@here|<@123>/);
    await answer(1, "Or use a one-off `docker compose run web migrate`.", other);
  });

  it("GIVEN someone who is not the asker WHEN they /accept THEN they are refused and nothing changes", async () => {
    const reply = await accept("1-1", helper);
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/Only the asker of Q1/);
    expect((await question(1)).status).toBe("open");
  });

  it("GIVEN the asker WHEN /accept autocompletes and accepts THEN the embed shows solved with a link, the thread is renamed and the answerer earns 10", async () => {
    const choices = await t.server
      .interact({ user: ASKER, commandName: "accept", options: { answer: "" }, focused: "answer" })
      .autocompleteChoices();
    expect(choices.map((c) => c.value)).toEqual(["1-2", "1-1"]);
    const reply = await accept("1-1");
    expect(reply.content).toContain("Q1 is solved");
    const q = await question(1);
    const answerMessage = t.server.messagesIn(q.threadId).find((m) => text(m.embeds).includes("Answer 1-1"));
    const edit = t.server
      .requestsTo("PATCH", new RegExp(`/channels/${NEXUS}/messages/${q.messageId}$`))
      .at(-1);
    expect(text(edit?.body)).toContain(
      `✅ Solved: [answer 1-1](https://discord.com/channels/${t.server.guildId}/${q.threadId}/${answerMessage?.id})`,
    );
    expect(t.server.channel(q.threadId)?.name).toBe(`✅ ${TITLE}`);
    expect(t.server.requestsTo("PATCH", new RegExp(`/channels/${q.threadId}$`))).toHaveLength(1);
    expect(await memberReputation(t.store, t.server.guildId, helper)).toEqual({ points: 10, accepted: 1 });
  });

  it("GIVEN a solved question WHEN someone answers it THEN they are told it is solved", async () => {
    const reply = await answer(1, "Late answer", other);
    expect(reply.content).toMatch(/Q1 is already solved/);
  });

  it("GIVEN the asker accepts another answer THEN the credit moves, the thread is not renamed again", async () => {
    await accept("1-2");
    expect(await memberReputation(t.store, t.server.guildId, helper)).toEqual({ points: 0, accepted: 0 });
    expect(await memberReputation(t.store, t.server.guildId, other)).toEqual({ points: 10, accepted: 1 });
    const q = await question(1);
    expect(t.server.requestsTo("PATCH", new RegExp(`/channels/${q.threadId}$`))).toHaveLength(1);
    await accept("1-1");
  });

  it("GIVEN a solved similar question WHEN a new one is asked THEN the thread's first message links its accepted answer", async () => {
    await ask("Django migrations do not run in my Docker container", {}, other);
    const q = await question(3);
    const [intro] = t.server.messagesIn(q.threadId);
    const embedText = text(intro?.embeds);
    expect(embedText).toContain("Similar questions");
    expect(embedText).toContain("accepted answer 1-1");
  });

  it("GIVEN /reputation and /leaderboard reputation THEN the points show, weekly and all-time", async () => {
    const rep = await t.server.interact({ commandName: "reputation", options: { member: helper } }).reply();
    expect(text(rep.embeds)).toContain("10 points");
    const board = await t.server
      .interact({ commandName: "leaderboard", subcommand: "reputation", options: { period: "week" } })
      .reply();
    expect(board.ephemeral).toBe(false);
    expect(String(board.embeds[0]?.description)).toContain(`🥇 <@${helper}> · **10 points**`);
    expect(board.wouldPing).toBe(false);
  });

  it("GIVEN the thread was deleted WHEN someone answers THEN the answer lands in the channel as a reply to the question, saying why", async () => {
    const q = await question(3);
    t.server.deleteChannel(q.threadId);
    const handle = answerHandle(3, "Check that the db service is healthy first.");
    expect((await handle.reply()).content).toContain("**3-1**");
    const [told] = await handle.followups({ atLeast: 1 });
    await settled();
    expect(told?.ephemeral).toBe(true);
    expect(told?.content).toMatch(
      /went in the channel under Q3 instead, because the question's thread was deleted/,
    );
    const fallback = t.server.messagesIn(NEXUS).at(-1);
    expect((fallback?.message_reference as JsonObject | undefined)?.message_id).toBe(q.messageId);
    expect(String(fallback?.content)).toContain("because the question's thread was deleted");
    expect(text(fallback?.embeds)).toContain("Answer 3-1");
    // later answers go straight to the channel
    const before = t.server.requestsTo("GET", new RegExp(`/channels/${q.threadId}$`)).length;
    const second = await answer(3, "And run migrate after the db is up.", other);
    expect(second.content).toContain("posted in the channel under Q3");
    expect(t.server.requestsTo("GET", new RegExp(`/channels/${q.threadId}$`))).toHaveLength(before);
  });

  it("GIVEN the bot may not post in a thread WHEN someone answers THEN it lands in the channel with the reason", async () => {
    await ask("Redis cache keys collide between tenants, how to namespace?", {}, ASKER);
    const q = await question(4);
    t.server.denyPermissions(q.threadId, { sendMessagesInThreads: true, sendMessages: true });
    const handle = answerHandle(4, "Prefix keys with the tenant id.");
    await handle.reply();
    const [told] = await handle.followups({ atLeast: 1 });
    await settled();
    expect(told?.content).toMatch(/because I am not allowed to post in the question's thread/);
    const fallback = t.server.messagesIn(NEXUS).at(-1);
    expect((fallback?.message_reference as JsonObject | undefined)?.message_id).toBe(q.messageId);
    t.server.restorePermissions(q.threadId);
  });

  it("GIVEN two /accept racing on one question THEN exactly one answer is accepted and reputation is consistent", async () => {
    await ask("What is the right way to paginate a DRF viewset?", {}, ASKER);
    await answer(5, "PageNumberPagination", helper);
    await answer(5, "CursorPagination for big tables", other);
    const [a, b] = await Promise.all([
      accept("5-1", ASKER),
      t.server.interact({ user: MOD, commandName: "accept", options: { answer: "5-2" } }).reply(),
    ]);
    await settled();
    expect(a.content).toContain("Q5 is solved");
    expect(b.content).toContain("Q5 is solved");
    const q = await question(5);
    const live = (await readRepLog(t.store, t.server.guildId)).filter(
      (e) => e.questionNumber === 5 && e.revokedAt === null,
    );
    expect(live).toHaveLength(1);
    expect(live[0]?.userId).toBe(q.accepted?.answer === 1 ? helper : other);
  });

  it("GIVEN 300 concurrent /answer on one question THEN they get 300 distinct numbers and all are posted", async () => {
    await ask("Which Python version should the capstone project target?", {}, ASKER);
    const q = await question(6);
    const replies = await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        t.server
          .interact({
            user: i % 2 ? helper : other,
            commandName: "answer",
            options: { question: { type: 4, value: 6 }, text: `Answer number ${i}` },
          })
          .reply({ timeoutMs: 25_000 }),
      ),
    );
    const ids = replies.map((r) => /\*\*6-(\d+)\*\*/.exec(r.content)?.[1]).map(Number);
    expect(new Set(ids).size).toBe(300);
    expect(Math.max(...ids)).toBe(300);
    await settled();
    const titles = t.server.messagesIn(q.threadId).flatMap((m) => embedsOf(m).map((e) => e.title));
    expect(new Set(titles.filter((title) => String(title).startsWith("Answer 6-"))).size).toBe(300);
    expect((await t.store.get(keys.outbox(t.server.guildId), OutboxSchema))?.answers).toEqual([]);
  }, 60_000);

  it("GIVEN /questions open, search and mine THEN paged lists show status, answer counts and age", async () => {
    const open = await t.server.interact({ commandName: "questions", subcommand: "open" }).reply();
    expect(open.ephemeral).toBe(true);
    const description = String(open.embeds[0]?.description);
    expect(description).toContain("**Q6**");
    expect(description).toContain("300 answers");
    expect(description).not.toContain("**Q1**");
    expect(description).toMatch(/asked <t:\d+:R>/);
    const search = await t.server
      .interact({ commandName: "questions", subcommand: "search", options: { query: "django docker" } })
      .reply();
    expect(String(search.embeds[0]?.description)).toMatch(/\*\*Q[13]\*\*[\s\S]*✅ solved/);
    const mine = await t.server
      .interact({ user: other, commandName: "questions", subcommand: "mine" })
      .reply();
    expect(String(mine.embeds[0]?.description).match(/\*\*Q\d+\*\*/g)).toEqual(["**Q3**", "**Q2**"]);
  });

  it("GIVEN a question unanswered for 48 h THEN the job posts exactly one nudge in its thread, pinging no one", async () => {
    const q = await question(2);
    const before = t.server.messagesIn(q.threadId).length;
    (t.clock as ManualClock).advance(NUDGE_AFTER_MS);
    await t.bot.ctx.jobs.runNow("questions:nudge");
    await t.bot.ctx.jobs.runNow("questions:nudge");
    const after = t.server.messagesIn(q.threadId);
    expect(after).toHaveLength(before + 1);
    expect(String(after.at(-1)?.content)).toContain("waiting 2 days without an answer");
    expect((await question(2)).nudgedAt).not.toBeNull();
  });

  it("GIVEN every request the bot made THEN all were valid and none could ping", () => {
    const invalid = t.server.requests.filter((r) => !r.valid);
    expect(invalid.map((r) => `${r.method} ${r.path} ${JSON.stringify(r.errors)}`)).toEqual([]);
    expect(t.server.requests.filter((r) => r.wouldPing).map((r) => r.path)).toEqual([]);
  });
});

describe("Q&A when the reply misses Discord's acknowledgement deadline", () => {
  // A short deadline, so a guild lock held a little longer makes the reply late without a 3 s wait.
  const DEADLINE_MS = 300;
  let t: TestBot;
  let helper: string;

  beforeAll(async () => {
    t = await startTestBot({ serverOptions: { ackDeadlineMs: DEADLINE_MS } });
    helper = t.server.addMember(t.server.guildId, { username: "alan", globalName: "Alan" }).user.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const settled = () =>
    vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });
  /** Holds the guild's lock past the deadline, as a long section of any feature in the guild would. */
  const busyGuild = () =>
    t.store.locked(t.server.guildId, () => new Promise((resolve) => setTimeout(resolve, DEADLINE_MS + 200)));

  it("GIVEN /answer acknowledged too late THEN the stored answer is still posted in the thread and recorded", async () => {
    await t.server.interact({ user: ASKER, commandName: "ask", options: { title: TITLE } }).reply();
    await settled();
    const q = await getQuestion(t.store, t.server.guildId, 1);
    const busy = busyGuild();
    const late = t.server.interact({
      user: helper,
      commandName: "answer",
      options: { question: { type: 4, value: 1 }, text: "Run the migrations in the container's entrypoint." },
    });
    await expect(late.reply()).rejects.toThrow(/deadline/);
    await busy;
    await settled();
    const titles = t.server
      .messagesIn(String(q?.threadId))
      .flatMap((m) => ((m.embeds ?? []) as JsonObject[]).map((e) => e.title));
    expect(titles).toContain("Answer 1-1 · Q1");
    expect((await getAnswer(t.store, t.server.guildId, 1, 1))?.placement).toBe("thread");
  });

  it("GIVEN /accept acknowledged too late THEN the question is still marked solved and its thread renamed", async () => {
    const busy = busyGuild();
    const late = t.server.interact({ user: ASKER, commandName: "accept", options: { answer: "1-1" } });
    await expect(late.reply()).rejects.toThrow(/deadline/);
    await busy;
    await settled();
    const q = await getQuestion(t.store, t.server.guildId, 1);
    expect(q?.status).toBe("solved");
    const edit = t.server
      .requestsTo("PATCH", new RegExp(`/channels/${NEXUS}/messages/${q?.messageId}$`))
      .at(-1);
    expect(JSON.stringify(edit?.body)).toContain("✅ Solved");
    expect(t.server.channel(String(q?.threadId))?.name).toBe(`✅ ${TITLE}`);
  });
});

describe("/accept's reply about the replaced answer's points", () => {
  let t: TestBot;
  let helper: string;
  type InteractOptions = Parameters<TestBot["server"]["interact"]>[0]["options"];

  beforeAll(async () => {
    t = await startTestBot();
    helper = t.server.addMember(t.server.guildId, { username: "alan", globalName: "Alan" }).user.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const run = async (user: string, commandName: string, options: InteractOptions) => {
    const reply = await t.server.interact({ user, commandName, options }).reply();
    await vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });
    return reply;
  };

  it("GIVEN the asker's own answer accepted WHEN another replaces it THEN no points are said to move; going back says they are taken back", async () => {
    await run(ASKER, "ask", { title: TITLE });
    const answer = (user: string, text: string) =>
      run(user, "answer", { question: { type: 4, value: 1 }, text });
    await answer(ASKER, "I solved it myself: migrate in the entrypoint.");
    await answer(helper, "Or run a one-off migrate service in compose.");
    expect((await run(ASKER, "accept", { answer: "1-1" })).content).toContain(
      "No reputation for answering your own question.",
    );
    const second = await run(ASKER, "accept", { answer: "1-2" });
    expect(second.content).toContain(`<@${helper}> earns 10 reputation. It replaces answer 1-1.`);
    expect(second.content).not.toContain("moved");
    const back = await run(ASKER, "accept", { answer: "1-1" });
    expect(back.content).toContain("It replaces answer 1-2, whose points are taken back.");
    expect(await memberReputation(t.store, t.server.guildId, helper)).toEqual({ points: 0, accepted: 0 });
  });

  it("GIVEN one helper's answer accepted WHEN the asker accepts that helper's other answer instead THEN the helper is said to keep the points, not to earn more", async () => {
    const asked = await run(ASKER, "ask", { title: "Why is my Celery task retried twice?" });
    const n = Number(/\*\*Q(\d+)\*\*/.exec(asked.content)?.[1]);
    const answer = (text: string) => run(helper, "answer", { question: { type: 4, value: n }, text });
    await answer("Set acks_late and make the task idempotent.");
    await answer("Or lower the visibility timeout of the broker.");
    const before = await memberReputation(t.store, t.server.guildId, helper);
    expect((await run(ASKER, "accept", { answer: `${n}-1` })).content).toContain(
      `<@${helper}> earns 10 reputation.`,
    );
    const switched = await run(ASKER, "accept", { answer: `${n}-2` });
    expect(switched.content).toContain(`<@${helper}> keeps the 10 reputation of their earlier answer.`);
    expect(switched.content).toContain(`It replaces answer ${n}-1.`);
    expect(switched.content).not.toContain("earns");
    expect(await memberReputation(t.store, t.server.guildId, helper)).toEqual({
      points: before.points + 10,
      accepted: before.accepted + 1,
    });
  });

  it("GIVEN one helper's answer accepted WHEN the asker accepts that helper's other answer instead THEN the note in the thread says they keep the points, not that they earn 10 more", async () => {
    const asked = await run(ASKER, "ask", { title: "Why does my Celery beat schedule drift?" });
    const n = Number(/\*\*Q(\d+)\*\*/.exec(asked.content)?.[1]);
    const answer = (text: string) => run(helper, "answer", { question: { type: 4, value: n }, text });
    await answer("Use the database scheduler.");
    await answer("Or pin the beat process to UTC.");
    await run(ASKER, "accept", { answer: `${n}-1` });
    await run(ASKER, "accept", { answer: `${n}-2` });
    const threadId = String((await getQuestion(t.store, t.server.guildId, n))?.threadId);
    const notes = t.server
      .messagesIn(threadId)
      .map((m) => String(m.content))
      .filter((content) => content.includes("is accepted"));
    expect(notes).toHaveLength(2);
    expect(notes[0]).toContain(`<@${helper}> earns 10 reputation.`);
    expect(notes[1]).toContain(`(instead of answer ${n}-1)`);
    expect(notes[1]).toContain(`<@${helper}> keeps the 10 reputation of their earlier answer.`);
    expect(notes[1]).not.toContain("earns");
  });
});

describe("/accept's Manage Threads, asked of the question's channel", () => {
  let t: TestBot;
  let helper: string;
  let other: string;
  type InteractOptions = Parameters<TestBot["server"]["interact"]>[0]["options"];
  const GENERAL = FIXTURE_IDS.generalChannelId;

  beforeAll(async () => {
    t = await startTestBot();
    helper = t.server.addMember(t.server.guildId, { username: "alan", globalName: "Alan" }).user.id;
    other = t.server.addMember(t.server.guildId, { username: "barbara", globalName: "Barbara" }).user.id;
    await run(ASKER, "ask", { title: TITLE });
    await run(helper, "answer", { question: { type: 4, value: 1 }, text: "Migrate in the entrypoint." });
    await run(other, "answer", { question: { type: 4, value: 1 }, text: "A one-off migrate service." });
    await run(MOD, "answer", { question: { type: 4, value: 1 }, text: "Use a release phase." });
  });
  afterAll(async () => {
    await t?.stop();
  });

  async function run(user: string, commandName: string, options: InteractOptions, channelId?: string) {
    const reply = await t.server
      .interact({ user, commandName, options, ...(channelId ? { channelId } : {}) })
      .reply();
    await vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });
    return reply;
  }
  const status = async () => (await getQuestion(t.store, t.server.guildId, 1))?.status;

  it("GIVEN a member with Manage Threads only in another channel WHEN they /accept there an answer to someone else's question THEN they are refused", async () => {
    t.server.allowPermissions(GENERAL, helper, ["manageThreads"]);
    const reply = await run(helper, "accept", { answer: "1-2" }, GENERAL);
    expect(reply.content).toContain(`or a member with **Manage Threads** in <#${NEXUS}> can accept`);
    expect(await status()).toBe("open");
  });

  it("GIVEN a moderator WHEN they /accept their own answer to someone else's question THEN they are refused: no self-credit", async () => {
    const reply = await run(MOD, "accept", { answer: "1-3" });
    expect(reply.content).toMatch(/Answer 1-3 is your own: only the asker of Q1/);
    expect(await status()).toBe("open");
    expect(await memberReputation(t.store, t.server.guildId, MOD)).toEqual({ points: 0, accepted: 0 });
  });

  it("GIVEN a member with Manage Threads in the Nexus channel alone WHEN they /accept from another channel THEN it is accepted", async () => {
    t.server.allowPermissions(NEXUS, other, ["manageThreads"]);
    const reply = await run(other, "accept", { answer: "1-1" }, GENERAL);
    expect(reply.content).toContain("Q1 is solved");
    expect(await memberReputation(t.store, t.server.guildId, helper)).toEqual({ points: 10, accepted: 1 });
  });

  it("GIVEN the asker answered their own question WHEN a moderator accepts that answer THEN the moderator is told the asker earns nothing, not that they answered their own question", async () => {
    await run(ASKER, "ask", { title: "Why does my Celery worker ignore scheduled tasks?" });
    await run(ASKER, "answer", {
      question: { type: 4, value: 2 },
      text: "Found it: two beat processes ran.",
    });
    const reply = await run(MOD, "accept", { answer: "2-1" });
    expect(reply.content).toContain("Q2 is solved");
    expect(reply.content).toContain(`No reputation: <@${ASKER}> answered their own question.`);
    expect(reply.content).not.toContain("your own question");
  });
});

describe("a question a moderator deleted (its message and its thread)", () => {
  let t: TestBot;
  let helper: string;

  beforeAll(async () => {
    t = await startTestBot();
    helper = t.server.addMember(t.server.guildId, { username: "alan", globalName: "Alan" }).user.id;
  });
  afterAll(async () => {
    await t?.stop();
  });

  const settled = () =>
    vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });

  it("GIVEN the question's message and thread deleted WHEN someone answers THEN nothing is posted, they are told, and the question is closed and unlisted", async () => {
    await t.server.interact({ user: ASKER, commandName: "ask", options: { title: TITLE } }).reply();
    await settled();
    const q = await getQuestion(t.store, t.server.guildId, 1);
    // As a moderator does it in Discord (the bot has no message events, so it learns of it when it answers).
    t.server.deleteChannel(String(q?.threadId));
    const messageUrl = `/channels/${NEXUS}/messages/${q?.messageId}`;
    await fetch(`${t.server.apiUrl}/v10${messageUrl}`, {
      method: "DELETE",
      headers: { authorization: `Bot ${t.server.token}` },
    });
    const before = t.server.messagesIn(NEXUS).length;
    const answerQ1 = (text: string) =>
      t.server.interact({
        user: helper,
        commandName: "answer",
        options: { question: { type: 4, value: 1 }, text },
      });
    const handle = answerQ1("You probably run two beat processes.");
    await handle.reply();
    const [told] = await handle.followups({ atLeast: 1 });
    await settled();
    expect(told?.content).toContain("is saved, but not posted: Q1 was deleted, so it takes no answers.");
    expect(t.server.messagesIn(NEXUS)).toHaveLength(before);
    expect((await getQuestion(t.store, t.server.guildId, 1))?.status).toBe("deleted");
    expect((await answerQ1("Another answer to the deleted question.").reply()).content).toMatch(
      /Q1 was deleted/,
    );
    const open = await t.server.interact({ commandName: "questions", subcommand: "open" }).reply();
    expect(JSON.stringify(open.embeds)).not.toContain("**Q1**");
  });

  it("GIVEN the Nexus channel deleted with its questions WHEN someone answers one THEN they are told it was deleted, and it is closed and unlisted", async () => {
    const asked = await t.server
      .interact({ user: ASKER, commandName: "ask", options: { title: `${TITLE} (again)` } })
      .reply();
    await settled();
    const n = Number(/\*\*Q(\d+)\*\*/.exec(asked.content)?.[1]);
    expect((await getQuestion(t.store, t.server.guildId, n))?.messageId).not.toBeNull();
    // An admin deletes the channel (and with it the question's message and thread), say to start afresh.
    t.server.deleteChannel(NEXUS);
    const handle = t.server.interact({
      user: helper,
      commandName: "answer",
      options: { question: { type: 4, value: n }, text: "Run migrate in the entrypoint." },
    });
    await handle.reply();
    const [told] = await handle.followups({ atLeast: 1 });
    await settled();
    expect(told?.content).toContain(`is saved, but not posted: Q${n} was deleted, so it takes no answers.`);
    expect((await getQuestion(t.store, t.server.guildId, n))?.status).toBe("deleted");
    const open = await t.server.interact({ commandName: "questions", subcommand: "open" }).reply();
    expect(JSON.stringify(open.embeds)).not.toContain(`**Q${n}**`);
  });
});

describe("Q&A questions and answers a dead process stored but did not post (the outbox job)", () => {
  let t: TestBot;
  let helper: string;

  beforeAll(async () => {
    t = await startTestBot();
    helper = t.server.addMember(t.server.guildId, { username: "alan", globalName: "Alan" }).user.id;
    await t.server.interact({ user: ASKER, commandName: "ask", options: { title: TITLE } }).reply();
    await vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });
  });
  afterAll(async () => {
    await t?.stop();
  });

  const clock = () => t.clock as ManualClock;
  async function thread() {
    const q = await getQuestion(t.store, t.server.guildId, 1);
    if (q?.threadId == null) throw new Error("Q1 has no thread");
    return { question: q, threadId: q.threadId };
  }
  const answerMessages = (threadId: string, id: string) =>
    t.server
      .messagesIn(threadId)
      .filter((m) => ((m.embeds ?? []) as JsonObject[]).some((e) => e.title === `Answer ${id} · Q1`));
  /** What `/answer` leaves when the process dies after storing the answer, before recording its post. */
  const storeOnly = (text: string) =>
    addAnswer(t.store, t.clock, t.server.guildId, { questionNumber: 1, authorId: helper, text });

  it("GIVEN an answer stored but never posted WHEN the outbox job runs THEN it waits 2 minutes, then posts it in the thread once and records where", async () => {
    const { threadId } = await thread();
    await storeOnly("Stored, then the process died before posting it.");
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(answerMessages(threadId, "1-1")).toEqual([]);
    clock().advance(REPOST_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    clock().advance(REPOST_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    const posted = answerMessages(threadId, "1-1");
    expect(posted).toHaveLength(1);
    // Sent with an enforced nonce: a repeat within Discord's window returns this message, not a second one.
    const post = t.server.requestsTo("POST", new RegExp(`/channels/${threadId}/messages$`)).at(-1);
    expect(post?.body).toMatchObject({ enforce_nonce: true });
    expect(String((post?.body as JsonObject | undefined)?.nonce)).toMatch(/^[0-9a-f]{25}$/);
    expect(await getAnswer(t.store, t.server.guildId, 1, 1)).toMatchObject({
      placement: "thread",
      channelId: threadId,
      messageId: posted[0]?.id,
    });
  });

  it("GIVEN an answer posted but its placement never recorded WHEN the outbox job runs THEN it is found and recorded, not posted again", async () => {
    const { question, threadId } = await thread();
    const { answer } = await storeOnly("Posted, then the process died before recording it.");
    const channel = await t.bot.ctx.client.channels.fetch(threadId);
    if (!channel?.isSendable()) throw new Error("the thread is not sendable");
    const sent = await channel.send({ embeds: [answerEmbed(question, answer)] });
    clock().advance(REPOST_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(answerMessages(threadId, "1-2").map((m) => m.id)).toEqual([sent.id]);
    expect(await getAnswer(t.store, t.server.guildId, 1, 2)).toMatchObject({
      placement: "thread",
      messageId: sent.id,
    });
    expect((await t.store.get(keys.outbox(t.server.guildId), OutboxSchema))?.answers).toEqual([]);
  });

  /** What `/ask` leaves when the process dies after storing the question, before recording its message. */
  const askOnly = (title: string) =>
    askQuestion(t.store, t.clock, t.server.guildId, { authorId: ASKER, title, details: null, topic: null });

  it("GIVEN a question stored but never posted (its asker never told) WHEN the outbox job runs after its /ask is over THEN it is withdrawn: nothing posted, not listed", async () => {
    const question = await askOnly("Stored, then the process died before posting it");
    const before = t.server.messagesIn(NEXUS).length;
    clock().advance(SETTLE_QUESTION_AFTER_MS - REPOST_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect((await getQuestion(t.store, t.server.guildId, question.number))?.status).toBe("open");
    clock().advance(REPOST_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(t.server.messagesIn(NEXUS)).toHaveLength(before);
    expect((await getQuestion(t.store, t.server.guildId, question.number))?.status).toBe("deleted");
    const open = await t.server.interact({ commandName: "questions", subcommand: "open" }).reply();
    expect(JSON.stringify(open.embeds)).not.toContain(`**Q${question.number}**`);
  });

  it("GIVEN a question posted but not recorded WHEN the Nexus channel's history cannot be read THEN it is not withdrawn, and is attached once it can", async () => {
    const question = await askOnly("Posted while the history was hidden from the bot");
    const channel = await t.bot.ctx.client.channels.fetch(NEXUS);
    if (!channel?.isSendable()) throw new Error("the Nexus channel is not sendable");
    const sent = await channel.send({ embeds: [questionEmbed(t.server.guildId, question)] });
    // Discord answers a history read without the permission with no messages at all.
    t.server.denyPermissions(NEXUS, { readMessageHistory: true });
    clock().advance(SETTLE_QUESTION_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(await getQuestion(t.store, t.server.guildId, question.number)).toMatchObject({
      status: "open",
      messageId: null,
    });
    t.server.restorePermissions(NEXUS);
    clock().advance(SETTLE_QUESTION_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(await getQuestion(t.store, t.server.guildId, question.number)).toMatchObject({
      status: "open",
      messageId: sent.id,
    });
  });

  it("GIVEN a question posted but not recorded WHEN /nexus setup moved the Nexus channel before the job THEN it is found where /ask posted it", async () => {
    const guildId = t.server.guildId;
    const question = await askQuestion(
      t.store,
      t.clock,
      guildId,
      { authorId: ASKER, title: "Posted, then the channel was moved", details: null, topic: null },
      NEXUS,
    );
    const channel = await t.bot.ctx.client.channels.fetch(NEXUS);
    if (!channel?.isSendable()) throw new Error("the Nexus channel is not sendable");
    const sent = await channel.send({ embeds: [questionEmbed(guildId, question)] });
    await setupGuild(t.store, t.clock, guildId, { channelId: FIXTURE_IDS.generalChannelId, by: MOD });
    try {
      clock().advance(SETTLE_QUESTION_AFTER_MS);
      await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
      expect(await getQuestion(t.store, guildId, question.number)).toMatchObject({
        status: "open",
        channelId: NEXUS,
        messageId: sent.id,
      });
    } finally {
      await setupGuild(t.store, t.clock, guildId, { channelId: NEXUS, by: MOD });
    }
  });

  it("GIVEN a question /ask was posting in a channel since deleted WHEN the outbox job runs THEN it is withdrawn, not waited on", async () => {
    const guildId = t.server.guildId;
    const gone = t.server.addChannel(guildId, { name: "old-questions" });
    const question = await askQuestion(
      t.store,
      t.clock,
      guildId,
      { authorId: ASKER, title: "Asked in a channel deleted since", details: null, topic: null },
      gone,
    );
    t.server.deleteChannel(gone);
    clock().advance(SETTLE_QUESTION_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect((await getQuestion(t.store, guildId, question.number))?.status).toBe("deleted");
    const outbox = await t.store.get(keys.outbox(guildId), OutboxSchema);
    expect(outbox?.questions.map((entry) => entry.q)).not.toContain(question.number);
  });

  it("GIVEN a question posted but its message never recorded WHEN the outbox job runs THEN it is attached with a thread the asker follows, and answers land there", async () => {
    const question = await askOnly("Posted, then the process died before recording it");
    const channel = await t.bot.ctx.client.channels.fetch(NEXUS);
    if (!channel?.isSendable()) throw new Error("the Nexus channel is not sendable");
    const sent = await channel.send({ embeds: [questionEmbed(t.server.guildId, question)] });
    clock().advance(SETTLE_QUESTION_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    const attached = await getQuestion(t.store, t.server.guildId, question.number);
    expect(attached).toMatchObject({
      status: "open",
      channelId: NEXUS,
      messageId: sent.id,
      threadId: sent.id,
    });
    expect(t.server.channel(sent.id)?.parent_id).toBe(NEXUS);
    const added = t.server.requestsTo("PUT", new RegExp(`/channels/${sent.id}/thread-members/${ASKER}$`));
    expect(added).toHaveLength(1);
    // The thread the job opened starts as /ask's do: how to answer and accept.
    expect(t.server.messagesIn(sent.id).map((m) => m.content)).toEqual([
      `Answer with \`/answer question:${question.number}\`; <@${ASKER}> can accept the one that helps with \`/accept\`.`,
    ]);
    const reply = await t.server
      .interact({
        user: helper,
        commandName: "answer",
        options: { question: { type: 4, value: question.number }, text: "It shows up now." },
      })
      .reply();
    expect(reply.content).toContain(`posted in <#${sent.id}>`);
    expect((await t.store.get(keys.outbox(t.server.guildId), OutboxSchema))?.questions).toEqual([]);
  });

  it("GIVEN a question posted but its message not yet recorded WHEN a member answers it THEN the answer waits, and the outbox job posts it in the thread once the question is attached", async () => {
    const question = await askOnly("Posted, then the process died before recording its message");
    const n = question.number;
    const channel = await t.bot.ctx.client.channels.fetch(NEXUS);
    if (!channel?.isSendable()) throw new Error("the Nexus channel is not sendable");
    const sent = await channel.send({ embeds: [questionEmbed(t.server.guildId, question)] });
    // Members see it in the channel, and /answer's autocomplete lists it: someone answers before it is attached.
    const reply = await t.server
      .interact({
        user: helper,
        commandName: "answer",
        options: { question: { type: 4, value: n }, text: "Run migrate in the entrypoint." },
      })
      .reply();
    await vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });
    expect(reply.content).toBe(
      `Your answer **${n}-1** to Q${n} is saved; I will post it once Q${n} itself is on Discord.`,
    );
    // Nor can it be accepted yet: nothing could be marked solved on Discord, and the job attaches open ones.
    const early = await t.server
      .interact({ user: ASKER, commandName: "accept", options: { answer: `${n}-1` } })
      .reply();
    expect(early.ephemeral).toBe(true);
    expect(early.content).toMatch(new RegExp(`^Q${n} is not on Discord yet`));
    expect((await getQuestion(t.store, t.server.guildId, n))?.status).toBe("open");
    const posts = () =>
      [...t.server.messagesIn(NEXUS), ...t.server.messagesIn(sent.id)].filter((m) =>
        ((m.embeds ?? []) as JsonObject[]).some((e) => e.title === `Answer ${n}-1 · Q${n}`),
      );
    // The answer's outbox entry comes due before the question's: it keeps waiting, neither posted nor failed.
    clock().advance(REPOST_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(await getAnswer(t.store, t.server.guildId, n, 1)).toMatchObject({ placement: "pending" });
    expect(posts()).toEqual([]);
    clock().advance(SETTLE_QUESTION_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(await getQuestion(t.store, t.server.guildId, n)).toMatchObject({
      messageId: sent.id,
      threadId: sent.id,
    });
    const posted = posts();
    expect(posted.map((m) => m.channel_id)).toEqual([sent.id]);
    expect(await getAnswer(t.store, t.server.guildId, n, 1)).toMatchObject({
      placement: "thread",
      channelId: sent.id,
      messageId: posted[0]?.id,
    });
    expect((await t.store.get(keys.outbox(t.server.guildId), OutboxSchema))?.answers).toEqual([]);
  });
});

describe("/ask when the Nexus channel is gone and the bot missed it", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("GIVEN the Nexus channel deleted with no event reaching the bot WHEN a member asks THEN they are told it is gone, not that the bot may not post", async () => {
    t.server.store.deleteChannel(NEXUS);
    const reply = await t.server
      .interact({ user: ASKER, commandName: "ask", options: { title: TITLE } })
      .reply();
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toBe(
      `The Nexus channel <#${NEXUS}> is gone: ask an admin to run \`/nexus setup\`.`,
    );
    expect((await getQuestion(t.store, t.server.guildId, 1))?.status).toBe("deleted");
  });
});

describe("/ask when Discord makes the post but answers 500", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot({ databaseUrl: "memory://" });
  });
  afterAll(async () => {
    await t?.stop();
  });

  /** Waits until every interaction has finished its work (the REST calls after the reply too). */
  const settled = () =>
    vi.waitFor(() => expect(t.bot.ctx.inflight.size).toBe(0), { timeout: 20_000, interval: 5 });

  /** `/ask` with `faults` on Discord's side (500s on `route` only); its reply once all its work is done. */
  async function askWith(
    title: string,
    route: RegExp,
    faults: { afterProcessing?: boolean; outage?: boolean },
  ) {
    const reply = await t.server.withFaults(
      {
        rate429: 0,
        rate500: 1,
        afterProcessing: faults.afterProcessing === true,
        maxConsecutive: faults.outage ? Number.POSITIVE_INFINITY : 1,
        routes: route,
      },
      () => t.server.interact({ user: ASKER, commandName: "ask", options: { title } }).reply(),
    );
    await settled();
    return reply;
  }

  /** `/ask` with Discord answering normally, once all its work is done: the question's number. */
  async function posted(title: string): Promise<number> {
    const reply = await askWith(title, /^$/, {});
    return Number(/\*\*Q(\d+)\*\*/.exec(reply.content)?.[1]);
  }

  /** A question posted and answered by a moderator, once all the work of both is done. */
  async function answered(title: string, text: string): Promise<{ n: number; threadId: string }> {
    const n = await posted(title);
    const threadId = String((await getQuestion(t.store, t.server.guildId, n))?.threadId);
    await t.server
      .interact({ user: MOD, commandName: "answer", options: { question: { type: 4, value: n }, text } })
      .reply();
    await settled();
    return { n, threadId };
  }

  /** The asker's `/accept` of answer 1 of Q`n` with Discord answering 500 on `route`: its follow-up note. */
  async function acceptNoteWhileFailing(n: number, route: RegExp): Promise<string> {
    return t.server.withFaults(
      { rate429: 0, rate500: 1, maxConsecutive: Number.POSITIVE_INFINITY, routes: route },
      async () => {
        const handle = t.server.interact({
          user: ASKER,
          commandName: "accept",
          options: { answer: `${n}-1` },
        });
        expect((await handle.reply()).content).toContain(`Q${n} is solved`);
        const [note] = await handle.followups({ atLeast: 1 });
        await settled();
        return String(note?.content);
      },
    );
  }

  /**
   * A question posted, and a moderator's answer to it Discord did not take (5xx in thread and channel);
   * `handle`: that /answer's interaction.
   */
  async function answeredUnposted(title: string, text: string) {
    const n = await posted(title);
    const threadId = String((await getQuestion(t.store, t.server.guildId, n))?.threadId);
    const handle = t.server.interact({
      user: MOD,
      commandName: "answer",
      options: { question: { type: 4, value: n }, text },
    });
    await t.server.withFaults(
      {
        rate429: 0,
        rate500: 1,
        maxConsecutive: Number.POSITIVE_INFINITY,
        routes: new RegExp(`^/channels/(${threadId}|${NEXUS})/messages$`),
      },
      async () => {
        await handle.reply();
        await settled();
      },
    );
    expect((await getAnswer(t.store, t.server.guildId, n, 1))?.placement).toBe("pending");
    return { n, threadId, handle };
  }

  it("GIVEN Discord answers 500 after creating /ask's message WHEN discord.js retries THEN the question is posted once, with its thread", async () => {
    const reply = await askWith(
      "Why does my Express middleware run twice?",
      new RegExp(`^/channels/${NEXUS}/messages$`),
      { afterProcessing: true },
    );
    expect(reply.content).toMatch(/\*\*Q1\*\*/);
    const posted = t.server
      .messagesIn(NEXUS)
      .filter((message) => JSON.stringify(message.embeds ?? []).includes("Express middleware"));
    const question = await getQuestion(t.store, t.server.guildId, 1);
    expect(posted.map((message) => message.id)).toEqual([question?.messageId]);
    expect(question?.threadId).toBe(question?.messageId);
  });

  it("GIVEN Discord making /ask's post but answering 500 to every try WHEN /ask ends THEN the question is not withdrawn, and the outbox attaches the post", async () => {
    const reply = await askWith(
      "Why is my Celery task run twice?",
      new RegExp(`^/channels/${NEXUS}/messages$`),
      { afterProcessing: true, outage: true },
    );
    expect(reply.ephemeral).toBe(true);
    expect(reply.content).toMatch(/^Discord did not answer while I posted your question \*\*Q2\*\*/);
    const posted = t.server
      .messagesIn(NEXUS)
      .filter((message) => JSON.stringify(message.embeds ?? []).includes("Celery task"));
    expect(posted).toHaveLength(1);
    expect((await getQuestion(t.store, t.server.guildId, 2))?.status).toBe("open");
    (t.clock as ManualClock).advance(SETTLE_QUESTION_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    expect(await getQuestion(t.store, t.server.guildId, 2)).toMatchObject({
      status: "open",
      messageId: posted[0]?.id,
      threadId: posted[0]?.id,
    });
  });

  it("GIVEN Discord answers 500 after opening /ask's thread WHEN discord.js retries THEN the question keeps that thread: with its first message, and no false permission note", async () => {
    const reply = await askWith(
      "Why does my Django signal fire twice on save?",
      new RegExp(`^/channels/${NEXUS}/messages/\\d+/threads$`),
      { afterProcessing: true },
    );
    const n = Number(/\*\*Q(\d+)\*\*/.exec(reply.content)?.[1]);
    expect(reply.content).not.toContain("Create Public Threads");
    const question = await getQuestion(t.store, t.server.guildId, n);
    expect(t.server.channel(String(question?.messageId))?.parent_id).toBe(NEXUS);
    expect(question?.threadId).toBe(question?.messageId);
    // Its first message, as any question thread's.
    expect(t.server.messagesIn(String(question?.messageId)).map((m) => m.content)).toEqual([
      `Answer with \`/answer question:${n}\`; <@${ASKER}> can accept the one that helps with \`/accept\`.`,
    ]);
  });

  it("GIVEN Discord failing (500) to open /ask's thread at all WHEN the question is posted THEN the asker is told Discord failed, not that a permission is missing", async () => {
    const reply = await askWith(
      "Why does gunicorn drop requests on deploy?",
      new RegExp(`^/channels/${NEXUS}/messages/\\d+/threads$`),
      { outage: true },
    );
    expect(reply.content).not.toContain("Create Public Threads");
    expect(reply.content).toContain("Discord did not open a thread on it just now");
    const n = Number(/\*\*Q(\d+)\*\*/.exec(reply.content)?.[1]);
    expect((await getQuestion(t.store, t.server.guildId, n))?.threadId).toBeNull();
  });

  it("GIVEN Discord failing (500) every post in the thread and the channel WHEN someone answers THEN they are told it comes later, and the outbox posts it once Discord is back", async () => {
    const { n, threadId, handle } = await answeredUnposted(
      "Why does my Postgres connection pool run dry?",
      "Close sessions in a finally block.",
    );
    const [told] = await handle.followups({ atLeast: 1 });
    expect(told?.content).toMatch(/Discord did not take your answer \*\*\d+-1\*\* just now; I will post it/);
    expect((await getAnswer(t.store, t.server.guildId, n, 1))?.placement).toBe("pending");
    // Discord back: the outbox job, once the wait has passed, posts it in the thread.
    (t.clock as ManualClock).advance(REPOST_AFTER_MS);
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    const answer = await getAnswer(t.store, t.server.guildId, n, 1);
    expect(answer?.placement).toBe("thread");
    const posts = t.server
      .messagesIn(threadId)
      .filter((m) => JSON.stringify(m.embeds ?? []).includes("finally block"));
    expect(posts.map((m) => m.id)).toEqual([answer?.messageId]);
  });

  it("GIVEN an answer Discord did not take WHEN its asker accepts it before the outbox posts it THEN the question's embed links it once it is posted", async () => {
    const { n, threadId } = await answeredUnposted(
      "Why does my Flask app lose its session on reload?",
      "Set a fixed SECRET_KEY instead of a random one.",
    );
    const question = await getQuestion(t.store, t.server.guildId, n);
    await t.server.interact({ user: ASKER, commandName: "accept", options: { answer: `${n}-1` } }).reply();
    await settled();
    (t.clock as ManualClock).advance(Math.max(REPOST_AFTER_MS, retryDelay(1)));
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    const answer = await getAnswer(t.store, t.server.guildId, n, 1);
    expect(answer?.placement).toBe("thread");
    const shown = t.server.messagesIn(NEXUS).find((m) => m.id === question?.messageId);
    const status = ((shown?.embeds ?? []) as JsonObject[])[0]?.fields as JsonObject[] | undefined;
    expect(status?.find((field) => field.name === "Status")?.value).toBe(
      `✅ Solved: [answer ${n}-1](https://discord.com/channels/${t.server.guildId}/${threadId}/${answer?.messageId}) by <@${MOD}>`,
    );
  });

  it("GIVEN an answer accepted while it waited in the outbox WHEN the outbox posts it before /accept marks the question THEN the question's embed keeps the link to it", async () => {
    const { n, threadId } = await answeredUnposted(
      "Why does my Flask app forget the user after a redirect?",
      "Mark the session permanent before the redirect.",
    );
    const question = await getQuestion(t.store, t.server.guildId, n);
    // /accept's two steps with the outbox job in between: the acceptance is stored, then (while /accept
    // replies) the job posts the answer and links it, then /accept marks the question solved.
    const accepted = await acceptAnswer(t.store, t.clock, t.server.guildId, {
      answerId: `${n}-1`,
      by: ASKER,
      canManageThreads: () => false,
    });
    (t.clock as ManualClock).advance(Math.max(REPOST_AFTER_MS, retryDelay(1)));
    await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
    const answer = await getAnswer(t.store, t.server.guildId, n, 1);
    expect(answer?.placement).toBe("thread");
    expect(await showAccepted(t.bot.ctx, t.server.guildId, accepted)).toEqual([]);
    const shown = t.server.messagesIn(NEXUS).find((m) => m.id === question?.messageId);
    const status = ((shown?.embeds ?? []) as JsonObject[])[0]?.fields as JsonObject[] | undefined;
    expect(status?.find((field) => field.name === "Status")?.value).toBe(
      `✅ Solved: [answer ${n}-1](https://discord.com/channels/${t.server.guildId}/${threadId}/${answer?.messageId}) by <@${MOD}>`,
    );
  });

  it("GIVEN Discord making the answer's posts but answering 500, and failing reads WHEN the outbox retries it past Discord's nonce window THEN it posts no second copy", async () => {
    const n = await posted("Why does my Redis cache never expire keys?");
    const threadId = String((await getQuestion(t.store, t.server.guildId, n))?.threadId);
    const mine = (id: string) =>
      t.server.store.messagesIn(id).filter((m) => JSON.stringify(m.data).includes("EXPIRE after SET"));
    const copies = () => [mine(threadId).length, mine(NEXUS).length];
    const outage = {
      rate429: 0,
      rate500: 1,
      afterProcessing: true,
      maxConsecutive: Number.POSITIVE_INFINITY,
      routes: new RegExp(`^/channels/(${threadId}|${NEXUS})/messages$`),
    };
    await t.server.withFaults(outage, async () => {
      const handle = t.server.interact({
        user: MOD,
        commandName: "answer",
        options: { question: { type: 4, value: n }, text: "Call EXPIRE after SET, or use SET with EX." },
      });
      await handle.reply();
      await settled();
      expect((await getAnswer(t.store, t.server.guildId, n, 1))?.placement).toBe("pending");
      const made = copies();
      expect(made[0]).toBe(1);
      // Still failing, past Discord's nonce window: the outbox cannot tell whether the post is there.
      for (const message of [...mine(threadId), ...mine(NEXUS)]) message.createdAt -= 10 * 60_000;
      (t.clock as ManualClock).advance(retryDelay(1));
      await t.bot.ctx.jobs.runNow(OUTBOX_JOB);
      expect(copies()).toEqual(made);
      // Still in the outbox, to be looked for again.
      expect((await getAnswer(t.store, t.server.guildId, n, 1))?.placement).toBe("pending");
    });
  });

  it("GIVEN Discord answers 500 after posting a 48 h nudge WHEN discord.js retries THEN the thread gets one nudge, not two", async () => {
    const n = await posted("Why does my cron job never fire in UTC?");
    const threadId = String((await getQuestion(t.store, t.server.guildId, n))?.threadId);
    (t.clock as ManualClock).advance(NUDGE_AFTER_MS);
    await t.server.withFaults(
      {
        rate429: 0,
        rate500: 1,
        afterProcessing: true,
        maxConsecutive: 1,
        routes: new RegExp(`^/channels/${threadId}/messages$`),
      },
      () => t.bot.ctx.jobs.runNow("questions:nudge"),
    );
    const nudges = t.server
      .messagesIn(threadId)
      .filter((m) => String(m.content).includes("waiting 2 days without an answer"));
    expect(nudges).toHaveLength(1);
  });

  it("GIVEN Discord answers 500 after posting /accept's note in the thread WHEN discord.js retries THEN the note is there once", async () => {
    const { n, threadId } = await answered("Why is my Redis cache never invalidated?", "Set a TTL.");
    await t.server.withFaults(
      {
        rate429: 0,
        rate500: 1,
        afterProcessing: true,
        maxConsecutive: 1,
        routes: new RegExp(`^/channels/${threadId}/messages$`),
      },
      async () => {
        await t.server
          .interact({ user: ASKER, commandName: "accept", options: { answer: `${n}-1` } })
          .reply();
        await settled();
      },
    );
    const notes = t.server.messagesIn(threadId).filter((m) => String(m.content).includes("is accepted"));
    expect(notes).toHaveLength(1);
  });

  it("GIVEN Discord failing (500) every post in the question's thread WHEN the asker accepts an answer THEN they are told Discord failed, not that a permission is missing", async () => {
    const { n, threadId } = await answered(
      "Why does my Postgres connection pool run dry?",
      "Close the sessions you open.",
    );
    const told = await acceptNoteWhileFailing(n, new RegExp(`^/channels/${threadId}/messages$`));
    expect(told).not.toContain("Send Messages in Threads");
    expect(told).toContain("Discord did not answer while I marked the question's thread solved");
  });

  it("GIVEN Discord failing (500) every edit of the question's message WHEN the asker accepts an answer THEN they are told Discord failed and to accept again, not that the message may be deleted", async () => {
    const { n } = await answered("Why does my Django admin load so slowly?", "Use list_select_related.");
    const messageId = String((await getQuestion(t.store, t.server.guildId, n))?.messageId);
    const told = await acceptNoteWhileFailing(n, new RegExp(`^/channels/${NEXUS}/messages/${messageId}$`));
    expect(told).not.toContain("it may be deleted, or I lack permission");
    expect(told).toContain("Discord did not answer while I marked the question solved");
    expect(told).toContain("`/accept` the same answer again");
  });
});

describe("answers beside a question when the bot cannot read the Nexus channel's history", () => {
  let t: TestBot;
  beforeAll(async () => {
    t = await startTestBot();
  });
  afterAll(async () => {
    await t?.stop();
  });

  it("GIVEN a question without a thread and no Read Message History WHEN someone answers THEN the answer is posted in the channel, not as a reply, with a link to the question", async () => {
    t.server.denyPermissions(NEXUS, { createPublicThreads: true });
    await t.server.interact({ user: ASKER, commandName: "ask", options: { title: TITLE } }).reply();
    const question = await vi.waitFor(async () => {
      const q = await getQuestion(t.store, t.server.guildId, 1);
      if (q?.messageId == null) throw new Error("Q1 not posted");
      return q;
    });
    expect(question.threadId).toBeNull();
    t.server.denyPermissions(NEXUS, { createPublicThreads: true, readMessageHistory: true });
    const helper = t.server.addMember(t.server.guildId, { username: "ada", globalName: "Ada" }).user.id;
    const reply = await t.server
      .interact({
        user: helper,
        commandName: "answer",
        options: { question: { type: 4, value: 1 }, text: "Use PageNumberPagination." },
      })
      .reply();
    expect(reply.content).toContain("**1-1**");
    const answer = await vi.waitFor(async () => {
      const a = await getAnswer(t.store, t.server.guildId, 1, 1);
      if (a === undefined || a.placement === "pending") throw new Error("answer 1-1 not delivered");
      return a;
    });
    expect(answer.placement).toBe("channel");
    const posted = t.server.messagesIn(NEXUS).at(-1);
    expect(posted?.id).toBe(answer.messageId);
    expect(posted?.message_reference).toBeUndefined();
    expect(String(posted?.content)).toContain(
      `https://discord.com/channels/${t.server.guildId}/${NEXUS}/${question.messageId}`,
    );
    expect(JSON.stringify(posted?.embeds)).toContain("Answer 1-1");
    t.server.restorePermissions(NEXUS);
  });

  it("GIVEN a cache that thinks the bot may read history WHEN Discord refuses the reply (160002) THEN the answer is posted without it", async () => {
    const store = await openStore("memory://", silentLogger());
    const sent: Array<{ content?: string; reply?: unknown }> = [];
    const channelId = "1300000000000000002";
    const channel = {
      id: channelId,
      isSendable: () => true,
      async send(payload: { content?: string; reply?: unknown }) {
        if (payload.reply !== undefined) {
          throw new DiscordAPIError(
            { code: 160002, message: "Cannot reply without permission to read message history" },
            160002,
            400,
            "POST",
            `/channels/${channelId}/messages`,
            {},
          );
        }
        sent.push(payload);
        return { id: "1300000000000000999", channelId };
      },
    };
    const ctx = {
      store,
      clock: new ManualClock(Date.UTC(2026, 10, 22)),
      logger: silentLogger(),
      client: { channels: { fetch: async () => channel } },
    } as unknown as QaContext;
    const question: Question = {
      number: 1,
      authorId: "1300000000000000100",
      title: "How do I paginate a DRF viewset?",
      details: null,
      topic: null,
      status: "open",
      createdAt: Date.UTC(2026, 10, 21),
      channelId,
      messageId: "1300000000000000500",
      threadId: null,
      threadGone: false,
      answerCount: 1,
      accepted: null,
      nudgedAt: null,
    };
    const delivery = await deliverToQuestion(
      ctx,
      "1300000000000000001",
      question,
      { content: "Use PageNumberPagination" },
      (why) => `Answer to Q1 (here because ${why})`,
    );
    await store.close();
    expect(delivery).toMatchObject({ placement: "channel", messageId: "1300000000000000999" });
    expect(sent).toHaveLength(1);
    expect(sent[0]?.content).toContain(
      `https://discord.com/channels/1300000000000000001/${channelId}/1300000000000000500`,
    );
  });
});
