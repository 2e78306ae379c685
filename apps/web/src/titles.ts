/**
 * The tab's title for each page (`API keys · VibeXP`): tabs, the browser's history and screen readers name the
 * page shown, not just the product. Pure, unit-tested.
 */
const TITLES: [path: RegExp, title: string][] = [
  [/^\/keys\/[^/]+\/usage$/, 'Key usage'],
  [/^\/alerts$/, 'Security alerts'],
  [/^\/audit$/, 'Audit log'],
  [/^\/prompts$/, 'Prompts'],
  [/^\/artifacts$/, 'Artifacts'],
  [/^\/memories$/, 'Memories'],
  [/^\/settings\/security$/, 'Security settings'],
  [/^\/settings\/apps\/[^/]+\/usage$/, 'App usage'],
  [/^\/settings\/apps$/, 'Connected apps'],
  [/^\/cli\/authorize$/, 'Log in the vibexp CLI'],
  [/^\/oauth\/authorize$/, 'Connect an app'],
];

/** The title of `route` (`/memories?page=2`); signed out, every page is the sign-in page. */
export function documentTitle(route: string, signedIn: boolean): string {
  const path = route.split('?', 1)[0];
  // Any other address shows the API keys page (App's default).
  const page = signedIn ? (TITLES.find(([pattern]) => pattern.test(path))?.[1] ?? 'API keys') : 'Log in';
  return `${page} · VibeXP`;
}
