/**
 * The Claude Code CLI's known failures, in Mission's words: what it printed (its result text, or the last lines of its
 * screen or stderr) → a Mission error code, what happened, and Mission's own fix. The CLI's advice ("Please run
 * /login", "Run --model") names commands a Mission user cannot run; the hint names the env var or `mission doctor`.
 * Texts as claude prints them (tests/fixtures/claude-failures/<version>.json, one file for each version recorded).
 */
export const claudeFailureCodes = [
  'claude_no_credentials',
  'claude_key_refused',
  'claude_api_unreachable',
  'claude_model_not_found',
  'claude_usage_limit',
] as const;
export type ClaudeFailureCode = (typeof claudeFailureCodes)[number];

export interface ClaudeFailure {
  code: ClaudeFailureCode;
  /** What happened, in a sentence. */
  message: string;
  /** What to do about it, naming Mission's setting or command. */
  hint: string;
}

const FAILURES: (ClaudeFailure & { printed: RegExp })[] = [
  {
    code: 'claude_no_credentials',
    printed: /Not logged in|Please run \/login|Missing API key/i,
    message: 'claude has no credentials: no API key and no login',
    hint: "set ANTHROPIC_API_KEY in Mission's environment (or log claude in as the worker's user); `mission doctor` checks it",
  },
  {
    code: 'claude_key_refused',
    printed: /Invalid API key|authentication_error|invalid x-api-key|OAuth token (has expired|revoked)/i,
    message: 'the Anthropic API refused the credentials claude sent',
    hint: 'check ANTHROPIC_API_KEY (and ANTHROPIC_BASE_URL when set); `mission doctor --probe` tries it',
  },
  {
    code: 'claude_model_not_found',
    printed: /issue with the selected model|model[^\n]*(not found|does not exist)|not_found_error/i,
    message: "the slot's model does not exist or this key may not use it",
    hint: "change the slot's `model` (slots.yaml, or PUT /v1/slots/:id), or leave it out for claude's default",
  },
  {
    code: 'claude_usage_limit',
    printed: /usage limit|rate limit|rate_limit_error|\(429\)|Credit balance is too low|billing/i,
    message: "the account's usage or rate limit is reached, or its credit is spent",
    hint: 'wait for the limit to reset, or give Mission another ANTHROPIC_API_KEY',
  },
  {
    code: 'claude_api_unreachable',
    printed:
      /Connection refused|ECONNREFUSED|ENOTFOUND|EAI_AGAIN|ETIMEDOUT|ECONNRESET|getaddrinfo|Connection error|Unable to connect|fetch failed/i,
    message: 'claude could not reach the Anthropic API',
    hint: 'check ANTHROPIC_BASE_URL, HTTPS_PROXY and the network of the worker; `mission doctor --probe` tries it',
  },
];

/** The known failure in what claude printed, if it is one. */
export function claudeFailureIn(printed: string): ClaudeFailure | undefined {
  const found = FAILURES.find((failure) => failure.printed.test(printed));
  return found && { code: found.code, message: found.message, hint: found.hint };
}

/**
 * An error text for a task or session: a known failure as `<code>: <what happened>. Fix: <hint> (claude said: …)`,
 * anything else as it was printed.
 */
export function describeClaudeFailure(printed: string): string {
  const failure = claudeFailureIn(printed);
  return failure ? `${failure.code}: ${failure.message}. Fix: ${failure.hint} (claude said: ${printed.trim()})` : printed;
}
