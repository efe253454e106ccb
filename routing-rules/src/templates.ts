/** The auto-message texts a group carries per locale, and the variables each may use. */
export const TEXT_KEYS = [
  'offlineReply',
  'askContact',
  'contactThanks',
  'unansweredReply',
  'queuePosition',
  'queueOfferContact',
  'greeting',
  'closed',
] as const;
export type TextKey = (typeof TEXT_KEYS)[number];

export const TEMPLATE_VARIABLES = [
  'visitorName',
  'operatorName',
  'position',
  'etaMinutes',
  'groupName',
] as const;
export type TemplateVariable = (typeof TEMPLATE_VARIABLES)[number];

export type TemplateVars = Partial<Record<TemplateVariable, string | number | null | undefined>>;

const NAMES: TemplateVariable[] = ['visitorName', 'groupName'];

/** Which variables each text may use; anything else is a validation error at save time. */
export const ALLOWED_VARIABLES: Record<TextKey, readonly TemplateVariable[]> = {
  offlineReply: NAMES,
  askContact: NAMES,
  contactThanks: NAMES,
  unansweredReply: [...NAMES, 'operatorName'],
  queuePosition: [...NAMES, 'position', 'etaMinutes'],
  queueOfferContact: [...NAMES, 'position', 'etaMinutes'],
  greeting: [...NAMES, 'operatorName'],
  closed: NAMES,
};

const VARIABLE = /\{([A-Za-z_][A-Za-z0-9_]*)\}/g;
const OPTIONAL = /\[([^[\]]*)\]/g;
/** Marks a variable without a value until the punctuation around it is tidied (a private-use character). */
const HOLE = '\uE000';

/** The variable names a template mentions, in order of appearance, without duplicates. */
export function templateVariables(template: string): string[] {
  return [...new Set([...template.matchAll(VARIABLE)].map((m) => m[1]!))];
}

const present = (value: TemplateVars[TemplateVariable]) =>
  value !== undefined && value !== null && String(value).trim() !== '';

/**
 * Renders `{variable}` placeholders. Contract: never leaves a `{known}` placeholder in the output.
 * - A `[...]` segment that mentions a variable without a value is dropped whole
 *   (`'You are number {position}.[ Wait: about {etaMinutes} min.]'`), so hidden estimates stay hidden.
 * - Any other variable without a value renders as nothing, and the punctuation around it is tidied
 *   (`'Hello, {visitorName}!'` → `'Hello!'`).
 * - Unknown variables are left as written (validation rejects them at save time).
 */
export function renderTemplate(template: string, vars: TemplateVars): string {
  const known = (name: string): name is TemplateVariable =>
    (TEMPLATE_VARIABLES as readonly string[]).includes(name);
  const withOptional = template.replace(OPTIONAL, (whole, inner: string) => {
    const names = templateVariables(inner).filter(known);
    if (names.length === 0) return whole;
    return names.every((name) => present(vars[name])) ? inner : '';
  });
  const filled = withOptional.replace(VARIABLE, (whole, name: string) => {
    if (!known(name)) return whole;
    const value = vars[name];
    return present(value) ? String(value).trim() : HOLE;
  });
  if (!filled.includes(HOLE)) return filled;
  return filled
    .replace(/(^|\n)[ \t]*\uE000[ \t]*[,;:]?[ \t]*/g, '$1')
    .replace(/[ \t]*,?[ \t]*\uE000[ \t]*(?=[,.!?;:)])/g, '')
    .replace(/\uE000[ \t]*,?[ \t]*/g, '')
    .replace(/[ \t]{2,}/g, ' ')
    .replace(/^[ \t]+|[ \t]+$/gm, '')
    .trim();
}
