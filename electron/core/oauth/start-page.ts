import { lstat, mkdir, mkdtemp, readdir, rm, rmdir, writeFile } from 'node:fs/promises';
import { join, sep } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { isRunning, TEMP_FILE_MAX_AGE_MS } from '../storage/atomic-file.js';

/**
 * A private page that sends the browser on to the sign-in's one-time start address, as Jupyter
 * does: the browser opener gets the page's path, which any local user may read in its argv, but
 * only this user can open the page (0600 in a 0700 folder). The start address itself is never in
 * an argv, so nobody else can fetch it first and sign the victim's TokenTray in as themselves.
 */
export interface StartPage {
  /** The page as a file:// URL, what the browser opener gets. */
  readonly url: string;
  remove(): Promise<void>;
}

const FOLDER = 'sign-in';
/** `PID-XXXXXX`: mkdtemp's suffix after the writer's pid. */
const PAGE_DIR = /^(\d+)-[A-Za-z0-9]{6}$/;
const PAGE_FILE = 'start.html';

/** Where the start pages of TokenTray's home live. */
export const startPagesDir = (home: string) => join(home, FOLDER);

function pageHtml(startUrl: string): string {
  // Our own address, http://127.0.0.1:PORT/start/BASE64URL: nothing in it needs escaping, but check.
  if (!/^http:\/\/127\.0\.0\.1:\d+\/start\/[\w-]+$/.test(startUrl)) throw new TypeError(`not a start address: ${startUrl}`);
  return (
    '<!doctype html><html><head><meta charset="utf-8"><meta name="referrer" content="no-referrer">' +
    `<meta http-equiv="refresh" content="0;url=${startUrl}"><title>TokenTray sign-in</title></head>` +
    `<body><p>Continuing to sign-in&hellip; <a href="${startUrl}">Continue</a></p>` +
    `<script>location.replace(${JSON.stringify(startUrl)})</script></body></html>\n`
  );
}

/** Writes the page of one sign-in attempt; `remove` deletes it (and its folder) when the attempt ends. */
export async function writeStartPage(home: string, startUrl: string): Promise<StartPage> {
  const html = pageHtml(startUrl);
  const base = startPagesDir(home);
  await sweepStartPages(base);
  const dir = await privateFolder(base);
  const path = join(dir, PAGE_FILE);
  await writeFile(path, html, { mode: 0o600, flag: 'wx' });
  return {
    url: pathToFileURL(path).href,
    async remove() {
      await rm(dir, { recursive: true, force: true });
      // The shared folder goes too once no attempt uses it (another one's keeps it).
      await rmdir(base).catch(() => undefined);
    },
  };
}

/** mkdtemp makes the folder 0700, whatever the umask: the page inside cannot be read by others. */
async function privateFolder(base: string): Promise<string> {
  for (let attempt = 0; ; attempt++) {
    await mkdir(base, { recursive: true, mode: 0o700 });
    try {
      return await mkdtemp(join(base, `${process.pid}-`));
    } catch (err) {
      // Another attempt that just ended removed the shared folder between the two calls.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT' || attempt > 2) throw err;
    }
  }
}

/** Pages of attempts whose process died (a SIGKILL) or that are older than an hour. Best effort. */
async function sweepStartPages(base: string, now = Date.now()): Promise<void> {
  for (const name of await readdir(base).catch(() => [] as string[])) {
    const pid = PAGE_DIR.exec(name)?.[1];
    if (pid === undefined) continue;
    const st = await lstat(join(base, name)).catch(() => undefined);
    if (!st?.isDirectory() || (process.getuid && st.uid !== process.getuid())) continue;
    if (!isRunning(Number(pid)) || now - st.mtimeMs > TEMP_FILE_MAX_AGE_MS) await rm(join(base, name), { recursive: true, force: true }).catch(() => undefined);
  }
}

/** Whether a URL is exactly a start page of this home (what the desktop app may hand the system to open). */
export function isStartPageUrl(url: string, home: string): boolean {
  let path: string;
  try {
    const u = new URL(url);
    if (u.protocol !== 'file:' || u.host !== '' || u.search || u.hash) return false;
    path = fileURLToPath(u);
  } catch {
    return false;
  }
  const prefix = startPagesDir(home) + sep;
  if (!path.startsWith(prefix)) return false;
  const [dir, file, ...more] = path.slice(prefix.length).split(sep);
  // Exactly as the page's own address is written: no spelling (`..`, `%73`, `file://localhost`,
  // backslashes) that this check reads one way and an opener, following links, another.
  return more.length === 0 && file === PAGE_FILE && PAGE_DIR.test(dir ?? '') && url === pathToFileURL(path).href;
}
