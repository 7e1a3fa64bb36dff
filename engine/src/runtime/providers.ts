/**
 * Execution providers: creates an onnxruntime session on the requested device, and for `auto`
 * tries the best available one first, falling back with a logged reason.
 */
import { existsSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { Device } from '../api/types';
import { IntrospectError } from '../errors';

export type ResolvedDevice = Exclude<Device, 'auto'>;
export const DEVICES: readonly Device[] = ['auto', 'cpu', 'webgpu', 'cuda'];
const AUTO_ORDER: ResolvedDevice[] = ['cuda', 'webgpu', 'cpu'];

export type Log = (message: string) => void;

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
        logSeverityLevel: 3,
      });
      if (failures.length) log(`device ${d} (fell back: ${failures.join('; ')})`);
      return { session, device: d };
    } catch (e) {
      failures.push(`${d}: ${(e as Error).message.split('\n')[0]}`);
    }
  }
  throw new IntrospectError(`no execution provider could start: ${failures.join('; ')}`, 'device');
}

/** Why a provider cannot be used here, without trying it; undefined when it may work. */
function unavailableReason(d: ResolvedDevice): string | undefined {
  if (d === 'cpu') return undefined;
  const backend = ort.listSupportedBackends().find((b) => b.name === d);
  if (!backend) return 'not supported by this onnxruntime-node build';
  if (!backend.bundled && d === 'cuda' && !process.env.INTROSPECT_CUDA)
    return 'CUDA provider libraries not installed (see README, "CUDA"; set INTROSPECT_CUDA=1 once installed)';
  if (d === 'webgpu' && process.platform === 'linux' && !process.env.INTROSPECT_WEBGPU && !hasVulkanLoader())
    return 'no Vulkan loader (libvulkan.so.1) found';
  return undefined;
}

function hasVulkanLoader(): boolean {
  return ['/usr/lib/x86_64-linux-gnu/libvulkan.so.1', '/usr/lib/libvulkan.so.1', '/usr/lib64/libvulkan.so.1'].some(existsSync);
}
