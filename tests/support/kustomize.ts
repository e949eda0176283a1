import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { parseAllDocuments } from 'yaml';

/**
 * A renderer for the SUBSET of kustomize that k8s/ uses, so the manifests can be checked in the test
 * suite without the kustomize binary, a cluster or the network. It is not kustomize: it implements
 *
 * - `resources`: YAML files inside the kustomization's folder, and folders (anywhere, by a relative
 *   path, as kustomize requires) holding a kustomization of their own, rendered recursively;
 * - `components` (kind Component): their resources, generators, patches and transformers applied to
 *   what the including kustomization has accumulated so far;
 * - `namespace`: set on every namespaced object, and as the name of Namespace objects (throws on kinds
 *   whose namespace references kustomize would also rewrite: RoleBinding, webhooks…);
 * - `labels` (`pairs`, `includeTemplates`; not `includeSelectors: true` nor `fields`);
 * - `images` (`name`, `newName`, `newTag`, `digest`) on containers and init containers of pod specs;
 * - `replicas` on Deployments, StatefulSets, ReplicaSets;
 * - `configMapGenerator` / `secretGenerator` (`files`, `literals`, `options.disableNameSuffixHash`,
 *   `options.labels`), with kustomize's content-hash name suffix (see {@link contentHash}), added once
 *   at the end of the top-level build; references to a generated name are rewritten in pod specs only (volumes, projected volumes,
 *   envFrom, env valueFrom, imagePullSecrets);
 * - `patches` given by `path` or inline `patch`, as strategic-merge patches that name their target by
 *   apiVersion, kind and name (no `target`, no JSON 6902). Maps merge deeply; `null` deletes a key.
 *   Lists: on built-in kinds, the lists Kubernetes declares with a merge key that this renderer knows
 *   merge by it (containers, initContainers, ephemeralContainers, env, volumes, imagePullSecrets by
 *   `name`; volumeMounts by `mountPath`) — the patch's items first, in its order, then the original's
 *   other items, as kustomize v5 orders them; patching any other merge-key list (ports, finalizers,
 *   topologySpreadConstraints…) throws; every other list is replaced. On custom resources every list
 *   is replaced (kustomize v5 has no schema for them). `$patch` and the other `$` directives throw.
 *
 * Anything else — an unknown kustomization field, a remote resource, a patch or a replica count that
 * matches nothing, an image that matches no container, two objects with one id — throws
 * {@link KustomizeSubsetError}, so the manifests cannot use a feature this renderer would silently
 * ignore. YAML is read as YAML 1.2, as kustomize reads it (`y`, `on` are strings; kustomize quotes
 * them on output). `kubectl apply -k` sends kustomize's output, so that is what the API sees.
 */
export class KustomizeSubsetError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'KustomizeSubsetError';
  }
}

export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; [key: string]: unknown };
  [key: string]: unknown;
}

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = { [key: string]: Json };

const KUSTOMIZATION_FIELDS = new Set([
  'apiVersion',
  'kind',
  'resources',
  'components',
  'namespace',
  'labels',
  'images',
  'replicas',
  'configMapGenerator',
  'secretGenerator',
  'patches',
]);
const COMPONENT_FIELDS = new Set([...KUSTOMIZATION_FIELDS].filter((field) => field !== 'namespace'));

/** Kinds without a namespace (those a Mission deployment could plausibly contain). */
const CLUSTER_SCOPED = new Set([
  'Namespace',
  'ClusterRole',
  'ClusterRoleBinding',
  'CustomResourceDefinition',
  'PersistentVolume',
  'StorageClass',
  'PriorityClass',
  'IngressClass',
  'RuntimeClass',
  'ClusterTriggerAuthentication',
]);
/** Kinds holding namespace references that kustomize's namespace transformer rewrites and this one does not. */
const NAMESPACE_REFERENCES = new Set([
  'RoleBinding',
  'ClusterRoleBinding',
  'ValidatingWebhookConfiguration',
  'MutatingWebhookConfiguration',
  'APIService',
  'CustomResourceDefinition',
]);

