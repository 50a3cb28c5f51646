// Types the browser code uses in its JSDoc: the stream's shapes, straight from the server code.
export type { ChartPoint, DashboardSample, DashboardState } from '../sample.js';
export type { TimelineEvent } from '../timeline.js';
export type { MemberStatus } from '../../api/wire.js';
export type { WorkerView } from '../../tasks/index.js';
export type { DashboardJob } from '../source.js';
