// Every Prometheus metric the operator exports, in one registry. Components receive this
// object and record into it; /metrics serves `registry`. Gauges that describe cluster state
// (runs by phase, pool capacity) are filled from the informer caches at scrape time.
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

const durationBuckets = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const runBuckets = [1, 5, 10, 30, 60, 120, 300, 600, 1200, 1800, 3600, 7200];

export class Metrics {
  readonly registry = new Registry();

  readonly reconciles = new Counter({
    name: 'furrow_reconcile_total',
    help: 'Reconciles by controller and result (success, error, requeue).',
    labelNames: ['controller', 'result'] as const,
    registers: [this.registry],
  });
  readonly reconcileErrors = new Counter({
    name: 'furrow_reconcile_errors_total',
    help: 'Reconciles that failed and were retried with backoff.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly reconcileDuration = new Histogram({
    name: 'furrow_reconcile_duration_seconds',
    help: 'Time spent in one reconcile.',
    labelNames: ['controller'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'furrow_workqueue_depth',
    help: 'Keys waiting in the work queue.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueAdds = new Counter({
    name: 'furrow_workqueue_adds_total',
    help: 'Keys added to the work queue (coalesced adds not counted).',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  readonly queueWait = new Histogram({
    name: 'furrow_workqueue_wait_seconds',
    help: 'Time a key waited in the queue before a worker took it.',
    labelNames: ['controller'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly queueRetries = new Counter({
    name: 'furrow_workqueue_retries_total',
    help: 'Rate-limited requeues after errors.',
    labelNames: ['controller'] as const,
    registers: [this.registry],
  });
  /** Set by the operator once its caches exist: counts runs by phase at scrape time. */
  runPhaseCounts: () => Record<string, number> = () => ({});
  readonly runsByPhase: Gauge<'phase'> = new Gauge({
    name: 'furrow_pipelineruns',
    help: 'PipelineRuns in the cache by phase (New: not yet reconciled).',
    labelNames: ['phase'] as const,
    registers: [this.registry],
    collect: () => {
      this.runsByPhase.reset();
      for (const [phase, n] of Object.entries(this.runPhaseCounts())) this.runsByPhase.set({ phase }, n);
    },
  });
  readonly runDuration = new Histogram({
    name: 'furrow_pipelinerun_duration_seconds',
    help: 'From admission to the final phase, for runs that finished.',
    labelNames: ['pool', 'phase'] as const,
    buckets: runBuckets,
    registers: [this.registry],
  });
  readonly runQueueWait = new Histogram({
    name: 'furrow_pipelinerun_queue_wait_seconds',
    help: 'From creation to admission.',
    labelNames: ['pool'] as const,
    buckets: [0.1, 0.5, 1, 5, 10, 30, 60, 300, 900, 1800, 3600],
    registers: [this.registry],
  });
  readonly poolNodes = new Gauge({
    name: 'furrow_nodepool_nodes',
    help: 'Member nodes of a pool.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });
  readonly poolReadyNodes = new Gauge({
    name: 'furrow_nodepool_ready_nodes',
    help: 'Ready member nodes of a pool.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });
  readonly poolCapacity = new Gauge({
    name: 'furrow_nodepool_capacity',
    help: 'Runs the pool can hold now.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });
  readonly poolRunning = new Gauge({
    name: 'furrow_nodepool_running_runs',
    help: 'Admitted, unfinished runs of a pool.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });
  readonly poolQueued = new Gauge({
    name: 'furrow_nodepool_queued_runs',
    help: 'Runs waiting for room in a pool.',
    labelNames: ['pool'] as const,
    registers: [this.registry],
  });
  readonly apiRequests = new Counter({
    name: 'furrow_api_requests_total',
    help: 'Requests to the Kubernetes API by verb, resource and HTTP status code.',
    labelNames: ['verb', 'resource', 'code'] as const,
    registers: [this.registry],
  });
  readonly apiRequestDuration = new Histogram({
    name: 'furrow_api_request_duration_seconds',
    help: 'Latency of requests to the Kubernetes API (watches excluded).',
    labelNames: ['verb', 'resource'] as const,
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly informerRestarts = new Counter({
    name: 'furrow_informer_restarts_total',
    help: 'Informers restarted after a list or watch error.',
    labelNames: ['kind'] as const,
    registers: [this.registry],
  });
  readonly informerEvents = new Counter({
    name: 'furrow_informer_events_total',
    help: 'Objects added, updated and deleted as seen by the informers.',
    labelNames: ['kind', 'type'] as const,
    registers: [this.registry],
  });
  readonly leader = new Gauge({
    name: 'furrow_leader',
    help: '1 while this process holds the leader Lease (or runs without leader election).',
    registers: [this.registry],
  });

  // The log archive (ADR 12).
  readonly logArchives = new Counter({
    name: 'furrow_log_archives_total',
    help: 'Attempts whose logs were copied to the object store, by result (archived, failed, late: released at the deadline unarchived).',
    labelNames: ['result'] as const,
    registers: [this.registry],
  });
  readonly logArchiveFailures = new Counter({
    name: 'furrow_log_archive_failures_total',
    help: 'Failed archive tries, by reason (the store: unavailable, credentials, bucket, full; logs: the API server could not give them; other); each is retried.',
    labelNames: ['reason'] as const,
    registers: [this.registry],
  });
  readonly logArchiveBytes = new Counter({
    name: 'furrow_log_archive_bytes_total',
    help: 'Log bytes written to the object store.',
    registers: [this.registry],
  });
  readonly logArchiveRequests = new Counter({
    name: 'furrow_log_archive_requests_total',
    help: 'Requests the archiver made, by target (kubernetes: pod log reads; store: object writes and reads).',
    labelNames: ['target'] as const,
    registers: [this.registry],
  });
  readonly logArchiveDuration = new Histogram({
    name: 'furrow_log_archive_duration_seconds',
    help: "Time to copy one attempt's logs.",
    buckets: durationBuckets,
    registers: [this.registry],
  });
  readonly logArchivesInFlight = new Gauge({
    name: 'furrow_log_archives_in_flight',
    help: 'Attempts being copied now (at most --archive-concurrency).',
    registers: [this.registry],
  });

  constructor({ processMetrics = true }: { processMetrics?: boolean } = {}) {
    if (processMetrics) collectDefaultMetrics({ register: this.registry });
  }
}
