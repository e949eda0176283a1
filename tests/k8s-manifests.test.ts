import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import * as kedaV1alpha1 from '@kubernetes-models/keda/keda.sh/v1alpha1';
import { permissionsFileSchema, slotsFileSchema } from '@mission/contracts';
import { envSchema, loadConfig } from '@mission/store';
import * as appsV1 from 'kubernetes-models/apps/v1';
import * as autoscalingV2 from 'kubernetes-models/autoscaling/v2';
import * as networkingV1 from 'kubernetes-models/networking.k8s.io/v1';
import * as policyV1 from 'kubernetes-models/policy/v1';
import * as coreV1 from 'kubernetes-models/v1';
import ts from 'typescript';
import { afterAll, describe, expect, it } from 'vitest';
import { parse, parseAllDocuments } from 'yaml';
import { type K8sObject, KustomizeSubsetError, podSpecs, podTemplates, renderKustomization } from './support/kustomize.ts';

/**
 * The Kubernetes manifests under k8s/, checked without a cluster: rendered with the kustomize subset in
 * support/kustomize.ts, every object validated by the kubernetes-models class of its apiVersion/kind
 * (KEDA's with @kubernetes-models/keda) plus a check for fields the API does not have, then Mission's
 * own contract: references resolve, probes, drain timing, autoscaling target, namespace, images.
 */

const repo = fileURLToPath(new URL('..', import.meta.url));
const k8s = path.join(repo, 'k8s');
const NAMESPACE = 'mission';

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };
type ModelClass = (new (data: unknown) => { validate(): void }) & { apiVersion: string; kind: string };

/** Model modules by apiVersion: which package and folder hold the models (and their .d.ts). */
const MODELS: Record<string, { module: Record<string, unknown>; pkg: string; dir: string }> = {
  v1: { module: coreV1, pkg: 'kubernetes-models', dir: 'v1' },
  'apps/v1': { module: appsV1, pkg: 'kubernetes-models', dir: 'apps/v1' },
  'policy/v1': { module: policyV1, pkg: 'kubernetes-models', dir: 'policy/v1' },
  'networking.k8s.io/v1': { module: networkingV1, pkg: 'kubernetes-models', dir: 'networking.k8s.io/v1' },
  'autoscaling/v2': { module: autoscalingV2, pkg: 'kubernetes-models', dir: 'autoscaling/v2' },
  'keda.sh/v1alpha1': { module: kedaV1alpha1, pkg: '@kubernetes-models/keda', dir: 'keda.sh/v1alpha1' },
};

function modelOf(object: K8sObject): ModelClass {
  const entry = MODELS[object.apiVersion];
  if (!entry) throw new Error(`${describeObject(object)}: no model for apiVersion ${object.apiVersion} (add it to MODELS if it is right)`);
  const model = entry.module[object.kind] as ModelClass | undefined;
  if (typeof model !== 'function' || model.kind !== object.kind || model.apiVersion !== object.apiVersion) {
    throw new Error(`${describeObject(object)}: no model for kind ${object.kind} in ${object.apiVersion}`);
  }
  return model;
}

// ---------------------------------------------------------------------------------------------------
// Unknown fields. The models' validate() checks types and required fields but lets unknown ones
// through (a typo such as `readinesProbe` would pass, and the API server would reject or drop it), so
// the field names are checked against the models' TypeScript declarations.

type Shape =
  | { type: 'object'; fields: Map<string, Shape | (() => Shape)>; values?: Shape | (() => Shape) }
  | { type: 'array'; element: Shape | (() => Shape) }
  | { type: 'leaf' };

const LEAF: Shape = { type: 'leaf' };

class DeclaredShapes {
  private readonly files = new Map<string, { source: ts.SourceFile; imports: Map<string, string>; exports: Map<string, string> }>();
  private readonly shapes = new Map<string, Shape>();

  forModel(object: K8sObject): Shape {
    const entry = MODELS[object.apiVersion];
    if (!entry) throw new Error(`no model for ${object.apiVersion}`);
    return this.named(
      path.join(packageDir(entry.pkg, fileURLToPath(import.meta.url)), entry.dir, `${object.kind}.d.ts`),
      `I${object.kind}`,
    );
  }

  private named(file: string, name: string): Shape {
    const key = `${file}#${name}`;
    const cached = this.shapes.get(key);
    if (cached) return cached;
    const parsed = this.file(file);
    const imported = parsed.imports.get(name);
    if (imported) return this.named(imported, name);
    const local = parsed.exports.get(name) ?? name;
    for (const statement of parsed.source.statements) {
      if (ts.isInterfaceDeclaration(statement) && statement.name.text === local) {
        const shape: Shape = { type: 'object', fields: new Map() };
        this.shapes.set(key, shape);
        for (const clause of statement.heritageClauses ?? []) {
          for (const heritage of clause.types) {
            const base = heritage.expression.getText(parsed.source);
            if (base === 'TypeMeta') {
              shape.fields.set('apiVersion', LEAF);
              shape.fields.set('kind', LEAF);
            } else {
              const inherited = this.named(file, base);
              if (inherited.type === 'object') for (const [field, value] of inherited.fields) shape.fields.set(field, value);
            }
          }
        }
        this.members(statement.members, shape, file, parsed.source);
        return shape;
      }
      if (ts.isTypeAliasDeclaration(statement) && statement.name.text === local) {
        const shape = this.node(statement.type, file, parsed.source);
        this.shapes.set(key, shape);
        return shape;
      }
    }
    throw new Error(`${file}: no declaration of ${name}`);
  }

