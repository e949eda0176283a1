import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parse } from 'yaml';
import { type K8sObject, podSpecs, renderKustomization } from '../support/kustomize.ts';

/**
 * How the shipped deployments start Mission's processes, read from their files: the Dockerfile's targets
 * (ENV, CMD), docker-compose.yml's services (environment, with `${VAR:-default}` from the shell) and the
 * rendered k8s manifests (ConfigMap, Secret, Deployments). Pure: the fault harness runs what this says.
 */

export interface ServiceLaunch {
  /** The service (compose) or Deployment (k8s) name. */
  name: string;
  /** The container's command (the image's CMD; neither deployment overrides it). */
  command: string[];
  /** The container's environment: the image's ENV under the deployment's own. */
  env: Record<string, string>;
  /** The host names the deployment gives other services (compose service names, k8s Service names). */
  hostNames: string[];
}

export interface DockerTarget {
  env: Record<string, string>;
  cmd: string[];
  /** The last USER of the stage or its parents; undefined: the base image's (root for node's images). */
  user?: string;
  /** What `apt-get install` put in the stage and its parents (not what a `COPY --from` brought). */
  aptPackages: string[];
}

/** The Dockerfile's instructions, one a line (continuations joined, comments dropped). */
function instructions(text: string): string[] {
  return text
    .replace(/\\\n/g, ' ')
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l && !l.startsWith('#'));
}

