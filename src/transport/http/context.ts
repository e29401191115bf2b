import type { CaptureService } from '../../services/capture/capture-service.js';
import type { NodeHandles, ReadServices } from '../../services/read-services.js';

/** What every API module receives: one node, its store and configuration, and the services over them. */
export interface AppContext extends NodeHandles {
  /** Set by createApp: the one capture pipeline shared by REST and GraphQL. */
  capture?: CaptureService;
  /** Set by createApp: the read services every read surface calls. */
  reads?: ReadServices;
}
