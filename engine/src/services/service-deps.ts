import type { DialogReader } from '../dialog/dialog-reader';
import type { DialogService } from '../dialog/dialog-service';
import type { Metrics } from '../metrics/metrics';
import type { RoutingDecisions } from '../routing-config/routing-decisions';
import type { RoutingStore } from '../routing-store/routing-store';
import type { DialogRepository } from '../storage/dialog-repository';

/** What every use-case service is built on. */
export interface ServiceDeps {
  repo: DialogRepository;
  dialogs: DialogService;
  reader: DialogReader;
  store: RoutingStore;
  decisions: () => RoutingDecisions;
  metrics: Metrics;
  clock: () => number;
}
