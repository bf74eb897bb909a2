// The bench's own API-server client: the admin kubeconfig loaded once and one keep-alive agent,
// so 1,000 applies cost 1,000 requests and not 1,000 TLS handshakes and kubeconfig reads (the
// harness's kubeRequest does both per call, which is fine for tests and too slow to apply with).
import { Agent, request, type RequestOptions } from 'node:https';
import { KubeConfig } from '@kubernetes/client-node';
import { parseMetrics, type Sample } from './prom.js';

export interface KubeResponse {
  status: number;
  text: string;
}

export interface BenchKube {
  request(method: string, path: string, body?: string, contentType?: string): Promise<KubeResponse>;
  /** GET and parse JSON; throws on a status other than 200. */
  getJson<T>(path: string): Promise<T>;
  /** kube-apiserver's own /metrics. */
  metrics(): Promise<Sample[]>;
  close(): void;
}

export async function benchKube(kubeconfigPath: string, maxSockets = 64): Promise<BenchKube> {
  const config = new KubeConfig();
  config.loadFromFile(kubeconfigPath);
  const server = config.getCurrentCluster()?.server;
  if (!server) throw new Error(`${kubeconfigPath}: no current cluster`);
  const base: RequestOptions = {};
  await config.applyToHTTPSOptions(base);
  const agent = new Agent({ keepAlive: true, maxSockets, ca: base.ca, cert: base.cert, key: base.key, rejectUnauthorized: base.rejectUnauthorized });

  function call(method: string, path: string, body?: string, contentType = 'application/json'): Promise<KubeResponse> {
    const headers: Record<string, string> = { accept: 'application/json', ...(base.headers as Record<string, string> | undefined) };
    if (body !== undefined) {
      headers['content-type'] = contentType;
      headers['content-length'] = String(Buffer.byteLength(body));
    }
    return new Promise((resolve, reject) => {
      const req = request(new URL(path, server), { ...base, method, agent, headers }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, text: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      });
      req.on('error', reject);
      req.end(body);
    });
  }

  return {
    request: call,
    async getJson<T>(path: string): Promise<T> {
      const res = await call('GET', path);
      if (res.status !== 200) throw new Error(`GET ${path}: HTTP ${res.status}: ${res.text.slice(0, 300)}`);
      return JSON.parse(res.text) as T;
    },
    async metrics() {
      const res = await call('GET', '/metrics');
      if (res.status !== 200) throw new Error(`GET /metrics: HTTP ${res.status}`);
      return parseMetrics(res.text);
    },
    close: () => agent.destroy(),
  };
}
