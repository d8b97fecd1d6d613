// Summarises a V8 .cpuprofile (node --cpu-prof): where the operator's CPU time went, by
// function, as the share of samples spent in it (self time). Pure.

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

export interface Hotspot {
  function: string;
  where: string;
  selfPercent: number;
}

export function hotspots(profile: { nodes: ProfileNode[] }, top = 15): Hotspot[] {
  const totals = new Map<string, { fn: string; where: string; hits: number }>();
  let all = 0;
  for (const node of profile.nodes) {
    const hits = node.hitCount ?? 0;
    all += hits;
    const { functionName, url, lineNumber } = node.callFrame;
    const where = url
      ? `${url.replace(/^.*node_modules\//, 'node_modules/').replace(/^file:\/\/.*\/(src|bench)\//, '$1/')}:${lineNumber + 1}`
      : '';
    const key = `${functionName}@${where}`;
    const entry = totals.get(key) ?? { fn: functionName || '(anonymous)', where, hits: 0 };
    entry.hits += hits;
    totals.set(key, entry);
  }
  return [...totals.values()]
    .sort((a, b) => b.hits - a.hits)
    .slice(0, top)
    .map((e) => ({
      function: e.fn,
      where: e.where,
      selfPercent: all ? Math.round((e.hits / all) * 1000) / 10 : 0,
    }));
}
