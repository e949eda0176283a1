import { z } from 'zod';

export const sessionStates = ['starting', 'idle', 'working', 'waiting_permission', 'exited', 'lost'] as const;
export const sessionStateSchema = z.enum(sessionStates);
export type SessionState = z.infer<typeof sessionStateSchema>;
