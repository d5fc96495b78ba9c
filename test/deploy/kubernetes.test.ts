import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1/ServiceMonitor';
import { Deployment } from 'kubernetes-models/apps/v1/Deployment';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2/HorizontalPodAutoscaler';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1/PodDisruptionBudget';
import { ConfigMap } from 'kubernetes-models/v1/ConfigMap';
import { Service } from 'kubernetes-models/v1/Service';
import { describe, expect, it } from 'vitest';
import { parseAllDocuments } from 'yaml';
import { loadConfig } from '../../src/config/load-config.js';

const dir = fileURLToPath(new URL('../../deploy/kubernetes/', import.meta.url));

// The JSON schemas of Kubernetes 1.27 (kubernetes-models) and the Prometheus Operator's CRDs, offline.
const models = {
  'apps/v1 Deployment': Deployment,
  'v1 Service': Service,
  'v1 ConfigMap': ConfigMap,
  'policy/v1 PodDisruptionBudget': PodDisruptionBudget,
  'autoscaling/v2 HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'monitoring.coreos.com/v1 ServiceMonitor': ServiceMonitor,
} as const;

type Manifest = { apiVersion: string; kind: string; metadata: { name: string; labels?: Record<string, string> }; spec: any };

function manifests(): Array<{ file: string; doc: Manifest }> {
  return readdirSync(dir)
    .filter((file) => file.endsWith('.yaml') && file !== 'kustomization.yaml')
    .flatMap((file) => parseAllDocuments(readFileSync(dir + file, 'utf8')).map((doc) => ({ file, doc: doc.toJS() as Manifest })));
}

function validate(doc: Manifest): void {
  const Model = models[`${doc.apiVersion} ${doc.kind}` as keyof typeof models];
  if (!Model) throw new Error(`no schema for ${doc.apiVersion} ${doc.kind}`);
  new Model(doc as never).validate();
}

const deployment = () => manifests().find(({ doc }) => doc.kind === 'Deployment')!.doc;
const container = () => deployment().spec.template.spec.containers[0];
// lifeguard's configuration as the pod runs it: the container's env over the defaults, and the
// ConfigMap's file where LIFEGUARD_CONFIG points (its mount).
const podConfig = () => {
  const env: Record<string, string> = Object.fromEntries(container().env.filter((e: { value?: string }) => e.value !== undefined).map((e: { name: string; value: string }) => [e.name, e.value]));
  if (env.LIFEGUARD_CONFIG) {
    const configMap = manifests().find(({ doc }) => doc.kind === 'ConfigMap')!.doc as unknown as { data: Record<string, string> };
    const mount = container().volumeMounts.find((m: { name: string }) => m.name === 'config');
    expect(env.LIFEGUARD_CONFIG.startsWith(`${mount.mountPath}/`)).toBe(true);
    const path = join(mkdtempSync(join(tmpdir(), 'lifeguard-pod-')), 'lifeguard.yaml');
    writeFileSync(path, configMap.data[env.LIFEGUARD_CONFIG.slice(mount.mountPath.length + 1)]!);
    env.LIFEGUARD_CONFIG = path;
  }
  return loadConfig(container().args ?? [], env);
};