  private members(
    members: ts.NodeArray<ts.TypeElement>,
    shape: Extract<Shape, { type: 'object' }>,
    file: string,
    source: ts.SourceFile,
  ): void {
    for (const member of members) {
      if (ts.isPropertySignature(member) && member.type) {
        const type = member.type;
        shape.fields.set(member.name.getText(source).replace(/^["']|["']$/g, ''), () => this.node(type, file, source));
      } else if (ts.isIndexSignatureDeclaration(member)) {
        const type = member.type;
        shape.values = () => this.node(type, file, source);
      }
    }
  }

  private node(node: ts.TypeNode, file: string, source: ts.SourceFile): Shape {
    if (ts.isArrayTypeNode(node)) return { type: 'array', element: () => this.node(node.elementType, file, source) };
    if (ts.isTypeLiteralNode(node)) {
      const shape: Shape = { type: 'object', fields: new Map() };
      this.members(node.members, shape, file, source);
      return shape;
    }
    if (ts.isTypeReferenceNode(node)) {
      const name = node.typeName.getText(source);
      const [argument] = node.typeArguments ?? [];
      if (name === 'Array' && argument) return { type: 'array', element: () => this.node(argument, file, source) };
      return this.named(file, name);
    }
    // Keywords, literals, unions of them: no fields to check below.
    return LEAF;
  }

  private file(file: string) {
    let parsed = this.files.get(file);
    if (parsed) return parsed;
    const source = ts.createSourceFile(file, fs.readFileSync(file, 'utf8'), ts.ScriptTarget.Latest, true);
    const imports = new Map<string, string>();
    const exports = new Map<string, string>();
    for (const statement of source.statements) {
      if (ts.isImportDeclaration(statement) && ts.isStringLiteral(statement.moduleSpecifier)) {
        const specifier = statement.moduleSpecifier.text;
        const bindings = statement.importClause?.namedBindings;
        if (!bindings || !ts.isNamedImports(bindings)) continue;
        for (const element of bindings.elements) {
          if (element.propertyName && element.propertyName.text !== element.name.text) throw new Error(`${file}: renamed import`);
          if (specifier === '@kubernetes-models/base') continue;
          imports.set(element.name.text, resolveDeclaration(file, specifier));
        }
      }
      if (ts.isExportDeclaration(statement) && statement.exportClause && ts.isNamedExports(statement.exportClause)) {
        for (const element of statement.exportClause.elements)
          exports.set(element.name.text, element.propertyName?.text ?? element.name.text);
      }
    }
    parsed = { source, imports, exports };
    this.files.set(file, parsed);
    return parsed;
  }
}

function resolveDeclaration(from: string, specifier: string): string {
  let base: string;
  if (specifier.startsWith('.')) {
    base = path.resolve(path.dirname(from), specifier).replace(/\.js$/, '');
  } else {
    const parts = specifier.split('/');
    const pkg = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : (parts[0] as string);
    base = path.join(packageDir(pkg, from), parts.slice(specifier.startsWith('@') ? 2 : 1).join('/'));
  }
  for (const candidate of [`${base}.d.ts`, path.join(base, 'index.d.ts')]) if (fs.existsSync(candidate)) return candidate;
  throw new Error(`${from}: cannot find the declarations of ${specifier}`);
}

/** The folder of an installed package, looked up from `from` the way Node does. */
function packageDir(pkg: string, from: string): string {
  for (let dir = path.dirname(from); ; dir = path.dirname(dir)) {
    const candidate = path.join(dir, 'node_modules', pkg);
    if (fs.existsSync(path.join(candidate, 'package.json'))) return candidate;
    if (path.dirname(dir) === dir) throw new Error(`package ${pkg} is not installed`);
  }
}

const declared = new DeclaredShapes();

function unknownFields(value: unknown, shape: Shape | (() => Shape), at: string, out: string[]): string[] {
  const resolved = typeof shape === 'function' ? shape() : shape;
  if (resolved.type === 'array' && Array.isArray(value))
    value.forEach((item, index) => unknownFields(item, resolved.element, `${at}[${index}]`, out));
  if (resolved.type === 'object' && typeof value === 'object' && value !== null && !Array.isArray(value)) {
    for (const [key, item] of Object.entries(value)) {
      const field = resolved.fields.get(key) ?? resolved.values;
      if (field) unknownFields(item, field, `${at}.${key}`, out);
      else out.push(`${at}.${key}: no such field`);
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------------
// Renders.

const temporary: string[] = [];
afterAll(() => {
  for (const dir of temporary) fs.rmSync(dir, { recursive: true, force: true });
});

/**
 * A throwaway kustomization in a temporary folder: the given resources and components, in `namespace`
 * (as in an overlay: a component's objects get the namespace of the kustomization that includes it).
 */
function composedDir(namespace: string, resources: string[], components: string[] = []): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-k8s-'));
  temporary.push(dir);
  fs.writeFileSync(
    path.join(dir, 'kustomization.yaml'),
    JSON.stringify({
      apiVersion: 'kustomize.config.k8s.io/v1beta1',
      kind: 'Kustomization',
      namespace,
      // kustomize takes relative paths only.
      resources: resources.map((target) => path.relative(dir, target)),
      components: components.map((target) => path.relative(dir, target)),
    }),
  );
  return dir;
}

/** The kustomizations under test, by name: each gives the folder to render. */
const renderDirs: Record<string, () => string> = {
  base: () => path.join(k8s, 'base'),
  production: () => path.join(k8s, 'overlays/production'),
  // As an overlay that enables the optional component would (unless production already does).
  'production + shared-storage': () =>
    productionHasComponent('shared-storage')
      ? path.join(k8s, 'overlays/production')
      : composedDir(NAMESPACE, [path.join(k8s, 'overlays/production')], [path.join(k8s, 'components/shared-storage')]),
};

const renders: Record<string, () => K8sObject[]> = Object.fromEntries(
  Object.entries(renderDirs).map(([name, dir]) => [name, () => renderKustomization(dir())]),
);

function productionHasComponent(name: string): boolean {
  const overlay = parse(fs.readFileSync(path.join(k8s, 'overlays/production/kustomization.yaml'), 'utf8')) as { components?: string[] };
  return (overlay.components ?? []).some((entry) => path.resolve(k8s, 'overlays/production', entry) === path.join(k8s, 'components', name));
}

const extras = fs
  .readdirSync(path.join(k8s, 'extras'))
  .filter((name) => name.endsWith('.yaml'))
  .flatMap((name) => parseAllYaml(path.join(k8s, 'extras', name)));

/** A plain manifest, read as `kubectl apply -f` reads it (YAML 1.1: `yes`, `on`, `y` are booleans). */
function parseAllYaml(file: string): K8sObject[] {
  return fs
    .readFileSync(file, 'utf8')
    .split(/^---$/m)
    .map((text) => parse(text, { version: '1.1' }) as K8sObject | null)
    .filter((object): object is K8sObject => object !== null);
}

// ---------------------------------------------------------------------------------------------------
// Lookups over a render.

function describeObject(object: K8sObject): string {
  return `${object.kind} ${object.metadata.namespace ? `${object.metadata.namespace}/` : ''}${object.metadata.name}`;
}

function find(objects: K8sObject[], kind: string, name: string): K8sObject | undefined {
  return objects.filter((object) => object.kind === kind && object.metadata.name === name)[0];
}

function deployment(objects: K8sObject[], name: string): K8sObject {
  const found = find(objects, 'Deployment', name);
  if (!found) throw new Error(`no Deployment ${name}`);
  return found;
}

function spec(object: K8sObject): JsonObject {
  return object.spec as JsonObject;
}

function containersOf(object: K8sObject): JsonObject[] {
  return podSpecs(object).flatMap((pod) => [...((pod.containers ?? []) as JsonObject[]), ...((pod.initContainers ?? []) as JsonObject[])]);
}

function podLabels(object: K8sObject): Record<string, string> {
  const [template] = podTemplates(object);
  return ((template?.metadata as JsonObject | undefined)?.labels ?? {}) as Record<string, string>;
}

function selects(selector: Json | undefined, labels: Record<string, string>): boolean {
  const matchLabels = ((selector as JsonObject | undefined)?.matchLabels ?? {}) as Record<string, string>;
  if ((selector as JsonObject | undefined)?.matchExpressions) throw new Error('matchExpressions: not checked by this test');
  return Object.keys(matchLabels).length > 0 && Object.entries(matchLabels).every(([key, value]) => labels[key] === value);
}

/** The keys a ConfigMap or Secret holds. */
function keysOf(object: K8sObject): Set<string> {
  return new Set([
    ...Object.keys((object.data ?? {}) as JsonObject),
    ...Object.keys((object.stringData ?? {}) as JsonObject),
    ...Object.keys((object.binaryData ?? {}) as JsonObject),
  ]);
}

function configData(objects: K8sObject[]): Record<string, string> {
  const config = find(objects, 'ConfigMap', 'mission-config');
  if (!config) throw new Error('no ConfigMap mission-config');
  return config.data as Record<string, string>;
}

/** Every reference from a workload or KEDA object to a ConfigMap, Secret, PVC or TriggerAuthentication that does not resolve. */
function danglingReferences(objects: K8sObject[]): string[] {
  const problems: string[] = [];
  const check = (owner: K8sObject, kind: string, name: Json | undefined, key?: Json) => {
    const target =
      typeof name === 'string'
        ? objects.find(
            (object) => object.kind === kind && object.metadata.name === name && object.metadata.namespace === owner.metadata.namespace,
          )
        : undefined;
    if (!target) problems.push(`${describeObject(owner)} refers to ${kind} '${String(name)}', which is not in the render`);
    else if (key !== undefined && !keysOf(target).has(String(key)))
      problems.push(`${describeObject(owner)} refers to key '${String(key)}' of ${kind} ${String(name)}, which has no such key`);
  };
  for (const object of objects) {
    for (const pod of podSpecs(object)) {
      for (const volume of (pod.volumes ?? []) as JsonObject[]) {
        const configMap = volume.configMap as JsonObject | undefined;
        const secret = volume.secret as JsonObject | undefined;
        const claim = volume.persistentVolumeClaim as JsonObject | undefined;
        if (configMap) check(object, 'ConfigMap', configMap.name);
        if (secret) check(object, 'Secret', secret.secretName);
        if (claim) check(object, 'PersistentVolumeClaim', claim.claimName);
      }
      for (const container of containersOf(object)) {
        for (const source of (container.envFrom ?? []) as JsonObject[]) {
          const configMapRef = source.configMapRef as JsonObject | undefined;
          const secretRef = source.secretRef as JsonObject | undefined;
          if (configMapRef) check(object, 'ConfigMap', configMapRef.name);
          if (secretRef) check(object, 'Secret', secretRef.name);
        }
        for (const variable of (container.env ?? []) as JsonObject[]) {
          const from = variable.valueFrom as JsonObject | undefined;
          const configMapKeyRef = from?.configMapKeyRef as JsonObject | undefined;
          const secretKeyRef = from?.secretKeyRef as JsonObject | undefined;
          if (configMapKeyRef) check(object, 'ConfigMap', configMapKeyRef.name, configMapKeyRef.key);
          if (secretKeyRef) check(object, 'Secret', secretKeyRef.name, secretKeyRef.key);
        }
      }
    }
    if (object.kind === 'TriggerAuthentication') {
      for (const ref of (spec(object).secretTargetRef ?? []) as JsonObject[]) check(object, 'Secret', ref.name, ref.key);
    }
    if (object.kind === 'ScaledObject') {
      for (const trigger of (spec(object).triggers ?? []) as JsonObject[]) {
        const auth = trigger.authenticationRef as JsonObject | undefined;
        if (auth)
          check(object, auth.kind === 'ClusterTriggerAuthentication' ? 'ClusterTriggerAuthentication' : 'TriggerAuthentication', auth.name);
      }
    }
    if (object.kind === 'Ingress') {
      for (const rule of (spec(object).rules ?? []) as JsonObject[]) {
        for (const rulePath of ((rule.http as JsonObject | undefined)?.paths ?? []) as JsonObject[]) {
          const service = (rulePath.backend as JsonObject).service as JsonObject | undefined;
          if (service) check(object, 'Service', service.name);
        }
      }
    }
  }
  return problems;
}

/** `sleep N` of a preStop exec hook, in seconds (0 without one). */
function preStopSeconds(container: JsonObject): number {
  const command = (((container.lifecycle as JsonObject | undefined)?.preStop as JsonObject | undefined)?.exec as JsonObject | undefined)
    ?.command as string[] | undefined;
  if (!command) return 0;
  expect(command[0]).toBe('sleep');
  return Number(command[1]);
}

// ---------------------------------------------------------------------------------------------------

describe.each(Object.keys(renders))('k8s render: %s', (name) => {
  const objects = (renders[name] as () => K8sObject[])();

  it('validates every object against the kubernetes-models class of its apiVersion/kind', () => {
    const problems: string[] = [];
    for (const object of objects) {
      try {
        new (modelOf(object))(structuredClone(object)).validate();
      } catch (error) {
        problems.push(`${describeObject(object)}: ${(error as Error).message}`);
      }
    }
    expect(problems).toEqual([]);
    expect(objects.length).toBeGreaterThan(5);
  });

  it('uses no field the Kubernetes (or KEDA) API does not have', () => {
    const problems = objects.flatMap((object) => unknownFields(object, declared.forModel(object), describeObject(object), []));
    expect(problems).toEqual([]);
  });

  it('resolves every reference to a ConfigMap, Secret (and key), claim, TriggerAuthentication and Service', () => {
    expect(danglingReferences(objects)).toEqual([]);
  });

  it('gives every container an image, and the API probes on /healthz and /readyz', () => {
    for (const object of objects.filter((o) => o.kind === 'Deployment')) {
      for (const container of containersOf(object))
        expect(container.image, `${describeObject(object)} ${String(container.name)}`).toMatch(/\S/);
    }
    const [api] = containersOf(deployment(objects, 'mission-api')) as [JsonObject];
    const probePath = (probe: string) => ((api[probe] as JsonObject | undefined)?.httpGet as JsonObject | undefined)?.path;
    expect(probePath('readinessProbe')).toBe('/readyz');
    expect(probePath('livenessProbe')).toBe('/healthz');
    const port = ((api.readinessProbe as JsonObject).httpGet as JsonObject).port;
    expect((api.ports as JsonObject[]).some((p) => p.name === port || p.containerPort === port)).toBe(true);
  });

  it('lets a worker drain before the kubelet kills it: terminationGracePeriodSeconds > preStop + MISSION_SHUTDOWN_GRACE_MS', () => {
    const worker = deployment(objects, 'mission-worker');
    const pod = podSpecs(worker)[0] as JsonObject;
    const graceMs = Number(configData(objects).MISSION_SHUTDOWN_GRACE_MS);
    expect(graceMs).toBeGreaterThan(0);
    const [container] = containersOf(worker) as [JsonObject];
    expect(pod.terminationGracePeriodSeconds as number).toBeGreaterThan(preStopSeconds(container) + graceMs / 1000);
  });

  it('keeps Mission config valid: every mission-config key is an env var Mission knows, and the values load', () => {
    const data = configData(objects);
    const known = new Set(Object.keys(envSchema.shape));
    expect(Object.keys(data).filter((key) => !known.has(key))).toEqual([]);
    expect(() => loadConfig({ ...data })).not.toThrow();
    expect(Number(data.PORT)).toBe(7070);
  });

  it('points the PodDisruptionBudgets at Deployments that exist, leaving room to evict', () => {
    const pdbs = objects.filter((object) => object.kind === 'PodDisruptionBudget');
    expect(pdbs.map((pdb) => pdb.metadata.name).sort()).toEqual(['mission-api', 'mission-worker']);
    for (const pdb of pdbs) {
      const targets = objects.filter((object) => object.kind === 'Deployment' && selects(spec(pdb).selector, podLabels(object)));
      expect(
        targets.map((target) => target.metadata.name),
        describeObject(pdb),
      ).toEqual([pdb.metadata.name]);
    }
    expect(spec(find(objects, 'PodDisruptionBudget', 'mission-worker') as K8sObject).maxUnavailable).toBe(1);
    expect(spec(find(objects, 'PodDisruptionBudget', 'mission-api') as K8sObject).minAvailable).toBe(1);
  });

  it('routes the API Service to the API pods', () => {
    const service = find(objects, 'Service', 'mission-api') as K8sObject;
    expect(service).toBeDefined();
    expect(selects({ matchLabels: spec(service).selector as Json }, podLabels(deployment(objects, 'mission-api')))).toBe(true);
    const [port] = spec(service).ports as [JsonObject];
    expect(port.port).toBe(7070);
    const [api] = containersOf(deployment(objects, 'mission-api')) as [JsonObject];
    expect((api.ports as JsonObject[]).some((p) => p.name === port.targetPort || p.containerPort === port.targetPort)).toBe(true);
  });

  it('scales the workers with KEDA on the task and session queues read from the API, and with nothing else', () => {
    const scaled = objects.filter((object) => object.kind === 'ScaledObject');
    expect(scaled).toHaveLength(1);
    const so = spec(scaled[0] as K8sObject);
    const target = (so.scaleTargetRef as JsonObject).name as string;
    expect(find(objects, 'Deployment', target)).toBeDefined();
    expect(target).toBe('mission-worker');
    // KEDA owns the replica count: neither a second HPA nor a fixed count in the Deployment.
    expect(objects.filter((object) => object.kind === 'HorizontalPodAutoscaler')).toEqual([]);
    expect(spec(deployment(objects, target)).replicas).toBeUndefined();

    const triggers = so.triggers as JsonObject[];
    const namespace = scaled[0]?.metadata.namespace;
    for (const trigger of triggers) {
      expect(trigger.type).toBe('metrics-api');
      const metadata = trigger.metadata as Record<string, string>;
      // The redis list scaler would read BullMQ's `wait` list, which prioritized jobs never enter.
      const url = new URL(metadata.url as string);
      const [service, ns, svc] = url.hostname.split('.');
      expect(svc, 'KEDA calls from its own namespace: the URL needs <service>.<namespace>.svc').toBe('svc');
      if (namespace !== undefined) expect(ns).toBe(namespace);
      const backing = find(objects, 'Service', service as string);
      expect(backing, `Service ${String(service)}`).toBeDefined();
      expect((spec(backing as K8sObject).ports as JsonObject[]).map((p) => String(p.port))).toContain(url.port);
      expect(['/v1/queues/tasks', '/v1/queues/sessions']).toContain(url.pathname);
      expect(['waiting', 'prioritized', 'delayed', 'active', 'backlog', 'live']).toContain(metadata.valueLocation);
      expect(metadata.authMode).toBe('bearer');
      expect(trigger.authenticationRef).toBeDefined();
    }
    expect(triggers.map((trigger) => (trigger.metadata as JsonObject).valueLocation)).toContain('backlog');
    // Sessions waiting for a worker (new, or handed over by a lost or drained one) scale the workers too.
    const sessionTrigger = triggers.find(
      (trigger) => new URL((trigger.metadata as JsonObject).url as string).pathname === '/v1/queues/sessions',
    );
    expect((sessionTrigger?.metadata as JsonObject | undefined)?.valueLocation).toBe('backlog');
    // The composite metric uses exactly the named triggers, and one worker per MISSION_WORKER_CONCURRENCY tasks.
    const modifiers = (so.advanced as JsonObject).scalingModifiers as Record<string, string>;
    const identifiers = new Set(modifiers.formula?.match(/[A-Za-z_]\w*/g));
    expect(identifiers).toEqual(new Set(triggers.map((trigger) => trigger.name as string)));
    const config = configData(objects);
    expect(Number(modifiers.target)).toBe(Number(config.MISSION_WORKER_CONCURRENCY));
    // Workers the formula asks for, given each trigger's value (the formula is plain arithmetic, as in expr-lang).
    const names = triggers.map((trigger) => trigger.name as string);
    const wanted = (values: Record<string, number>) =>
      Math.ceil(
        (new Function(...names, `return ${modifiers.formula};`) as (...args: number[]) => number)(
          ...names.map((name) => values[name] ?? 0),
        ) / Number(modifiers.target),
      );
    const trigger = (name: string) => triggers.find((each) => each.name === name)?.metadata as Record<string, string> | undefined;
    // Live sessions (held by workers) scale the workers too: one per MISSION_WORKER_MAX_SESSIONS of them.
    expect(trigger('live')).toMatchObject({ valueLocation: 'live' });
    expect(new URL(trigger('live')!.url as string).pathname).toBe('/v1/queues/sessions');
    const maxSessions = Number(config.MISSION_WORKER_MAX_SESSIONS);
    expect(wanted({ live: 1 })).toBe(1);
    expect(wanted({ live: maxSessions })).toBe(1);
    expect(wanted({ live: maxSessions + 1 })).toBe(2);
    expect(wanted({ live: 3 * maxSessions })).toBe(3);
    // A session waiting for a worker asks for one of its own; tasks, one worker per MISSION_WORKER_CONCURRENCY.
    expect(wanted({ sessions: 2 })).toBe(2);
    expect(wanted({ backlog: Number(modifiers.target), active: Number(modifiers.target) })).toBe(2);
    expect(wanted({})).toBe(0);
    expect(so.minReplicaCount).toBe(1);
    expect(so.maxReplicaCount).toBe(20);
    // The bearer token KEDA sends is a token parameter from mission-secrets.
    const auth = find(objects, 'TriggerAuthentication', (triggers[0]?.authenticationRef as JsonObject).name as string) as K8sObject;
    expect((spec(auth).secretTargetRef as JsonObject[]).map((ref) => ref.parameter)).toEqual(['token']);
  });

  it('keeps secrets the workers do not need out of their environment (it reaches the claude processes)', () => {
    const worker = deployment(objects, 'mission-worker');
    for (const container of containersOf(worker)) {
      expect((container.envFrom as JsonObject[]).filter((source) => source.secretRef)).toEqual([]);
      const fromSecrets = ((container.env ?? []) as JsonObject[]).filter(
        (variable) => (variable.valueFrom as JsonObject | undefined)?.secretKeyRef,
      );
      expect(fromSecrets.map((variable) => variable.name).sort()).toEqual(['ANTHROPIC_API_KEY', 'DATABASE_URL', 'REDIS_URL']);
    }
  });

  it('points the workers at the API Service (MISSION_API_URL), so agents with Mission tools reach its MCP server', () => {
    const service = find(objects, 'Service', 'mission-api') as K8sObject;
    const port = ((spec(service).ports as JsonObject[])[0] as JsonObject).port;
    for (const container of containersOf(deployment(objects, 'mission-worker'))) {
      const variable = ((container.env ?? []) as JsonObject[]).find((v) => v.name === 'MISSION_API_URL');
      expect(variable?.value).toBe(`http://mission-api:${port}`);
    }
    expect(configData(objects).MISSION_MCP_ALLOWED_HOSTS?.split(',')).toContain('mission-api');
  });

  it('gives the API the slots and permissions files named by MISSION_SLOTS_FILE and MISSION_PERMISSIONS_FILE', () => {
    const api = deployment(objects, 'mission-api');
    const pod = podSpecs(api)[0] as JsonObject;
    const [container] = containersOf(api) as [JsonObject];
    const data = configData(objects);
    for (const file of [data.MISSION_SLOTS_FILE, data.MISSION_PERMISSIONS_FILE] as string[]) {
      const mount = (container.volumeMounts as JsonObject[]).find((m) => m.mountPath === path.dirname(file));
      expect(mount, file).toBeDefined();
      const volume = (pod.volumes as JsonObject[]).find((v) => v.name === mount?.name) as JsonObject;
      const configMap = find(objects, 'ConfigMap', (volume.configMap as JsonObject).name as string) as K8sObject;
      expect(keysOf(configMap)).toContain(path.basename(file));
    }
  });
});

describe('k8s production overlay', () => {
  const objects = renders.production?.() ?? [];

  it(`puts every namespaced object in the '${NAMESPACE}' namespace, and creates it`, () => {
    expect(find(objects, 'Namespace', NAMESPACE)).toBeDefined();
    const outside = objects.filter((object) => object.kind !== 'Namespace' && object.metadata.namespace !== NAMESPACE);
    expect(outside.map(describeObject)).toEqual([]);
  });

  it('pins the images to a registry and a tag', () => {
    for (const name of ['mission-api', 'mission-worker']) {
      for (const container of containersOf(deployment(objects, name))) {
        const image = container.image as string;
        expect(image, name).toMatch(/^[a-z0-9.-]+(:\d+)?\/[a-z0-9./_-]+(:[\w.-]+|@sha256:[a-f0-9]{64})$/);
        expect(image).toContain(`/${name}`);
        expect(image).not.toMatch(/:latest$/);
      }
    }
  });

  it('runs two API replicas, so the API PodDisruptionBudget still allows evictions', () => {
    expect(spec(deployment(objects, 'mission-api')).replicas).toBe(2);
    expect(spec(find(objects, 'PodDisruptionBudget', 'mission-api') as K8sObject).minAvailable as number).toBeLessThan(2);
  });

  it('applies its patches: more room for workers, and the public URL of the Ingress', () => {
    const [worker] = containersOf(deployment(objects, 'mission-worker')) as [JsonObject];
    expect(((worker.resources as JsonObject).limits as JsonObject).memory).toBe('8Gi');
    // The patch replaced the worker's resources only: env, probes and hooks from the base are still there.
    expect((worker.env as JsonObject[]).map((variable) => variable.name)).toContain('ANTHROPIC_API_KEY');
    expect(preStopSeconds(worker)).toBe(5);
    const publicUrl = new URL(configData(objects).MISSION_PUBLIC_URL as string);
    expect(publicUrl.protocol).toBe('https:');
    const ingress = find(objects, 'Ingress', 'mission-api') as K8sObject;
    expect((spec(ingress).rules as JsonObject[]).map((rule) => rule.host)).toContain(publicUrl.hostname);
  });

  it('names the generated slots/permissions ConfigMap by its content, and mounts that name', () => {
    const files = objects.filter((object) => object.kind === 'ConfigMap' && object.metadata.name.startsWith('mission-files-'));
    expect(files).toHaveLength(1);
    expect(files[0]?.metadata.name).toMatch(/^mission-files-[a-z0-9]{10}$/);
  });
});

describe('k8s shared-storage component', () => {
  const objects = renders['production + shared-storage']?.() ?? [];

  it('puts /workspace and ~/.claude/projects of every worker on one ReadWriteMany claim', () => {
    const claim = find(objects, 'PersistentVolumeClaim', 'mission-shared') as K8sObject;
    expect(spec(claim).accessModes).toEqual(['ReadWriteMany']);
    const worker = deployment(objects, 'mission-worker');
    const pod = podSpecs(worker)[0] as JsonObject;
    const shared = (pod.volumes as JsonObject[]).filter(
      (volume) => (volume.persistentVolumeClaim as JsonObject | undefined)?.claimName === 'mission-shared',
    );
    expect(shared).toHaveLength(1);
    expect(Object.keys(shared[0] as JsonObject).sort()).toEqual(['name', 'persistentVolumeClaim']);
    const [container] = containersOf(worker) as [JsonObject];
    const mounts = (container.volumeMounts as JsonObject[]).filter((mount) => mount.name === shared[0]?.name);
    expect(mounts.map((mount) => mount.mountPath).sort()).toEqual(['/home/mission-agent/.claude/projects', '/workspace']);
  });
});

describe('k8s extras', () => {
  const base = renders.base?.() ?? [];

  it('validates the optional HPA and targets the worker Deployment', () => {
    expect(extras.map(describeObject)).toEqual(['HorizontalPodAutoscaler mission-worker']);
    for (const object of extras) {
      new (modelOf(object))(structuredClone(object)).validate();
      expect(unknownFields(object, declared.forModel(object), describeObject(object), [])).toEqual([]);
      const target = spec(object).scaleTargetRef as JsonObject;
      expect(find(base, target.kind as string, target.name as string)).toBeDefined();
    }
  });
});

describe('docker-compose.yml', () => {
  const compose = parse(fs.readFileSync(path.join(repo, 'docker-compose.yml'), 'utf8'), { merge: true }) as {
    services: Record<string, { environment: Record<string, string>; ports?: string[] }>;
  };

  it('points the workers at the api service (MISSION_API_URL) and requires an approval secret', () => {
    const apiPort = compose.services.api!.ports![0]!.split(':')[1];
    expect(compose.services.worker!.environment.MISSION_API_URL).toBe(`http://api:${apiPort}`);
    expect(compose.services.api!.environment.MISSION_APPROVAL_SECRET).toMatch(/^\$\{MISSION_APPROVAL_SECRET:\?/);
  });
});

describe('k8s config files', () => {
  it('keeps k8s/base/config in step with deploy/ (docker-compose.yml mounts those), and both load', () => {
    for (const name of ['slots.yaml', 'permissions.yaml']) {
      expect(fs.readFileSync(path.join(k8s, 'base/config', name), 'utf8'), name).toBe(
        fs.readFileSync(path.join(repo, 'deploy', name), 'utf8'),
      );
    }
    expect(slotsFileSchema.safeParse(parse(fs.readFileSync(path.join(k8s, 'base/config/slots.yaml'), 'utf8'))).success).toBe(true);
    expect(permissionsFileSchema.safeParse(parse(fs.readFileSync(path.join(k8s, 'base/config/permissions.yaml'), 'utf8'))).success).toBe(
      true,
    );
  });
});

// ---------------------------------------------------------------------------------------------------
// The renderer itself, on small kustomizations of its own.

function scratch(files: Record<string, string>): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'mission-kustomize-'));
  temporary.push(dir);
  for (const [name, text] of Object.entries(files)) {
    fs.mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    fs.writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

const deploymentYaml = `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  selector: {matchLabels: {app: a}}
  template:
    metadata: {labels: {app: a}}
    spec:
      containers:
        - name: main
          image: app
          args: [a, b]
          env: [{name: A, value: "1"}, {name: B, value: "2"}]
          volumeMounts: [{name: data, mountPath: /data}]
        - name: side
          image: side
      volumes: [{name: data, emptyDir: {}}]
`;

/** A kustomization exercising a strategic-merge patch, namespace and images on one Deployment. */
function mergeScratch(): string {
  return scratch({
    'kustomization.yaml':
      'resources: [d.yaml]\npatches: [{path: p.yaml}]\nnamespace: ns\nimages: [{name: app, newName: reg.example/app, newTag: "1.2"}]\n',
    'd.yaml': deploymentYaml,
    'p.yaml': `apiVersion: apps/v1
kind: Deployment
metadata: {name: app}
spec:
  template:
    spec:
      containers:
        - name: main
          args: [c]
          env: [{name: B, value: "3"}, {name: C, value: "4"}]
          volumeMounts: [{name: other, mountPath: /data}]
      volumes: [{name: data, emptyDir: null, persistentVolumeClaim: {claimName: pvc}}]
`,
  });
}

describe('the kustomize subset renderer', () => {
  it('refuses kustomization fields it does not implement', () => {
    const dir = scratch({ 'kustomization.yaml': 'namePrefix: x-\nresources: [d.yaml]\n', 'd.yaml': deploymentYaml });
    expect(() => renderKustomization(dir)).toThrow(KustomizeSubsetError);
    expect(() => renderKustomization(dir)).toThrow(/namePrefix/);
  });

  it('refuses patches that match nothing, `$patch` directives, and files outside the folder', () => {
    const orphan = scratch({
      'kustomization.yaml': 'resources: [d.yaml]\npatches: [{path: p.yaml}]\n',
      'd.yaml': deploymentYaml,
      'p.yaml': 'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: other}\nspec: {replicas: 2}\n',
    });
    expect(() => renderKustomization(orphan)).toThrow(/matches 0 objects/);
    const directive = scratch({
      'kustomization.yaml': 'resources: [d.yaml]\npatches: [{path: p.yaml}]\n',
      'd.yaml': deploymentYaml,
      'p.yaml':
        'apiVersion: apps/v1\nkind: Deployment\nmetadata: {name: app}\nspec: {template: {spec: {containers: [{name: side, $patch: delete}]}}}\n',
    });
    expect(() => renderKustomization(directive)).toThrow(/directives/);
    const outside = scratch({ 'inner/kustomization.yaml': 'resources: [../d.yaml]\n', 'd.yaml': deploymentYaml });
    expect(() => renderKustomization(path.join(outside, 'inner'))).toThrow(/outside/);
  });

  it('merges strategic-merge patches the way kustomize does for the lists it knows', () => {
    const dir = mergeScratch();
    const [object] = renderKustomization(dir) as [K8sObject];
    expect(object.metadata.namespace).toBe('ns');
    const pod = podSpecs(object)[0] as JsonObject;
    const [main, side] = pod.containers as [JsonObject, JsonObject];
    expect(main.image).toBe('reg.example/app:1.2');
    expect(side.image).toBe('side');
    expect(main.args).toEqual(['c']);
    // kustomize v5 puts the patch's items first, then the original's others.
    expect(main.env).toEqual([
      { name: 'B', value: '3' },
      { name: 'C', value: '4' },
      { name: 'A', value: '1' },
    ]);
    expect(main.volumeMounts).toEqual([{ name: 'other', mountPath: '/data' }]);
    expect(pod.volumes).toEqual([{ name: 'data', persistentVolumeClaim: { claimName: 'pvc' } }]);
  });

  it('checks field names against the model declarations (a typo is caught)', () => {
    const dir = scratch({ 'kustomization.yaml': 'resources: [d.yaml]\n', 'd.yaml': deploymentYaml.replace('args:', 'argz:') });
    const [object] = renderKustomization(dir) as [K8sObject];
    new (modelOf(object))(structuredClone(object)).validate();
    expect(unknownFields(object, declared.forModel(object), describeObject(object), [])).toEqual([
      'Deployment app.spec.template.spec.containers[0].argz: no such field',
    ]);
  });
});

/** Whether kubectl (with its built-in kustomize) is installed here. It needs no cluster and no network. */
const hasKubectl = (() => {
  try {
    execFileSync('kubectl', ['version', '--client'], { stdio: 'ignore', timeout: 30_000 });
    return true;
  } catch {
    return false;
  }
})();

// In CI the comparison is required: a missing kubectl fails there instead of skipping it unnoticed.
it.runIf(!hasKubectl && process.env.CI)('kubectl is installed, so the renderer is compared with `kubectl kustomize`', () => {
  expect.fail(
    "kubectl is not installed on this CI machine: install a kubectl with kustomize v5 (e.g. from Kubernetes' apt repository) so the manifests are compared",
  );
});

describe.skipIf(!hasKubectl)('the kustomize subset renderer, compared with `kubectl kustomize`', () => {
  const byId = (objects: unknown[]) =>
    (JSON.parse(JSON.stringify(objects)) as K8sObject[]).sort(
      (a, b) => describeObject(a).localeCompare(describeObject(b)) || a.apiVersion.localeCompare(b.apiVersion),
    );
  const kustomize = (dir: string) =>
    parseAllDocuments(execFileSync('kubectl', ['kustomize', dir], { encoding: 'utf8', timeout: 60_000 }))
      .map((document) => document.toJS() as unknown)
      .filter((object) => object !== null);

  it.each(Object.keys(renderDirs))('renders %s exactly as kustomize does', (name) => {
    const dir = (renderDirs[name] as () => string)();
    expect(byId(renderKustomization(dir))).toEqual(byId(kustomize(dir)));
  });

  it('merges strategic-merge patches exactly as kustomize does (built-in and custom kinds)', () => {
    const dir = mergeScratch();
    expect(byId(renderKustomization(dir))).toEqual(byId(kustomize(dir)));
    const custom = scratch({
      'kustomization.yaml': 'resources: [t.yaml]\npatches: [{path: p.yaml}]\n',
      't.yaml':
        'apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec: {items: [{name: a, v: 1}, {name: b, v: 2}], keep: {x: 1}}\n',
      'p.yaml': 'apiVersion: example.com/v1\nkind: Thing\nmetadata: {name: t}\nspec: {items: [{name: b, v: 3}], add: {y: 2}}\n',
    });
    expect(byId(renderKustomization(custom))).toEqual(byId(kustomize(custom)));
  });
});
