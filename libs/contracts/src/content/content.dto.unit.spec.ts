import 'reflect-metadata';
import { type ClassConstructor, plainToInstance } from 'class-transformer';
import { validateSync } from 'class-validator';
import {
  CreateArtifactDto,
  CreateMemoryDto,
  CreatePromptDto,
  ListMemoriesQuery,
  parseMetadataFilter,
  UpdateArtifactDto,
  UpdateMemoryDto,
  UpdatePromptDto,
} from './content.dto';

/** Transforms and validates as the gateway's ValidationPipe does; returns the instance and the refused fields. */
function check<T extends object>(cls: ClassConstructor<T>, plain: object): { sut: T; refused: string[] } {
  const sut = plainToInstance(cls, plain);
  const refused = validateSync(sut).map((error) => error.property);
  return { sut, refused };
}

const prompt = (extra: object = {}) => ({ name: 'Code review', body: 'Review {{language}} code', ...extra });
const artifact = (extra: object = {}) => ({
  project: 'my-app/backend',
  title: 'Weekly report',
  content: '# Report',
  ...extra,
});
const memory = (extra: object = {}) => ({ text: 'The deploy key rotates monthly', ...extra });

const labels = (count: number) => Array.from({ length: count }, (_, i) => `label-${i}`);

describe('parseMetadataFilter', () => {
  it.each([
    ['a list of strings', '{"team":["a","b"]}', { team: ['a', 'b'] }],
    ['a single string', '{"env":"prod"}', { env: ['prod'] }],
    ['numbers and booleans', '{"tier":[1,2],"paid":true}', { tier: [1, 2], paid: [true] }],
    ['several keys', '{"team":["a","b"],"env":"prod"}', { team: ['a', 'b'], env: ['prod'] }],
  ])('reads %s', (_, text, expected) => {
    expect(parseMetadataFilter(text)).toEqual(expected);
  });

  it.each([
    ['text that is not JSON', 'team=a'],
    ['truncated JSON', '{"team":'],
    ['an array', '["a","b"]'],
    ['a string', '"team"'],
    ['a number', '42'],
    ['null', 'null'],
    ['a nested object', '{"team":{"name":"a"}}'],
    ['an object inside a list', '{"team":[{"name":"a"}]}'],
    ['a nested list', '{"team":[["a"]]}'],
    ['an empty list', '{"team":[]}'],
    ['a null value', '{"team":null}'],
    ['a null inside a list', '{"team":["a",null]}'],
    // JSON.parse reads it as Infinity, which the query would send as null and so match null values.
    ['a number beyond a double', '{"n":1e400}'],
    ['a number beyond a double inside a list', '{"n":[1,-1e400]}'],
  ])('refuses %s', (_, text) => {
    expect(parseMetadataFilter(text)).toBeUndefined();
  });
});

