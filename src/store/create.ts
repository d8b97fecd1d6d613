// The object store the options configure, or none: with no bucket, Furrow runs every job and
// logs live as long as their pods. Credentials are never an option: they come from the SDK's
// default chain (AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY from the chart's Secret, or a web
// identity token with IAM roles for service accounts).
import type { Options } from '../config/options.ts';
import { S3Store } from './s3-store.ts';

export type ObjectStoreOptions = Pick<
  Options,
  'objectStoreEndpoint' | 'objectStoreBucket' | 'objectStoreRegion' | 'objectStorePathStyle'
>;

export function createObjectStore(options: ObjectStoreOptions): S3Store | undefined {
  if (!options.objectStoreBucket) return undefined;
  return new S3Store({
    bucket: options.objectStoreBucket,
    endpoint: options.objectStoreEndpoint,
    region: options.objectStoreRegion,
    pathStyle: options.objectStorePathStyle,
  });
}
