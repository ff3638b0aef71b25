/**
 * Text for people: the result table and the progress bar. Pure: strings in, strings out (the
 * CLI decides where they go: the table to stdout, the bar to stderr on a TTY only).
 */
import type { BenchProgress } from './run.js';
import type { BenchResult } from './stats.js';

/** "1.23M", "456k", "789". */
export function si(x: number): string {
  if (x < 0 || !Number.isFinite(x)) return '—';
  if (x >= 1e6) return `${(x / 1e6).toFixed(2)}M`;
  if (x >= 1e4) return `${Math.round(x / 1e3)}k`;
  return String(Math.round(x));
}

/** µs as ms with 2 decimals ("—" for unknown). */
export function ms(us: number): string {
  return us < 0 ? '—' : (us / 1000).toFixed(2);
}

function known(x: number, text: string): string {
  return x < 0 ? '—' : text;
}

/** The result as an aligned two-column table, warnings after it. */
export function formatResult(r: BenchResult): string {
  const loaded = r.msgs_per_sender > 0;
  const shape = loaded
    ? `${r.clients} users, ${r.senders} senders × ${r.msgs_per_sender} × ${r.size} B, ${r.window > 0 ? `window ${r.window}` : 'no window'}${r.rate > 0 ? `, ${r.rate} msg/s each` : ''}`
    : `${r.clients} idle users, held ${r.idle_hold_s} s`;
  const rows: Array<[string, string]> = [
    ['workload', `${r.proto} on ${r.receiver_ports === undefined ? `port ${r.port}` : `ports ${r.port} (senders), ${r.receiver_ports.join(', ')} (the others)`}: ${shape}`],
    ['result', `${r.end_reason}${r.first_error ? ` (${r.first_error})` : ''}`],
    ['ready', `${r.ready_clients}/${r.clients} registered in ${r.ready_s.toFixed(3)} s (connected in ${r.connect_s.toFixed(3)} s)`],
  ];
  if (loaded) {
    rows.push(
      ['delivered', `${r.delivered}/${r.expected} (${(r.ratio * 100).toFixed(2)}%)${r.dup ? `, ${r.dup} duplicates` : ''}${r.expired_msgs ? `, ${r.expired_msgs} messages expired` : ''}`],
      ['deliveries/s', `${si(r.deliveries_per_s)} (${si(r.msgs_per_s)} messages/s, ${r.run_s.toFixed(3)} s)`],
      ['latency ms', `p50 ${ms(r.lat_us.p50)}  p90 ${ms(r.lat_us.p90)}  p99 ${ms(r.lat_us.p99)}  max ${ms(r.lat_us.max)}`],
      ['server CPU', known(r.server_cpu_pct, `${r.server_cpu_pct}% of a core (pid ${r.server_pid})`)],
      ['generator CPU', `${r.loadgen_cpu_pct}% over ${r.threads} thread(s) on ${r.cores} core(s), busiest thread ${known(r.loadgen_busy_max, `${Math.round(r.loadgen_busy_max * 100)}%`)}`],
    );
  }
  rows.push(['server RSS', known(r.server_rss_kb_after, `${r.server_rss_kb_before} -> ${r.server_rss_kb_after} KiB, ${r.rss_per_conn_kb} KiB per user`)]);
  if (!loaded) rows.push(['quiet', r.idle_quiesced === 1 ? 'yes' : r.idle_quiesced === 0 ? 'no (the server was still busy)' : '—']);
  const width = Math.max(...rows.map(([k]) => k.length));
  const lines = rows.map(([k, v]) => `${k.padEnd(width)}  ${v}`);
  for (const w of r.warnings) lines.push(`warning: ${w}`);
  return `${lines.join('\n')}\n`;
}

/** One line of progress, at most `columns` wide. */
export function formatProgress(p: BenchProgress, columns = 80): string {
  let text: string;
  let fraction: number;
  switch (p.phase) {
    case 'send': {
      fraction = p.expected > 0 ? p.delivered / p.expected : 1;
      const rate = p.elapsedS > 0 ? p.delivered / p.elapsedS : 0;
      text = `send ${si(p.delivered)}/${si(p.expected)} ${si(rate)}/s`;
      break;
    }
    case 'connect':
      fraction = p.ready / p.clients;
      text = `connect ${p.ready}/${p.clients} ready`;
      break;
    default:
      fraction = 1;
      text = `${p.phase} ${p.elapsedS.toFixed(1)} s`;
  }
  const barWidth = Math.max(10, Math.min(40, columns - text.length - 8));
  const filled = Math.round(Math.min(1, Math.max(0, fraction)) * barWidth);
  const pct = `${Math.floor(Math.min(1, fraction) * 100)}%`.padStart(4);
  return `[${'#'.repeat(filled)}${'.'.repeat(barWidth - filled)}] ${pct} ${text}`.slice(0, Math.max(20, columns - 1));
}
