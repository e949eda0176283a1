import type { Command } from '../command.ts';
import { approveCommand } from './approve.ts';
import { askCommand } from './ask.ts';
import { attachCommand } from './attach.ts';
import { cancelCommand } from './cancel.ts';
import { doctorCommand } from './doctor.ts';
import { logsCommand } from './logs.ts';
import { sessionsCommand } from './sessions.ts';
import { statusCommand } from './status.ts';
import { submitCommand } from './submit.ts';
import { tokenCommand } from './token.ts';
import { upCommand } from './up.ts';

/** Every `mission` command, in the order `mission help` lists them. */
export const commands: Command[] = [
  upCommand,
  submitCommand,
  askCommand,
  statusCommand,
  cancelCommand,
  logsCommand,
  sessionsCommand,
  attachCommand,
  approveCommand,
  tokenCommand,
  doctorCommand,
];