describe('deploy/kubernetes', () => {
  it('every manifest validates against the Kubernetes (or Prometheus Operator) JSON schema', () => {
    const all = manifests();
    expect(all.map(({ doc }) => doc.kind).sort()).toEqual(['ConfigMap', 'Deployment', 'HorizontalPodAutoscaler', 'PodDisruptionBudget', 'Service', 'ServiceMonitor']);
    for (const { file, doc } of all) expect(() => validate(doc), file).not.toThrow();
  });

  it('the schema check rejects a malformed manifest', () => {
    const broken = deployment();
    broken.spec.template.spec.terminationGracePeriodSeconds = '45';
    expect(() => validate(broken)).toThrow(/terminationGracePeriodSeconds/);
    const noContainers = deployment();
    delete noContainers.spec.template.spec.containers;
    expect(() => validate(noContainers)).toThrow(/containers/);
  });

  it('kustomization.yaml lists every manifest of the folder', () => {
    const kustomization = parseAllDocuments(readFileSync(dir + 'kustomization.yaml', 'utf8'))[0]!.toJS() as { kind: string; resources: string[] };
    expect(kustomization.kind).toBe('Kustomization');
    expect([...kustomization.resources].sort()).toEqual([...new Set(manifests().map(({ file }) => file))].sort());
  });

  it("probes reach /livez, /readyz on the port lifeguard listens on, and the pod's timing covers the drain and a worker's start", () => {
    const config = podConfig();
    const c = container();
    const http = c.ports.find((p: { name: string }) => p.name === 'http');
    expect(http.containerPort).toBe(config.port);
    expect(c.livenessProbe.httpGet).toEqual({ path: '/livez', port: 'http' });
    expect(c.readinessProbe.httpGet).toEqual({ path: '/readyz', port: 'http' });
    expect(c.startupProbe.httpGet.port).toBe('http');
    expect(['/livez', '/readyz']).toContain(c.startupProbe.httpGet.path);
    // The startup probe gives the first worker its start and its verification.
    expect(c.startupProbe.periodSeconds * c.startupProbe.failureThreshold * 1000).toBeGreaterThanOrEqual(config.startupTimeoutMs + config.verifyTimeoutMs);
    // SIGTERM comes after preStop; lifeguard then drains (bounded) and stops each worker tree (grace).
    const preStopSeconds = Number(c.lifecycle.preStop.exec.command[1]);
    expect(c.lifecycle.preStop.exec.command[0]).toBe('sleep');
    const grace = deployment().spec.template.spec.terminationGracePeriodSeconds;
    expect(grace * 1000).toBeGreaterThan(preStopSeconds * 1000 + config.drainTimeoutMs + config.stopGraceMs);
  });

  it('the ConfigMap holds a two-model configuration, mounted where LIFEGUARD_CONFIG points', () => {
    const models = podConfig().models!;
    expect(models.map((m) => [m.id, m.start])).toEqual([
      ['small', 'boot'],
      ['large', 'on_demand'],
    ]);
    expect(models.every((m) => m.config.workerCommand.includes('/app/workers/reference-worker.mjs'))).toBe(true);
  });

  it('runs non-root on a read-only root file system, with resources and a writable /tmp for the lock file', () => {
    const pod = deployment().spec.template.spec;
    const c = container();
    expect(pod.securityContext.runAsNonRoot).toBe(true);
    expect(pod.securityContext.runAsUser).toBeGreaterThan(0);
    expect(c.securityContext).toMatchObject({ readOnlyRootFilesystem: true, allowPrivilegeEscalation: false, capabilities: { drop: ['ALL'] } });
    expect(c.resources.requests).toBeDefined();
    expect(c.resources.limits.memory).toBeDefined();
    expect(c.volumeMounts.map((m: { mountPath: string }) => m.mountPath)).toContain('/tmp');
  });

  it('the Service, PodDisruptionBudget, autoscaler and ServiceMonitor point at the Deployment and its http port', () => {
    const byKind = Object.fromEntries(manifests().map(({ doc }) => [doc.kind, doc]));
    const labels = deployment().spec.template.metadata.labels;
    expect(byKind.Service!.spec.selector).toEqual(labels);
    expect(byKind.Service!.spec.ports[0].targetPort).toBe('http');
    expect(byKind.PodDisruptionBudget!.spec.selector.matchLabels).toEqual(labels);
    expect(byKind.HorizontalPodAutoscaler!.spec.scaleTargetRef).toMatchObject({ kind: 'Deployment', name: deployment().metadata.name });
    expect(byKind.ServiceMonitor!.spec.selector.matchLabels).toEqual(byKind.Service!.metadata.labels);
    expect(byKind.ServiceMonitor!.spec.endpoints[0]).toMatchObject({ port: 'http', path: '/metrics' });
  });
});
