// Headless Chromium from Debian's package (`apt-get install -y chromium`), driven by playwright-core,
// which downloads no browser of its own. Launched as a server so the test holds its PID and stops
// it even when playwright cannot.
import { existsSync } from 'node:fs';
import { type Browser, chromium } from 'playwright-core';
import { isAlive } from '../../src/host/process-alive.js';

export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

export interface RunningChromium {
  browser: Browser;
  pid: number | undefined;
  stop(): Promise<void>;
}

export async function startChromium(): Promise<RunningChromium> {
  if (!existsSync(CHROMIUM_PATH)) {
    throw new Error(`No Chromium at ${CHROMIUM_PATH}: install it with "apt-get install -y chromium" (or set CHROMIUM_PATH).`);
  }
  const server = await chromium.launchServer({
    executablePath: CHROMIUM_PATH,
    headless: true,
    // As root (CI) Chromium refuses to start with its sandbox; /dev/shm may be small in containers.
    args: ['--no-sandbox', '--disable-dev-shm-usage'],
  });
  const pid = server.process().pid;
  let browser: Browser;
  try {
    browser = await chromium.connect(server.wsEndpoint());
  } catch (error) {
    await server.kill();
    throw error;
  }
  return {
    browser,
    pid,
    stop: async () => {
      await browser.close().catch(() => undefined);
      await server.close().catch(() => undefined);
      if (pid !== undefined && isAlive(pid)) process.kill(pid, 'SIGKILL');
    },
  };
}
