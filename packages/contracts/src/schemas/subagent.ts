import { z } from 'zod';
import type { Subagent } from '../subagent.ts';

/** The subagent whose work an event or an approval is (subagent.ts): its id, and its type when the CLI names one; absent for Claude's own. */
export const subagentSchema = z.object({ id: z.string(), type: z.string().optional() }) satisfies z.ZodType<Subagent>;
