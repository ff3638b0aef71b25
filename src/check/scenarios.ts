/**
 * The scenarios, by stable id, in the order they run: the seed group (what the assignment asks)
 * first, then robustness (what a real server must also do). Each one uses fresh names and
 * bounded traffic, looks for its own fresh words in the stream, and tolerates decoration
 * (greetings, prompts, timestamps, colours): it asks "did the words arrive, whole, to whom
 * they should", never "is the line exactly this".
 */
import { showText } from './escape.js';
import type { Inbox, TcpProbe } from './probe.js';
import { sleep } from './probe.js';
import type { Ctx, Finding, Scenario } from './scenario.js';

const KIB = 1024;

function find(key: Finding['key'], params: Finding['params']): Finding {
  return { key, params };
}

/** True when the words of a reply to a command are all in what `probe` got since `mark`. */
function hasAll(probe: Inbox, mark: number, words: string[]): boolean {
  const text = probe.since(mark);
  return words.every((w) => text.includes(w));
}

/** The text around the first `needle` in `text` (so the part that matters is not cut away). */
function around(text: string, needle: string, width = 40): string {
  const i = text.indexOf(needle);
  if (i === -1) return showText(text);
  const from = Math.max(0, i - width);
  const to = Math.min(text.length, i + needle.length + width);
  return `${from > 0 ? '…' : ''}${showText(text.slice(from, to), width * 3)}${to < text.length ? '…' : ''}`;
}

/** How many times `name` appears as a whole word in `text`. */
/**
 * `a` sends `/listar` and reads the answer: what came back (once it names `self`, and the line
 * has gone quiet), or the finding that no list came.
 */
async function askList(ctx: Ctx, a: TcpProbe, self: string): Promise<string | Finding> {
  const ml = a.mark();
  await ctx.sendBare(a, '/listar');
  const listed = await a.waitFor(self, ml, ctx.timing.waitMs);
  await a.quiet(150, 1000);
  ctx.saw(a, ml);
  if (!listed) return find('check_found_no_list', { who: a.label, command: '/listar', names: self, seconds: ctx.seconds });
  return a.since(ml);
}

function countWord(text: string, name: string): number {
  const re = new RegExp(`(?<![\\p{L}\\p{N}_])${name}(?![\\p{L}\\p{N}_])`, 'gu');
  return (text.match(re) ?? []).length;
}

/** Sets the run's framing from what the seed-style clients got (they never send a newline). */
function learnFraming(ctx: Ctx, probes: TcpProbe[]): void {
  if (ctx.state.framing === 'crlf' || ctx.state.framing === 'lf') return;
  if (probes.some((p) => p.sawCrLf)) ctx.state.framing = 'crlf';
  else if (probes.some((p) => p.sawLf)) ctx.state.framing = 'lf';
  else if (probes.some((p) => p.bytesIn > 0)) ctx.state.framing = 'none';
}

// --- seed ---

const joinNotice: Scenario = {
  id: 'join_notice',
  group: 'seed',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 64, connections: 2, datagrams: 0 },
  async run(ctx) {
    const a = await ctx.join(ctx.name('ana'));
    const m = a.mark();
    const bName = ctx.name('bob');
    const b = await ctx.join(bName);
    const ok = await a.waitFor(bName, m, ctx.timing.waitMs);
    ctx.saw(a, m);
    learnFraming(ctx, [a, b]);
    return ok ? undefined : find('check_found_no_join', { who: a.label, name: bName, seconds: ctx.seconds });
  },
};

