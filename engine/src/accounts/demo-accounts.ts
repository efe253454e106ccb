/**
 * Demo accounts; their e-mails match the operator profiles of the shipped routing.yaml. The operators'
 * pictures are the demo shop's own files (widget/demo/img, served at /demo/img): nothing is fetched
 * from elsewhere.
 */
export const DEMO_PASSWORD = 'demo-password';
const operator = (login: string, name: string) => ({
  email: `${login}@example.com`,
  name,
  role: 'operator' as const,
  displayName: name.split(' ')[0]!,
  avatarUrl: `/demo/img/${login}.svg`,
});
export const DEMO_ACCOUNTS = [
  { email: 'admin@example.com', name: 'Alex Supervisor', role: 'supervisor' as const, displayName: 'Alex' },
  operator('anna', 'Anna Petrova'),
  operator('boris', 'Boris Ivanov'),
  operator('carl', 'Carl Smith'),
  operator('dina', 'Dina Orlova'),
];

/** Passwords printed in our docs or typical of examples: never a production supervisor's. */
export const KNOWN_DEMO_PASSWORDS: readonly string[] = [
  DEMO_PASSWORD,
  'changeme',
  'change-me',
  'password',
  'admin123',
];
