/** Field names whose values are secrets wherever they appear in a log object (or in stored hook JSON). */
const SECRET_FIELDS = new Set([
  'authorization',
  'password',
  'token',
  'full_key',
  'key',
  'session_token',
  'csrf_token',
  'cookie',
  'set-cookie',
  'admin_token',
  'x-csrf-token',
  'password_hash',
  'key_hash',
  'token_hash',
  'csrf_token_hash',
  'webhook_secret',
]);

/**
 * Secrets are recognised by shape as well as by field name, so one pasted into a free-text field (an error
 * message, a URL, a tool's output in a hook) is still masked:
 * - this platform's API keys and OAuth tokens (`vxk_`, `vxo_` access, `vxr_` refresh), found wherever they
 *   start, even glued to what precedes them (`x` + key, `%22` + key in a URL);
 * - legacy key prefixes (PRODUCT.md §3.1), which are ordinary syllables, only at the start of a word;
 * - well-known third-party shapes a developer's tools handle: GitHub (`ghp_…`, `github_pat_…`), GitLab
 *   (`glpat-…`), Slack (`xoxb-…`, incoming webhook URLs), AWS access key ids (`AKIA…`), OpenAI, Anthropic and Stripe
 *   secret keys (`sk-…`, `sk_live_…`, `sk_test_…`), Hugging Face tokens (`hf_…`), and PEM private key blocks.
 * Every part is bounded or anchored, so a crafted text costs linear time.
 */
const SECRET_PATTERN = new RegExp(
  [
    // Also with any of its characters percent-encoded, as it travels in a URL (`vxk%5F…`, `%76%78%6B%5F…`), and in
    // capitals (`VXK_…`): not a key the gateway accepts, but one lower-casing away from it.
    '(?:[vV]|%[57]6)(?:[xX]|%[57]8)(?:[korKOR]|%[46][BbFf]|%[57]2)(?:_|%5[Ff])(?:[0-9A-Fa-f]|%3[0-9]|%[46][1-6]){8,}',
    '\\b(?:ak|aait|acli|amcp|amkt|vib)[_-][A-Za-z0-9_-]{8,}',
    '\\bgh[pousr]_[A-Za-z0-9]{20,}',
    '\\bgithub_pat_[A-Za-z0-9_]{20,}',
    '\\bxox[abeprs]-[A-Za-z0-9-]{10,}',
    '\\bAKIA[0-9A-Z]{16}\\b',
    '\\bsk-(?:ant-|proj-|live-)?[A-Za-z0-9_-]{20,}',
    '\\b[sr]k_(?:live|test)_[A-Za-z0-9]{16,}',
    // GitLab personal access tokens and Hugging Face tokens.
    '\\bglpat-[A-Za-z0-9_-]{20,}',
    '\\bhf_[A-Za-z0-9]{30,}',
    // npm, Docker Hub and DigitalOcean access tokens, PyPI upload tokens and SendGrid API keys.
    '\\bnpm_[A-Za-z0-9]{36}\\b',
    '\\bdckr_pat_[A-Za-z0-9_-]{20,}',
    '\\bdop_v1_[0-9a-f]{64}',
    '\\bpypi-[A-Za-z0-9_-]{50,}',
    '\\bSG\\.[A-Za-z0-9_-]{16,32}\\.[A-Za-z0-9_-]{16,64}',
    // A Slack incoming webhook: whoever holds the URL can post.
    'hooks\\.slack\\.com/services/[A-Za-z0-9/]{20,}',
    // A Google API key.
    '\\bAIza[0-9A-Za-z_-]{35}',
    // A JSON Web Token (a bearer credential): header, payload and signature, the first two JSON in base64url.
    // It starts only where a run of its characters starts (`-` is one, yet no word character for `\\b`): else
    // `eyJ-eyJ-…` would start a 4 KiB scan at every fourth character.
    '(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,4096}\\.eyJ[A-Za-z0-9_-]{8,8192}\\.[A-Za-z0-9_-]{8,4096}',
    // The block up to the next `-----` (its END line, or none: a block cut short is masked too).
    '-----BEGIN [A-Z ]{0,20}PRIVATE KEY-----(?:[^-]|-(?!----)){0,16384}(?:-----END [A-Z ]{0,20}PRIVATE KEY-----)?',
  ].join('|'),
  'g',
);

