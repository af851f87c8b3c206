import { chromium, type Browser } from 'playwright-core';

export const CHROMIUM_PATH = process.env.TOKENTRAY_CHROMIUM ?? '/usr/bin/chromium';

/**
 * Debian's Chromium, headless, kept off the network: only loopback requests are let through.
 * Chromium puts its singleton socket under TMPDIR, and a socket path may not pass 108 bytes: with a
 * long TMPDIR it aborts ("Socket path too long"), so it gets with-keychain.sh's short private folder.
 */
export function launchChromium(): Promise<Browser> {
  const shortTmp = process.env.XDG_RUNTIME_DIR;
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    ...(shortTmp ? { env: { ...process.env, TMPDIR: shortTmp } } : {}),
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
      '--disable-quic',
      '--password-store=basic',
    ],
  });
}

/**
 * Plays a user in the browser: oidc-provider's login form, then its consent form (or its Cancel
 * link). A fresh context each time, like a private window, so each sign-in may be another person.
 */
export async function signInWithChromium(
  browser: Browser,
  authorizationUrl: string,
  user: string,
  options: { cancel?: boolean } = {},
): Promise<{ url: string; text: string }> {
  const context = await browser.newContext();
  try {
    const page = await context.newPage();
    page.setDefaultTimeout(10_000);
    // oidc-provider's pages pull fonts from the internet; nothing leaves this machine. (file: is a
    // sign-in's private start page, as the system browser gets it.)
    await page.route('**/*', (route) => {
      const url = new URL(route.request().url());
      return url.hostname === '127.0.0.1' || url.protocol === 'file:' ? route.continue() : route.abort();
    });
    await page.goto(authorizationUrl);
    if (options.cancel) {
      await page.click('text=[ Cancel ]');
    } else {
      await page.fill('input[name="login"]', user);
      await page.fill('input[name="password"]', 'any-password');
      await page.click('button[type="submit"]');
      await page.waitForSelector('input[name="prompt"][value="consent"]', { state: 'attached' });
      await page.click('button[type="submit"]');
    }
    await page.waitForSelector('h1');
    return { url: page.url(), text: await page.innerText('body') };
  } finally {
    await context.close();
  }
}