/** Merge keys of lists on built-in kinds, by field name. */
const MERGE_KEYS: Record<string, string> = {
  containers: 'name',
  initContainers: 'name',
  ephemeralContainers: 'name',
  env: 'name',
  volumes: 'name',
  imagePullSecrets: 'name',
  volumeMounts: 'mountPath',
};
/** Lists Kubernetes merges by a key (or as a set) that this renderer does not implement: patching one throws. */
const UNSUPPORTED_MERGE_LISTS = new Set([
  'ports',
  'hostAliases',
  'topologySpreadConstraints',
  'finalizers',
  'ownerReferences',
  'resourceClaims',
  'schedulingGates',
  'volumeDevices',
  'conditions',
]);

const GENERATED = Symbol('kustomize-subset-generated');
type Generated = K8sObject & { [GENERATED]?: { hash: boolean } };

/** Renders the kustomization in `dir` (a folder with kustomization.yaml) into its objects. */
export function renderKustomization(dir: string): K8sObject[] {
  const objects = build(path.resolve(dir), 'Kustomization', []);
  return addHashSuffixes(objects);
}

function build(dir: string, expectedKind: 'Kustomization' | 'Component', accumulated: K8sObject[]): K8sObject[] {
  const file = kustomizationFile(dir);
  const k = readYamlObject(file);
  const kind = k.kind ?? 'Kustomization';
  if (kind !== expectedKind) fail(file, `is a ${String(kind)}, expected a ${expectedKind}`);
  const allowed = kind === 'Component' ? COMPONENT_FIELDS : KUSTOMIZATION_FIELDS;
  for (const field of Object.keys(k)) {
    if (!allowed.has(field)) fail(file, `uses '${field}', which this kustomize subset does not implement`);
  }
  const expectedApiVersion = kind === 'Component' ? 'kustomize.config.k8s.io/v1alpha1' : 'kustomize.config.k8s.io/v1beta1';
  if (k.apiVersion !== undefined && k.apiVersion !== expectedApiVersion) fail(file, `apiVersion must be ${expectedApiVersion}`);

  let objects = [...accumulated];
  for (const entry of stringList(k.resources, file, 'resources')) objects.push(...loadResource(dir, entry, file));
  for (const entry of stringList(k.components, file, 'components')) {
    if (isRemote(entry)) fail(file, `component '${entry}' is remote`);
    if (path.isAbsolute(entry)) fail(file, `component '${entry}' is an absolute path (kustomize refuses that)`);
    objects = build(path.resolve(dir, entry), 'Component', objects);
  }
  for (const generator of objectList(k.configMapGenerator, file, 'configMapGenerator'))
    objects.push(generate('ConfigMap', generator, dir, file));
  for (const generator of objectList(k.secretGenerator, file, 'secretGenerator')) objects.push(generate('Secret', generator, dir, file));
  assertUniqueIds(objects, file);

  for (const patch of objectList(k.patches, file, 'patches')) applyPatchEntry(objects, patch, dir, file);
  if (k.namespace !== undefined) setNamespace(objects, requireString(k.namespace, file, 'namespace'), file);
  for (const label of objectList(k.labels, file, 'labels')) applyLabels(objects, label, file);
  for (const replica of objectList(k.replicas, file, 'replicas')) applyReplicas(objects, replica, file);
  for (const image of objectList(k.images, file, 'images')) applyImage(objects, image, file);
  assertUniqueIds(objects, file);
  return objects;
}

function kustomizationFile(dir: string): string {
  const found = ['kustomization.yaml', 'kustomization.yml', 'Kustomization'].filter((name) => fs.existsSync(path.join(dir, name)));
  if (found.length === 0) throw new KustomizeSubsetError(`${dir}: no kustomization.yaml`);
  if (found.length > 1) throw new KustomizeSubsetError(`${dir}: more than one kustomization file (${found.join(', ')})`);
  return path.join(dir, found[0] as string);
}

