import type { APIEmbed } from "discord.js";
import { describe, expect, it } from "vitest";
import { embedLength } from "../../src/discord/embed.js";
import { LIMITS } from "../../src/discord/text.js";
import { pageOf } from "../../src/questions/catalog.js";
import {
  answerEmbed,
  leaderboardEmbed,
  linkLabel,
  listEmbed,
  nudgeMessage,
  questionEmbed,
  threadIntro,
  threadName,
} from "../../src/questions/embeds.js";
import type { Answer, IndexEntry, Question } from "../../src/questions/schema.js";

const GUILD = "100000000000000001";
const T0 = Date.UTC(2026, 10, 22, 12, 0, 0);
const SNOW = "123456789012345678";

function expectWithinLimits(embed: APIEmbed): void {
  expect(embed.title?.length ?? 0).toBeLessThanOrEqual(LIMITS.embedTitle);
  expect(embed.description?.length ?? 0).toBeLessThanOrEqual(LIMITS.embedDescription);
  expect(embed.fields?.length ?? 0).toBeLessThanOrEqual(LIMITS.embedFields);
  for (const field of embed.fields ?? []) {
    expect(field.name.length).toBeLessThanOrEqual(LIMITS.embedFieldName);
    expect(field.value.length).toBeLessThanOrEqual(LIMITS.embedFieldValue);
  }
  expect(embed.footer?.text.length ?? 0).toBeLessThanOrEqual(LIMITS.embedFooter);
  expect(embedLength(embed)).toBeLessThanOrEqual(LIMITS.embedTotal);
}

// The worst user text: mentions that sanitize lengthens, at every maximum.
const pings = (length: number) => "@everyone <@123> ".repeat(Math.ceil(length / 17)).slice(0, length);

const question: Question = {
  number: 123456,
  authorId: SNOW,
  title: pings(200),
  details: pings(2000),
  topic: "Authentication and JWT/OAuth2",
  status: "solved",
  createdAt: T0,
  channelId: SNOW,
  messageId: SNOW,
  threadId: SNOW,
  threadGone: false,
  answerCount: 300,
  accepted: { answer: 300, by: SNOW, at: T0, creditedTo: SNOW },
  nudgedAt: null,
};
const answer: Answer = {
  questionNumber: 123456,
  number: 300,
  authorId: SNOW,
  text: pings(2000),
  createdAt: T0,
  channelId: SNOW,
  messageId: SNOW,
  placement: "thread",
};
const entry = (n: number): IndexEntry => ({
  n,
  author: SNOW,
  title: `[${pings(198)}]`,
  topic: "Authentication and JWT/OAuth2",
  status: n % 2 ? "open" : "solved",
  answers: 300,
  createdAt: T0,
  nudged: false,
  channelId: SNOW,
  messageId: SNOW,
  kw: "",
});

