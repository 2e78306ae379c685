import { type ArtifactPath, artifactReadings } from './artifact-path';

const ID = '3f2b8c1e-7a4d-4e5f-9b6a-1c2d3e4f5a6b';

describe('artifactReadings', () => {
  it.each<[string, string, ArtifactPath]>([
    [
      'a project with a plain slash',
      'my-app/backend/report',
      { action: 'resource', locator: { project: 'my-app/backend', slug: 'report' } },
    ],
    [
      'a project with an encoded slash',
      'my-app%2Fbackend/report',
      { action: 'resource', locator: { project: 'my-app/backend', slug: 'report' } },
    ],
    [
      'every slash encoded, in lower and upper case',
      'my-app%2fbackend%2Freport',
      { action: 'resource', locator: { project: 'my-app/backend', slug: 'report' } },
    ],
    ['a one-segment project', 'my-app/report', { action: 'resource', locator: { project: 'my-app', slug: 'report' } }],
    [
      'a project of dots, underscores and capitals',
      'My.App_v2/notes-2024',
      { action: 'resource', locator: { project: 'My.App_v2', slug: 'notes-2024' } },
    ],
    [
      'the versions of a deep project',
      'a/b/c/d/report/versions',
      { action: 'versions', locator: { project: 'a/b/c/d', slug: 'report' } },
    ],
    [
      'the versions with the project encoded',
      'a%2Fb/report/versions',
      { action: 'versions', locator: { project: 'a/b', slug: 'report' } },
    ],
    [
      'a restore',
      'a/report/versions/3/restore',
      { action: 'restore', locator: { project: 'a', slug: 'report' }, version: '3' },
    ],
    ['an id', ID, { action: 'resource', locator: { id: ID } }],
    ['the versions of an id', `${ID}/versions`, { action: 'versions', locator: { id: ID } }],
    ['a restore by id', `${ID}/versions/12/restore`, { action: 'restore', locator: { id: ID }, version: '12' }],
    ['an id-shaped slug in a project', `a/${ID}`, { action: 'resource', locator: { project: 'a', slug: ID } }],
  ])('reads %s', (_, raw, expected) => {
    expect(artifactReadings(raw)[0]).toEqual(expected);
  });

  it('accepts a project of exactly 80 characters', () => {
    const project = `${'p'.repeat(40)}/${'q'.repeat(39)}`;
    expect(artifactReadings(`${project}/report`)).toEqual([
      { action: 'resource', locator: { project, slug: 'report' } },
    ]);
  });

  it.each([
    ['an empty path', ''],
    ['a single segment that is not an id', 'report'],
    ['a "." segment', 'a/./report'],
    ['a ".." segment', 'a/../report'],
    ['a ".." project', '../report'],
    ['a ".." slug', 'a/..'],
    ['an encoded "/../"', 'a%2F..%2Fb/report'],
    ['an encoded ".." project', '%2E%2E/report'],
    ['an empty segment', 'a//b/report'],
    ['an empty segment before the slug', 'a//b'],
    ['an encoded empty segment', 'a%2F%2Fb/report'],
    ['a leading slash', '/a/report'],
    ['a trailing slash', 'a/report/'],
    ['an upper-case slug', 'a/Report'],
    ['a slug with a space', 'a/my%20report'],
    ['a slug with an underscore', 'a/my_report'],
    ['a project over 80 characters', `${'p'.repeat(81)}/report`],
    ['a project with a space', 'my%20app/report'],
    ['invalid percent-encoding', 'a%zz/report'],
    ['a truncated percent-encoding', 'a/report%2'],
  ])('refuses %s', (_, raw) => {
    expect(artifactReadings(raw)).toEqual([]);
  });

  it('gives every reading of a path that ends like the history, the history first', () => {
    // The last segment is the slug (PRODUCT.md §5.2): `versions` and `restore` are slugs like any other.
    expect(artifactReadings('a/b/versions')).toEqual([
      { action: 'versions', locator: { project: 'a', slug: 'b' } },
      { action: 'resource', locator: { project: 'a/b', slug: 'versions' } },
    ]);
    expect(artifactReadings('a/b/versions/3/restore')).toEqual([
      { action: 'restore', locator: { project: 'a', slug: 'b' }, version: '3' },
      { action: 'resource', locator: { project: 'a/b/versions/3', slug: 'restore' } },
    ]);
    expect(artifactReadings(`${ID}/versions`)).toEqual([
      { action: 'versions', locator: { id: ID } },
      { action: 'resource', locator: { project: ID, slug: 'versions' } },
    ]);
  });

  it('reads `project/versions` as the artifact: a project is never empty', () => {
    expect(artifactReadings('report/versions')).toEqual([
      { action: 'resource', locator: { project: 'report', slug: 'versions' } },
    ]);
    expect(artifactReadings('a/versions/3/restore')).toEqual([
      { action: 'resource', locator: { project: 'a/versions/3', slug: 'restore' } },
    ]);
  });
});