/**
 * A field name whose last word names a secret, in any case and in snake, kebab or camel case: `token`,
 * `access_token`, `GITHUB_TOKEN`, `apiKey`, `x-api-key`, `api_keys`, `client_secret`, `secrets`,
 * `AWS_SECRET_ACCESS_KEY`, `private_key`, `db_password`, `passwords`, `credentials`, `MYSQL_PWD`, `DB_PASS` (the
 * short words only after another: `PWD` is the working directory, `pass` a count of passed tests).
 * `tokens` is a count (`input_tokens`, `max_tokens`), not one, nor is a key that names data (`sort_key`,
 * `primary_key`).
 */
const SECRET_NAME =
  /(?:^|[_-])(?:passwords?|passwd|passphrase|secrets?|token|auth|authorization|cookies?|credentials?|(?:api|access|private|secret|signing|encryption|master|full|session|csrf|license|ssh|client|app|auth|service|deploy|webhook|hmac|jwt|stripe)[_-]?keys?|secret[_-]key[_-]base|(?:code|pkce)[_-]?verifier)$|[_-](?:pwd|pass)$/;
/**
 * The same words glued to what precedes them, as environment variables often are: `PGPASSWORD`,
 * `NGROK_AUTHTOKEN`, `clientsecret`, `accesstoken`, `APITOKEN`. Only words that end no ordinary name.
 */
const SECRET_NAME_GLUED = /(?:password|passwd|passphrase|secret|token|apikey|accesskey|privatekey|secretkey)$/;

/** Whether a field of that name holds a secret. */
export function isSecretField(name: string): boolean {
  const lower = name.toLowerCase();
  if (SECRET_FIELDS.has(lower) || SECRET_NAME_GLUED.test(lower)) return true;
  return SECRET_NAME.test(name.replace(/([a-z0-9])([A-Z])/g, '$1_$2').toLowerCase());
}

/** The same shapes, without the global flag's shared position: for a yes/no test. */
const KEY_SHAPE = new RegExp(SECRET_PATTERN.source);

/** Whether a text holds something shaped like an API key. */
export function containsKeyShape(text: string): boolean {
  return KEY_SHAPE.test(text);
}
/*
 * The two URL-credential patterns below run on every logged path and error answer, so they must stay
 * linear in the text's length, also for a crafted one: each match may start only where its first part
 * begins (the lookbehinds), the parts have bounds, and a password's scan stops where the next match could
 * start (a `/`, which a URL's userinfo never holds unencoded; a `:` in a text that is no URL). Without them, a
 * 16 KB path cost 0.2 to 0.3 s, and `a://b:` or `a:` repeated over 2 MB seconds.
 */
// The password runs to the last `@` before the host, as URL parsers read it: one holding a raw `@` (`u:ab@cd@db`)
// is masked whole, not up to its first `@`.
const DSN_PASSWORD = /(?<!\w)(\w{1,64}:\/\/[^:/\s]{0,1024}:)[^\s/]{1,1024}@/g;
/**
 * A user:password@ in any text shaped like a URL, whether it parses or not: a mistyped URL
 * (`postgres//u:pw@h/db`, `u:pw@h:5432/db`) is the one an error message quotes. A host must follow, so
 * prose such as "(user:password@)" is left alone.
 */
const USERINFO = /(?<![^\s@/,;"'=:(])([^\s@/,;"'=:(]{1,1024}):[^\s@/:]{0,1024}@(?=[A-Za-z0-9[])/g;

/**
 * Secrets quoted in free text, e.g. a command line a tool ran (`curl -H "Authorization: Bearer …"`,
 * `-b vx_session=…`, `-d '{"password":"…"}'`): a bearer token other than our key shape (which
 * SECRET_PATTERN masks with its display prefix), the dashboard's session cookie, a password in JSON or
 * in a query or form. Bounded and anchored like the patterns above.
 */
const BEARER_TOKEN = /(?<![\w-])(Bearer\s{1,8})(?!vxk_)[A-Za-z0-9._~+/-]{8,4096}=*/gi;
const SESSION_COOKIE = /(?<![\w-])(vx_session=)[^;\s"'&,]{1,4096}/g;
/**
 * A value given to a name that isSecretField takes for a secret's, in text: JSON printed by a tool
 * (`{"access_token": "…"}`), a URL's query or a form (`?api_key=…`), an environment assignment or an option in a
 * command line (`PGPASSWORD=… psql`, `--token=…`). The name is bounded and starts where a run of name
 * characters starts, so a crafted text costs linear time.
 */
// The value may hold escapes (`\"`, `\\`): a generated password often does.
const JSON_SECRET = /("([A-Za-z_][\w-]{0,63})"\s{0,8}:\s{0,8}")((?:[^"\\]|\\.){1,1024})"/g;
/** The same in single quotes, as Python and JavaScript write a dict or an object: `{'password': '…'}`. */
const SINGLE_QUOTED_JSON_SECRET = /('([A-Za-z_][\w-]{0,63})'\s{0,8}:\s{0,8}')((?:[^'\\]|\\.){1,1024})'/g;
const maskIfSingleQuotedSecret = (whole: string, before: string, name: string): string =>
  isSecretField(name) ? `${before}${REDACTED}'` : whole;
