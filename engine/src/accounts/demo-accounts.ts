/** Demo accounts; their e-mails match the operator profiles of the shipped routing.yaml. */
export const DEMO_PASSWORD = 'demo-password';
export const DEMO_ACCOUNTS = [
  { email: 'admin@example.com', name: 'Alex Supervisor', role: 'supervisor' as const, displayName: 'Alex' },
  { email: 'anna@example.com', name: 'Anna Petrova', role: 'operator' as const, displayName: 'Anna' },
  { email: 'boris@example.com', name: 'Boris Ivanov', role: 'operator' as const, displayName: 'Boris' },
  { email: 'carl@example.com', name: 'Carl Smith', role: 'operator' as const, displayName: 'Carl' },
  { email: 'dina@example.com', name: 'Dina Orlova', role: 'operator' as const, displayName: 'Dina' },
];

/** Passwords printed in our docs or typical of examples: never a production supervisor's. */
export const KNOWN_DEMO_PASSWORDS: readonly string[] = [
  DEMO_PASSWORD,
  'changeme',
  'change-me',
  'password',
  'admin123',
];
