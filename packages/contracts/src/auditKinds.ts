/**
 * What `GET /v1/audit` reports: permission decisions, approvals, receipts, role, slot, token and subscription
 * changes. A module of its own, without zod, so the console can list the kinds without bundling the schemas.
 */
export const auditKinds = [
  'permission_decision',
  'approval_requested',
  'approval_decided',
  'receipt',
  'role_changed',
  'role_activated',
  'role_rollback',
  'slot_changed',
  'slot_denied',
  'slot_resumed',
  'token_created',
  'token_revoked',
  'notification_changed',
  'notification_deleted',
] as const;