const ASSIGNED_SECRET = /(?<![\w-])(-{0,2}([A-Za-z_][\w-]{0,63})=)([^&\s"';]{1,1024})/g;
/**
 * The same with spaces: an option and its value (`--password Hunter2`, `-token abc123`), a YAML or INI line
 * (`api_key: s3cret`, `aws_secret_access_key = …`). The value is six characters or more and no option or auth
 * scheme, and a bare name followed by a word is prose ("token expired yesterday"), left alone.
 */
const OPTION_SECRET = /(?<![\w-])(--?([A-Za-z_][\w-]{0,63})[ \t]{1,8})([^\s"'&;,|-][^\s"'&;,|]{5,1023})/g;
const SPACED_SECRET =
  /(?<![\w-])(([A-Za-z_][\w-]{0,63})[ \t]{0,8}[:=][ \t]{1,8})(?!(?:[Bb]earer|[Bb]asic|[Tt]oken|[Dd]igest|[Aa]pi[Kk]ey|[Bb]ot|[Nn]egotiate)\b|`?[A-Za-z][\w.-]{0,31}[ \t]{1,8}\[REDACTED\])([^\s"'&;,|-][^\s"'&;,|]{5,1023})/g;
/**
 * The same with the value in quotes, as shells, `.env` and YAML files write it: `PGPASSWORD="…" psql`,
 * `export DB_PASSWORD='…'`, `--password="…"`, `--password '…'`, `api_key: "…"`, `password = '…'`. The quotes may
 * hold spaces; a name without an option's dashes needs `=` or `:` (`the token "x"` is prose).
 */
const QUOTED_SECRET =
  /(?<![\w-])(--?([A-Za-z_][\w-]{0,63})(?:[ \t]{1,8}|=)|([A-Za-z_][\w-]{0,63})[ \t]{0,8}[:=][ \t]{0,8})(?:"([^"\n]{1,1024})"|'([^'\n]{1,1024})')/g;
const maskIfQuotedSecret = (
  whole: string,
  before: string,
  optionName: string | undefined,
  name: string | undefined,
  doubleQuoted: string | undefined,
): string => {
  const named = optionName ?? name ?? '';
  if (!named || (named.toLowerCase() === 'key' && !optionName) || !isSecretField(named)) return whole;
  const quote = doubleQuoted === undefined ? "'" : '"';
  return `${before}${quote}${REDACTED}${quote}`;
};
/** In a `name: value` line, a bare `key` is most often a sort or map key, not a secret's name. */
const maskIfSecretLine = (whole: string, before: string, name: string): string =>
  name.toLowerCase() === 'key' ? whole : maskIfSecret(whole, before, name);
/**
 * Credentials in an Authorization header written out, whatever its scheme (`-H "Authorization: Basic YWxp…"`,
 * `Token …`, `Digest …`, `Key …`, `SSWS …`, a vendor's own word). Bearer is BEARER_TOKEN's (our keys keep their
 * display prefix).
 */
const BASIC_CREDENTIALS = /(Authorization:\s{0,8}["'`]?(?!Bearer\s)[A-Za-z][\w.-]{0,31}\s{1,8})[^\s"',`]{4,4096}/gi;
/** A password in a command line: curl's `-u user:password`, MySQL's `-pPassword` after a mysql command. */
const CURL_USER = /(?<![\w-])((?:-u|--user)(?:\s{1,8}|=)["']?[^\s:"']{1,256}:)[^\s"']{1,1024}/g;
const MYSQL_PASSWORD = /(\bmysql(?:dump|admin|sh)?\b[^\n|;&]{0,160}?\s-p["']?)([^\s"']{1,1024})/g;
/** `docker login -p …` (and podman's): the password as an option's short form. */
const DOCKER_PASSWORD = /(\b(?:docker|podman)\s{1,8}login\b[^\n|;&]{0,160}?\s-p\s{1,8}["']?)([^\s"']{1,1024})/g;
/**
 * An OAuth authorization code in a URL's query or a form (`…/cb?code=…&state=…`, curl's `-d code=…`): whoever holds
 * it, with the PKCE verifier beside it (a secret's name above), gets the tokens. A value of 16 or more URL-safe
 * characters, so `code=0` or `code=404` stay.
 */
const AUTHORIZATION_CODE = /(?<![\w-])(code=)[A-Za-z0-9._~-]{16,1024}(?![^&\s"'#;,)\]])/gi;
const maskIfSecret = (whole: string, before: string, name: string): string =>
  isSecretField(name) ? `${before}${REDACTED}${whole.endsWith('"') ? '"' : ''}` : whole;

export const REDACTED = '[REDACTED]';

/**
 * Whether a text may quote one of those: one scan instead of four on the usual text (a User-Agent, a path). Every
 * name isSecretField takes holds one of these words.
 */
const QUOTED_SECRET_HINT = /bearer|vx_session|pass|pwd|token|key|secret|auth|cookie|credential|verifier/i;

export function redactText(text: string): string {
  let masked = text;
  if (QUOTED_SECRET_HINT.test(masked)) {
    masked = masked
      .replace(BEARER_TOKEN, `$1${REDACTED}`)
      // Before the name-and-value patterns, which would take a scheme word (`ApiKey`) for the value.
      .replace(BASIC_CREDENTIALS, `$1${REDACTED}`)
      .replace(SESSION_COOKIE, `$1${REDACTED}`)
      .replace(JSON_SECRET, maskIfSecret)
      .replace(SINGLE_QUOTED_JSON_SECRET, maskIfSingleQuotedSecret)
      .replace(ASSIGNED_SECRET, maskIfSecret)
      .replace(OPTION_SECRET, maskIfSecret)
      .replace(QUOTED_SECRET, maskIfQuotedSecret)
      .replace(SPACED_SECRET, maskIfSecretLine);
  }
  if (masked.includes('-u') || masked.includes('--user')) masked = masked.replace(CURL_USER, `$1${REDACTED}`);
  if (/code=/i.test(masked)) masked = masked.replace(AUTHORIZATION_CODE, `$1${REDACTED}`);
  if (masked.includes('mysql')) masked = masked.replace(MYSQL_PASSWORD, `$1${REDACTED}`);
  if (masked.includes('login')) masked = masked.replace(DOCKER_PASSWORD, `$1${REDACTED}`);
  masked = masked
    // A key masked already (its display prefix and `…[REDACTED]`, as the gateway sends a login's typed email) stays so.
    .replace(SECRET_PATTERN, (match: string, offset: number, whole: string) =>
      match.length <= 12 && whole.startsWith(`…${REDACTED}`, offset + match.length)
        ? match
        : `${match.slice(0, 12)}…${REDACTED}`,
    )
    .replace(DSN_PASSWORD, `$1${REDACTED}@`);
  return masked.includes('@') ? masked.replace(USERINFO, `$1:${REDACTED}@`) : masked;
}

export function redact(value: unknown, depth = 0): unknown {
  if (typeof value === 'string') return redactText(value);
  if (value === null || typeof value !== 'object') return value;
  // Deeper than anything we log on purpose: do not walk it, do not print it.
  if (depth > 8) return REDACTED;
  if (value instanceof Error) {
    return { type: value.name, message: redactText(value.message), stack: value.stack && redactText(value.stack) };
  }
  if (Array.isArray(value)) return value.map((item) => redact(item, depth + 1));
  const result: Record<string, unknown> = {};
  for (const [field, inner] of Object.entries(value)) {
    // A flag (`requires_auth: true`, `has_secret: false`) says nothing secret: kept.
    result[field] = isSecretField(field) && typeof inner !== 'boolean' ? REDACTED : redact(inner, depth + 1);
  }
  return result;
}