function loadResource(dir: string, entry: string, file: string): K8sObject[] {
  if (isRemote(entry)) fail(file, `resource '${entry}' is remote`);
  if (path.isAbsolute(entry)) fail(file, `resource '${entry}' is an absolute path (kustomize refuses that)`);
  const target = path.resolve(dir, entry);
  if (!fs.existsSync(target)) fail(file, `resource '${entry}' does not exist`);
  if (fs.statSync(target).isDirectory()) return build(target, 'Kustomization', []);
  assertInside(dir, target, file, `resource '${entry}'`);
  return readYamlDocuments(target).map((doc, index) => toObject(doc, `${target} (document ${index + 1})`));
}

function generate(kind: 'ConfigMap' | 'Secret', generator: JsonObject, dir: string, file: string): K8sObject {
  const where = `${kind === 'ConfigMap' ? 'configMapGenerator' : 'secretGenerator'} '${String(generator.name)}'`;
  for (const key of Object.keys(generator)) {
    if (!['name', 'files', 'literals', 'options', ...(kind === 'Secret' ? ['type'] : [])].includes(key))
      fail(file, `${where} uses '${key}', not implemented`);
  }
  const name = requireString(generator.name, file, `${where} name`);
  const data: Record<string, string> = {};
  const put = (key: string, value: string) => {
    if (key in data) fail(file, `${where} has the key '${key}' twice`);
    data[key] = value;
  };
  for (const spec of stringList(generator.files, file, `${where} files`)) {
    const [key, source] = spec.includes('=') ? (spec.split(/=(.*)/s, 2) as [string, string]) : [path.basename(spec), spec];
    const target = path.resolve(dir, source);
    assertInside(dir, target, file, `${where} file '${source}'`);
    if (!fs.existsSync(target) || !fs.statSync(target).isFile()) fail(file, `${where} file '${source}' does not exist`);
    put(key, fs.readFileSync(target, 'utf8'));
  }
  for (const literal of stringList(generator.literals, file, `${where} literals`)) {
    const at = literal.indexOf('=');
    if (at <= 0) fail(file, `${where} literal '${literal}' is not key=value`);
    put(literal.slice(0, at), literal.slice(at + 1));
  }
  let hash = true;
  const labels: Record<string, string> = {};
  if (generator.options !== undefined) {
    const options = requireObject(generator.options, file, `${where} options`);
    for (const [key, value] of Object.entries(options)) {
      if (key === 'disableNameSuffixHash') hash = value !== true;
      else if (key === 'labels') Object.assign(labels, stringMap(value, file, `${where} options.labels`));
      else fail(file, `${where} options.${key} is not implemented`);
    }
  }
  const metadata: K8sObject['metadata'] = { name };
  if (Object.keys(labels).length > 0) metadata.labels = labels;
  const object: Generated =
    kind === 'ConfigMap'
      ? { apiVersion: 'v1', kind, metadata, data }
      : {
          apiVersion: 'v1',
          kind,
          metadata,
          type: generator.type === undefined ? 'Opaque' : requireString(generator.type, file, `${where} type`),
          data: Object.fromEntries(Object.entries(data).map(([key, value]) => [key, Buffer.from(value).toString('base64')])),
        };
  object[GENERATED] = { hash };
  return object;
}

