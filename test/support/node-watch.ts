// Records every version of every node through a real watch, so a test can ask what a node
// looked like at a given moment: whether it existed, and which pool's selector its labels met.
import type { TestContext } from 'node:test';
import type { Node } from '../../src/kube/json.ts';
import { core } from './kube.ts';
import { ResilientWatch } from './watch.ts';

export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: { key: string; operator: string; values?: string[] }[];
}

interface NodeVersion {
  at: number;
  labels: Record<string, string>;
  deleted: boolean;
}

/** Whether `labels` meet `selector` (written here, not taken from the operator's code). */
export function selects(selector: LabelSelector, labels: Record<string, string>): boolean {
  const byLabels = Object.entries(selector.matchLabels ?? {}).every(([k, v]) => labels[k] === v);
  const byExpressions = (selector.matchExpressions ?? []).every((e) => {
    const value = labels[e.key];
    switch (e.operator) {
      case 'In':
        return value !== undefined && (e.values ?? []).includes(value);
      case 'NotIn':
        return value === undefined || !(e.values ?? []).includes(value);
      case 'Exists':
        return value !== undefined;
      case 'DoesNotExist':
        return value === undefined;
      default:
        return false;
    }
  });
  return byLabels && byExpressions;
}

export class NodeRecorder {
  private readonly versions = new Map<string, NodeVersion[]>();
  private watch: ResilientWatch<Node> | undefined;

  observe(type: string, node: Node): void {
    const name = node.metadata?.name ?? '';
    const list = this.versions.get(name) ?? [];
    list.push({ at: Date.now(), labels: { ...node.metadata?.labels }, deleted: type === 'DELETED' });
    this.versions.set(name, list);
  }

  /** The node as it was at `at` (the last version seen by then), or undefined if it didn't exist. */
  at(name: string, at: number): NodeVersion | undefined {
    const seen = (this.versions.get(name) ?? []).filter((v) => v.at <= at).at(-1);
    return seen && !seen.deleted ? seen : undefined;
  }

  async start(): Promise<void> {
    this.watch = new ResilientWatch<Node>({
      path: '/api/v1/nodes',
      list: () => core().listNode(),
      onEvent: (type, node) => this.observe(type, node),
    });
    await this.watch.start();
  }

  stop(): void {
    this.watch?.stop();
  }
}

export async function recordNodes(t: TestContext): Promise<NodeRecorder> {
  const recorder = new NodeRecorder();
  await recorder.start();
  t.after(() => recorder.stop());
  return recorder;
}
