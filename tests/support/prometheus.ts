/** One line of the Prometheus text format: a sample's name, labels and value. */
export interface ScrapedSample {
  name: string;
  labels: Record<string, string>;
  value: number;
}

/** A scrape, parsed: its samples and each family's `# TYPE`. */
export interface Scrape {
  samples: ScrapedSample[];
  types: Record<string, string>;
  /** The value of the one sample with this name and exactly these labels; throws when there is none. */
  value(name: string, labels?: Record<string, string>): number;
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/;
const LABEL = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g;

/** Parses the Prometheus text exposition format (version 0.0.4); a line that is not valid fails the parse. */
export function parsePrometheusText(text: string): Scrape {
  const samples: ScrapedSample[] = [];
  const types: Record<string, string> = {};
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('# HELP ')) continue;
    const type = /^# TYPE (\S+) (counter|gauge|histogram|summary|untyped)$/.exec(line);
    if (type) {
      types[type[1]!] = type[2]!;
      continue;
    }
    const match = SAMPLE.exec(line);
    if (!match) throw new Error(`not a Prometheus sample line: ${line}`);
    const labels = Object.fromEntries(
      [...(match[2] ?? '').matchAll(LABEL)].map(([, key, value]) => [
        key!,
        value!.replace(/\\(.)/g, (_, c: string) => (c === 'n' ? '\n' : c)),
      ]),
    );
    samples.push({ name: match[1]!, labels, value: Number(match[3]!.replace('+Inf', 'Infinity')) });
  }
  const same = (a: Record<string, string>, b: Record<string, string>) =>
    Object.keys(a).length === Object.keys(b).length && Object.entries(b).every(([k, v]) => a[k] === v);
  return {
    samples,
    types,
    value(name, labels = {}) {
      const found = samples.filter((s) => s.name === name && same(s.labels, labels));
      if (found.length !== 1) throw new Error(`${found.length} samples ${name}${JSON.stringify(labels)}`);
      return found[0]!.value;
    },
  };
}
