export interface BrowserInfo {
  browser: string;
  version: string | null;
  os: string;
  mobile: boolean;
}

const BROWSERS: [name: string, pattern: RegExp][] = [
  ['Edge', /Edg(?:e|A|iOS)?\/([\d.]+)/],
  ['Opera', /(?:OPR|Opera)\/([\d.]+)/],
  ['Samsung Internet', /SamsungBrowser\/([\d.]+)/],
  ['Yandex', /YaBrowser\/([\d.]+)/],
  ['Firefox', /(?:Firefox|FxiOS)\/([\d.]+)/],
  ['Chrome', /(?:Chrome|CriOS)\/([\d.]+)/],
  ['Safari', /Version\/([\d.]+).*Safari\//],
];

const SYSTEMS: [name: string, pattern: RegExp][] = [
  ['Windows', /Windows NT/],
  ['iOS', /iPhone|iPad|iPod/],
  ['Android', /Android/],
  ['ChromeOS', /CrOS/],
  ['macOS', /Mac OS X|Macintosh/],
  ['Linux', /Linux/],
];

/**
 * A deliberately simple user-agent reading for the visitor card ("Chrome 126 on Windows"): order of the
 * checks matters, since Edge and Opera also say Chrome and Chrome also says Safari.
 */
export function parseUserAgent(ua: string | null | undefined): BrowserInfo | null {
  if (!ua) return null;
  let browser = 'Unknown browser';
  let version: string | null = null;
  for (const [name, pattern] of BROWSERS) {
    const match = pattern.exec(ua);
    if (match) {
      browser = name;
      version = match[1]?.split('.')[0] ?? null;
      break;
    }
  }
  const os = SYSTEMS.find(([, pattern]) => pattern.test(ua))?.[0] ?? 'Unknown OS';
  return { browser, version, os, mobile: /Mobi|iPhone|Android.*Mobile/.test(ua) };
}

export function describeUserAgent(ua: string | null | undefined): string {
  const info = parseUserAgent(ua);
  if (!info) return 'Unknown';
  const name = info.version ? `${info.browser} ${info.version}` : info.browser;
  return `${name} on ${info.os}${info.mobile ? ' (mobile)' : ''}`;
}
