/** Driving the VS Code workbench in a browser with playwright-core: commands, files, hovers, webviews. */
import { type Browser, chromium, type FrameLocator, type Page } from 'playwright-core';
import { CHROMIUM } from './tools';

export async function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
}

export class Workbench {
  constructor(readonly page: Page) {}

  /** Focuses the workbench (not a webview) so keys reach it. */
  async focus(): Promise<void> {
    await this.page.locator('.part.statusbar').click({ position: { x: 5, y: 5 } });
  }

  async runCommand(title: string): Promise<void> {
    await this.focus();
    await this.page.keyboard.press('F1');
    await this.page.locator('.quick-input-widget input').fill('>' + title);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: title }).first().waitFor();
    await this.page.keyboard.press('Enter');
  }

  async openFile(name: string): Promise<void> {
    await this.focus();
    await this.page.keyboard.press('F1');
    await this.page.locator('.quick-input-widget input').fill(name);
    await this.page.locator('.quick-input-list .monaco-list-row', { hasText: name }).first().waitFor();
    await this.page.keyboard.press('Enter');
    await this.page.locator(`.tab.active[aria-label*="${name}"]`).waitFor();
  }

  /** The editor line whose text matches `text` (rendered spaces are U+00A0, which \s matches). */
  line(text: RegExp) {
    return this.page.locator('.monaco-editor .view-line', { hasText: text }).first();
  }

  /** Where the first character of such a line is drawn (for hovering or clicking a leading name). */
  static readonly FIRST_CHAR = { x: 3, y: 8 };

  async notification(text: string | RegExp): Promise<string> {
    const toast = this.page.locator('.notifications-toasts .notification-list-item-message', { hasText: text }).first();
    await toast.waitFor({ timeout: 30000 });
    return toast.innerText();
  }

  async clearNotifications(): Promise<void> {
    await this.runCommand('Notifications: Clear All Notifications');
  }

  /** The inner frame of a webview panel (`view: false`) or webview view (`view: true`) of an extension. */
  webview(extensionId: string, view: boolean): FrameLocator {
    const purpose = view ? '[src*="purpose=webviewView"]' : ':not([src*="purpose="])';
    return this.page.frameLocator(`iframe.webview[src*="extensionId=${extensionId}"]${purpose}`).frameLocator('#active-frame');
  }
}