const broadcast: Scenario = {
  id: 'broadcast',
  group: 'seed',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 128, connections: 3, datagrams: 0 },
  async run(ctx) {
    const [a, b, c] = (await ctx.joinAll([ctx.name('ana'), ctx.name('bob'), ctx.name('eva')])) as [TcpProbe, TcpProbe, TcpProbe];
    const mb = b.mark();
    const mc = c.mark();
    const tok = ctx.token('hola');
    await ctx.sendBare(a, tok);
    const [okB, okC] = await Promise.all([b.waitFor(tok, mb, ctx.timing.waitMs), c.waitFor(tok, mc, ctx.timing.waitMs)]);
    // What follows the message tells how the server ends its lines (if it sends anything after).
    await Promise.all([b.quiet(100, 500), c.quiet(100, 500)]);
    ctx.saw(b, mb);
    ctx.saw(c, mc);
    learnFraming(ctx, [a, b, c]);
    if (!okB) return find('check_found_no_message', { who: b.label, text: showText(tok), seconds: ctx.seconds });
    if (!okC) return find('check_found_no_message', { who: c.label, text: showText(tok), seconds: ctx.seconds });
    return undefined;
  },
};

const noEcho: Scenario = {
  id: 'no_echo',
  group: 'seed',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 64, connections: 2, datagrams: 0 },
  async run(ctx) {
    const [a, b] = (await ctx.joinAll([ctx.name('ana'), ctx.name('bob')])) as [TcpProbe, TcpProbe];
    const ma = a.mark();
    const mb = b.mark();
    const tok = ctx.token('eco');
    await ctx.sendBare(a, tok);
    const okB = await b.waitFor(tok, mb, ctx.timing.waitMs);
    const echoed = await a.waitFor(tok, ma, ctx.timing.quietMs);
    ctx.saw(b, mb);
    ctx.saw(a, ma);
    if (!okB) return find('check_found_no_message', { who: b.label, text: showText(tok), seconds: ctx.seconds });
    return echoed ? find('check_found_echo', { who: a.label, text: showText(tok) }) : undefined;
  },
};

const listar: Scenario = {
  id: 'listar',
  group: 'seed',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 64, connections: 2, datagrams: 0 },
  async run(ctx) {
    const names = [ctx.name('ana'), ctx.name('bob')];
    const [a, b] = (await ctx.joinAll(names)) as [TcpProbe, TcpProbe];
    const ma = a.mark();
    const mb = b.mark();
    await ctx.sendBare(a, '/listar');
    const ok = await a.until(() => hasAll(a, ma, names), ctx.timing.waitMs);
    await b.quiet(ctx.timing.quietMs, ctx.timing.quietMs * 2);
    ctx.saw(a, ma);
    ctx.saw(b, mb);
    if (b.find('/listar', mb) !== -1) return find('check_found_command_relayed', { command: '/listar', who: b.label });
    return ok ? undefined : find('check_found_no_list', { who: a.label, command: '/listar', names: names.join(', '), seconds: ctx.seconds });
  },
};

const quitar: Scenario = {
  id: 'quitar',
  group: 'seed',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 64, connections: 2, datagrams: 0 },
  async run(ctx) {
    const bName = ctx.name('bob');
    const [a, b] = (await ctx.joinAll([ctx.name('ana'), bName])) as [TcpProbe, TcpProbe];
    const ma = a.mark();
    const mb = b.mark();
    await ctx.sendBare(b, '/quitar');
    const [told, closed] = await Promise.all([a.waitFor(bName, ma, ctx.timing.waitMs), b.waitClosed(ctx.timing.waitMs)]);
    ctx.saw(a, ma);
    ctx.saw(b, mb);
    if (a.find('/quitar', ma) !== -1) return find('check_found_command_relayed', { command: '/quitar', who: a.label });
    if (!told) return find('check_found_no_leave', { who: a.label, name: bName, seconds: ctx.seconds });
    return closed ? undefined : find('check_found_not_closed', { name: bName, seconds: ctx.seconds });
  },
};