function applyPatchEntry(objects: K8sObject[], entry: JsonObject, dir: string, file: string): void {
  for (const key of Object.keys(entry)) {
    if (key !== 'path' && key !== 'patch')
      fail(file, `patches: '${key}' is not implemented (strategic-merge patches naming their target only)`);
  }
  let documents: unknown[];
  let where: string;
  if (entry.path !== undefined && entry.patch === undefined) {
    const target = path.resolve(dir, requireString(entry.path, file, 'patches path'));
    assertInside(dir, target, file, `patch '${String(entry.path)}'`);
    if (!fs.existsSync(target)) fail(file, `patch '${String(entry.path)}' does not exist`);
    documents = readYamlDocuments(target);
    where = target;
  } else if (entry.patch !== undefined && entry.path === undefined) {
    documents = parseYaml(requireString(entry.patch, file, 'patches patch'), `${file} (inline patch)`);
    where = `${file} (inline patch)`;
  } else {
    return fail(file, 'a patch needs exactly one of path and patch');
  }
  for (const document of documents) {
    if (Array.isArray(document)) fail(where, 'JSON 6902 patches are not implemented');
    const patch = toObject(document, where);
    const matches = objects.filter(
      (object) =>
        object.apiVersion === patch.apiVersion &&
        object.kind === patch.kind &&
        object.metadata.name === patch.metadata.name &&
        (patch.metadata.namespace === undefined || patch.metadata.namespace === object.metadata.namespace),
    );
    if (matches.length !== 1) fail(where, `patches ${patch.kind} '${patch.metadata.name}', which matches ${matches.length} objects`);
    const target = matches[0] as K8sObject;
    const merged = mergeObject(target as unknown as JsonObject, patch as unknown as JsonObject, isBuiltIn(target.apiVersion), [], where);
    for (const key of Object.keys(target)) delete (target as Record<string, unknown>)[key];
    Object.assign(target, merged);
  }
}

function mergeObject(base: JsonObject, patch: JsonObject, builtIn: boolean, at: string[], where: string): JsonObject {
  const out: JsonObject = { ...base };
  for (const [key, value] of Object.entries(patch)) {
    const here = [...at, key];
    if (key.startsWith('$')) fail(where, `${here.join('.')}: the directive '${key}' is not implemented`);
    if (value === null) {
      delete out[key];
      continue;
    }
    const current = out[key];
    if (isPlainObject(value) && isPlainObject(current)) out[key] = mergeObject(current, value, builtIn, here, where);
    else if (Array.isArray(value) && Array.isArray(current)) out[key] = mergeList(key, current, value, builtIn, here, where);
    else out[key] = stripNulls(value, here, where);
  }
  return out;
}

function mergeList(field: string, base: Json[], patch: Json[], builtIn: boolean, at: string[], where: string): Json[] {
  if (builtIn && UNSUPPORTED_MERGE_LISTS.has(field)) fail(where, `${at.join('.')}: merging this list is not implemented`);
  const key = builtIn ? MERGE_KEYS[field] : undefined;
  if (key === undefined) return patch.map((item) => stripNulls(item, at, where));
  const out: Json[] = [];
  const merged = new Set<Json>();
  for (const item of patch) {
    if (!isPlainObject(item) || item[key] === undefined) fail(where, `${at.join('.')}: an item without '${key}'`);
    if (Object.keys(item).some((name) => name.startsWith('$'))) fail(where, `${at.join('.')}: '$' directives are not implemented`);
    const original = base.find((existing) => isPlainObject(existing) && existing[key] === item[key]);
    if (original === undefined) {
      out.push(stripNulls(item, at, where));
    } else {
      merged.add(original);
      out.push(mergeObject(original as JsonObject, item, builtIn, [...at, `[${key}=${String(item[key])}]`], where));
    }
  }
  return [...out, ...base.filter((item) => !merged.has(item))];
}

function stripNulls(value: Json, at: string[], where: string): Json {
  if (Array.isArray(value)) return value.map((item) => stripNulls(item, at, where));
  if (!isPlainObject(value)) return value;
  const out: JsonObject = {};
  for (const [key, item] of Object.entries(value)) {
    if (key.startsWith('$')) fail(where, `${[...at, key].join('.')}: the directive '${key}' is not implemented`);
    if (item !== null) out[key] = stripNulls(item, [...at, key], where);
  }
  return out;
}

function setNamespace(objects: K8sObject[], namespace: string, file: string): void {
  for (const object of objects) {
    if (NAMESPACE_REFERENCES.has(object.kind))
      fail(file, `namespace: ${object.kind} '${object.metadata.name}' holds namespace references this renderer does not rewrite`);
    // As kustomize does: a Namespace object is renamed to the namespace.
    if (object.kind === 'Namespace') object.metadata.name = namespace;
    else if (!CLUSTER_SCOPED.has(object.kind)) object.metadata.namespace = namespace;
  }
}

