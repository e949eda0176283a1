import { parseArgs } from 'node:util';
import { TokenService } from '@mission/core';
import { BadRequestError, loadConfig, openDatabase, runMain, scopes } from '@mission/shared';

const USAGE = `mission: the Mission command line

  mission token create --name <name> --scopes <scope,scope…> [--json]
      Creates an API token and prints it (once: only its hash is kept).
      Scopes: ${scopes.join(', ')}
  mission token list [--json]
  mission token revoke <token id>

Reads DATABASE_URL (or the embedded database in MISSION_DATA_DIR when it is unset).
`;

/** `mission …`: token management against the database (the API need not be running). */
runMain(async () => {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: { name: { type: 'string' }, scopes: { type: 'string' }, json: { type: 'boolean', default: false }, help: { type: 'boolean', short: 'h' } },
  });
  const [group, command, argument] = positionals;
  if (values.help || group === undefined || group === 'help') return void process.stdout.write(USAGE);
  if (group !== 'token' || !['create', 'list', 'revoke'].includes(command ?? '')) throw new BadRequestError(`unknown command '${positionals.join(' ')}'; run \`mission help\``);

  const config = loadConfig();
  const database = await openDatabase({ url: config.databaseUrl, dataDir: config.dataDir });
  const tokens = new TokenService(database.db);
  const print = (value: unknown, text: string) => process.stdout.write(values.json ? `${JSON.stringify(value, null, 2)}\n` : `${text}\n`);
  try {
    if (command === 'create') {
      const wanted = (values.scopes ?? '').split(',').map((scope) => scope.trim()).filter(Boolean);
      const created = await tokens.create({ name: values.name ?? '', scopes: wanted }, 'cli');
      print(created, `${created.token}\n\nToken ${created.info.id} '${created.info.name}' with ${created.info.scopes.join(', ')}. Keep it now: it is not shown again.`);
    } else if (command === 'list') {
      const list = await tokens.list();
      print(list, list.map((t) => `${t.id}  ${t.name}  ${t.scopes.join(',')}  ${t.revokedAt ? `revoked ${t.revokedAt}` : `last used ${t.lastUsedAt ?? 'never'}`}`).join('\n') || 'no tokens');
    } else {
      if (!argument) throw new BadRequestError('give the id of the token to revoke (mission token list shows them)');
      const revoked = await tokens.revoke(argument);
      print(revoked, `revoked ${revoked.id} '${revoked.name}'`);
    }
  } finally {
    await database.close();
  }
});