function abruptLeave(id: 'close_announced' | 'reset_announced'): Scenario {
  return {
    id,
    group: 'seed',
    transport: 'tcp',
    deadlineMs: 8000,
    traffic: { bytes: 64, connections: 2, datagrams: 0 },
    async run(ctx) {
      const bName = ctx.name('bob');
      const [a, b] = (await ctx.joinAll([ctx.name('ana'), bName])) as [TcpProbe, TcpProbe];
      const ma = a.mark();
      if (id === 'close_announced') {
        ctx.note(`${b.label} → FIN`);
        b.finish();
      } else {
        ctx.note(`${b.label} → RST`);
        b.reset();
      }
      const told = await a.waitFor(bName, ma, ctx.timing.waitMs);
      ctx.saw(a, ma);
      return told ? undefined : find('check_found_no_leave', { who: a.label, name: bName, seconds: ctx.seconds });
    },
  };
}

const utf8: Scenario = {
  id: 'utf8',
  group: 'seed',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 128, connections: 2, datagrams: 0 },
  async run(ctx) {
    const [a, b] = (await ctx.joinAll([ctx.name('ana'), ctx.name('bob')])) as [TcpProbe, TcpProbe];
    const tok = ctx.token('u');
    const message = `¿Qué tal? ñandú, café, 你好, 🎉 ${tok}`;
    const mb = b.mark();
    await ctx.sendBare(a, message);
    const ok = await b.waitFor(tok, mb, ctx.timing.waitMs);
    const shown = ctx.saw(b, mb);
    if (!ok) return find('check_found_no_message', { who: b.label, text: showText(message), seconds: ctx.seconds });
    return b.find(message, mb) !== -1 ? undefined : find('check_found_mangled', { who: b.label, got: shown, expected: showText(message) });
  },
};

const udpBroadcast: Scenario = {
  id: 'udp_broadcast',
  group: 'seed',
  transport: 'udp',
  deadlineMs: 8000,
  traffic: { bytes: 64, connections: 0, datagrams: 3 },
  async run(ctx) {
    const a = await ctx.udpJoin(ctx.name('ana'));
    const b = await ctx.udpJoin(ctx.name('bob'));
    await Promise.all([a.quiet(150, 1000), b.quiet(150, 1000)]);
    const mb = b.mark();
    const tok = ctx.token('hola');
    await ctx.sendBare(a, tok);
    const ok = await b.waitFor(tok, mb, ctx.timing.waitMs);
    ctx.saw(b, mb);
    return ok ? undefined : find('check_found_no_message', { who: b.label, text: showText(tok), seconds: ctx.seconds });
  },
};

const udpQuitar: Scenario = {
  id: 'udp_quitar',
  group: 'seed',
  transport: 'udp',
  deadlineMs: 8000,
  traffic: { bytes: 96, connections: 0, datagrams: 5 },
  async run(ctx) {
    const a = await ctx.udpJoin(ctx.name('ana'));
    const b = await ctx.udpJoin(ctx.name('bob'));
    const c = await ctx.udpJoin(ctx.name('eva'));
    await Promise.all([a.quiet(150, 1000), b.quiet(150, 1000), c.quiet(150, 1000)]);
    await ctx.sendBare(a, '/quitar');
    await a.quiet(150, 1000);
    const ma = a.mark();
    const mc = c.mark();
    const tok = ctx.token('chau');
    await ctx.sendBare(b, tok);
    const okC = await c.waitFor(tok, mc, ctx.timing.waitMs);
    const still = await a.waitFor(tok, ma, ctx.timing.quietMs);
    ctx.saw(c, mc);
    const shown = ctx.saw(a, ma);
    if (!okC) return find('check_found_no_message', { who: c.label, text: showText(tok), seconds: ctx.seconds });
    return still ? find('check_found_udp_still', { name: a.label, got: shown }) : undefined;
  },
};

// --- robustness ---

/** The chat line for `tok` as `observer` saw it, from the sender's name on (or from `mark`). */
function lineOf(observer: Inbox, mark: number, sender: string, tok: string): { start: number; at: number } {
  const at = observer.find(tok, mark);
  const n = observer.slice(mark, at).lastIndexOf(sender);
  return { start: n === -1 ? at : mark + n, at };
}

