/** The API's shapes the dashboard shows (PRODUCT.md §2, §3.3, §7, §9). */
export interface User {
  id: string;
  email: string;
  name: string;
  tier: string;
  status: string;
  created_at: string;
}

export type Integration = 'ai_tools' | 'cli' | 'mcp_server';

export interface ApiKey {
  id: string;
  name: string;
  key_prefix: string;
  integrations: Integration[];
  is_legacy: boolean;
  migration_notes: string | null;
  status: 'active' | 'revoked';
  created_at: string;
  updated_at: string;
  last_used_at: string | null;
  request_count: number;
  last_used_ip: string | null;
  last_used_location: { country: string; city: string | null } | null;
  last_tool_type: string | null;
  expires_at: string | null;
  revoked_at: string | null;
  revoked_reason: string | null;
  rotation_due: boolean;
  replaced_by: string | null;
}

export interface CreatedKey {
  api_key: ApiKey;
  full_key: string;
  key_prefix: string;
  replaces?: string;
}

export interface Usage {
  key_id: string;
  range: string;
  request_count: number;
  failed_auth_count: number;
  last_used_at: string | null;
  by_tool_type: Record<string, number>;
  by_action: Record<string, number>;
  by_status: Record<string, number>;
  series: { start: string; count: number }[];
  locations: { country: string; city: string | null; count: number; first_seen: string; last_seen: string }[];
  ips: unknown[];
}

export interface Alert {
  id: string;
  rule: string;
  severity: 'low' | 'medium' | 'high';
  status: 'open' | 'acknowledged' | 'resolved';
  key_id?: string | null;
  key_prefix?: string | null;
  summary: string;
  evidence: Record<string, unknown>;
  count: number;
  first_seen: string;
  last_seen: string;
  resolution?: { resolution: string; note?: string | null } | null;
}

export interface AuditEvent {
  id: string;
  type: string;
  occurred_at: string;
  outcome: 'success' | 'failure';
  action: string;
  ip: string | null;
  location: { country?: string; city?: string | null } | null;
  tool_type: string | null;
  key_id: string | null;
  key_prefix: string | null;
  data: Record<string, unknown>;
}

/** The list envelope of PRODUCT.md §1, with the list under its plural name. */
export type ListPage<K extends string, T> = { [P in K]: T[] } & {
  total_count: number;
  page: number;
  per_page: number;
  total_pages: number;
};

export interface SecuritySettings {
  timezone: string;
  working_hours: { days: number[]; start: string; end: string } | null;
  webhook_url: string | null;
  auto_revoke_on: string[];
  webhook_secret?: string | null;
}
