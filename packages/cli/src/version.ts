import manifest from '../package.json' with { type: 'json' };

/** The version `mission --version` prints: the @mission/cli package's. */
export const cliVersion: string = manifest.version;
