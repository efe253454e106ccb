/**
 * axe-core inside the page: runs on the widget's host element (axe walks its open shadow root) and
 * returns the violations; `expectNoSerious` prints the counts per state and fails on a serious or
 * critical one, naming the rule and the first element.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { expect } from 'chai';
import type { Page } from 'playwright-core';

const AXE_SOURCE = readFileSync(createRequire(import.meta.url).resolve('axe-core/axe.min.js'), 'utf8');

interface Violation {
  id: string;
  impact: string | null;
  nodes: number;
  target: string;
  summary: string;
}

export async function axeViolations(page: Page): Promise<Violation[]> {
  if (!(await page.evaluate('typeof window.axe === "object"'))) await page.evaluate(AXE_SOURCE);
  // A string, so the test compiler's helpers do not end up in the page.
  return page.evaluate(`axe
    .run({ include: [['hotline-widget']] }, { resultTypes: ['violations'] })
    .then((result) => result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      nodes: v.nodes.length,
      target: JSON.stringify(v.nodes[0] && v.nodes[0].target),
      summary: (v.nodes[0] && v.nodes[0].failureSummary) || '',
    })))`);
}

/** Prints `axe <state>: N serious or critical, M other` and fails on any serious or critical one. */
export async function expectNoSerious(page: Page, state: string): Promise<void> {
  const violations = await axeViolations(page);
  const serious = violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  console.log(
    `      axe ${state}: ${serious.length} serious or critical, ${violations.length - serious.length} other` +
      (violations.length ? ` (${violations.map((v) => `${v.id}/${v.impact}`).join(', ')})` : ''),
  );
  expect(
    serious.map((v) => `${v.id} (${v.impact}) at ${v.target}: ${v.summary}`),
    `axe ${state}`,
  ).to.deep.equal([]);
}