describe("Q&A messages stay within Discord's limits and never look like pings", () => {
  it("GIVEN a maximal solved question THEN its embed fits and mass mentions are defused", () => {
    const embed = questionEmbed(GUILD, question, answer).toJSON();
    expectWithinLimits(embed);
    expect(embed.title).not.toMatch(/@everyone/);
    expect(embed.description).not.toMatch(/@everyone|<@123>/);
    const status = embed.fields?.find((f) => f.name === "Status")?.value;
    expect(status).toBe(
      `✅ Solved: [answer 123456-300](https://discord.com/channels/${GUILD}/${SNOW}/${SNOW}) by <@${SNOW}>`,
    );
  });

  it("GIVEN an open question THEN its status says open and how to answer", () => {
    const embed = questionEmbed(GUILD, { ...question, status: "open", accepted: null }).toJSON();
    expect(embed.fields?.find((f) => f.name === "Status")?.value).toBe("Open");
    expect(embed.footer?.text).toContain("/answer question:123456");
  });

  it("GIVEN a maximal answer THEN its embed fits, is numbered, and names the accept command", () => {
    const embed = answerEmbed(question, answer).toJSON();
    expectWithinLimits(embed);
    expect(embed.title).toBe("Answer 123456-300 · Q123456");
    expect(embed.footer?.text).toBe("The asker can accept it with /accept answer:123456-300");
  });

  it("GIVEN three maximal similar questions and journal entries THEN the thread intro fits", () => {
    const intro = threadIntro(question, {
      questions: [1, 2, 3].map((n) => ({
        entry: entry(n),
        link: `https://discord.com/channels/${GUILD}/${SNOW}/${SNOW}`,
        accepted: { id: `${n}-300`, link: `https://discord.com/channels/${GUILD}/${SNOW}/${SNOW}` },
      })),
      journal: [1, 2, 3].map((id) => ({
        id,
        authorId: SNOW,
        topic: "Authentication and JWT/OAuth2",
        text: pings(1000),
        link: `https://example.com/${"x".repeat(480)}`,
        createdAt: T0,
        score: 1,
      })),
    });
    expect(intro.content.length).toBeLessThanOrEqual(LIMITS.content);
    expect(intro.embeds).toHaveLength(1);
    const [embed] = intro.embeds.map((e) => e.toJSON());
    if (embed === undefined) throw new Error("no embed");
    expectWithinLimits(embed);
    expect(embed.fields?.map((f) => f.name)).toEqual(["Similar questions", "From the learning journal"]);
  });

  it("GIVEN a journal suggestion linking a Wikipedia article WHEN the thread intro is built THEN its masked link keeps its closing parenthesis", () => {
    const intro = threadIntro(question, {
      questions: [],
      journal: [
        {
          id: 1,
          authorId: SNOW,
          topic: "Caching and Redis",
          text: "Cache invalidation: write-through, write-back and TTL expiry.",
          link: "https://en.wikipedia.org/wiki/Cache_(computing)",
          createdAt: T0,
          score: 1,
        },
      ],
    });
    const value = intro.embeds[0]
      ?.toJSON()
      .fields?.find((f) => f.name === "From the learning journal")?.value;
    // Discord ends a masked link's URL at its first ")": the link would lose its tail and show a stray ")".
    expect(value).toBe(
      `• <@${SNOW}> on **Caching and Redis**: [Cache invalidation: write-through, write-back and TTL expiry.]` +
        "(https://en.wikipedia.org/wiki/Cache_%28computing%29)",
    );
  });

  it("GIVEN three suggestions with long links each WHEN they overflow a field THEN whole lines are kept, none cut inside its masked link", () => {
    const link = (n: number) =>
      `https://docs.docker.com/compose/how-tos/startup-order/?utm_source=bootcamp&utm_campaign=cohort-${n}` +
      `&highlight=depends_on%20condition%20service_healthy${"&x=1".repeat(20)}#control-startup`;
    const intro = threadIntro(question, {
      questions: [1, 2, 3].map((n) => ({
        entry: {
          ...entry(n),
          status: "solved" as const,
          title: `Docker compose migrations ${"x".repeat(100)}`,
        },
        link: `https://discord.com/channels/${GUILD}/${SNOW}/${SNOW}${"0".repeat(150)}`,
        accepted: { id: `${n}-300`, link: `https://discord.com/channels/${GUILD}/${SNOW}/${SNOW}` },
      })),
      journal: [1, 2, 3].map((id) => ({
        id,
        authorId: SNOW,
        topic: "Docker",
        text: `Compose healthchecks make the web service wait for Postgres (note ${id}) ${"y".repeat(100)}`,
        link: link(id),
        createdAt: T0,
        score: 1,
      })),
    });
    const [embed] = intro.embeds.map((e) => e.toJSON());
    if (embed === undefined) throw new Error("no embed");
    expectWithinLimits(embed);
    for (const field of embed.fields ?? []) {
      const lines = field.value.split("\n");
      // Three lines do not fit: the overflow is whole lines left out, not the last one cut.
      expect(lines.length).toBe(2);
      for (const line of lines) expect(line).toMatch(/\]\(https:\/\/[^\s()]+\)$/);
    }
  });

  it("GIVEN a journal link whose encoded parentheses would overflow the field THEN its suggestion shows the text alone", () => {
    const intro = threadIntro(question, {
      questions: [],
      journal: [
        {
          id: 1,
          authorId: SNOW,
          topic: "Docker",
          text: "Odd link",
          link: `https://example.com/${"()".repeat(240)}`,
          createdAt: T0,
          score: 1,
        },
      ],
    });
    expect(intro.embeds[0]?.toJSON().fields?.[0]?.value).toBe(`• <@${SNOW}> on **Docker**: Odd link`);
  });

  it("GIVEN no suggestions THEN the intro is only the how-to line", () => {
    expect(threadIntro(question, { questions: [], journal: [] }).embeds).toEqual([]);
    expect(threadIntro(question, null).content).toContain("/answer question:123456");
  });

  it("GIVEN a full page of maximal questions THEN the list embed fits and says how to get the next page", () => {
    const page = pageOf(
      Array.from({ length: 25 }, (_, i) => entry(i + 1)),
      1,
    );
    const embed = listEmbed(GUILD, "Open questions", page, "none").toJSON();
    expectWithinLimits(embed);
    expect(embed.footer?.text).toBe("Page 1 of 3 · 25 questions · next: page:2");
    expect(embed.description).toContain("300 answers");
    expect(embed.description).toContain(`asked <t:${T0 / 1000}:R>`);
  });

  it("GIVEN the same index entry listed for two guilds THEN each line links into its own guild", () => {
    const listed = { ...entry(7), channelId: SNOW, messageId: SNOW };
    const page = pageOf([listed], 1);
    const other = "200000000000000002";
    expect(listEmbed(GUILD, "Open", page, "none").toJSON().description).toContain(`/channels/${GUILD}/`);
    expect(listEmbed(other, "Open", page, "none").toJSON().description).toContain(`/channels/${other}/`);
    expect(listEmbed(GUILD, "Open", page, "none").toJSON().description).toContain(`/channels/${GUILD}/`);
  });

  it("GIVEN a title with markdown WHEN listed THEN its markdown and brackets are escaped, not paired with the next line's bold", () => {
    const kwargs = { ...entry(2), title: "How do I pass **kwargs through a DRF serializer?" };
    const description = String(
      listEmbed(GUILD, "Open", pageOf([kwargs, entry(1)], 1), "none").toJSON().description,
    );
    expect(description).toContain("[How do I pass \\*\\*kwargs through a DRF serializer?](");
    expect(linkLabel("Why do `__init__` ~~and~~ ||spoilers|| [break] C:\\ paths?", 100)).toBe(
      "Why do \\`\\_\\_init\\_\\_\\` \\~\\~and\\~\\~ \\|\\|spoilers\\|\\| \\[break\\] C:\\\\ paths?",
    );
  });

  it("GIVEN a title with markdown WHEN the question embed is built THEN its title shows it as typed: `__init__` is not underlined, an odd `**` pairs with nothing", () => {
    const titled = (title: string) =>
      questionEmbed(GUILD, { ...question, number: 7, title, status: "open", accepted: null }).toJSON().title;
    expect(titled("Why does __init__ run twice when I subclass a DRF view?")).toBe(
      "Q7 · Why does \\_\\_init\\_\\_ run twice when I subclass a DRF view?",
    );
    expect(titled("How do I pass **kwargs through a `serializer`?")).toBe(
      "Q7 · How do I pass \\*\\*kwargs through a \\`serializer\\`?",
    );
    const long = questionEmbed(GUILD, { ...question, title: "_".repeat(200) }).toJSON().title ?? "";
    expect(long.length).toBeLessThanOrEqual(LIMITS.embedTitle);
    expect(long.startsWith("Q123456 · \\_\\_")).toBe(true);
    expect((/\\*…$/.exec(long)?.[0].length ?? 1) % 2).toBe(1);
  });

  it("GIVEN a raw link or a run of asterisks in a title WHEN made a link label THEN the link stays whole and every asterisk is escaped", () => {
    expect(
      linkLabel("Why does https://example.com/my_app/[id]/*.py 404 in _prod_? https://x.io/a\\", 100),
    ).toBe("Why does https://example.com/my_app/\\[id\\]/*.py 404 in \\_prod\\_? https://x.io/a\\\\");
    expect(linkLabel("***** rating", 100)).toBe("\\*\\*\\*\\*\\* rating");
  });

  it("GIVEN a label longer than its room once escaped WHEN it is cut THEN the cut falls between escapes, within the room", () => {
    for (const title of [
      "*".repeat(150),
      `a${"_".repeat(150)}`,
      `a${"\\".repeat(150)}`,
      `${"]".repeat(150)}`,
    ]) {
      for (const max of [99, 100]) {
        const label = linkLabel(title, max);
        expect(label.length).toBeLessThanOrEqual(max);
        expect(label.endsWith("…")).toBe(true);
        // An even run of backslashes before the "…": each escapes the character after it, none the "…".
        expect((/\\*…$/.exec(label)?.[0].length ?? 1) % 2).toBe(1);
      }
    }
  });

  it("GIVEN titles THEN thread names stay within 100 characters, solved ones marked", () => {
    expect(threadName({ title: "x".repeat(200), status: "open" })).toHaveLength(100);
    const solved = threadName({ title: "x".repeat(200), status: "solved" });
    expect(solved).toHaveLength(100);
    expect(solved.startsWith("✅ ")).toBe(true);
    expect(threadName({ title: "Short  title\nhere", status: "solved" })).toBe("✅ Short title here");
  });

  it("GIVEN a leaderboard THEN it fits, with medals and the caller's rank", () => {
    const rows = Array.from({ length: 10 }, (_, i) => ({ userId: SNOW, points: 10_000 - i, accepted: 1000 }));
    const embed = leaderboardEmbed({
      period: "week",
      since: 0,
      rows,
      total: 5000,
      you: { rank: 4321, row: { points: 10 } },
    }).toJSON();
    expectWithinLimits(embed);
    expect(embed.description?.startsWith("🥇")).toBe(true);
    expect(embed.footer?.text).toBe("You are #4321 with 10 points · 5000 members ranked");
  });

  it("GIVEN a nudge THEN it names the answer command and pings no one", () => {
    const text = nudgeMessage({ ...question, status: "open" });
    expect(text).toContain("/answer question:123456");
    expect(text).not.toMatch(/<@|@everyone|@here/);
  });
});
