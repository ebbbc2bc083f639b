// The metric names a PromQL expression reads: enough of the language for our rules and dashboard
// (selectors, functions, aggregations with by/without, on/ignoring, group_left/right, Grafana
// variables), so a test can check each name against what the engine exports.

/** Words in PromQL that look like names but are not metrics. */
const KEYWORDS = new Set([
  'and',
  'or',
  'unless',
  'bool',
  'offset',
  'by',
  'without',
  'on',
  'ignoring',
  'group_left',
  'group_right',
  'inf',
  'nan',
]);

export function promqlMetricNames(expression: string): string[] {
  const bare = expression
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""') // strings
    .replace(/\$\{[^}]*\}|\$\w+/g, '1') // Grafana variables ($__rate_interval, ${instance})
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges and subqueries
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/gi, '') // label lists
    .replace(/(?<![\w:])\d[\d.eE+-]*[a-zA-Z]*/g, '0'); // numbers and durations
  const names = new Set<string>();
  for (const match of bare.matchAll(/([a-zA-Z_:][a-zA-Z0-9_:]*)(\s*\()?/g)) {
    const [, name, call] = match;
    if (name === undefined || call !== undefined || KEYWORDS.has(name.toLowerCase())) continue;
    names.add(name);
  }
  return [...names].sort();
}