describe('labels (every content body)', () => {
  const bodies: [string, ClassConstructor<object>, object][] = [
    ['CreatePromptDto', CreatePromptDto, prompt()],
    ['CreateArtifactDto', CreateArtifactDto, artifact()],
    ['CreateMemoryDto', CreateMemoryDto, memory()],
  ];

  it.each(bodies)('%s accepts 10 labels and refuses 11', (_, cls, base) => {
    expect(check(cls, { ...base, labels: labels(10) }).refused).toEqual([]);
    expect(check(cls, { ...base, labels: labels(11) }).refused).toEqual(['labels']);
  });

  it.each(bodies)('%s accepts a 50-character label and refuses a 51-character one', (_, cls, base) => {
    expect(check(cls, { ...base, labels: ['x'.repeat(50)] }).refused).toEqual([]);
    expect(check(cls, { ...base, labels: ['x'.repeat(51)] }).refused).toEqual(['labels']);
  });

  it.each([
    ['trimmed', [' a ', 'b\t'], ['a', 'b']],
    ['de-duplicated after trimming', [' a ', 'a'], ['a']],
    ['de-duplicated, keeping the first order', ['b', 'a', 'b', ' a'], ['b', 'a']],
    ['an empty list kept', [], []],
  ])('are %s', (_, given, expected) => {
    const { sut, refused } = check(CreatePromptDto, prompt({ labels: given }));
    expect(refused).toEqual([]);
    expect(sut.labels).toEqual(expected);
  });

  it('counts the labels after de-duplication', () => {
    const { sut, refused } = check(CreateMemoryDto, memory({ labels: [...labels(10), 'label-0'] }));
    expect(refused).toEqual([]);
    expect(sut.labels).toHaveLength(10);
  });

  it('judges the length of a label after trimming', () => {
    expect(check(CreatePromptDto, prompt({ labels: [`  ${'x'.repeat(50)}  `] })).refused).toEqual([]);
  });

  it.each([
    ['a blank label', ['   ']],
    ['an empty label', ['']],
    ['a label that is not a string', [42]],
    ['labels that are not a list', 'a,b'],
  ])('refuse %s', (_, given) => {
    expect(check(CreatePromptDto, prompt({ labels: given })).refused).toEqual(['labels']);
  });

  it('are refused past 10 on an update too', () => {
    expect(check(UpdatePromptDto, { labels: labels(11) }).refused).toEqual(['labels']);
  });
});

describe('CreatePromptDto', () => {
  it('accepts a minimal prompt', () => {
    expect(check(CreatePromptDto, prompt()).refused).toEqual([]);
  });

  it.each([['code-review'], ['a'], ['v2'], ['x'.repeat(255)]])('accepts the slug %p', (slug) => {
    expect(check(CreatePromptDto, prompt({ slug })).refused).toEqual([]);
  });

  it.each([
    ['upper case', 'Code-Review'],
    ['spaces', 'code review'],
    ['..', '..'],
    ['a dot', 'code.review'],
    ['a slash', 'code/review'],
    ['a leading dash', '-code'],
    ['a trailing dash', 'code-'],
    ['a double dash', 'code--review'],
    ['an underscore', 'code_review'],
    ['an empty string', ''],
    ['256 characters', 'x'.repeat(256)],
  ])('refuses a slug with %s', (_, slug) => {
    expect(check(CreatePromptDto, prompt({ slug })).refused).toEqual(['slug']);
  });

  it.each([
    ['an empty name', { name: '' }, 'name'],
    ['a 101-character name', { name: 'n'.repeat(101) }, 'name'],
    ['a 501-character description', { description: 'd'.repeat(501) }, 'description'],
    ['an empty body', { body: '' }, 'body'],
    ['a 100,001-character body', { body: 'b'.repeat(100_001) }, 'body'],
    ['an unknown status', { status: 'live' }, 'status'],
    ['a non-boolean mcp_expose', { mcp_expose: 'yes' }, 'mcp_expose'],
  ])('refuses %s', (_, extra, field) => {
    expect(check(CreatePromptDto, prompt(extra)).refused).toEqual([field]);
  });

  it('refuses a missing name and body', () => {
    expect(check(CreatePromptDto, {}).refused.sort()).toEqual(['body', 'name']);
  });

  it('accepts the longest name and body', () => {
    expect(check(CreatePromptDto, prompt({ name: 'n'.repeat(100), body: 'b'.repeat(100_000) })).refused).toEqual([]);
  });
});

