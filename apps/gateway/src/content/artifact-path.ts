import { isUuid, isValidProject, SLUG_PATTERN } from '#contracts';

type Locator = { id: string } | { project: string; slug: string };

export type ArtifactPath =
  | { action: 'resource'; locator: Locator }
  | { action: 'versions'; locator: Locator }
  | { action: 'restore'; locator: Locator; version: string };

/** A single UUID segment is the artifact's id; otherwise the last segment is the slug and the rest the project. */
function locatorOf(segments: string[]): Locator | undefined {
  if (segments.length === 1 && isUuid(segments[0])) return { id: segments[0] };
  if (segments.length < 2) return undefined;
  const slug = segments[segments.length - 1];
  const project = segments.slice(0, -1).join('/');
  return SLUG_PATTERN.test(slug) && isValidProject(project) ? { project, slug } : undefined;
}

/**
 * What follows `/api/v1/artifacts/` (PRODUCT.md §5.2): `{project}/{slug}`, where the project may contain `/`
 * written plainly or as `%2F`; the last segment is the slug. `…/versions` and `…/versions/{n}/restore` address
 * the history. Every way the path can be read, the history first: `a/b/versions` is the versions of `a/b` and
 * also the artifact `versions` of project `a/b`, while `a/versions` can only be the artifact (a project is never
 * empty). The caller keeps the readings its method allows and takes the first that exists. Empty when the path
 * names no artifact (the caller answers 404).
 */
export function artifactReadings(rawPath: string): ArtifactPath[] {
  let segments: string[];
  try {
    segments = rawPath
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/')
      .split('/');
  } catch {
    return [];
  }
  const readings: ArtifactPath[] = [];
  const n = segments.length;
  if (n >= 3 && segments[n - 1] === 'restore' && segments[n - 3] === 'versions') {
    const locator = locatorOf(segments.slice(0, n - 3));
    if (locator) readings.push({ action: 'restore', locator, version: segments[n - 2] });
  }
  if (n >= 2 && segments[n - 1] === 'versions') {
    const locator = locatorOf(segments.slice(0, n - 1));
    if (locator) readings.push({ action: 'versions', locator });
  }
  const locator = locatorOf(segments);
  if (locator) readings.push({ action: 'resource', locator });
  return readings;
}
