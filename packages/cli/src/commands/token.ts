import { scopes } from '@mission/contracts/vocabulary';
import type { Command, OptionValue } from '../command.ts';
import { UsageError } from '../errors.ts';
import { loadHost } from '../host.ts';

export const tokenCommand: Command = {
  name: 'token',
  usage: 'create --name NAME --scopes SCOPE,SCOPE… | list | revoke <token id>',
  summary: 'Create, list and revoke API tokens (straight in the database: the API need not run)',
  details: `  create   Prints the new token once (only its hash is kept). Scopes: ${scopes.join(', ')}.
  list     Every token, with when it was last used.
  revoke   Revokes a token by its id (tok_…).
Reads DATABASE_URL (or the embedded database in MISSION_DATA_DIR when it is unset).`,
  arguments: ['create|list|revoke', 'token id?'],
  options: { name: { type: 'string' }, scopes: { type: 'string' } },
  async run({ printer, processEnv }, { args, options }) {
    const action = args['create|list|revoke'];
    if (action !== 'create' && action !== 'list' && action !== 'revoke')
      throw new UsageError(`unknown token command '${action}': create, list or revoke`, 'token');
    if (action === 'create' && typeof options.name !== 'string') throw new UsageError('token create needs --name', 'token');
    const wanted = action === 'create' ? parseScopes(options.scopes) : [];
    if (action === 'revoke' && !args['token id'])
      throw new UsageError('give the id of the token to revoke (mission token list shows them)', 'token');

    const { loadConfig, openDatabase, TokenService } = await loadHost('token');
    const config = loadConfig(processEnv);
    const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
    const tokens = new TokenService(database.db);
    try {
      if (action === 'create') {
        const created = await tokens.create({ name: String(options.name), scopes: wanted }, 'cli');
        printer.result(
          created,
          () =>
            `${created.token}\n\nToken ${created.info.id} '${created.info.name}' with ${created.info.scopes.join(', ')}. Keep it now: it is not shown again.`,
        );
      } else if (action === 'list') {
        const list = await tokens.list();
        printer.result(
          list,
          () =>
            list
              .map(
                (t) =>
                  `${t.id}  ${t.name}  ${t.scopes.join(',')}  ${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}`,
              )
              .join('\n') || 'no tokens',
        );
      } else {
        const revoked = await tokens.revoke(args['token id']!, 'cli');
        printer.result(revoked, () => `revoked ${revoked.id} '${revoked.name}'`);
      }
    } finally {
      await database.close();
    }
    return 0;
  },
};

/** `--scopes a,b`: one or more of Mission's scopes. */
function parseScopes(value: OptionValue): string[] {
  const wanted = String(value ?? '')
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
  if (wanted.length === 0) throw new UsageError(`token create needs --scopes: one or more of ${scopes.join(', ')}`, 'token');
  const unknown = wanted.filter((scope) => !(scopes as readonly string[]).includes(scope));
  if (unknown.length > 0)
    throw new UsageError(
      `--scopes takes ${scopes.join(', ')} (comma-separated), not ${unknown.map((scope) => `'${scope}'`).join(', ')}`,
      'token',
    );
  return wanted;
}