describe('CreateArtifactDto', () => {
  it('accepts a minimal artifact', () => {
    expect(check(CreateArtifactDto, artifact()).refused).toEqual([]);
  });

  it.each([
    ['work-reports', 'work_reports'],
    ['static-contexts', 'static_contexts'],
    ['work_reports', 'work_reports'],
    ['general', 'general'],
  ])('stores the type %p as %p', (given, expected) => {
    const { sut, refused } = check(CreateArtifactDto, artifact({ type: given }));
    expect(refused).toEqual([]);
    expect(sut.type).toBe(expected);
  });

  it.each([
    ['expired', 'archived'],
    ['archived', 'archived'],
    ['active', 'active'],
    ['draft', 'draft'],
  ])('stores the status %p as %p', (given, expected) => {
    const { sut, refused } = check(CreateArtifactDto, artifact({ status: given }));
    expect(refused).toEqual([]);
    expect(sut.status).toBe(expected);
  });

  it.each([
    ['an unknown type', { type: 'notes' }, 'type'],
    ['an unknown status', { status: 'deleted' }, 'status'],
    ['upper-case slug', { slug: 'Report' }, 'slug'],
    ['a slug with spaces', { slug: 'my report' }, 'slug'],
    ['a ".." slug', { slug: '..' }, 'slug'],
    ['a ".." project', { project: 'a/../b' }, 'project'],
    ['an empty project', { project: '' }, 'project'],
    ['an 81-character project', { project: 'p'.repeat(81) }, 'project'],
    ['an empty title', { title: '' }, 'title'],
    ['a 256-character title', { title: 't'.repeat(256) }, 'title'],
    ['empty content', { content: '' }, 'content'],
  ])('refuses %s', (_, extra, field) => {
    expect(check(CreateArtifactDto, artifact(extra)).refused).toEqual([field]);
  });

  it('accepts content of exactly 1 MiB', () => {
    expect(check(CreateArtifactDto, artifact({ content: 'x'.repeat(1024 * 1024) })).refused).toEqual([]);
  });

  it('refuses content one byte over 1 MiB', () => {
    expect(check(CreateArtifactDto, artifact({ content: 'x'.repeat(1024 * 1024 + 1) })).refused).toEqual(['content']);
  });

  it('counts content in bytes: 600,000 two-byte characters are over 1 MiB', () => {
    const content = 'é'.repeat(600_000);
    expect(content.length).toBeLessThan(1024 * 1024);
    expect(check(CreateArtifactDto, artifact({ content })).refused).toEqual(['content']);
  });

  it('accepts metadata that is an object within 16 KiB', () => {
    const metadata = { team: 'core', tags: ['a', 'b'], nested: { depth: 2 }, pad: 'x'.repeat(16_000) };
    expect(check(CreateArtifactDto, artifact({ metadata })).refused).toEqual([]);
  });

  it.each([
    ['over 16 KiB', { pad: 'x'.repeat(16 * 1024) }],
    ['over 16 KiB in bytes, not characters', { pad: 'é'.repeat(9_000) }],
    ['an array', ['a', 'b']],
    ['a string', '{"team":"core"}'],
    ['a number', 42],
  ])('refuses metadata that is %s', (_, metadata) => {
    expect(check(CreateArtifactDto, artifact({ metadata })).refused).toEqual(['metadata']);
  });

  it('refuses the same errors on an update', () => {
    expect(check(UpdateArtifactDto, { metadata: ['a'] }).refused).toEqual(['metadata']);
    expect(check(UpdateArtifactDto, { content: 'é'.repeat(600_000) }).refused).toEqual(['content']);
    expect(check(UpdateArtifactDto, { slug: 'Bad Slug' }).refused).toEqual(['slug']);
  });

  it('canonicalises aliases on an update too', () => {
    const { sut, refused } = check(UpdateArtifactDto, { type: 'work-reports', status: 'expired' });
    expect(refused).toEqual([]);
    expect(sut).toMatchObject({ type: 'work_reports', status: 'archived' });
  });
});

