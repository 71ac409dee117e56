/**
 * Container image references: `ghcr.io/acme/checkout:1.4.3`, `localhost:5000/app:1.2`,
 * `nginx@sha256:<64 hex>`. A release names a version, so parseImage requires a tag
 * or a digest; `imageRepository` reads references without one (a paws.yaml
 * container may say just `nginx`).
 *
 * Follows the grammar of distribution/reference (what docker and kubelet accept),
 * minus what a release never needs (IPv6 registries, digest algorithms other than
 * sha256 and sha512).
 */
import { InvalidRequestError } from '../errors.js';

export interface ImageParts {
  /** Registry and path, e.g. `ghcr.io/acme/checkout` or `localhost:5000/app`. */
  repository: string;
  tag?: string;
  digest?: string;
}

const EXAMPLE = 'ghcr.io/acme/checkout:1.4.3';
const DOMAIN = /^(?:[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)(?:\.[a-zA-Z0-9](?:[a-zA-Z0-9-]*[a-zA-Z0-9])?)*(?::[0-9]+)?$/;
const PATH_COMPONENT = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$/;
const TAG = /^[\w][\w.-]{0,127}$/;
const DIGEST = /^(?:sha256:[a-f0-9]{64}|sha512:[a-f0-9]{128})$/;

/** Repository, tag and digest of a versioned image; throws InvalidRequestError saying what to write. */
export function parseImage(ref: string): ImageParts {
  const parts = splitImage(ref);
  if (parts.tag === undefined && parts.digest === undefined) {
    const like = parts.repository.includes('/') ? `${parts.repository}:1.4.3` : `ghcr.io/acme/${parts.repository}:1.4.3`;
    throw invalid(ref, `"${ref}" is not a versioned image: give a tag or digest, like ${like} (or ${parts.repository}@sha256:<digest>)`);
  }
  return parts;
}

/** The repository of a reference that may lack a version: `nginx` → `nginx`, `ghcr.io/a/b:1` → `ghcr.io/a/b`. */
export function imageRepository(ref: string): string {
  return splitImage(ref).repository;
}

export function formatImage(parts: ImageParts): string {
  return `${parts.repository}${parts.tag !== undefined ? `:${parts.tag}` : ''}${parts.digest !== undefined ? `@${parts.digest}` : ''}`;
}

/**
 * Whether two references name the same image as a container runtime sees it:
 * `nginx`, `docker.io/library/nginx` and `nginx:latest` are one image. References
 * that do not parse are compared as written, so this never throws.
 */
export function sameImage(a: string, b: string): boolean {
  return normalize(a) === normalize(b);
}

function normalize(ref: string): string {
  let parts: ImageParts;
  try {
    parts = splitImage(ref);
  } catch {
    return ref.trim();
  }
  const [first, ...rest] = parts.repository.split('/');
  let repository = parts.repository;
  if (isDomain(first!, rest.length > 0)) {
    const domain = first!.toLowerCase();
    repository = /^(?:docker\.io|index\.docker\.io|registry-1\.docker\.io)$/.test(domain) ? rest.join('/') : [domain, ...rest].join('/');
  }
  // Docker Hub's official images live under library/.
  if (/^library\/[^/]+$/.test(repository) && !repository.includes('.')) repository = repository.slice('library/'.length);
  const tag = parts.tag ?? (parts.digest === undefined ? 'latest' : undefined);
  return formatImage({ repository, ...(tag !== undefined ? { tag } : {}), ...(parts.digest !== undefined ? { digest: parts.digest } : {}) });
}

/** docker's rule: the first path part is a registry when it has a dot or a port, or is localhost. */
function isDomain(first: string, hasMore: boolean): boolean {
  return hasMore && (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase());
}

function splitImage(ref: string): ImageParts {
  if (typeof ref !== 'string' || ref.trim() === '') throw invalid(String(ref), `the image is empty; write one like ${EXAMPLE}`);
  if (/\s/.test(ref)) throw invalid(ref, `"${ref}" is not an image reference: it contains whitespace; write one like ${EXAMPLE}`);

  let rest = ref;
  let digest: string | undefined;
  const at = rest.indexOf('@');
  if (at !== -1) {
    digest = rest.slice(at + 1);
    rest = rest.slice(0, at);
    if (!DIGEST.test(digest)) {
      throw invalid(ref, `"${ref}": the digest must be sha256: followed by 64 lowercase hex digits, like ${EXAMPLE.split(':')[0]}@sha256:${'0'.repeat(64)}`);
    }
  }

  // The tag is after the last ':' that comes after the last '/': `localhost:5000/app` has none.
  let tag: string | undefined;
  const colon = rest.lastIndexOf(':');
  if (colon > rest.lastIndexOf('/')) {
    tag = rest.slice(colon + 1);
    rest = rest.slice(0, colon);
    if (!TAG.test(tag)) {
      throw invalid(ref, `"${ref}": the tag "${tag}" is not valid: use up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-', like 1.4.3`);
    }
  }

  const [first, ...others] = rest.split('/');
  const components = isDomain(first!, others.length > 0) ? others : [first!, ...others];
  const domainOk = !isDomain(first!, others.length > 0) || DOMAIN.test(first!);
  if (!domainOk || components.length === 0 || !components.every((c) => PATH_COMPONENT.test(c))) {
    throw invalid(
      ref,
      `"${ref}": "${rest}" is not a valid repository: use lowercase letters, digits and . _ - with / between parts, optionally after a registry, like ghcr.io/acme/checkout`,
    );
  }
  return { repository: rest, ...(tag !== undefined ? { tag } : {}), ...(digest !== undefined ? { digest } : {}) };
}

function invalid(ref: string, message: string): InvalidRequestError {
  return new InvalidRequestError(message, { field: 'image', value: ref });
}
