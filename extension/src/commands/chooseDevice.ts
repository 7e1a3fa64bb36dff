/** "Choose Device": the execution provider the engine uses (the model is reloaded on it). */
import * as vscode from 'vscode';
import type { Device } from '../../../engine/src/api/types';
import { readSettings, updateSetting } from '../settings';
import { CommandId } from './ids';

const DEVICES: { device: Device; detail: string }[] = [
  { device: 'auto', detail: 'CUDA when available, else CPU' },
  { device: 'cpu', detail: 'onnxruntime CPU provider' },
  { device: 'cuda', detail: 'NVIDIA GPU (needs the CUDA provider libraries)' },
  { device: 'webgpu', detail: 'WebGPU provider where onnxruntime supports it' },
];

export function register(context: vscode.ExtensionContext): void {
  context.subscriptions.push(
    vscode.commands.registerCommand(CommandId.ChooseDevice, async () => {
      const current = readSettings().device;
      const pick = await vscode.window.showQuickPick(
        DEVICES.map((d) => ({ label: d.device, detail: d.detail, description: d.device === current ? 'current' : undefined })),
        { title: 'Introspect: choose a device' },
      );
      if (pick) await updateSetting('device', pick.label as Device);
    }),
  );
}