describe('CreateMemoryDto', () => {
  it('accepts a minimal memory', () => {
    expect(check(CreateMemoryDto, memory()).refused).toEqual([]);
  });

  it('accepts a text of 50,000 characters', () => {
    expect(check(CreateMemoryDto, memory({ text: 't'.repeat(50_000) })).refused).toEqual([]);
  });

  it.each([
    ['a text of 50,001 characters', { text: 't'.repeat(50_001) }, 'text'],
    ['an empty text', { text: '' }, 'text'],
    ['a 256-character title', { title: 't'.repeat(256) }, 'title'],
    ['an invalid project', { project: 'a//b' }, 'project'],
    ['metadata over 16 KiB', { metadata: { pad: 'x'.repeat(16 * 1024) } }, 'metadata'],
    ['an array as metadata', { metadata: [{ team: 'core' }] }, 'metadata'],
    ['an unknown status', { status: 'expiring' }, 'status'],
  ])('refuses %s', (_, extra, field) => {
    expect(check(CreateMemoryDto, memory(extra)).refused).toEqual([field]);
  });

  it('stores the status "expired" as archived', () => {
    const { sut, refused } = check(CreateMemoryDto, memory({ status: 'expired' }));
    expect(refused).toEqual([]);
    expect(sut.status).toBe('archived');
  });

  it('refuses a text of 50,001 characters on an update too', () => {
    expect(check(UpdateMemoryDto, { text: 't'.repeat(50_001) }).refused).toEqual(['text']);
  });

  it.each([[0], [1.5], ['2']])('refuses expected_version %p on an update', (expected) => {
    expect(check(UpdateMemoryDto, { expected_version: expected }).refused).toEqual(['expected_version']);
  });
});

describe('ListMemoriesQuery', () => {
  it('defaults to page 1 of 20, newest updated first', () => {
    const { sut, refused } = check(ListMemoriesQuery, {});
    expect(refused).toEqual([]);
    expect(sut).toMatchObject({ page: 1, limit: 20, sort_by: 'updated_at', sort_order: 'desc' });
  });

  it('converts numbers given as strings', () => {
    const { sut, refused } = check(ListMemoriesQuery, { page: '3', limit: '100' });
    expect(refused).toEqual([]);
    expect(sut).toMatchObject({ page: 3, limit: 100 });
  });

  it.each([
    ['limit=0', { limit: '0' }, 'limit'],
    ['limit=101', { limit: '101' }, 'limit'],
    ['limit=abc', { limit: 'abc' }, 'limit'],
    ['limit=2.5', { limit: '2.5' }, 'limit'],
    ['page=-1', { page: '-1' }, 'page'],
    ['page=0', { page: '0' }, 'page'],
    ['sort_by=name', { sort_by: 'name' }, 'sort_by'],
    ['sort_by=title', { sort_by: 'title' }, 'sort_by'],
    ['sort_by=bogus', { sort_by: 'bogus' }, 'sort_by'],
    ['sort_order=up', { sort_order: 'up' }, 'sort_order'],
    ['an invalid project', { project: '../x' }, 'project'],
    ['an unknown status', { status: 'gone' }, 'status'],
    ['metadata that is not JSON', { metadata: 'team=a' }, 'metadata'],
    ['metadata that is an array', { metadata: '["a"]' }, 'metadata'],
    ['metadata with a nested object', { metadata: '{"team":{"a":1}}' }, 'metadata'],
    ['metadata with an empty list', { metadata: '{"team":[]}' }, 'metadata'],
  ])('refuses %s', (_, query, field) => {
    expect(check(ListMemoriesQuery, query).refused).toEqual([field]);
  });

  it.each([['created_at'], ['updated_at']])('accepts sort_by=%s', (sortBy) => {
    expect(check(ListMemoriesQuery, { sort_by: sortBy }).refused).toEqual([]);
  });

  it('accepts a metadata filter and a status alias', () => {
    const { sut, refused } = check(ListMemoriesQuery, {
      metadata: '{"team":["a","b"],"env":"prod"}',
      status: 'expired',
      project: 'my-app',
    });
    expect(refused).toEqual([]);
    expect(sut.status).toBe('archived');
  });

  it('splits comma-separated labels', () => {
    const { sut, refused } = check(ListMemoriesQuery, { labels: 'a, b,,c' });
    expect(refused).toEqual([]);
    expect(sut.labels).toEqual(['a', 'b', 'c']);
  });
});
