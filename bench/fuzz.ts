/**
 * Benchmark: a long fuzz run against the engine process (dist/engine.js; run `npm run build`
 * first), printing the answers by outcome, the slowest answer, and anything that leaked internals
 * or went unanswered.
 *
 *   node --import tsx bench/fuzz.ts [--n 10000] [--seed 1]
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { writeTinyCheckpoint } from '../engine/src/checkpoint/tiny';
import { fuzz } from '../test/rpc/fuzz';
import { WireEngine } from '../test/rpc/wire';

const { values: args } = parseArgs({ options: { n: { type: 'string', default: '10000' }, seed: { type: 'string', default: '1' } } });

async function main(): Promise<void> {
  const root = mkdtempSync(join(tmpdir(), 'introspect-fuzz-bench-'));
  const engine = WireEngine.start({ INTROSPECT_CACHE: join(root, 'cache') });
  try {
    await writeTinyCheckpoint(join(root, 'tiny'), { modelType: 'llama', nLayers: 1, dModel: 16, nHeads: 2, seed: 1 });
    engine.request(0, 'model/load', { dir: join(root, 'tiny'), device: 'cpu', dtype: 'float32' });
    await engine.reply(0, 60_000);
    const t0 = Date.now();
    const r = await fuzz(engine, Number(args.n), Number(args.seed));
    const secs = (Date.now() - t0) / 1000;
    console.log(`${args.n} messages in ${secs.toFixed(1)} s (${(Number(args.n) / secs).toFixed(0)}/s); engine ${engine.exitCode === undefined ? 'still running' : `exited (${engine.exitCode})`}`);
    for (const [k, v] of Object.entries(r.counts).sort((a, b) => b[1] - a[1])) console.log(`  ${k.padEnd(26)} ${v}`);
    console.log(`  slowest answer ${r.slowest} ms; unanswered ${r.unanswered}; leaking or empty messages ${r.leaks.length}`);
    for (const l of r.leaks.slice(0, 20)) console.log(`    ${l}`);
  } finally {
    await engine.stop();
    rmSync(root, { recursive: true, force: true });
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
