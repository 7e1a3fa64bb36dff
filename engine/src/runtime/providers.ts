/**
 * Execution providers: creates an onnxruntime session on the requested device, and for `auto`
 * tries the best available one first, falling back with a logged reason.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import type { Device } from '../api/types';
import { IntrospectError } from '../errors';

export type ResolvedDevice = Exclude<Device, 'auto'>;
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'webgpu', 'cuda'];
const AUTO_ORDER: ResolvedDevice[] = ['cuda', 'webgpu', 'cpu'];

export type Log = (message: string) => void;

/** Fallbacks already reported: a model builds many graphs, and the reason is the same for each. */
const reportedFallbacks = new Set<string>();

export async function createSession(
  modelPath: string,
  device: Device,
  log: Log,
): Promise<{ session: ort.InferenceSession; device: ResolvedDevice }> {
  if (!DEVICES.includes(device))
    throw new IntrospectError(`unknown device "${device}" (choose ${DEVICES.join(', ')})`, 'device');
  const order = device === 'auto' ? AUTO_ORDER : [device];
  const failures: string[] = [];
  for (const d of order) {
    const why = unavailableReason(d);
    if (why) {
      failures.push(`${d}: ${why}`);
      continue;
    }
    try {
      const session = await ort.InferenceSession.create(modelPath, {
        executionProviders: [d],
        graphOptimizationLevel: 'all',
        ...threads(),
        logSeverityLevel: 3,
      });
      const fallback = `device ${d} (fell back: ${failures.join('; ')})`;
      if (failures.length && !reportedFallbacks.has(fallback)) {
        reportedFallbacks.add(fallback);
        log(fallback);
      }
      return { session, device: d };
    } catch (e) {
      failures.push(`${d}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new IntrospectError(`no execution provider could start: ${failures.join('; ')}`, 'device');
}

/**
 * `INTROSPECT_THREADS` caps each session's intra-op threads: worker processes sharing a machine
 * (studies run components in parallel) each get their share instead of all the cores.
 */
function threads(): { intraOpNumThreads?: number } {
  const n = Number(process.env.INTROSPECT_THREADS);
  return Number.isInteger(n) && n > 0 ? { intraOpNumThreads: n } : {};
}

/** Why a provider cannot be used here, without trying it; undefined when it may work. */
function unavailableReason(d: ResolvedDevice): string | undefined {
  if (d === 'cpu') return undefined;
  const backend = ort.listSupportedBackends().find((b) => b.name === d);
  if (!backend) return 'not supported by this onnxruntime-node build';
  if (d === 'cuda' && !backend.bundled && !existsSync(join(ortBinDir(), 'libonnxruntime_providers_cuda.so')))
    return 'CUDA provider libraries are not installed (see README, "GPUs")';
  if (d === 'webgpu' && process.platform === 'linux' && !hasVulkanLoader()) return 'no Vulkan loader (libvulkan.so.1) found';
  return undefined;
}

/** Where onnxruntime-node keeps its native libraries (and the CUDA provider, once installed). */
function ortBinDir(): string {
  const pkg = dirname(require.resolve('onnxruntime-node/package.json'));
  return join(pkg, 'bin', 'napi-v6', process.platform, process.arch);
}

function hasVulkanLoader(): boolean {
  const dirs = ['/usr/lib/x86_64-linux-gnu', '/usr/lib/aarch64-linux-gnu', '/usr/lib64', '/usr/lib', ...(process.env.LD_LIBRARY_PATH ?? '').split(':')];
  return dirs.some((d) => d && existsSync(join(d, 'libvulkan.so.1')));
}
