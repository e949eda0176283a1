import { z } from 'zod';
import { auditKinds } from '../auditKinds.ts';

export { auditKinds };
export const auditKindSchema = z.enum(auditKinds);
export type AuditKind = z.infer<typeof auditKindSchema>;

export const auditQuerySchema = z.strictObject({
  since: z.iso.datetime({ offset: true }).optional(),
  until: z.iso.datetime({ offset: true }).optional(),
  /** Exact: `token:<name>`, `policy`, `link`, `file:<path>`, … */
  actor: z.string().min(1).max(200).optional(),
  /** A session or task: what happened to it or was asked by its agent. */
  subject: z.string().min(1).max(200).optional(),
  /** One kind, or several separated by commas. */
  kind: z
    .union([
      z.string().transform((value) =>
        value
          .split(',')
          .map((kind) => kind.trim())
          .filter(Boolean),
      ),
      z.array(z.string()),
    ])
    .pipe(z.array(auditKindSchema).min(1))
    .optional(),
  limit: z.coerce.number().int().min(1).max(1_000).default(100),
});
export type AuditQuery = z.infer<typeof auditQuerySchema>;

export const auditEntrySchema = z.object({
  /** Unique across kinds: `<source>:<row id>`. */
  id: z.string(),
  kind: auditKindSchema,
  at: z.string(),
  actor: z.string(),
  /** The session or task concerned, when there is one. */
  subject: z.string().nullable(),
  /** The tool, action class, role, slot, token or subscription. */
  target: z.string(),
  details: z.record(z.string(), z.unknown()),
});
export type AuditEntry = z.infer<typeof auditEntrySchema>;
