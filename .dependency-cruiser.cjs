/**
 * The layers, checked by `npm run lint` (`npm run lint:layers`). Type-only imports count too: a type
 * pulled from the wrong layer couples the code as much as a value does.
 *
 *   routing-rules   pure decisions: imports nothing of ours and no I/O
 *   protocol        the realtime contract: routing-rules only
 *   client          the UIs' core: protocol and routing-rules only
 *   widget, console client, protocol and routing-rules only (never each other, never the engine)
 *   engine          http, realtime → services → dialog, routing-store, storage (never upward)
 */
/** Node's I/O modules and the clients of servers: what a pure layer must not reach. */
const IO_MODULES = [
  '^node:',
  '^(fs|fs/promises|net|http|https|http2|child_process|dgram|dns|tls|cluster|worker_threads|os|readline)$',
  '(^|/)node_modules/(ioredis|pg|knex|knex-pglite|@electric-sql/pglite|redlock|socket\\.io|socket\\.io-client|express|@aws-sdk/[^/]+|pino|nodemailer)/',
];

const UIS = '^(widget|operator-ui)/';

/** A layer rule: nothing matched by `from` may import a path in `to`. */
const layer = (name, comment, from, to) => ({ name, severity: 'error', comment, from, to: { path: to } });

module.exports = {
  forbidden: [
    {
      name: 'no-circular',
      severity: 'error',
      comment: 'No import cycles anywhere.',
      from: {},
      to: { circular: true },
    },
    layer(
      'routing-rules-pure',
      'routing-rules imports nothing of ours and no I/O (its CLI entry reads files: the one edge).',
      { path: '^routing-rules/src/', pathNot: '^routing-rules/src/cli\\.ts$' },
      ['^(protocol|client|engine|widget|operator-ui)/', ...IO_MODULES],
    ),
    layer(
      'protocol-on-routing-rules-only',
      'The protocol is a contract: it may name routing-rules vocabulary, nothing else of ours, no I/O.',
      { path: '^protocol/src/' },
      ['^(client|engine|widget|operator-ui)/', ...IO_MODULES],
    ),
    layer(
      'client-core-below-the-uis',
      'The client core serves both UIs: it never imports a UI or the engine.',
      { path: '^client/src/' },
      ['^(engine|widget|operator-ui)/'],
    ),
    {
      name: 'uis-not-each-other',
      severity: 'error',
      comment: 'Neither UI imports the other: what both need lives in client/.',
      from: { path: UIS },
      to: { path: UIS, pathNot: '^$1/' },
    },
    layer('uis-not-engine', 'The UIs reach the engine through the protocol, never its code.', { path: UIS }, [
      '^engine/',
    ]),
    layer(
      'services-not-up',
      'Services do not know their callers (http, realtime).',
      { path: '^engine/src/services/' },
      ['^engine/src/(http|realtime)/'],
    ),
    layer(
      'domain-not-up',
      'dialog, routing-store and storage sit below the services and the edges.',
      { path: '^engine/src/(dialog|routing-store|storage)/' },
      ['^engine/src/(services|http|realtime)/'],
    ),
  ],
  options: {
    doNotFollow: { path: 'node_modules' },
    exclude: { path: ['(^|/)dist/', '(^|/)node_modules/\\.vite/'] },
    tsPreCompilationDeps: true,
    tsConfig: { fileName: 'tsconfig.depcruise.json' },
    enhancedResolveOptions: {
      exportsFields: ['exports'],
      conditionNames: ['import', 'require', 'node', 'default', 'types'],
      extensions: ['.ts', '.js', '.vue', '.json'],
      mainFields: ['module', 'main', 'types'],
    },
    reporterOptions: { text: { highlightFocused: true } },
  },
};
