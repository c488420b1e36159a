// nginx serving registry paths as static files: the ceiling a registry's GET could reach on this
// machine for the same bytes. It answers `GET /v2/` (readiness), one manifest by tag and blobs by
// digest with the headers a registry sends (Content-Type, Content-Length, Docker-Content-Digest),
// from its own prefix (config, pid, logs, temp files), never the system's.
import { spawnSync } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { freePort, startRegistry, type RegistryProcess } from './processes.js';

export const NGINX = '/usr/sbin/nginx';

/** The one manifest the site serves: at /v2/<repo>/manifests/<tag>, file <root>/v2/<repo>/manifests/<tag>. */
export interface StaticManifest {
  readonly repo: string;
  readonly tag: string;
  readonly mediaType: string;
  readonly digest: string;
}

function nginxConfig(port: number, prefix: string, root: string, manifest: StaticManifest): string {
  const common = ['add_header Docker-Distribution-Api-Version registry/2.0;'];
  return `daemon off;
master_process on;
# One worker per core, as nginx is usually run.
worker_processes auto;
${process.getuid?.() === 0 ? 'user root;  # the workers read files under 0700 temp directories' : ''}
pid ${prefix}/nginx.pid;
error_log ${prefix}/error.log warn;
events { worker_connections 4096; }
http {
  access_log off;
  server_tokens off;
  sendfile on;
  tcp_nopush on;
  tcp_nodelay on;
  # A registry's connections stay open as long as the client wants: no request cap either.
  keepalive_requests 1000000;
  keepalive_timeout 75s;
  client_body_temp_path ${prefix}/client-body;
  proxy_temp_path ${prefix}/proxy;
  fastcgi_temp_path ${prefix}/fastcgi;
  uwsgi_temp_path ${prefix}/uwsgi;
  scgi_temp_path ${prefix}/scgi;
  server {
    listen 127.0.0.1:${port};
    root ${root};
    location = /v2/ {
      default_type application/json;
      ${common.join(' ')}
      return 200 '{}';
    }
    location = /v2/${manifest.repo}/manifests/${manifest.tag} {
      types { }
      default_type ${manifest.mediaType};
      ${common.join(' ')}
      add_header Docker-Content-Digest ${manifest.digest};
    }
    location ~ "^/v2/.+/blobs/(sha256:[0-9a-f]{64})$" {
      types { }
      default_type application/octet-stream;
      ${common.join(' ')}
      add_header Docker-Content-Digest $1;
    }
    location / { return 404; }
  }
}
`;
}

/**
 * nginx (daemon off, its own config under `prefix`) serving `root` on a free port. Peak RSS and
 * CPU at stop are the master's plus its workers' (read before they exit).
 */
export async function startNginx(prefix: string, root: string, manifest: StaticManifest, name = 'nginx'): Promise<RegistryProcess> {
  await mkdir(prefix, { recursive: true });
  const port = await freePort();
  const config = join(prefix, `${name}.conf`);
  await writeFile(config, nginxConfig(port, prefix, root, manifest));
  // startRegistry's stop counts the workers (children) with the master.
  return startRegistry({ name, command: NGINX, args: ['-e', 'stderr', '-p', prefix, '-c', config], cwd: prefix, port, logFile: join(prefix, `${name}.log`) });
}

/** e.g. "1.22.1" (nginx prints its version on stderr). */
export function nginxVersion(): string {
  const { stdout, stderr } = spawnSync(NGINX, ['-v'], { encoding: 'utf8' });
  const out = `${stdout ?? ''}${stderr ?? ''}`;
  return /nginx\/(\S+)/.exec(out)?.[1] ?? (out.trim() || 'unknown');
}
