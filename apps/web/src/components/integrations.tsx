import type { Integration } from '../types';
import type { FieldErrors } from '../api';
import { FieldError, IntegrationBadge, invalidProps } from './ui';

/** The integrations a key can be given (PRODUCT.md §3.2), with what each grants; `mcp_server` is retired. */
const GRANTABLE: { code: Integration; grants: string }[] = [
  {
    code: 'ai_tools',
    grants: 'Claude Code and Cursor hooks, and requests that declare X-VibeXP-Integration: ai_tools',
  },
  { code: 'cli', grants: 'the vibexp CLI, scripts and your own applications' },
];

/** The retired integration, offered only on a key that has it: it may stay there, never be given again. */
const RETIRED: { code: Integration; grants: string } = {
  code: 'mcp_server',
  grants: 'grants nothing now (MCP clients connect with OAuth 2.1); untick it to remove it: it cannot be given back',
};

/**
 * Checkboxes named `integrations`, one per grantable integration, for a form to read; a legacy key's retired
 * MCP Server too, ticked, so that saving keeps it unless the user takes it away.
 */
export function IntegrationChoices({ chosen, errors = {} }: { chosen: Integration[]; errors?: FieldErrors }) {
  const offered = chosen.includes(RETIRED.code) ? [...GRANTABLE, RETIRED] : GRANTABLE;
  return (
    <fieldset {...invalidProps(errors, 'integrations')}>
      <legend>Integrations</legend>
      <FieldError errors={errors} name="integrations" />
      {offered.map((integration) => (
        <label key={integration.code} className="check">
          <input
            type="checkbox"
            name="integrations"
            value={integration.code}
            defaultChecked={chosen.includes(integration.code)}
          />
          <IntegrationBadge integration={integration.code} /> {integration.grants}
        </label>
      ))}
      <p className="muted">MCP clients use OAuth 2.1, not API keys.</p>
    </fieldset>
  );
}