/** Each stage of a Dockerfile with the ENV, USER and apt packages it has (its parents' included) and its CMD. */
export function dockerfileTargets(text: string): Record<string, DockerTarget> {
  const stages: Record<string, DockerTarget> = {};
  let current: DockerTarget | undefined;
  for (const line of instructions(text)) {
    const from = /^FROM\s+(\S+)(?:\s+AS\s+(\S+))?/i.exec(line);
    if (from) {
      const parent = stages[from[1]!];
      current = { env: { ...parent?.env }, cmd: [...(parent?.cmd ?? [])], aptPackages: [...(parent?.aptPackages ?? [])] };
      if (parent?.user !== undefined) current.user = parent.user;
      if (from[2]) stages[from[2]] = current;
      continue;
    }
    if (!current) continue;
    const env = /^ENV\s+(.*)$/i.exec(line);
    if (env) for (const [, key, value] of env[1]!.matchAll(/(\w+)=("[^"]*"|\S+)/g)) current.env[key!] = value!.replace(/^"|"$/g, '');
    const cmd = /^CMD\s+(\[.*\])$/i.exec(line);
    if (cmd) current.cmd = JSON.parse(cmd[1]!) as string[];
    const user = /^USER\s+(\S+)$/i.exec(line);
    if (user) current.user = user[1]!;
    for (const [, args] of line.matchAll(/apt-get install ([^&;]*)/g))
      current.aptPackages.push(...args!.split(/\s+/).filter((arg) => arg && !arg.startsWith('-')));
  }
  return stages;
}

/** The build-context paths a Dockerfile's COPY instructions read (those without `--from`). */
export function dockerfileContextCopies(text: string): string[] {
  return instructions(text)
    .map((line) => /^COPY\s+(.*)$/i.exec(line)?.[1])
    .filter((args): args is string => args !== undefined && !args.includes('--from='))
    .flatMap((args) => args.split(/\s+/).slice(0, -1));
}

/**
 * Whether `.dockerignore`'s `patterns` leave `file` out of the build context: as Docker reads them, the last
 * pattern matching the path or a folder above it decides, `!` puts back, `*` stays within a path segment and
 * `**` crosses them.
 */
export function dockerIgnores(patterns: string[], file: string): boolean {
  const rules = patterns
    .map((p) => p.trim())
    .filter((p) => p && !p.startsWith('#'))
    .map((p) => {
      const negated = p.startsWith('!');
      const glob = (negated ? p.slice(1) : p).replace(/^\/+|\/+$/g, '');
      const source = glob
        .split(/(\*\*\/?|\*|\?)/)
        .map((part) =>
          part === '**/'
            ? '(?:.*/)?'
            : part === '**'
              ? '.*'
              : part === '*'
                ? '[^/]*'
                : part === '?'
                  ? '[^/]'
                  : part.replace(/[.+^${}()|[\]\\]/g, '\\$&'),
        )
        .join('');
      return { negated, regex: new RegExp(`^${source}(?:/.*)?$`) };
    });
  let ignored = false;
  for (const rule of rules) if (rule.regex.test(file)) ignored = !rule.negated;
  return ignored;
}

/**
 * `${VAR}`, `${VAR:-default}`, `${VAR-default}`, `${VAR:?error}`, `${VAR?error}` and `$$` as Compose substitutes them
 * from the shell's environment (a required variable unset, or empty with `:?`, fails as `docker compose up` does).
 */
export function interpolate(value: string, shell: Record<string, string | undefined>): string {
  return value.replace(
    /\$\$|\$\{(\w+)(?:(:?[-?])([^}]*))?\}/g,
    (whole, name: string | undefined, op: string | undefined, operand: string | undefined) => {
      if (whole === '$$') return '$';
      const set = shell[name!];
      if (op === ':-') return set ? set : (operand ?? '');
      if (op === '-') return set ?? operand ?? '';
      if ((op === ':?' && !set) || (op === '?' && set === undefined)) throw new Error(`${name}: ${operand}`);
      return set ?? '';
    },
  );
}

/** docker-compose.yml's `api` and `worker` services as they would start, with the shell's variables. */
export function composeServices(
  composeText: string,
  dockerfile: Record<string, DockerTarget>,
  shell: Record<string, string | undefined>,
): ServiceLaunch[] {
  const compose = parse(composeText, { merge: true }) as {
    services: Record<string, { build?: { target?: string }; environment?: Record<string, unknown>; command?: string[] }>;
  };
  const hostNames = Object.keys(compose.services);
  return ['api', 'worker'].map((name) => {
    const service = compose.services[name]!;
    const image = dockerfile[service.build?.target ?? ''];
    if (!image) throw new Error(`compose service ${name} builds target ${service.build?.target}, which the Dockerfile does not have`);
    const env = Object.fromEntries(
      Object.entries(service.environment ?? {}).map(([key, value]) => [key, interpolate(String(value ?? ''), shell)]),
    );
    return { name, command: service.command ?? image.cmd, env: { ...image.env, ...env }, hostNames };
  });
}

type Json = Record<string, unknown>;

/** The rendered kustomization's Deployments (mission-api, mission-worker) as they would start. */
export function k8sServices(dir: string, dockerfile: Record<string, DockerTarget>): ServiceLaunch[] {
  const objects = renderKustomization(dir);
  const byKind = (kind: string) => objects.filter((o: K8sObject) => o.kind === kind);
  const configMaps = new Map(
    byKind('ConfigMap').map((o) => [o.metadata.name, (o as unknown as { data?: Record<string, string> }).data ?? {}]),
  );
  const secrets = new Map(
    byKind('Secret').map((o) => {
      const secret = o as unknown as { data?: Record<string, string>; stringData?: Record<string, string> };
      const decoded = Object.fromEntries(Object.entries(secret.data ?? {}).map(([k, v]) => [k, Buffer.from(v, 'base64').toString()]));
      return [o.metadata.name, replacePlaceholderSecret({ ...decoded, ...secret.stringData })];
    }),
  );
  const hostNames = byKind('Service').map((o) => o.metadata.name);
  return byKind('Deployment').map((deployment) => {
    const [spec] = podSpecs(deployment);
    const container = (spec!.containers as Json[])[0]!;
    // The image's name says which Dockerfile target it is (mission-api → api); overlays may prefix a registry.
    const target = String(container.image)
      .replace(/[:@].*$/, '')
      .split('/')
      .at(-1)!
      .replace(/^mission-/, '');
    const image = dockerfile[target];
    if (!image) throw new Error(`${deployment.metadata.name} runs image ${String(container.image)}: no Dockerfile target ${target}`);
    const env: Record<string, string> = { ...image.env };
    for (const source of (container.envFrom as Json[] | undefined) ?? []) {
      const ref = (source.configMapRef ?? source.secretRef) as { name: string } | undefined;
      Object.assign(env, (source.configMapRef ? configMaps : secrets).get(ref!.name) ?? {});
    }
    for (const entry of (container.env as Json[] | undefined) ?? []) {
      const from = entry.valueFrom as
        | { secretKeyRef?: { name: string; key: string }; configMapKeyRef?: { name: string; key: string } }
        | undefined;
      const ref = from?.secretKeyRef ?? from?.configMapKeyRef;
      env[String(entry.name)] = ref
        ? ((from?.secretKeyRef ? secrets : configMaps).get(ref.name)?.[ref.key] ?? '')
        : String(entry.value ?? '');
    }
    const command = [...((container.command as string[] | undefined) ?? []), ...((container.args as string[] | undefined) ?? [])];
    return { name: deployment.metadata.name, command: command.length > 0 ? command : image.cmd, env, hostNames };
  });
}

export function readDockerfile(root: string): Record<string, DockerTarget> {
  return dockerfileTargets(fs.readFileSync(path.join(root, 'Dockerfile'), 'utf8'));
}

/** The host a URL-valued setting points at (postgres://…@postgres:5432 → postgres), or undefined. */
export function hostOf(value: string | undefined): string | undefined {
  if (!value || !URL.canParse(value)) return undefined;
  return new URL(value).hostname || undefined;
}

/**
 * The Secret says to replace its values before deploying; the approval secret is the one the API refuses as a
 * placeholder, so it is replaced here as an operator would (the other placeholders work as they are on the harness).
 */
function replacePlaceholderSecret(values: Record<string, string>): Record<string, string> {
  const secret = values.MISSION_APPROVAL_SECRET;
  return secret?.startsWith('replace-me') ? { ...values, MISSION_APPROVAL_SECRET: randomBytes(36).toString('base64') } : values;
}