function netcatLines(id: 'lf_lines' | 'crlf_lines', eol: '\n' | '\r\n'): Scenario {
  return {
    id,
    group: 'robustness',
    transport: 'tcp',
    deadlineMs: 10_000,
    traffic: { bytes: 128, connections: 2, datagrams: 0 },
    async run(ctx) {
      const aName = ctx.name('ana');
      const bName = ctx.name('nc');
      const a = await ctx.join(aName);
      const b = await ctx.joinLine(bName, eol);
      const ma = a.mark();
      const tok = ctx.token('hola');
      await ctx.sendLine(b, tok, eol);
      const ok = await a.waitFor(tok, ma, ctx.timing.waitMs);
      await a.quiet(100, 500);
      ctx.saw(a, ma);
      if (!ok) return find('check_found_no_message', { who: a.label, text: showText(tok), seconds: ctx.seconds });
      const { start, at } = lineOf(a, ma, bName, tok);
      const inside = a.slice(start + (start === at ? 0 : bName.length), at);
      const after = a.slice(at + tok.length, at + tok.length + 3);
      const framing = ctx.state.framing;
      const strayCr = inside.includes('\r') || (after.startsWith('\r') && !(framing === 'crlf' && after.startsWith('\r\n') && !after.startsWith('\r\r')));
      if (strayCr) return find('check_found_stray_cr', { got: showText(a.slice(start, at + tok.length + 2)) });
      const strayLf = inside.includes('\n') || (framing === 'none' && after.startsWith('\n'));
      if (strayLf) return find('check_found_stray_lf', { got: showText(a.slice(start, at + tok.length + 2)) });
      const mb = b.mark();
      const ma2 = a.mark();
      await ctx.sendLine(b, '/listar', eol);
      const listed = await b.until(() => hasAll(b, mb, [aName, bName]), ctx.timing.waitMs);
      await a.quiet(ctx.timing.quietMs, ctx.timing.quietMs * 2);
      ctx.saw(b, mb);
      if (a.find('/listar', ma2) !== -1) return find('check_found_command_relayed', { command: '/listar', who: a.label });
      return listed ? undefined : find('check_found_no_list', { who: b.label, command: showText(`/listar${eol}`), names: `${aName}, ${bName}`, seconds: ctx.seconds });
    },
  };
}

const batchedLines: Scenario = {
  id: 'batched_lines',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 96, connections: 2, datagrams: 0 },
  async run(ctx) {
    const bName = ctx.name('nc');
    const a = await ctx.join(ctx.name('ana'));
    const b = await ctx.joinLine(bName);
    const t = ctx.token('');
    const one = `uno${t}`;
    const two = `dos${t}`;
    const ma = a.mark();
    await ctx.write(b, Buffer.from(`${one}\n${two}\n`)); // one write, one segment
    const ok = await a.until(() => a.find(one, ma) !== -1 && a.find(two, ma) !== -1, ctx.timing.waitMs);
    await a.quiet(100, 500);
    const shown = ctx.saw(a, ma);
    const i1 = a.find(one, ma);
    const i2 = a.find(two, ma);
    if (!ok) {
      if (i1 === -1 && i2 === -1) return find('check_found_no_message', { who: a.label, text: showText(`${one}\n${two}\n`), seconds: ctx.seconds });
      return find('check_found_mangled', { who: a.label, got: shown, expected: showText(`${one}`) + ', ' + showText(two) });
    }
    // Two messages: the sender's name comes again before the second one (however it is decorated).
    const between = a.slice(i1 + one.length, i2);
    return i2 > i1 && between.includes(bName) ? undefined : find('check_found_glued', { text: showText(`${one}\n${two}`) });
  },
};

