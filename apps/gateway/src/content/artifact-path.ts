import { isUuid, isValidProject, SLUG_PATTERN } from '#contracts';

export type ArtifactPath =
  | { action: 'resource'; locator: { id: string } | { project: string; slug: string } }
  | { action: 'versions'; locator: { id: string } | { project: string; slug: string } }
  | { action: 'restore'; locator: { id: string } | { project: string; slug: string }; version: string };

/**
 * What follows `/api/v1/artifacts/` (PRODUCT.md §5.2): `{project}/{slug}`, where the project may
 * contain `/` written plainly or as `%2F`; the last segment is the slug. `…/versions` and
 * `…/versions/{n}/restore` address the history. A single UUID segment is the artifact's id.
 * `undefined` when the path cannot name an artifact (the caller answers 404).
 */
export function parseArtifactPath(rawPath: string): ArtifactPath | undefined {
  let segments: string[];
  try {
    segments = rawPath
      .split('/')
      .map((segment) => decodeURIComponent(segment))
      .join('/')
      .split('/');
  } catch {
    return undefined;
  }
  let action: 'resource' | 'versions' | 'restore' = 'resource';
  let version = '';
  const n = segments.length;
  if (n >= 3 && segments[n - 1] === 'restore' && segments[n - 3] === 'versions') {
    action = 'restore';
    version = segments[n - 2];
    segments = segments.slice(0, n - 3);
  } else if (n >= 2 && segments[n - 1] === 'versions') {
    action = 'versions';
    segments = segments.slice(0, n - 1);
  }
  if (segments.length === 1 && isUuid(segments[0])) {
    const locator = { id: segments[0] };
    return action === 'restore' ? { action, locator, version } : { action, locator };
  }
  if (segments.length < 2) return undefined;
  const slug = segments[segments.length - 1];
  const project = segments.slice(0, -1).join('/');
  if (!SLUG_PATTERN.test(slug) || !isValidProject(project)) return undefined;
  const locator = { project, slug };
  return action === 'restore' ? { action, locator, version } : { action, locator };
}
