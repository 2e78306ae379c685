import { MAX_CONTEXT_CHARS, anyWordTsQuery, contextText, projectCandidates } from './project-context';

describe('projectCandidates', () => {
  it('resolves . and .. as the shell would', () => {
    expect(projectCandidates('/src/billing/api/..')).toEqual(projectCandidates('/src/billing'));
    expect(projectCandidates('/src/billing/./api')).toEqual(projectCandidates('/src/billing/api'));
    expect(projectCandidates('/src/billing/./api')).toContain('billing/api');
    expect(projectCandidates('/../..')).toEqual([]);
  });

  it('names every run of folder names, nearest the work included', () => {
    const candidates = projectCandidates('/home/ann/src/my-app/backend');
    expect(candidates).toEqual(
      expect.arrayContaining([
        'my-app/backend',
        'backend',
        'my-app',
        'src/my-app/backend',
        'home/ann/src/my-app/backend',
      ]),
    );
    expect(candidates).toHaveLength(15);
  });

  it('reads Windows paths too', () => {
    expect(projectCandidates('C:\\Users\\ann\\my-app')).toEqual(expect.arrayContaining(['my-app', 'ann/my-app']));
  });

  it('breaks runs at folder names a project cannot hold', () => {
    // `app/..` resolves away: the folders are home, My Documents, web.
    const candidates = projectCandidates('/home/My Documents/app/../web');
    expect(candidates).toEqual(expect.arrayContaining(['web', 'home']));
    expect(candidates.some((c) => c.includes(' ') || c.includes('..'))).toBe(false);
    expect(candidates).not.toContain('app');
  });

  it('looks only at the deepest 8 folders and at names of at most 80 characters', () => {
    const deep = `/${Array.from({ length: 20 }, (_, i) => `d${i}`).join('/')}`;
    expect(projectCandidates(deep)).not.toContain('d11');
    expect(projectCandidates(deep)).toContain('d12');
    expect(projectCandidates(`/${'x'.repeat(81)}`)).toEqual([]);
    expect(projectCandidates('/')).toEqual([]);
  });
});

describe('anyWordTsQuery', () => {
  it('ORs the distinct words and lets no query syntax through', () => {
    expect(anyWordTsQuery('Fix the login! fix & (login) | !x')).toBe('fix | the | login');
    expect(anyWordTsQuery("'; DROP TABLE memories; --")).toBe('drop | table | memories');
    expect(anyWordTsQuery('? !')).toBeUndefined();
  });
});

describe('contextText', () => {
  it('is empty without memories, else a list naming each project', () => {
    expect(contextText([])).toBe('');
    expect(contextText([{ title: 'Deploys', text: 'Use  npm run\ndeploy', project: 'app' }])).toBe(
      'Memories saved in VibeXP for this project:\n- [app] Deploys: Use npm run deploy',
    );
  });

  it('stays within Claude Code’s 10,000 characters', () => {
    const memories = Array.from({ length: 20 }, () => ({ title: null, text: 'y'.repeat(5_000), project: 'p' }));
    const text = contextText(memories);
    expect(text.length).toBeLessThanOrEqual(MAX_CONTEXT_CHARS);
    expect(text).toContain('…');
  });
});