const splitLine: Scenario = {
  id: 'split_line',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 96, connections: 2, datagrams: 0 },
  async run(ctx) {
    const a = await ctx.join(ctx.name('ana'));
    const b = await ctx.joinLine(ctx.name('nc'));
    const t = ctx.token('');
    const whole = `hola${t}mundo`;
    const ma = a.mark();
    await ctx.write(b, Buffer.from(`hola${t}`));
    await sleep(ctx.timing.pauseMs * 2, ctx.signal); // two segments, apart in time
    await ctx.write(b, Buffer.from('mundo\n'));
    const ok = await a.waitFor(whole, ma, ctx.timing.waitMs);
    await a.quiet(100, 500);
    const shown = ctx.saw(a, ma);
    if (ok) return undefined;
    if (a.find(t, ma) === -1) return find('check_found_no_message', { who: a.label, text: showText(whole), seconds: ctx.seconds });
    return find('check_found_mangled', { who: a.label, got: shown, expected: showText(whole) });
  },
};

const splitUtf8: Scenario = {
  id: 'split_utf8',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 96, connections: 2, datagrams: 0 },
  async run(ctx) {
    const a = await ctx.join(ctx.name('ana'));
    const b = await ctx.joinLine(ctx.name('nc'));
    const t = ctx.token('');
    const whole = `${t} café 🎉`;
    const bytes = Buffer.from(`${whole}\n`, 'utf8');
    const cut = bytes.indexOf(0xc3) + 1; // between the two bytes of "é"
    const ma = a.mark();
    await ctx.write(b, bytes.subarray(0, cut));
    await sleep(ctx.timing.pauseMs * 2, ctx.signal);
    await ctx.write(b, bytes.subarray(cut));
    const ok = await a.waitFor(whole, ma, ctx.timing.waitMs);
    await a.quiet(100, 500);
    const shown = ctx.saw(a, ma);
    return ok ? undefined : find('check_found_mangled', { who: a.label, got: shown, expected: showText(whole) });
  },
};

const listarAfterLeave: Scenario = {
  id: 'listar_after_leave',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 10_000,
  traffic: { bytes: 64, connections: 2, datagrams: 0 },
  async run(ctx) {
    const aName = ctx.name('ana');
    const bName = ctx.name('bob');
    const [a, b] = (await ctx.joinAll([aName, bName])) as [TcpProbe, TcpProbe];
    const ma = a.mark();
    await ctx.sendBare(b, '/quitar');
    await Promise.all([a.waitFor(bName, ma, ctx.timing.waitMs), b.waitClosed(ctx.timing.waitMs)]);
    b.destroy();
    await a.quiet(150, 1000);
    const list = await askList(ctx, a, aName);
    if (typeof list !== 'string') return list;
    return countWord(list, bName) > 0 ? find('check_found_ghost', { name: bName, got: around(list, bName) }) : undefined;
  },
};

const duplicateName: Scenario = {
  id: 'duplicate_name',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 10_000,
  traffic: { bytes: 64, connections: 3, datagrams: 0 },
  async run(ctx) {
    const aName = ctx.name('ana');
    const dup = ctx.name('bob');
    const [a] = (await ctx.joinAll([aName, dup])) as [TcpProbe, TcpProbe];
    const second = await ctx.connect(`${dup}(2)`);
    const m2 = second.mark();
    await ctx.sendBare(second, dup);
    await Promise.all([second.quiet(150, 1000), a.quiet(150, 1000)]);
    ctx.saw(second, m2);
    const list = await askList(ctx, a, aName);
    if (typeof list !== 'string') return list;
    return countWord(list, dup) > 1 ? find('check_found_duplicate', { name: dup, got: around(list, dup) }) : undefined;
  },
};

