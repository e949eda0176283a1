/** Dialogs the CLI shows that no hook reports: each must be answered before Claude can be used. */
export const blockingDialogKinds = ['trust_folder', 'auto_mode_offer', 'api_key', 'login_required', 'mcp_server_approval', 'usage_limit', 'unknown'] as const;
export type BlockingDialogKind = (typeof blockingDialogKinds)[number];

export interface BlockingDialog {
  kind: BlockingDialogKind;
  /** What the dialog says (its lines above the options, trimmed). */
  text: string;
  /** Its numbered options, as shown. */
  options: { key: string; label: string }[];
}

/** Words that name each kind (CLI 2.1.x); the first that matches wins. */
const KINDS: [BlockingDialogKind, RegExp][] = [
  ['trust_folder', /trust (the files in )?this folder|Do you trust/i],
  ['auto_mode_offer', /auto mode your default/i],
  ['api_key', /Detected a custom API key|use this API key/i],
  ['login_required', /Select login method|Please run \/login|Not logged in/i],
  ['mcp_server_approval', /MCP server/i],
  ['usage_limit', /usage limit|limit reached/i],
];
const OPTION = /^\s*(?:❯\s*)?(\d+)\.\s+(.+)$/;
/** A permission dialog (answered by hooks, or by confirm on the screen driver), not a blocking one. */
const PERMISSION_QUESTION = /^Do you want to (proceed|make this edit|create|allow)/;

/**
 * A dialog on the screen that is not a permission dialog and stops the CLI until answered, or null.
 * Reads the lines between the last rule above the first numbered option and the options. Pure.
 *
 * A minimal reader: the first-run fixtures and the full set of texts live with the first-run work
 * (h13-firstrun), which replaces this file.
 */
export function parseBlockingDialog(screenText: string): BlockingDialog | null {
  const lines = screenText.split('\n').map((line) => line.trimEnd());
  const first = lines.findIndex((line) => OPTION.test(line));
  if (first < 0) return null;
  const options: BlockingDialog['options'] = [];
  for (const line of lines.slice(first)) {
    const match = OPTION.exec(line);
    if (!match) break;
    options.push({ key: match[1]!, label: match[2]!.trim() });
  }
  let top = first - 1;
  while (top >= 0 && !/^[─━]{10,}/.test(lines[top]!.trim())) top--;
  const body = lines
    .slice(top + 1, first)
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^[╌─]+$/.test(line));
  if (body.some((line) => PERMISSION_QUESTION.test(line))) return null;
  const text = body.join('\n');
  const kind = KINDS.find(([, words]) => words.test(text))?.[0] ?? 'unknown';
  return { kind, text, options };
}