function applyLabels(objects: K8sObject[], entry: JsonObject, file: string): void {
  for (const key of Object.keys(entry)) {
    if (!['pairs', 'includeSelectors', 'includeTemplates'].includes(key)) fail(file, `labels: '${key}' is not implemented`);
  }
  if (entry.includeSelectors === true) fail(file, 'labels: includeSelectors: true is not implemented');
  const pairs = stringMap(entry.pairs, file, 'labels pairs');
  for (const object of objects) {
    object.metadata.labels = { ...object.metadata.labels, ...pairs };
    if (entry.includeTemplates === true) {
      for (const template of podTemplates(object)) {
        const metadata = (template.metadata ??= {}) as JsonObject;
        metadata.labels = { ...(isPlainObject(metadata.labels) ? metadata.labels : {}), ...pairs };
      }
    }
  }
}

function applyReplicas(objects: K8sObject[], entry: JsonObject, file: string): void {
  for (const key of Object.keys(entry)) if (key !== 'name' && key !== 'count') fail(file, `replicas: '${key}' is not implemented`);
  const name = requireString(entry.name, file, 'replicas name');
  if (typeof entry.count !== 'number' || !Number.isInteger(entry.count)) fail(file, `replicas '${name}': count must be an integer`);
  const matches = objects.filter(
    (object) => ['Deployment', 'StatefulSet', 'ReplicaSet'].includes(object.kind) && object.metadata.name === name,
  );
  if (matches.length === 0) fail(file, `replicas '${name}' matches no Deployment, StatefulSet or ReplicaSet`);
  for (const object of matches) (object.spec as JsonObject).replicas = entry.count as number;
}

function applyImage(objects: K8sObject[], entry: JsonObject, file: string): void {
  for (const key of Object.keys(entry)) {
    if (!['name', 'newName', 'newTag', 'digest'].includes(key)) fail(file, `images: '${key}' is not implemented`);
  }
  const name = requireString(entry.name, file, 'images name');
  let matched = 0;
  for (const object of objects) {
    for (const spec of podSpecs(object)) {
      for (const field of ['containers', 'initContainers']) {
        const containers = spec[field];
        if (!Array.isArray(containers)) continue;
        for (const container of containers) {
          if (!isPlainObject(container) || typeof container.image !== 'string') continue;
          const image = parseImage(container.image);
          if (image.name !== name) continue;
          matched++;
          const newName = entry.newName === undefined ? image.name : requireString(entry.newName, file, 'images newName');
          if (entry.digest !== undefined) container.image = `${newName}@${requireString(entry.digest, file, 'images digest')}`;
          else if (entry.newTag !== undefined) container.image = `${newName}:${requireString(entry.newTag, file, 'images newTag')}`;
          else container.image = `${newName}${image.suffix}`;
        }
      }
    }
  }
  if (matched === 0) fail(file, `images '${name}' matches no container`);
}

/** `registry:5000/a/b:tag@sha256:…` → name `registry:5000/a/b`, suffix `:tag@sha256:…`. */
function parseImage(image: string): { name: string; suffix: string } {
  const at = image.indexOf('@');
  const withoutDigest = at === -1 ? image : image.slice(0, at);
  const colon = withoutDigest.lastIndexOf(':');
  const end = colon > withoutDigest.lastIndexOf('/') ? colon : withoutDigest.length;
  return { name: image.slice(0, end), suffix: image.slice(end) };
}

/** Pod templates of workload kinds (`spec.template`, or a CronJob's `spec.jobTemplate.spec.template`). */
export function podTemplates(object: K8sObject): JsonObject[] {
  const spec = object.spec;
  if (!isPlainObject(spec)) return [];
  if (object.kind === 'CronJob') {
    const jobTemplate = spec.jobTemplate;
    const jobSpec = isPlainObject(jobTemplate) ? jobTemplate.spec : undefined;
    return isPlainObject(jobSpec) && isPlainObject(jobSpec.template) ? [jobSpec.template] : [];
  }
  if (
    ['Deployment', 'StatefulSet', 'DaemonSet', 'ReplicaSet', 'Job', 'ReplicationController'].includes(object.kind) &&
    isPlainObject(spec.template)
  ) {
    return [spec.template];
  }
  return [];
}