const emptyName: Scenario = {
  id: 'empty_name',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 8000,
  traffic: { bytes: 16, connections: 2, datagrams: 0 },
  async run(ctx) {
    const a = await ctx.join(ctx.name('ana'));
    const e = await ctx.connect('(vacío)');
    const ma = a.mark();
    const me = e.mark();
    await ctx.sendLine(e, ''); // Enter at the name prompt
    await sleep(ctx.timing.quietMs, ctx.signal);
    await a.quiet(150, 1000);
    ctx.saw(e, me);
    const shown = ctx.saw(a, ma);
    return a.since(ma).trim() === '' ? undefined : find('check_found_empty_joined', { who: a.label, got: shown });
  },
};

const CLIENTS = 20;
const LINES = 20;

const concurrentOrder: Scenario = {
  id: 'concurrent_order',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 25_000,
  traffic: { bytes: CLIENTS * (LINES + 1) * 24, connections: CLIENTS, datagrams: 0 },
  async run(ctx) {
    const names = Array.from({ length: CLIENTS }, (_, i) => ctx.name(`c${i}x`));
    const probes = await ctx.joinAll(names);
    const t = ctx.token('q');
    const marks = probes.map((p) => p.mark());
    const word = (i: number, j: number): string => `${t}-${i}-${j}.`;
    ctx.note(`${CLIENTS} × ${LINES}: ${probes[0]?.label} → "${word(0, 0)}" … "${word(0, LINES - 1)}"`);
    await Promise.all(
      probes.map(async (p, i) => {
        for (let j = 0; j < LINES && !ctx.signal.aborted; j++) await p.sendBare(word(i, j));
      }),
    );
    const lastWords = (r: number): string[] => probes.flatMap((_, i) => (i === r ? [] : [word(i, LINES - 1)]));
    await Promise.all(probes.map((p, r) => p.until(() => lastWords(r).every((w) => p.find(w, marks[r] as number) !== -1), ctx.timing.waitMs * 5)));
    await Promise.all(probes.map((p) => p.quiet(ctx.timing.quietMs, ctx.timing.quietMs * 2)));
    let missing = 0;
    let disorder = 0;
    let echoed = 0;
    const re = new RegExp(`${t}-(\\d+)-(\\d+)\\.`, 'g');
    probes.forEach((p, r) => {
      const next = new Array<number>(CLIENTS).fill(0);
      const seen = new Array<number>(CLIENTS).fill(0);
      for (const m of p.since(marks[r]).matchAll(re)) {
        const i = Number(m[1]);
        const j = Number(m[2]);
        if (i === r) {
          echoed += 1;
          continue;
        }
        if (i >= CLIENTS || j >= LINES) continue;
        if (j < (next[i] as number)) disorder += 1;
        else {
          seen[i] = (seen[i] as number) + 1;
          next[i] = j + 1;
        }
      }
      for (let i = 0; i < CLIENTS; i++) if (i !== r) missing += Math.max(0, LINES - (seen[i] as number));
    });
    const total = CLIENTS * (CLIENTS - 1) * LINES;
    ctx.note(`${total - missing}/${total} · ${disorder} · ${echoed}`);
    if (missing + disorder + echoed > 0) {
      const worst = probes.reduce((w, p, r) => (p.since(marks[r]).length < w.p.since(marks[w.r]).length ? { p, r } : w), { p: probes[0] as TcpProbe, r: 0 });
      ctx.saw(worst.p, marks[worst.r] as number);
      // A client the server hung up on in the middle (a thread that died on the shared list,
      // as the seed's can) is the likeliest cause of what is missing: say who.
      const dropped = probes.filter((p) => p.closed && p.closedBy !== 'us').map((p) => p.label);
      if (dropped.length > 0) {
        return find('check_found_concurrency_closed', { total, missing, disorder, echoed, closed: dropped.length, names: dropped.join(', ') });
      }
      return find('check_found_concurrency', { total, missing, disorder, echoed });
    }
    return undefined;
  },
};

