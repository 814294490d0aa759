// A throwaway certificate authority and a loopback server certificate, made with openssl.
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run } from './proc.js';

/** Files and PEM text of a generated CA and a server certificate signed by it. */
export interface TestCertificates {
  /** CA certificate (PEM file) that clients must trust. */
  caFile: string;
  caPem: string;
  /** Server certificate (PEM) for 127.0.0.1, ::1 and localhost. */
  certFile: string;
  /** The server's private key (PEM, unencrypted). */
  keyFile: string;
}

/** Generates a P-256 CA and a server certificate (SANs 127.0.0.1, ::1, localhost) into `dir`. */
export async function makeTestCertificates(dir: string): Promise<TestCertificates> {
  const caKey = join(dir, 'ca.key');
  const caFile = join(dir, 'ca.pem');
  const keyFile = join(dir, 'server.key');
  const csr = join(dir, 'server.csr');
  const certFile = join(dir, 'server.pem');
  const ext = join(dir, 'server.ext');
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
  await run('openssl', ['req', '-x509', ...ec, '-keyout', caKey, '-out', caFile, '-days', '3650',
    '-subj', '/CN=tdock-testkit CA', '-addext', 'basicConstraints=critical,CA:TRUE',
    '-addext', 'keyUsage=critical,keyCertSign,cRLSign']);
  await run('openssl', ['req', ...ec, '-keyout', keyFile, '-out', csr, '-subj', '/CN=127.0.0.1']);
  await writeFile(ext, [
    'subjectAltName=IP:127.0.0.1,IP:::1,DNS:localhost',
    'basicConstraints=critical,CA:FALSE',
    'keyUsage=critical,digitalSignature,keyEncipherment',
    'extendedKeyUsage=serverAuth',
    '',
  ].join('\n'));
  await run('openssl', ['x509', '-req', '-in', csr, '-CA', caFile, '-CAkey', caKey, '-set_serial',
    `0x${Date.now().toString(16)}`, '-days', '3650', '-out', certFile, '-extfile', ext]);
  return { caFile, caPem: await readFile(caFile, 'utf8'), certFile, keyFile };
}