/** Pod specs of an object: a Pod's own, or its pod templates'. */
export function podSpecs(object: K8sObject): JsonObject[] {
  if (object.kind === 'Pod') return isPlainObject(object.spec) ? [object.spec] : [];
  return podTemplates(object).flatMap((template) => (isPlainObject(template.spec) ? [template.spec] : []));
}

/** Adds kustomize's content-hash suffix to generated names and rewrites the references in pod specs. */
function addHashSuffixes(objects: K8sObject[]): K8sObject[] {
  const renames = new Map<string, string>();
  for (const object of objects as Generated[]) {
    if (!object[GENERATED]?.hash) continue;
    const oldName = object.metadata.name;
    object.metadata.name = `${oldName}-${contentHash(object)}`;
    renames.set(`${object.kind}/${object.metadata.namespace ?? ''}/${oldName}`, object.metadata.name);
  }
  if (renames.size === 0) return objects;
  for (const object of objects) {
    const rename = (kind: 'ConfigMap' | 'Secret', holder: JsonObject, field: string) => {
      const name = holder[field];
      if (typeof name !== 'string') return;
      const renamed = renames.get(`${kind}/${object.metadata.namespace ?? ''}/${name}`);
      if (renamed) holder[field] = renamed;
    };
    for (const spec of podSpecs(object)) {
      for (const volume of objectItems(spec.volumes)) {
        if (isPlainObject(volume.configMap)) rename('ConfigMap', volume.configMap, 'name');
        if (isPlainObject(volume.secret)) rename('Secret', volume.secret, 'secretName');
        const projected = isPlainObject(volume.projected) ? volume.projected : undefined;
        for (const source of objectItems(projected?.sources)) {
          if (isPlainObject(source.configMap)) rename('ConfigMap', source.configMap, 'name');
          if (isPlainObject(source.secret)) rename('Secret', source.secret, 'name');
        }
      }
      for (const secret of objectItems(spec.imagePullSecrets)) rename('Secret', secret, 'name');
      for (const container of [...objectItems(spec.containers), ...objectItems(spec.initContainers)]) {
        for (const source of objectItems(container.envFrom)) {
          if (isPlainObject(source.configMapRef)) rename('ConfigMap', source.configMapRef, 'name');
          if (isPlainObject(source.secretRef)) rename('Secret', source.secretRef, 'name');
        }
        for (const variable of objectItems(container.env)) {
          const from = isPlainObject(variable.valueFrom) ? variable.valueFrom : undefined;
          if (isPlainObject(from?.configMapKeyRef)) rename('ConfigMap', from.configMapKeyRef, 'name');
          if (isPlainObject(from?.secretKeyRef)) rename('Secret', from.secretKeyRef, 'name');
        }
      }
    }
  }
  return objects;
}

/**
 * kustomize's name suffix: SHA-256 of the JSON of {data, kind, name, type (Secrets)} with sorted keys
 * and Go's HTML escaping, first 10 hex digits with 0→g 1→h 3→k a→m e→t. `name` is empty: kustomize v5's
 * hasher looks `metadata/name` up as a single field name, finds nothing and hashes "" (checked against
 * `kubectl kustomize` with kustomize v5.5.0, which the test compares with when kubectl is installed).
 */
