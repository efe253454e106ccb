import { randomUUID } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { AuthService, OperatorSession } from '../accounts/auth-service';
import type { Operator } from '../accounts/operator-repository';
import { passwordSchema } from '../accounts/passwords';
import { AppError, badRequest, notFound } from '../errors';
import { plainString } from '@hotline/protocol';
import { CONFIG_PARTS, type ConfigPart } from '../routing-config/routing-config-service';
import type { Engine } from '../server';
import { eraseVisitor } from '../services/visitor-erasure';
import { parse, requireOperator } from './middleware';
import { configItemParam, uuidParam, versionParam } from './request-guards';

const ReplaceConfigSchema = z.object({ config: z.unknown(), comment: plainString().max(500).optional() });
const OperatorCreateSchema = z.object({
  email: z.email('not an e-mail address'),
  name: plainString().trim().min(1, 'required').max(120),
  displayName: plainString().trim().max(120).optional(),
  password: passwordSchema(8),
  role: z.enum(['operator', 'supervisor']).default('operator'),
});
const OperatorPatchSchema = z.object({
  name: plainString().trim().min(1).max(120).optional(),
  displayName: plainString().trim().max(120).nullable().optional(),
  avatarUrl: plainString().max(2048).nullable().optional(),
  role: z.enum(['operator', 'supervisor']).optional(),
  active: z.boolean().optional(),
  password: passwordSchema(8).optional(),
});
const QuickReplySchema = z.object({
  shortcut: plainString().trim().min(1, 'required').max(40),
  title: plainString().trim().min(1, 'required').max(120),
  body: plainString().trim().min(1, 'required').max(4000),
  groupId: plainString().max(64).optional(),
});
const PreviewSchema = z.object({
  groupId: plainString().min(1),
  kind: z.enum(['offline-reply', 'contact-thanks', 'unanswered', 'queue-position', 'queue-offer-contact']),
  locale: plainString().min(2).max(35).default('en'),
});

