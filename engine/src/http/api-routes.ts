import { Router } from 'express';
import { z } from 'zod';
import type { AuthService } from '../accounts/auth-service';
import type { Authorization } from '../accounts/authorization';
import type { DialogReader } from '../dialog/dialog-reader';
import { passwordSchema } from '../accounts/passwords';
import { badRequest, notFound } from '../errors';
import { plainString } from '@hotline/protocol';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import {
  CONFIG_PARTS,
  type ConfigPart,
  type RoutingConfigService,
} from '../routing-config/routing-config-service';
import type { AccountService } from '../services/account-service';
import type { OperatorService } from '../services/operator-service';
import type { QuickReplyService } from '../services/quick-reply-service';
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
const QuickReplyOrderSchema = z.object({ ids: z.array(z.uuid('must be a quick reply id')).max(1000) });
const PreviewSchema = z.object({
  groupId: plainString().min(1),
  kind: z.enum(['offline-reply', 'contact-thanks', 'unanswered', 'queue-position', 'queue-offer-contact']),
  locale: plainString().min(2).max(35).default('en'),
});

/** The use cases the REST API calls. */
export interface ApiUseCases {
  auth: AuthService;
  routingConfig: RoutingConfigService;
  decisions: () => RoutingDecisions;
  accounts: AccountService;
  operators: OperatorService;
  reader: DialogReader;
  access: Authorization;
  quickReplies: QuickReplyService;
  eraseVisitor: (visitorId: string) => Promise<{ dialogs: number; files: number }>;
  /** Whether someone is online in a group open now (the widget's greeting). */
  someoneAvailable: () => Promise<boolean>;
}

/** The REST API: public site config, supervisors' routing config and accounts, operators' quick replies. */
export function apiRoutes(useCases: ApiUseCases): Router {
  const router = Router();
  const {
    auth,
    routingConfig,
    decisions,
    accounts: accountService,
    operators,
    reader,
    access,
    quickReplies,
  } = useCases;
  const supervisor = requireOperator(auth, 'supervisor');
  const operator = requireOperator(auth);

  // `available`: someone online in a group open now, so the widget's greeting never says "we are
  // online" to nobody (short cache: presence changes).
  router.get('/api/sites/:siteId/widget', async (req, res) => {
    const site = decisions().site(req.params.siteId);
    if (!site) throw notFound(`site ${req.params.siteId}`);
    const available = await useCases.someoneAvailable();
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
    res.json({ data: await accountService.list() });
  });

  router.post('/api/operators', supervisor, async (req, res) => {
    const created = await accountService.create(req.operator!, parse(OperatorCreateSchema, req.body));
    res.status(201).json({ data: created });
  });

  router.patch('/api/operators/:id', supervisor, async (req, res) => {
    const id = uuidParam(req);
    const patch = parse(OperatorPatchSchema, req.body);
    res.json({ data: await accountService.update(req.operator!, req.operatorSession!, id, patch) });
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
    res.json({ data: await useCases.eraseVisitor(uuidParam(req)) });
  });

  router.get('/api/dashboard', supervisor, async (_req, res) => {
    res.json({ data: await operators.dashboard() });
  });

  router.get('/api/quick-replies', operator, async (req, res) => {
    res.json({ data: await quickReplies.list(req.operator!) });
  });

  router.post('/api/quick-replies', operator, async (req, res) => {
    res
      .status(201)
      .json({ data: await quickReplies.create(req.operator!, parse(QuickReplySchema, req.body)) });
  });

  // Before `/:id`: `order` is not an id.
  router.put('/api/quick-replies/order', operator, async (req, res) => {
    const { ids } = parse(QuickReplyOrderSchema, req.body);
    res.json({ data: await quickReplies.reorder(req.operator!, ids) });
  });

  router.delete('/api/quick-replies/:id', operator, async (req, res) => {
    await quickReplies.delete(req.operator!, uuidParam(req));
    res.json({ data: null });
  });

  return router;
}

/**
 * A deactivation or a role change ends every session of his at once (sockets too, on every node); a
 * password reset as well, except the session of a supervisor resetting his own.
 */
function partOf(value: string): ConfigPart {
  if (!CONFIG_PARTS.includes(value as ConfigPart)) {
    throw badRequest(`unknown part ${value}; one of ${CONFIG_PARTS.join(', ')}`, 'collection');
  }
  return value as ConfigPart;
}