const ROUNDS = 10; // ~7 MiB: the seed's server blocks after 3 to 4.5 MiB on loopback
const FLOODERS = 8;
const FLOOD_LINES = 23; // with the name, within a burst of 25 lines (charla's --burst)
const FLOOD_LINE_BYTES = 4000; // under a 4096-byte line limit (charla's --max-line-bytes)

const slowReader: Scenario = {
  id: 'slow_reader',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 40_000,
  traffic: { bytes: ROUNDS * FLOODERS * (FLOOD_LINES * FLOOD_LINE_BYTES + 64), connections: 2 + ROUNDS * FLOODERS, datagrams: 0 },
  async run(ctx) {
    // The slow reader connects first, so that a server that sends to its clients in order
    // meets it before the reader who is watching.
    const sName = ctx.name('lento');
    const s = await ctx.join(sName);
    const b = await ctx.join(ctx.name('bob'));
    s.stopReading();
    ctx.note(`${s.label}: stops reading`);
    const t = ctx.token('f');
    let sentBytes = 0;
    const filler = 'x'.repeat(FLOOD_LINE_BYTES - 24);
    for (let r = 0; r < ROUNDS && !ctx.signal.aborted; r++) {
      const mb = b.mark();
      const ends: string[] = [];
      await Promise.all(
        Array.from({ length: FLOODERS }, async (_, f) => {
          const fName = ctx.name(`fl${r}${f}`);
          const fl = await ctx.connect(fName);
          await fl.sendLine(fName);
          await sleep(ctx.timing.pauseMs, ctx.signal);
          let burst = '';
          for (let k = 0; k < FLOOD_LINES; k++) burst += `${t}-${r}-${f}-${k}:${filler}\n`;
          sentBytes += burst.length;
          await fl.write(burst);
          await sleep(ctx.timing.pauseMs, ctx.signal);
          const end = `${t}-${r}-${f}-fin`;
          ends.push(end);
          await fl.sendLine(end);
          fl.finish();
        }),
      );
      const ok = await b.until(() => ends.every((e) => b.find(e, mb) !== -1), ctx.timing.waitMs * 2);
      if (!ok) {
        ctx.note(`${ROUNDS * FLOODERS} × ${FLOOD_LINES} × ${FLOOD_LINE_BYTES} B: round ${r + 1}/${ROUNDS}`);
        ctx.saw(b, mb);
        return find('check_found_stalled', { name: sName, who: b.label, kib: Math.round(sentBytes / KIB) });
      }
    }
    ctx.note(`${ROUNDS} × ${FLOODERS} × ${FLOOD_LINES} × ${FLOOD_LINE_BYTES} B → ${b.label}: ${Math.round(b.bytesIn / KIB)} KiB`);
    return undefined;
  },
};

const HUGE_BYTES = 1024 * KIB;

