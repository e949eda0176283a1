import type { Command } from '../command.ts';
import { answerCommand } from './answer.ts';
import { approvalsCommand } from './approvals.ts';
import { approveCommand } from './approve.ts';
import { askCommand } from './ask.ts';
import { attachCommand } from './attach.ts';
import { cancelCommand } from './cancel.ts';
import { doctorCommand } from './doctor.ts';
import { interruptCommand } from './interrupt.ts';
import { killCommand } from './kill.ts';
import { logsCommand } from './logs.ts';
import { resumeCommand } from './resume.ts';
import { screenCommand } from './screen.ts';
import { sendCommand } from './send.ts';
import { sessionsCommand } from './sessions.ts';
import { slotsCommand } from './slots.ts';
import { spawnCommand } from './spawn.ts';
import { statusCommand } from './status.ts';
import { submitCommand } from './submit.ts';
import { tokenCommand } from './token.ts';
import { upCommand } from './up.ts';
import { usageCommand } from './usage.ts';

/** Every `mission` command, in the order `mission help` lists them. */
export const commands: Command[] = [
  upCommand,
  submitCommand,
  askCommand,
  statusCommand,
  cancelCommand,
  logsCommand,
  sessionsCommand,
  spawnCommand,
  sendCommand,
  screenCommand,
  interruptCommand,
  killCommand,
  resumeCommand,
  attachCommand,
  answerCommand,
  approvalsCommand,
  approveCommand,
  usageCommand,
  slotsCommand,
  tokenCommand,
  doctorCommand,
];