function contentHash(object: K8sObject): string {
  const encoded: JsonObject = { data: sortKeys((object.data ?? {}) as JsonObject), kind: object.kind, name: '' };
  if (object.kind === 'Secret') encoded.type = object.type as string;
  const json = JSON.stringify(sortKeys(encoded)).replace(
    /[<>&\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  );
  const hex = createHash('sha256').update(json).digest('hex').slice(0, 10);
  return hex.replace(/[013ae]/g, (c) => ({ '0': 'g', '1': 'h', '3': 'k', a: 'm', e: 't' })[c] as string);
}

function sortKeys(value: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(value).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

function assertUniqueIds(objects: K8sObject[], file: string): void {
  const seen = new Set<string>();
  for (const object of objects) {
    const id = `${object.apiVersion.split('/').length > 1 ? object.apiVersion.split('/')[0] : ''}/${object.kind}/${object.metadata.namespace ?? ''}/${object.metadata.name}`;
    if (seen.has(id)) fail(file, `two objects with the id ${id}`);
    seen.add(id);
  }
}

/** Built-in Kubernetes API groups (core, apps, *.k8s.io…); anything else is a custom resource. */
function isBuiltIn(apiVersion: string): boolean {
  const group = apiVersion.includes('/') ? (apiVersion.split('/')[0] as string) : '';
  return group === '' || !group.includes('.') || group.endsWith('.k8s.io');
}

function toObject(document: unknown, where: string): K8sObject {
  if (!isPlainObject(document as Json)) throw new KustomizeSubsetError(`${where}: not a YAML mapping`);
  const object = document as K8sObject;
  if (typeof object.apiVersion !== 'string' || typeof object.kind !== 'string')
    throw new KustomizeSubsetError(`${where}: needs apiVersion and kind`);
  if (!isPlainObject(object.metadata as unknown as Json) || typeof object.metadata.name !== 'string') {
    throw new KustomizeSubsetError(`${where}: ${object.kind} needs metadata.name`);
  }
  return object;
}

function readYamlObject(file: string): JsonObject {
  const [document, ...rest] = readYamlDocuments(file);
  if (rest.length > 0 || !isPlainObject(document as Json)) throw new KustomizeSubsetError(`${file}: must be one YAML mapping`);
  return document as JsonObject;
}

function readYamlDocuments(file: string): unknown[] {
  return parseYaml(fs.readFileSync(file, 'utf8'), file);
}

function parseYaml(text: string, where: string): unknown[] {
  const documents = parseAllDocuments(text, { uniqueKeys: true });
  if (!Array.isArray(documents)) throw new KustomizeSubsetError(`${where}: not YAML documents`);
  const out: unknown[] = [];
  for (const document of documents) {
    if (document.errors.length > 0) throw new KustomizeSubsetError(`${where}: ${document.errors.map((error) => error.message).join('; ')}`);
    const value: unknown = document.toJS();
    if (value !== null && value !== undefined) out.push(value);
  }
  return out;
}

function assertInside(root: string, target: string, file: string, what: string): void {
  const relative = path.relative(root, target);
  if (relative.startsWith('..') || path.isAbsolute(relative))
    fail(file, `${what} is outside the kustomization's folder (kustomize refuses that)`);
}

function isRemote(entry: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(entry) || /^(github\.com|gitlab\.com|bitbucket\.org)\//.test(entry) || entry.startsWith('git@');
}

function isPlainObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function objectItems(value: Json | undefined): JsonObject[] {
  return Array.isArray(value) ? value.filter(isPlainObject) : [];
}

function stringList(value: unknown, file: string, field: string): string[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every((item) => typeof item === 'string')) fail(file, `${field} must be a list of strings`);
  return value as string[];
}

function objectList(value: unknown, file: string, field: string): JsonObject[] {
  if (value === undefined) return [];
  if (!Array.isArray(value) || !value.every(isPlainObject)) fail(file, `${field} must be a list of mappings`);
  return value as JsonObject[];
}

function stringMap(value: unknown, file: string, field: string): Record<string, string> {
  if (!isPlainObject(value) || !Object.values(value).every((item) => typeof item === 'string'))
    fail(file, `${field} must map strings to strings`);
  return value as Record<string, string>;
}

function requireObject(value: unknown, file: string, field: string): JsonObject {
  if (!isPlainObject(value)) fail(file, `${field} must be a mapping`);
  return value as JsonObject;
}

function requireString(value: unknown, file: string, field: string): string {
  if (typeof value !== 'string' || value === '') fail(file, `${field} must be a non-empty string`);
  return value as string;
}

function fail(file: string, message: string): never {
  throw new KustomizeSubsetError(`${file}: ${message}`);
}
