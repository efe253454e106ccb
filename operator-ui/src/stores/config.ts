import { defineStore } from 'pinia';
import { computed, ref } from 'vue';
import { ApiError, api } from '../api/http';
import { type ErrorDetail, type FieldErrors, mapErrorDetails, partIndex } from '../lib/error-paths';
import {
  type ConfigVersion,
  type GroupConfig,
  type RoutingConfigShape,
  unansweredThreshold,
} from '../lib/routing-config';
import { DEFAULT_UNANSWERED_SECONDS } from '../lib/urgency';
import { useSessionStore } from './session';

export type Part = 'groups' | 'topics' | 'regions' | 'operators' | 'sites' | 'rules';

export type SaveResult = { ok: true } | { ok: false; message: string; errors: FieldErrors };

/** What GET /api/groups tells every operator about the groups (the full config is supervisors' only). */
export interface GroupBrief {
  id: string;
  name: string;
  unansweredSeconds?: number;
}

/**
 * The supervisors' routing config. Operators cannot read it: for them the groups' names and unanswered
 * thresholds come from GET /api/groups.
 */
export const useConfigStore = defineStore('config', () => {
  const current = ref<ConfigVersion | null>(null);
  const loading = ref(false);
  const error = ref<string | null>(null);

  const config = computed<RoutingConfigShape | null>(() => current.value?.config ?? null);
  const groups = computed<GroupConfig[]>(() => config.value?.groups ?? []);
  const briefs = ref<GroupBrief[]>([]);
  /** The groups a dialog can be transferred to, for supervisors and operators alike. */
  const groupChoices = computed<GroupBrief[]>(() =>
    groups.value.length > 0
      ? groups.value.map((g) => ({ id: g.id, name: g.name }))
      : briefs.value.map(({ id, name }) => ({ id, name })),
  );

  async function loadBriefs() {
    try {
      briefs.value = await api<GroupBrief[]>('GET', '/api/groups');
    } catch {
      // Names fall back to ids; a transfer may still be typed by id.
    }
  }

  async function load(force = false) {
    if (!useSessionStore().isSupervisor) {
      if (briefs.value.length === 0 || force) await loadBriefs();
      return;
    }
    if (current.value && !force) return;
    loading.value = true;
    try {
      current.value = await api<ConfigVersion>('GET', '/api/routing-config');
      error.value = null;
    } catch (e) {
      error.value = (e as Error).message;
    } finally {
      loading.value = false;
    }
  }

  /**
   * Saves one part with PUT /api/routing-config/:part/:id. On a 400 the whole-config error paths are
   * mapped to the part's fields (its index in the collection, or the end when it is new).
   */
  async function savePart(part: Part, id: string, body: object): Promise<SaveResult> {
    const items = (
      (config.value?.[part] as { id?: string; operatorEmail?: string }[] | undefined) ?? []
    ).slice();
    const key = part === 'operators' ? 'operatorEmail' : 'id';
    const index = partIndex(items, (item) => item[key] === id);
    try {
      current.value = await api<ConfigVersion>(
        'PUT',
        `/api/routing-config/${part}/${encodeURIComponent(id)}`,
        body,
      );
      return { ok: true };
    } catch (e) {
      return failure(e, `${part}.${index}`);
    }
  }

  async function deletePart(part: Part, id: string): Promise<SaveResult> {
    try {
      current.value = await api<ConfigVersion>(
        'DELETE',
        `/api/routing-config/${part}/${encodeURIComponent(id)}`,
      );
      return { ok: true };
    } catch (e) {
      return failure(e, '');
    }
  }

  function failure(e: unknown, prefix: string): SaveResult {
    if (e instanceof ApiError) {
      const details: ErrorDetail[] =
        e.details.length > 0 ? e.details : e.field ? [{ path: e.field, message: e.message }] : [];
      return { ok: false, message: e.message, errors: mapErrorDetails(details, prefix) };
    }
    return { ok: false, message: (e as Error).message, errors: { fields: {}, other: [] } };
  }

  function groupName(groupId: string | null): string {
    if (!groupId) return '—';
    return groupChoices.value.find((g) => g.id === groupId)?.name ?? groupId;
  }

  function thresholdOf(groupId: string | null): number {
    const brief = briefs.value.find((g) => g.id === groupId)?.unansweredSeconds;
    return (
      unansweredThreshold(groups.value.find((g) => g.id === groupId)) ??
      (brief && brief > 0 ? brief : DEFAULT_UNANSWERED_SECONDS)
    );
  }

  async function preview(
    groupId: string,
    kind: string,
    locale: string,
  ): Promise<{ text: string; authorName: string }> {
    return api('POST', '/api/routing-config/preview', { groupId, kind, locale });
  }

  return {
    current,
    config,
    groups,
    groupChoices,
    loading,
    error,
    load,
    savePart,
    deletePart,
    groupName,
    thresholdOf,
    preview,
  };
});