const hugeLine: Scenario = {
  id: 'huge_line',
  group: 'robustness',
  transport: 'tcp',
  deadlineMs: 30_000,
  traffic: { bytes: HUGE_BYTES + 256, connections: 4, datagrams: 0 },
  async run(ctx) {
    const [a, b] = (await ctx.joinAll([ctx.name('ana'), ctx.name('bob')])) as [TcpProbe, TcpProbe];
    const h = await ctx.joinLine(ctx.name('nc'));
    const chunk = Buffer.alloc(64 * KIB, 'x');
    ctx.note(`${h.label} → "xxx…" (${HUGE_BYTES} bytes, no "\\n")`);
    for (let sent = 0; sent < HUGE_BYTES && !ctx.signal.aborted && !h.closed; sent += chunk.length) await h.write(chunk);
    // A server that relays the megabyte in pieces (the seed's) is still sending it: let it finish
    // while it flows, so the token is not sent into the middle of it (the seed's threads would
    // interleave their writes to bob and cut the token in two).
    await b.quiet(ctx.timing.quietMs, HUGE_WAIT_MS);
    // Dead is a token not coming through either way, ana to bob then bob to ana, nothing arriving
    // for 2 waits each time. One message lost to a race is not dead, nor is one member whose
    // thread died as they joined: the seed's list of clients, changed while it is walked, can
    // raise in the thread of a client joining while an earlier one leaves, and the server never
    // reads that client again, though the others still write to it.
    const mb = b.mark();
    const ma = a.mark();
    let tok = '';
    let ok = false;
    let to: TcpProbe = b;
    for (let attempt = 0; attempt < 2 && !ok && !ctx.signal.aborted; attempt++) {
      const [from, mark] = attempt === 0 ? [a, mb] : [b, ma];
      to = attempt === 0 ? b : a;
      tok = ctx.token('sigo');
      await ctx.sendBare(from, tok);
      ok = await to.waitForFlowing(tok, mark, ctx.timing.waitMs * 2, HUGE_WAIT_MS / 2);
    }
    if (!ok) {
      ctx.saw(b, mb);
      ctx.saw(a, ma);
      return find('check_found_dead', { kib: HUGE_BYTES / KIB, who: to.label, text: showText(tok), seconds: ctx.seconds * 2 });
    }
    // And someone new can still come in and talk.
    const c = await ctx.join(ctx.name('eva'));
    const mb2 = b.mark();
    const tok2 = ctx.token('nuevo');
    await ctx.sendBare(c, tok2);
    const ok2 = await b.waitFor(tok2, mb2, ctx.timing.waitMs);
    ctx.saw(b, mb2);
    return ok2 ? undefined : find('check_found_dead', { kib: HUGE_BYTES / KIB, who: b.label, text: showText(tok2), seconds: ctx.seconds });
  },
};

/** The longest huge_line waits for the megabyte to finish flowing (within its 30 s deadline); each token waits half of it. */
const HUGE_WAIT_MS = 12_000;

const udpListar: Scenario = {
  id: 'udp_listar',
  group: 'robustness',
  transport: 'udp',
  deadlineMs: 8000,
  traffic: { bytes: 64, connections: 0, datagrams: 3 },
  async run(ctx) {
    const names = [ctx.name('ana'), ctx.name('bob')];
    const a = await ctx.udpJoin(names[0] as string);
    const b = await ctx.udpJoin(names[1] as string);
    await Promise.all([a.quiet(150, 1000), b.quiet(150, 1000)]);
    const ma = a.mark();
    const mb = b.mark();
    await ctx.sendBare(a, '/listar');
    const ok = await a.until(() => hasAll(a, ma, names), ctx.timing.waitMs);
    await b.quiet(ctx.timing.quietMs, ctx.timing.quietMs * 2);
    ctx.saw(a, ma);
    ctx.saw(b, mb);
    if (!ok) return find('check_found_no_list', { who: a.label, command: '/listar', names: names.join(', '), seconds: ctx.seconds });
    return b.find('/listar', mb) !== -1 ? find('check_found_command_relayed', { command: '/listar', who: b.label }) : undefined;
  },
};

/** Every scenario, in the order it runs. */
export const SCENARIOS: readonly Scenario[] = [
  joinNotice,
  broadcast,
  noEcho,
  listar,
  quitar,
  abruptLeave('close_announced'),
  abruptLeave('reset_announced'),
  utf8,
  udpBroadcast,
  udpQuitar,
  netcatLines('lf_lines', '\n'),
  netcatLines('crlf_lines', '\r\n'),
  batchedLines,
  splitLine,
  splitUtf8,
  listarAfterLeave,
  duplicateName,
  emptyName,
  concurrentOrder,
  hugeLine,
  // Last of the TCP ones: a server that blocks on a reader who stopped may stay wedged for a
  // while after that reader is gone, and a scenario after it would fail for that, not for itself.
  slowReader,
  udpListar,
];

export const SCENARIO_IDS: readonly string[] = SCENARIOS.map((s) => s.id);