/** The REST API: public site config, supervisors' routing config and accounts, operators' quick replies. */
export function apiRoutes(engine: Engine): Router {
  const router = Router();
  const { auth, routingConfig, decisions, operatorsRepo, operators, reader, database, access } = engine;
  const supervisor = requireOperator(auth, 'supervisor');
  const operator = requireOperator(auth);

  // `available`: someone online in a group open now, so the widget's greeting never says "we are
  // online" to nobody (short cache: presence changes).
  router.get('/api/sites/:siteId/widget', async (req, res) => {
    const site = decisions().site(req.params.siteId);
    if (!site) throw notFound(`site ${req.params.siteId}`);
    const now = Date.now();
    const available = (await engine.store.listOperators()).some(
      (o) => o.status === 'online' && o.groups.some((g) => decisions().policy.groupOpen(g.groupId, now)),
    );
    res.setHeader('Cache-Control', 'public, max-age=15');
    res.json({ data: { ...site, available } });
  });

  // What operators need of the config: group names for transfers and thresholds for urgency.
  router.get('/api/groups', operator, (_req, res) => {
    const { config } = routingConfig.current();
    res.json({
      data: config.groups.map((g) => ({
        id: g.id,
        name: g.name,
        unansweredSeconds: g.thresholds.unansweredSeconds,
        offerMode: g.offerMode.enabled,
      })),
    });
  });

  router.get('/api/routing-config', supervisor, (_req, res) => {
    res.json({ data: routingConfig.current() });
  });

  router.put('/api/routing-config', supervisor, async (req, res) => {
    const body = parse(ReplaceConfigSchema, req.body);
    const saved = await routingConfig.replace(body.config, {
      authorId: req.operator!.id,
      comment: body.comment ?? null,
    });
    res.json({ data: saved });
  });

  router.get('/api/routing-config/versions', supervisor, async (_req, res) => {
    res.json({ data: await routingConfig.history() });
  });

  router.get('/api/routing-config/versions/:version', supervisor, async (req, res) => {
    const version = await routingConfig.version(versionParam(req));
    if (!version) throw notFound('config version');
    res.json({ data: version });
  });

  // Edit one part (a group, an operator's profile, a topic...): the whole config is re-validated.
  router.put('/api/routing-config/:part/:id', supervisor, async (req, res) => {
    const { saved, created } = await routingConfig.replacePart(
      partOf(String(req.params.part)),
      configItemParam(req),
      req.body,
      req.operator!.id,
    );
    res.status(created ? 201 : 200).json({ data: saved });
  });

  router.delete('/api/routing-config/:part/:id', supervisor, async (req, res) => {
    res.json({
      data: await routingConfig.removePart(
        partOf(String(req.params.part)),
        configItemParam(req),
        req.operator!.id,
      ),
    });
  });

  router.post('/api/routing-config/preview', supervisor, (req, res) => {
    const input = parse(PreviewSchema, req.body);
    if (!decisions().hasGroup(input.groupId)) throw badRequest(`unknown group ${input.groupId}`, 'groupId');
    res.json({
      data: decisions().autoMessage(input.groupId, input.kind, input.locale, {
        visitorName: 'Maria',
        operatorName: 'Anna',
        position: 3,
        etaMinutes: 4,
      }),
    });
  });

  router.get('/api/operators', operator, async (_req, res) => {
    res.json({ data: await operatorsRepo.list() });
  });

  router.post('/api/operators', supervisor, async (req, res) => {
    const input = parse(OperatorCreateSchema, req.body);
    if (await operatorsRepo.findByEmailWithHash(input.email))
      throw new AppError('conflict', 'an operator with this e-mail exists', 'email');
    const created = await operatorsRepo.create(input);
    await audit(req.operator!.id, 'operator.created', created.id, {
      email: created.email,
      role: created.role,
    });
    await engine.routingState.syncOperators();
    res.status(201).json({ data: created });
  });

  router.patch('/api/operators/:id', supervisor, async (req, res) => {
    const id = uuidParam(req);
    const patch = parse(OperatorPatchSchema, req.body);
    const before = await operatorsRepo.findById(id);
    const updated = await operatorsRepo.update(id, patch);
    if (!before || !updated) throw notFound('operator');
    const { password: _password, ...logged } = patch;
    await audit(req.operator!.id, 'operator.updated', updated.id, logged);
    if (patch.active === false) await operators.setPresence(updated, 'offline', { atOnce: true });
    await revokeSessionsAfterPatch(auth, before, updated, patch.password !== undefined, req.operatorSession!);
    res.json({ data: updated });
  });

  router.get('/api/dialogs', supervisor, async (_req, res) => {
    res.json({ data: await operators.allOpen() });
  });

  router.get('/api/dialogs/:id', operator, async (req, res) => {
    res.json({ data: await operators.open(req.operator!, uuidParam(req)) });
  });

  router.get('/api/visitors/:id', operator, async (req, res) => {
    const visitorId = uuidParam(req);
    await access.requireVisitorReadable(req.operator!, visitorId);
    res.json({ data: await reader.visitorCard(visitorId) });
  });

  router.delete('/api/visitors/:id', supervisor, async (req, res) => {
    res.json({ data: await eraseVisitor({ repo: engine.repo, files: engine.files }, uuidParam(req)) });
  });

  router.get('/api/dashboard', supervisor, async (_req, res) => {
    res.json({ data: await operators.dashboard() });
  });

  router.get('/api/quick-replies', operator, async (req, res) => {
    const rows = await database
      .db('quick_replies')
      .where({ operator_id: req.operator!.id })
      .orWhereNull('operator_id')
      .orderBy('shortcut');
    res.json({ data: rows.map(toQuickReply) });
  });

  router.post('/api/quick-replies', operator, async (req, res) => {
    const input = parse(QuickReplySchema, req.body);
    // Group-wide replies (no owner) are a supervisor's to write.
    const shared = Boolean(input.groupId) && req.operator!.role === 'supervisor';
    const row = {
      id: randomUUID(),
      operator_id: shared ? null : req.operator!.id,
      group_id: input.groupId ?? null,
      shortcut: input.shortcut,
      title: input.title,
      body: input.body,
    };
    await database.db('quick_replies').insert(row);
    res.status(201).json({ data: toQuickReply(row) });
  });

  router.delete('/api/quick-replies/:id', operator, async (req, res) => {
    const query = database.db('quick_replies').where({ id: uuidParam(req) });
    if (req.operator!.role !== 'supervisor') query.andWhere({ operator_id: req.operator!.id });
    const deleted = await query.delete();
    if (deleted === 0) throw notFound('quick reply');
    res.json({ data: null });
  });

  return router;

  async function audit(actorId: string, action: string, target: string, details: unknown) {
    await database
      .db('audit_log')
      .insert({ actor_id: actorId, action, target, details: JSON.stringify(details) });
  }
}

/**
 * A deactivation or a role change ends every session of his at once (sockets too, on every node); a
 * password reset as well, except the session of a supervisor resetting his own.
 */
async function revokeSessionsAfterPatch(
  auth: AuthService,
  before: Operator,
  after: Operator,
  passwordReset: boolean,
  by: OperatorSession,
) {
  if (before.active && !after.active) await auth.revokeAll(after.id, 'deactivated');
  else if (before.role !== after.role) await auth.revokeAll(after.id, 'role-changed');
  else if (passwordReset)
    await auth.revokeAll(after.id, 'password-changed', after.id === by.operatorId ? by.sessionId : undefined);
}

function partOf(value: string): ConfigPart {
  if (!CONFIG_PARTS.includes(value as ConfigPart)) {
    throw badRequest(`unknown part ${value}; one of ${CONFIG_PARTS.join(', ')}`, 'collection');
  }
  return value as ConfigPart;
}

function toQuickReply(row: {
  id: string;
  operator_id: string | null;
  group_id: string | null;
  shortcut: string;
  title: string;
  body: string;
}) {
  return {
    id: row.id,
    scope: row.operator_id ? 'personal' : 'group',
    groupId: row.group_id,
    shortcut: row.shortcut,
    title: row.title,
    body: row.body,
  };
}
