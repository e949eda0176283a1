import path from 'node:path';
import type { PermissionDialog } from '../pty/screen.ts';

const FILE_TOOLS = new Set(['Edit', 'Write', 'MultiEdit', 'NotebookEdit', 'Read']);

/**
 * What a tool use touches, in a line a person reads: the command, the file (relative to the session's
 * folder when inside it), the URL, or the input as JSON. Pure.
 */
export function toolTarget(tool: string, input: Record<string, unknown>, cwd: string): string {
  if (tool === 'Bash' && typeof input.command === 'string') return input.command;
  const file = input.file_path ?? input.notebook_path;
  if (FILE_TOOLS.has(tool) && typeof file === 'string') {
    const relative = path.relative(cwd, file);
    return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
  }
  if (typeof input.url === 'string') return input.url;
  return JSON.stringify(input);
}

/** The permission a held PermissionRequest hook stands for, as a dialog with answers by meaning. */
export function hookDialog(tool: string, input: Record<string, unknown>, cwd: string): PermissionDialog {
  return {
    tool,
    target: toolTarget(tool, input, cwd),
    question: 'Do you want to proceed?',
    options: [
      { key: '1', label: 'Yes', meaning: 'yes' },
      { key: '2', label: "Yes, and don't ask again this session", meaning: 'yes_always' },
      { key: '3', label: 'No', meaning: 'no' },
    ],
    selected: '1',
  };
}
